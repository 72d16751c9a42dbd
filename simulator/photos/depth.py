"""Depth of a photo's objects: from a depth map, a monocular depth model, or a ground-plane prior.

Every object of a photo gets two numbers (:class:`ObjectDepth`), read at its source pixel
(:func:`simulator.photos.index.source_pixel`):

* ``d_norm``, the *normalised depth* that screen mode uses (``x = viewing_distance_m + d_norm *
  depth_scale``, docs/conventions.md), and
* ``depth_m``, metres along the optical axis (+x) that the pinhole camera uses
  (``PinholeCamera.unproject``); the objects' ``position_m`` are always pinhole points.

Depth-map conventions (``DepthConfig.kind``, spec ``photos.depth_kind``):

``metric``
    The map holds metres along the optical axis (``.npy`` float, times ``metric_scale``; 16-bit
    ``.png`` in millimetres, as this tool's own ``.depth.png``; 8-bit ``.png`` needs
    ``png_scale``). Values <= 0 or not finite mean "no depth". ``d_norm = depth_m = value`` (as
    the mesh renderer's screen mode: normalised depth = metric depth).
``relative_inverse``
    The map holds a relative *inverse* depth (disparity-like: larger = nearer), as DepthAnything
    gives it (seeds/000 section 2.1: values of about 0 to 10). ``.npy`` values are used as they
    are; ``.png`` codes are scaled to ``[0, relative_range]`` (default 10, DepthAnything's range)
    unless ``png_scale`` is given. seeds/000's normalisation: ``d_norm = d_max - d_p``, ``d_max``
    the largest value in the image and ``d_p`` the value at the source pixel, so the nearest
    point of the photo is on the screen (``d_norm = 0``) and, with ``depth_scale`` 0.5, the
    source sits at ``y_u = d_norm / 2 + 0.76`` (seeds/000's Unity y, our x). For the pinhole
    camera the same number is put on the pixel's ray at ``depth_m = relative_near_m + d_norm *
    relative_unit_m`` (defaults 0.76 and 0.5: the same distance ahead as the screen source).

A map whose size differs from the image's is resized bilinearly to it. A map that cannot be read
(or an 8-bit metric PNG without ``png_scale``) is counted in :attr:`DepthProvider.problems` and
the image is treated as having no map. A map whose value at the source pixel is missing uses
the median of the valid values on the object's mask (``map_median``).

Without a map: a :class:`DepthEstimator` if one is given (``TransformersDepthEstimator`` wraps
``transformers.pipeline("depth-estimation", model=<local path or hub id>)``; its ``kind`` says
which convention its output follows), else the **ground-plane prior**
(:func:`ground_plane_depth`): the camera is ``camera_height_m`` above a flat ground and looks
horizontally (COCO has no intrinsics or pose; the pinhole field of view is the spec's assumed
one), so the horizon is the image's middle row and an object standing on the ground whose lowest
mask pixel's lower edge is at row ``v_b`` (> H/2) is ``h * f / (v_b - H/2)`` metres ahead (f the
focal length in pixels): the higher in the image an object ends, the farther it is. Objects
whose lowest pixel is at or above the horizon, or that touch the top edge without reaching the
bottom edge (hanging or cut-off things: the ground contact is not seen), get
``default_distance_m``. The result is clipped to ``[min_distance_m, max_distance_m]`` and used
as metric depth (``d_norm = depth_m``).
"""
from __future__ import annotations

import json
import os
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from renderers.visual.photo import load_rgb

DEPTH_KINDS = ("metric", "relative_inverse")

#: How many depth fields (full-resolution float maps) a provider keeps in memory.
FIELD_CACHE_SIZE = 8


