"""Real photos as scenes (the AudioCOCO path of seeds/000, section 2.1).

A COCO-format dataset (images + instance masks, optional per-image depth maps) is indexed once
(:mod:`simulator.photos.index`); each annotated object is a potential sound source at a pixel
inside its visible mask and at a depth read from its depth map, estimated by a monocular model, or
taken from a ground-plane prior (:mod:`simulator.photos.depth`); the photo sampler
(:mod:`simulator.photos.sampler`) picks, per planned sample, an image and objects that satisfy the
sample's condition and size bin, and returns a Scene whose ``image_source`` is the photo.
``renderers.visual.photo.PhotoRenderer`` turns such a Scene into rgb, depth and instance ids.
See docs/photos.md.
"""
from __future__ import annotations

from .depth import (DEPTH_KINDS, DepthConfig, DepthEstimator, DepthProvider, ObjectDepth,
                    TransformersDepthEstimator, ground_plane_depth, precompute_depth)
from .index import DEFAULT_ALIASES, PhotoImage, PhotoIndex, PhotoIndexError, PhotoObject
from .sampler import (PHOTO_CONDITIONS, PhotoConfig, PhotoSampler, PhotoSelectionError,
                      candidates, category_pool_for_spec, check_photo_spec, photo_category_pool)

__all__ = [
    "DEFAULT_ALIASES", "DEPTH_KINDS", "DepthConfig", "DepthEstimator", "DepthProvider", "ObjectDepth",
    "PHOTO_CONDITIONS", "PhotoConfig", "PhotoImage", "PhotoIndex", "PhotoIndexError", "PhotoObject",
    "PhotoSampler", "PhotoSelectionError", "TransformersDepthEstimator", "candidates",
    "category_pool_for_spec", "check_photo_spec",
    "ground_plane_depth", "photo_category_pool", "precompute_depth",
]
