"""``polyhedron``: ``room.floor_plan`` extruded to ``room.height_m``, or a closed ``room.mesh``
file; image sources from pyroomacoustics' engine with visibility checks."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import numpy as np

from simulator.core.scene import Room

from ..ism import ImageSources, polyhedron_image_sources
from ..rooms import Wall, floor_plan_walls, mesh_walls
from .base import Ranges, RoomKind


@functools.lru_cache(maxsize=16)
def _mesh_bounds(path: str) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    bounds = trimesh.load(path, force="mesh").bounds
    return bounds[0], bounds[1]


class Polyhedron(RoomKind):
    name = "polyhedron"

    def walls(self, room: Room) -> tuple[list[Wall], None, None]:
        if room.mesh is not None and room.floor_plan is not None:
            raise ValueError("room.mesh and room.floor_plan are mutually exclusive")
        if room.mesh is not None:
            return mesh_walls(room.mesh), None, None
        if room.floor_plan is not None:
            return floor_plan_walls(room.floor_plan, room.height_m), None, None
        raise ValueError("room.type 'polyhedron' needs room.mesh or room.floor_plan (with room.height_m)")

    def bounds(self, room: Room) -> tuple[np.ndarray, np.ndarray]:
        if room.floor_plan is not None:
            xy = np.asarray(room.floor_plan, float)
            return np.append(xy.min(axis=0), 0.0), np.append(xy.max(axis=0), room.height_m)
        return _mesh_bounds(str(room.mesh))

    def image_sources(self, model, source, receivers, order, sample_rate, max_images) -> ImageSources:
        return polyhedron_image_sources(model, source, receivers, int(order), sample_rate, max_images)

    def complete_until_s(self, model, source, images, order) -> float:
        mfp = 4.0 * model.volume / model.surface
        return 0.8 * (images.order + 1) * mfp / model.speed_of_sound

    def draw_shape(self, room: Room, draw: Callable[[str], Any], block: dict[str, Any]) -> None:
        if block["floor_plan"] is not None:
            room.floor_plan = [tuple(float(c) for c in p) for p in block["floor_plan"]]
            room.height_m = float(draw("height_m"))
        else:
            room.mesh = block["mesh"]

    def check_spec(self, block: dict[str, Any], error: Callable[[str, str], None]) -> None:
        if (block["floor_plan"] is None) == (block["mesh"] is None):
            error("type", "a polyhedron room needs exactly one of room.floor_plan and room.mesh")
        elif block["floor_plan"] is not None:
            try:  # the polygon's own checks (simple, not flat); the height is checked by the schema
                floor_plan_walls(block["floor_plan"], 3.0)
            except ValueError as exc:
                error("floor_plan", str(exc).replace("room.floor_plan ", "").replace("room.floor_plan: ", ""))
        elif block["mesh"] is not None:
            if not Path(block["mesh"]).is_file():
                error("mesh", f"file not found: {block['mesh']}")
            else:
                block["mesh"] = str(Path(block["mesh"]).resolve())
                try:  # read now: a file that is no closed room fails before any write
                    mesh_walls(block["mesh"])
                except ValueError as exc:
                    error("mesh", str(exc).replace("room.mesh: ", ""))

    def reach_ahead_m(self, block: dict[str, Any], ranges: Ranges) -> float | None:
        if block["floor_plan"] is None:
            return None
        xs = [p[0] for p in block["floor_plan"]]
        return (max(xs) - min(xs)) * (1.0 - ranges("listener_fraction", 0)[1])
