"""Procedural textures for backdrops and walls: numpy only, seeded, no global state.

Every function returns an (H, W, 3) uint8 sRGB image; ``color`` is a linear RGB tint in [0, 1].
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

KINDS = ("noise", "checker", "stripes", "gradient")


def procedural_texture(kind: str, seed: int, color=(0.5, 0.5, 0.5), size: int = 256) -> np.ndarray:
    """A ``size`` x ``size`` texture of ``kind`` drawn from ``seed``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    base = np.asarray(color, dtype=float)
    other = np.clip(base * rng.uniform(0.4, 1.6, size=3) + rng.uniform(-0.15, 0.15, size=3), 0.0, 1.0)
    y, x = np.mgrid[0:size, 0:size] / size
    if kind == "noise":
        field = gaussian_filter(rng.standard_normal((size, size)), sigma=rng.uniform(3.0, 20.0), mode="wrap")
        t = (field - field.min()) / (np.ptp(field) or 1.0)
    elif kind == "checker":
        n = int(rng.integers(4, 16))
        t = ((np.floor(x * n) + np.floor(y * n)) % 2).astype(float)
    elif kind == "stripes":
        n, angle = int(rng.integers(3, 20)), rng.uniform(0.0, np.pi)
        t = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * n * (x * np.cos(angle) + y * np.sin(angle))))
    elif kind == "gradient":
        angle = rng.uniform(0.0, 2 * np.pi)
        t = x * np.cos(angle) + y * np.sin(angle)
        t = (t - t.min()) / (np.ptp(t) or 1.0)
    else:
        raise ValueError(f"unknown texture {kind!r}; expected one of {', '.join(KINDS)}")
    linear = base[None, None, :] * (1.0 - t[..., None]) + other[None, None, :] * t[..., None]
    return np.round(255.0 * np.clip(linear, 0.0, 1.0) ** (1.0 / 2.2)).astype(np.uint8)
