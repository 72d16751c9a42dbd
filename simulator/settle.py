"""Settling a drawn layout on its preview render: the checks a layout must pass and where each
object-attached source finally sits (a pixel of its object's visible mask)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.ndimage import distance_transform_edt

from .core import camera as cam
from .core.render import VisualRender
from .core.scene import Scene
from .core.size_bins import size_bin_of
from .sampler import PlacementError


def settle_sources(scene: Scene, vis: VisualRender, sized_object: int | None,
                   amodal: Callable[[Scene, list[int]], dict[int, np.ndarray]], max_occlusion: float) -> None:
    """Check the sized object's bin and occlusion (at most ``max_occlusion`` of its unoccluded mask
    hidden) and that semantic targets are visible, and put each object-attached source on a pixel
    of its object's visible mask: the object's centre pixel if it is on the mask (pinhole: the
    source stays at the object's centre), else the visible pixel farthest from the mask's edge, at
    that pixel's depth. In a clip (``scene.video``) always the latter: a point of the object's
    surface projects onto the object's silhouette in every frame, its centre need not. Raises :class:`PlacementError` (the sample is redrawn) naming the problem."""
    if sized_object is not None:
        visible = vis.instance_ids == sized_object
        area = float(visible.mean())
        if size_bin_of(area) != scene.size_bin:
            raise PlacementError(f"sized object's area {area:.4f} is not in {scene.size_bin}")
        full = float(amodal(scene, [sized_object])[sized_object].mean())
        if full > 0 and 1.0 - area / full > max_occlusion + 1e-9:
            raise PlacementError(f"sized object {100 * (1 - area / full):.0f}% occluded")
    for oid in scene.targets.semantic:
        if not (vis.instance_ids == oid).any():
            raise PlacementError(f"semantic target {oid} is not visible")
    for src in scene.sources:
        if src.object_id is None:
            continue
        obj = scene.object_by_id(src.object_id)
        visible = vis.instance_ids == obj.id
        if not visible.any():
            raise PlacementError(f"sounding object {obj.id} is not visible")
        u, v, depth = cam.pinhole(scene.camera).project(np.asarray(obj.position_m))
        col, row = int(np.floor(u)), int(np.floor(v))
        inside = depth > 0 and 0 <= row < visible.shape[0] and 0 <= col < visible.shape[1] and visible[row, col]
        if scene.video is not None:  # a clip: on the surface, so it shows on its object in every frame
            inside = False
        if inside and scene.camera.projection == "pinhole":
            src.position_m = obj.position_m
            continue
        if not inside:
            # The centre's pixel is not on the object (concave shape, border), or the Scene is a
            # clip: use the visible pixel farthest from the mask's edge.
            dist = distance_transform_edt(np.pad(visible, 1))[1:-1, 1:-1]
            row, col = np.unravel_index(int(np.argmax(dist)), dist.shape)
            u, v = col + 0.5, row + 0.5
        src.position_m = cam.source_at_pixel(scene.camera, float(u), float(v), float(vis.depth[row, col]))
