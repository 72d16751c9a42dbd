"""``shoebox``: the box [0, Lx] x [0, Ly] x [0, Lz] of ``room.size_m``; exact image sources on the
box lattice; its walls can be the image background."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from simulator.core.scene import Room

from ..ism import ImageSources, shoebox_completeness_distance, shoebox_image_sources
from ..rooms import Wall, shoebox_walls
from .base import Ranges, RoomKind


class Shoebox(RoomKind):
    name = "shoebox"
    wall_background = True

    def walls(self, room: Room) -> tuple[list[Wall], np.ndarray, float]:
        try:
            size = np.asarray(room.size_m, dtype=float)
        except (TypeError, ValueError):
            size = np.zeros(0)
        if size.shape != (3,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
            raise ValueError(f"room.size_m must be three positive lengths (Lx, Ly, Lz) in metres, got {room.size_m!r}")
        return shoebox_walls(size), size, float(np.prod(size))

    def bounds(self, room: Room) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(3), np.asarray(room.size_m, float)

    def wall_quads(self, room: Room) -> list[tuple[str, np.ndarray]] | None:
        if room.size_m is None or room.listener_position_m is None:
            return None
        lx, ly, lz = np.asarray(room.size_m, float)
        c = np.array([[x, y, z] for x in (0, lx) for y in (0, ly) for z in (0, lz)], float) \
            - np.asarray(room.listener_position_m, float)
        i = lambda x, y, z: 4 * x + 2 * y + z  # noqa: E731
        return [("east", c[[i(1, 1, 1), i(1, 0, 1), i(1, 0, 0), i(1, 1, 0)]]),   # ahead, seen looking +x
                ("west", c[[i(0, 0, 1), i(0, 1, 1), i(0, 1, 0), i(0, 0, 0)]]),
                ("north", c[[i(0, 1, 1), i(1, 1, 1), i(1, 1, 0), i(0, 1, 0)]]),  # +y
                ("south", c[[i(1, 0, 1), i(0, 0, 1), i(0, 0, 0), i(1, 0, 0)]]),
                ("floor", c[[i(0, 1, 0), i(1, 1, 0), i(1, 0, 0), i(0, 0, 0)]]),  # seen from above
                ("ceiling", c[[i(1, 1, 1), i(0, 1, 1), i(0, 0, 1), i(1, 0, 1)]])]

    def image_sources(self, model, source, receivers, order, sample_rate, max_images) -> ImageSources:
        return shoebox_image_sources(model, source, int(order))

    def complete_until_s(self, model, source, images, order) -> float:
        return shoebox_completeness_distance(model, source, model.listener, int(order)) / model.speed_of_sound

    def draw_shape(self, room: Room, draw: Callable[[str], Any], block: dict[str, Any]) -> None:
        room.size_m = tuple(float(x) for x in draw("size_m"))

    def reach_ahead_m(self, block: dict[str, Any], ranges: Ranges) -> float | None:
        return ranges("size_m", 0)[0] * (1.0 - ranges("listener_fraction", 0)[1])
