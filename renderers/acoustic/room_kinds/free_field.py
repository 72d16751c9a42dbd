"""``free_field``: anechoic space, no walls; only the direct sound arrives."""
from __future__ import annotations

import numpy as np

from simulator.core.scene import Room

from ..ism import ImageSources
from ..rooms import RoomModel, free_field_model
from .base import RoomKind


class FreeField(RoomKind):
    name = "free_field"
    bounded = False

    def build(self, room: Room, sample_rate: int, c: float) -> RoomModel:
        return free_field_model(room, sample_rate, c)

    def bounds(self, room: Room) -> tuple[np.ndarray, np.ndarray]:
        return np.full(3, -np.inf), np.full(3, np.inf)

    def image_sources(self, model, source, receivers, order, sample_rate, max_images) -> ImageSources:
        b = model.n_bands
        return ImageSources(source[None, :], np.ones((1, b)), np.zeros(1, np.int64), np.ones((1, 1), bool), 0)

    def complete_until_s(self, model, source, images, order) -> float:
        return float("inf")
