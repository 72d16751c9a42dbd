"""Masks as records store them: COCO run-length encoding, COCO boxes, target disks.

Pixel (column i, row j) covers [i, i+1) x [j, j+1); masks are boolean (H, W) arrays indexed
``mask[j, i]``; boxes are COCO ``[x, y, width, height]`` in pixels.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO RLE of a boolean (H, W) mask, with ``counts`` as a str (JSON-ready)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def decode_rle(rle: dict[str, Any]) -> np.ndarray:
    """The boolean (H, W) mask of a record's COCO RLE (``counts`` as a str)."""
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")}).astype(bool)


def bbox_of(mask: np.ndarray) -> list[int] | None:
    """COCO box [x, y, w, h] (pixels) of a mask, or None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def disk_mask(height: int, width: int, u: float, v: float, radius_px: float) -> np.ndarray:
    """Pixels whose centres lie within ``radius_px`` of (u, v) (continuous pixel coordinates)."""
    rows = np.arange(height)[:, None] + 0.5
    cols = np.arange(width)[None, :] + 0.5
    return (cols - u) ** 2 + (rows - v) ** 2 <= radius_px**2