@dataclass(frozen=True)
class DepthConfig:
    """Depth conventions and the fallback's parameters (see the module docstring)."""

    kind: str = "relative_inverse"
    png_scale: float | None = None
    relative_range: float = 10.0
    metric_scale: float = 1.0
    relative_near_m: float = 0.76
    relative_unit_m: float = 0.5
    camera_height_m: float = 1.5
    default_distance_m: float = 10.0
    min_distance_m: float = 0.5
    max_distance_m: float = 50.0

    def __post_init__(self) -> None:
        if self.kind not in DEPTH_KINDS:
            raise ValueError(f"depth kind must be one of {DEPTH_KINDS}, got {self.kind!r}")
        if not 0 < self.min_distance_m <= self.default_distance_m <= self.max_distance_m:
            raise ValueError("need 0 < min_distance_m <= default_distance_m <= max_distance_m")


@dataclass(frozen=True)
class ObjectDepth:
    """An object's depth: ``d_norm`` (screen mode), ``depth_m`` (metres along +x, pinhole) and
    how it was found: ``map``, ``map_median``, ``estimator``, ``ground_plane`` or ``default``."""

    d_norm: float
    depth_m: float
    method: str


@dataclass
class DepthField:
    """A depth map at the photo's size in map units (metres or relative inverse depth; NaN where
    missing), with its convention, where it came from, and ``d_max`` (relative: the image's
    largest value)."""

    values: np.ndarray
    kind: str
    source: str
    d_max: float


@runtime_checkable
class DepthEstimator(Protocol):
    """A monocular depth model. ``estimate(rgb)`` takes an (H, W, 3) uint8 image and returns an
    (H, W) float array in the convention ``kind`` (``metric`` or ``relative_inverse``); ``name``
    identifies the model in records."""

    kind: str
    name: str

    def estimate(self, rgb: np.ndarray) -> np.ndarray: ...


class TransformersDepthEstimator:
    """``transformers.pipeline("depth-estimation", model=...)`` as a :class:`DepthEstimator`.

    ``model``: a local folder or a hub id (e.g. ``depth-anything/Depth-Anything-V2-Small-hf``,
    whose output is relative inverse depth; metric models such as the Depth-Anything-V2 metric
    checkpoints need ``kind="metric"``). The raw ``predicted_depth`` is used (not the 8-bit
    visualisation), resized bilinearly to the image. The model loads on first use; ``device``
    is passed to the pipeline (None: CPU, 0: first GPU). Outputs depend on the hardware's floating
    point: precompute maps once (:func:`precompute_depth`) when byte-identical reruns matter.
    """

    def __init__(self, model: str, kind: str = "relative_inverse", device: Any = None, name: str | None = None):
        if kind not in DEPTH_KINDS:
            raise ValueError(f"kind must be one of {DEPTH_KINDS}, got {kind!r}")
        self.model = str(model)
        self.kind = kind
        self.device = device
        self.name = name or f"transformers:{self.model}"
        self._pipe = None
        self._lock = threading.Lock()

    def _pipeline(self):
        with self._lock:
            if self._pipe is None:
                try:
                    from transformers import pipeline
                except ImportError as exc:  # pragma: no cover - depends on the environment
                    raise ImportError("the transformers depth backend needs `pip install transformers torch`") from exc
                self._pipe = pipeline("depth-estimation", model=self.model, device=self.device)
            return self._pipe

    def estimate(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        out = self._pipeline()(Image.fromarray(np.asarray(rgb, dtype=np.uint8)))
        if isinstance(out, list):
            out = out[0]
        pred = out["predicted_depth"]
        arr = pred.detach().cpu().float().numpy() if hasattr(pred, "detach") else np.asarray(pred, dtype=np.float32)
        arr = np.squeeze(arr).astype(np.float32)
        if arr.ndim != 2:
            raise ValueError(f"depth model returned an array of shape {arr.shape}")
        h, w = rgb.shape[:2]
        return resize_field(arr, (w, h))


def resize_field(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to ``size`` = (width, height)."""
    if (values.shape[1], values.shape[0]) == tuple(size):
        return values.astype(np.float32, copy=False)
    from PIL import Image

    return np.asarray(Image.fromarray(values.astype(np.float32), mode="F").resize(tuple(size), Image.BILINEAR),
                      dtype=np.float32)


def load_depth_map(path: Path, config: DepthConfig) -> np.ndarray:
    """Read an ``.npy`` or ``.png`` depth map in the map's units (see the module docstring).
    Raises ValueError (or OSError) for anything unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        arr = np.squeeze(arr)
        if arr.ndim != 2 or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"depth map {path.name} is not a 2-D numeric array")
        values = arr.astype(np.float32)
        if config.kind == "metric":
            values = values * np.float32(config.metric_scale)
    elif suffix == ".png":
        from PIL import Image

        with Image.open(path) as img:
            mode = img.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                top = 65535.0
            elif mode == "L":
                top = 255.0
            else:
                raise ValueError(f"depth PNG {path.name} has mode {mode}; use 8- or 16-bit grayscale")
            values = np.asarray(img).astype(np.float32)
        if values.ndim != 2:
            raise ValueError(f"depth PNG {path.name} is not single-channel")
        if config.png_scale is not None:
            values = values * np.float32(config.png_scale)
        elif config.kind == "relative_inverse":
            values = values / np.float32(top) * np.float32(config.relative_range)
        elif top == 65535.0:
            values = np.where(values > 0, values * np.float32(0.001), np.nan).astype(np.float32)
        else:
            raise ValueError(f"8-bit metric depth PNG {path.name} needs photos.depth_png_scale (metres per step)")
    else:
        raise ValueError(f"depth map {path.name}: expected .npy or .png")
    if config.kind == "metric":
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan).astype(np.float32)
    else:
        values = np.where(np.isfinite(values), values, np.nan).astype(np.float32)
    if not np.isfinite(values).any():
        raise ValueError(f"depth map {path.name} has no valid value")
    return values


