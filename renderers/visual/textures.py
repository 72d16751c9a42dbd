"""Procedural textures for backdrops and walls: numpy only, seeded, no global state.

``procedural_texture`` returns an (H, W, 3) uint8 sRGB pattern between white and a random
shade; the renderer tints it with the background colour (material base colour), so one pattern
serves every colour and can be cached by (kind, seed).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.ndimage import gaussian_filter

def _noise(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    size = x.shape[0]
    field = gaussian_filter(rng.standard_normal((size, size)), sigma=rng.uniform(1.5, 10.0), mode="wrap")
    return (field - field.min()) / (np.ptp(field) or 1.0)


def _checker(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = int(rng.integers(4, 16))
    return ((np.floor(x * n) + np.floor(y * n)) % 2).astype(float)


def _stripes(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n, angle = int(rng.integers(3, 20)), rng.uniform(0.0, np.pi)
    return 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * n * (x * np.cos(angle) + y * np.sin(angle))))


def _gradient(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    angle = rng.uniform(0.0, 2 * np.pi)
    t = x * np.cos(angle) + y * np.sin(angle)
    return (t - t.min()) / (np.ptp(t) or 1.0)


#: Texture kinds: name -> ``pattern(rng, x, y) -> t`` in [0, 1] on the unit square's grid (x, y).
#: Adding a kind is one function here; the spec's ``background.texture`` takes its name.
PATTERNS: dict[str, Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray]] = {
    "noise": _noise, "checker": _checker, "stripes": _stripes, "gradient": _gradient}
KINDS = tuple(PATTERNS)


def procedural_texture(kind: str, seed: int, size: int = 128) -> np.ndarray:
    """A ``size`` x ``size`` pattern of ``kind`` drawn from ``seed``, from white to a shade."""
    pattern = PATTERNS.get(kind)
    if pattern is None:
        raise ValueError(f"unknown texture {kind!r}; expected one of {', '.join(KINDS)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    base = np.ones(3)
    other = rng.uniform(0.35, 0.85) * np.clip(1.0 + rng.uniform(-0.25, 0.25, size=3), 0.0, 1.2)
    y, x = np.mgrid[0:size, 0:size] / size
    t = pattern(rng, x, y)
    linear = base[None, None, :] * (1.0 - t[..., None]) + other[None, None, :] * t[..., None]
    return np.round(255.0 * np.clip(linear, 0.0, 1.0) ** (1.0 / 2.2)).astype(np.uint8)
