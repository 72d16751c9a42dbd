"""What renderers return: the neutral result types that image backends, acoustic renderers and the
sample factory share (renderers/ and simulator/ both import them from here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class VisualRender:
    """One rendered view.

    ``rgb``: (H, W, 3) uint8, display-encoded. ``depth``: (H, W) float32, metres along the optical
    axis (+x) from the camera centre, 0.0 where no object. ``instance_ids``: (H, W) int32, 0 for
    background, else the ``SceneObject.id`` of the visible (front-most) object.

    ``annotation_masks``: object id -> boolean (H, W) unoccluded mask when the backend measured
    the objects' extents itself (e.g. a segmenter on a generated image); None: the annotation takes
    the objects' silhouettes. ``extras``: JSON-ready entries the backend adds to the sample's
    record (e.g. ``{"diffusion": {...}}``).
    """

    rgb: np.ndarray
    depth: np.ndarray
    instance_ids: np.ndarray
    annotation_masks: dict[int, np.ndarray] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class AudioRender:
    """Result of an acoustic render.

    ``mixture``: (C, n) float32; channel 0 = LEFT ear (+y), 1 = RIGHT ear (-y); C = 1 for head
    ``mono``. ``stems``: one (C, n) float32 per scene source, in ``scene.sources`` order; they sum
    to the mixture. ``impulse_responses``: one (C, L) float32 per source, the source-to-ear
    responses used (without the source's gain). ``occlusion``: one plain dict per source whose
    direct path an object blocks (:mod:`renderers.acoustic.occlusion`; room renderer only).
    """

    mixture: np.ndarray
    stems: list[np.ndarray]
    impulse_responses: list[np.ndarray]
    occlusion: list[dict] = field(default_factory=list)