def ground_plane_depth(mask: np.ndarray, focal_px: float, config: DepthConfig) -> tuple[float, str]:
    """Metres along +x of an object standing on the ground, from its mask's lowest pixel (see the
    module docstring). Returns (depth, "ground_plane" or "default")."""
    rows = np.flatnonzero(np.asarray(mask).any(axis=1))
    if rows.size == 0:
        return config.default_distance_m, "default"
    h = mask.shape[0]
    top, bottom_edge = int(rows[0]), float(rows[-1] + 1)
    below = bottom_edge - 0.5 * h
    touches_top, touches_bottom = top == 0, rows[-1] == h - 1
    if below <= 0.5 or (touches_top and not touches_bottom):
        return config.default_distance_m, "default"
    depth = config.camera_height_m * float(focal_px) / below
    return float(np.clip(depth, config.min_distance_m, config.max_distance_m)), "ground_plane"


def to_d_norm(value: float, kind: str, d_max: float) -> float:
    """seeds/000's normalisation: relative_inverse -> d_max - d_p; metric -> the value."""
    return float(d_max - value) if kind == "relative_inverse" else float(value)


def pinhole_depth(d_norm: np.ndarray | float, kind: str, config: DepthConfig):
    """Metres along +x for a normalised depth (relative: ``relative_near_m + d_norm *
    relative_unit_m``; metric: unchanged)."""
    if kind == "relative_inverse":
        return config.relative_near_m + np.asarray(d_norm) * config.relative_unit_m
    return d_norm


