"""Object cutouts as library meshes: an RGBA image (photo or clip-art, transparent around the
object) becomes a relief mesh through :func:`renderers.visual.depth_objects.cutout_to_mesh`.

A cutout ``cat/tabby.png`` may have a depth map beside it, ``cat/tabby.depth.npy`` or
``cat/tabby.depth.png`` (larger = farther from the viewer), for a bas-relief; without one it is a
thin slab. The mesh is built 1 m tall, front facing +x (the image upright seen from the front);
the library then scales it to its real-world size like any mesh (``sizes.yaml``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

CUTOUT_EXTENSIONS = {".png", ".webp"}
DEPTH_SUFFIXES = (".depth.npy", ".depth.png")


def is_cutout(path: Path) -> bool:
    """True for an image that is a cutout (not a depth map beside one)."""
    name = path.name.lower()
    return path.suffix.lower() in CUTOUT_EXTENSIONS and ".depth." not in name


def depth_path(path: Path) -> Path | None:
    for suffix in DEPTH_SUFFIXES:
        candidate = path.with_name(path.name[: -len(path.suffix)] + suffix)
        if candidate.is_file():
            return candidate
    return None


def load_cutout_mesh(path: Path):
    """The cutout at ``path`` as a 1 m tall trimesh (ValueError if it has no transparent
    background or no opaque pixel)."""
    from PIL import Image

    from renderers.visual.depth_objects import cutout_to_mesh

    with Image.open(path) as im:
        if "A" not in im.getbands():
            raise ValueError("no alpha channel: a cutout needs a transparent background (RGBA)")
        rgba = np.asarray(im.convert("RGBA"))
    depth = None
    dp = depth_path(path)
    if dp is not None:
        depth = np.load(dp) if dp.suffix == ".npy" else np.asarray(Image.open(dp), dtype=float)
        if depth.ndim == 3:
            depth = depth[..., 0]
    return cutout_to_mesh(rgba, height_m=1.0, depth=depth)
