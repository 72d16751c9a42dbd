"""Unoccluded masks remembered per object and pose: a layout's sized object is measured while its
depth is fitted and checked, then annotated; each silhouette is rendered once."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.scene import Scene


class AmodalMemo:
    """``render(scene, ids) -> {id: mask}`` with the last mask of each object id remembered for
    its (sample, mesh, pose, scale) and the camera's (field of view, image size, position, yaw,
    pitch): a tipped or moved camera sees another silhouette."""

    def __init__(self, render: Callable[[Scene, list[int]], dict[int, np.ndarray]]) -> None:
        self._render = render
        self._memo: dict[int, tuple[tuple, np.ndarray]] = {}

    def __call__(self, scene: Scene, object_ids: list[int]) -> dict[int, np.ndarray]:
        out, todo = {}, []
        for oid in object_ids:
            obj = scene.object_by_id(oid)
            c = scene.camera
            key = (scene.index, oid, obj.mesh, obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale,
                   c.hfov_deg, c.width, c.height, tuple(c.position_m), c.yaw_deg, c.pitch_deg)
            hit = self._memo.get(oid)
            if hit is not None and hit[0] == key:
                out[oid] = hit[1]
            else:
                todo.append((oid, key))
        if todo:
            fresh = self._render(scene, [oid for oid, _ in todo])
            for oid, key in todo:
                self._memo[oid] = (key, fresh[oid])
                out[oid] = fresh[oid]
        return out