class DepthProvider:
    """Depth fields and object depths for the photos of one index (one per worker, reused).

    Caches the last :data:`FIELD_CACHE_SIZE` fields. ``problems`` counts unreadable maps and
    failed estimates (each image counted once per provider); such images use the fallback.
    """

    def __init__(self, index, config: DepthConfig | None = None, estimator: DepthEstimator | None = None):
        self.index = index
        self.config = config or DepthConfig()
        self.estimator = estimator
        self.problems: Counter = Counter()
        self._fields: OrderedDict[int, DepthField | None] = OrderedDict()
        self._lock = threading.Lock()

    def field(self, image) -> DepthField | None:
        """The image's depth field at its own size (map, else estimator, else None)."""
        with self._lock:
            if image.image_id in self._fields:
                self._fields.move_to_end(image.image_id)
                return self._fields[image.image_id]
        result = self._load(image)
        with self._lock:
            self._fields[image.image_id] = result
            while len(self._fields) > FIELD_CACHE_SIZE:
                self._fields.popitem(last=False)
        return result

    def _load(self, image) -> DepthField | None:
        path = self.index.depth_path(image)
        size = (image.width, image.height)
        if path is not None:
            try:
                values = resize_field(load_depth_map(path, self.config), size)
                return _field(values, self.config.kind, "map")
            except (OSError, ValueError) as exc:
                self.problems[f"depth_map_unreadable: {type(exc).__name__}"] += 1
        if self.estimator is not None:
            try:
                rgb = load_rgb(self.index.image_path(image))
                values = resize_field(np.asarray(self.estimator.estimate(rgb), dtype=np.float32), size)
                kind = getattr(self.estimator, "kind", "relative_inverse")
                if kind == "metric":
                    values = np.where(np.isfinite(values) & (values > 0), values, np.nan).astype(np.float32)
                if not np.isfinite(values).any():
                    raise ValueError("estimate has no valid value")
                return _field(values, kind, "estimator:" + str(getattr(self.estimator, "name", "estimator")))
            except Exception as exc:  # noqa: BLE001 - a model failure must not stop the dataset
                self.problems[f"depth_estimate_failed: {type(exc).__name__}"] += 1
        return None

    def object_depth(self, image, source_px: tuple[float, float], mask: np.ndarray, focal_px: float) -> ObjectDepth:
        """Depth of an object whose source pixel is ``source_px`` and whose full mask (at the
        output size) is ``mask``; ``focal_px`` is the pinhole focal length at the output size."""
        h, w = mask.shape
        f = self.field(image)
        if f is not None:
            values = resize_field(f.values, (w, h))
            row, col = int(np.floor(source_px[1])), int(np.floor(source_px[0]))
            value, method = float(values[row, col]), "map" if f.source == "map" else "estimator"
            if not np.isfinite(value):
                on_mask = values[mask & np.isfinite(values)]
                value = float(np.median(on_mask)) if on_mask.size else float("nan")
                method = method + "_median"
            if np.isfinite(value):
                d = to_d_norm(value, f.kind, f.d_max)
                return ObjectDepth(d, float(pinhole_depth(d, f.kind, self.config)), method)
        depth, method = ground_plane_depth(mask, focal_px, self.config)
        return ObjectDepth(depth, depth, method)

    def depth_image(self, image, size: tuple[int, int]) -> np.ndarray | None:
        """Metres along +x for every pixel at ``size`` (0 where the map has no value), or None
        when the image has no field."""
        f = self.field(image)
        if f is None:
            return None
        values = resize_field(f.values, size)
        d = f.d_max - values if f.kind == "relative_inverse" else values
        depth = pinhole_depth(d, f.kind, self.config)
        return np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)


def _field(values: np.ndarray, kind: str, source: str) -> DepthField:
    return DepthField(values, kind, source, float(np.nanmax(values)))


def precompute_depth(index, estimator: DepthEstimator, out_dir: str | os.PathLike, overwrite: bool = False) -> int:
    """Run ``estimator`` once on every photo of ``index`` and write ``<out_dir>/<file stem>.npy``
    (float32, the estimator's convention) plus ``depth_kind.json``; returns how many maps were
    written. Use ``out_dir`` as ``photos.depth`` with ``photos.depth_kind`` = the estimator's kind,
    so runs read fixed maps (reproducible across machines and worker counts)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for image in index.images:
        target = out / (os.path.splitext(image.file)[0] + ".npy")
        if target.exists() and not overwrite:
            continue
        rgb = load_rgb(index.image_path(image))
        values = np.asarray(estimator.estimate(rgb), dtype=np.float32)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp.npy")
        np.save(tmp, values)
        os.replace(tmp, target)
        written += 1
    (out / "depth_kind.json").write_text(json.dumps({"kind": estimator.kind, "model": estimator.name}) + "\n")
    return written
