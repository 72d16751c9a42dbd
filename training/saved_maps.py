"""The localization maps ``evaluate --save-maps`` keeps, one file per model: ``OUT/maps/<model>.npz``.

Arrays (numpy ``.npz``, no pickles):

* ``index`` (N,) int64: the samples' plan indices; ``id`` (N,) unicode: their ids;
* ``maps`` (N, h, w) float16: each sample's map with its own audio at the model's output
  resolution, row 0 at the top of the image, column 0 at its left (image pixel frame,
  docs/conventions.md); upsample bilinearly to the image's size to overlay it;
* ``model`` () unicode: the model's display name (the row name of the tables).

``simulate preview DIR --eval OUT`` draws them over each sample's image. Only positive samples
and samples whose own audio is a negative have a map (the ``main`` map of ``evaluate``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

SUBDIR = "maps"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def maps_file(out: Path, model: str) -> Path:
    """Where the maps of ``model`` go under an evaluation folder ``out`` (a file-safe name)."""
    return Path(out) / SUBDIR / f"{_UNSAFE.sub('_', model).strip('._') or 'model'}.npz"


def save_maps(out: Path, model: str, maps: dict[int, np.ndarray], ids: dict[int, str]) -> Path:
    """Write ``maps`` ({plan index: (h, w) map}) of ``model`` atomically; returns the file."""
    path = maps_file(out, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    order = sorted(maps)
    shapes = {maps[i].shape for i in order}
    if len(shapes) > 1:
        raise ValueError(f"maps of model {model!r} differ in shape: {sorted(shapes)}")
    stack = np.stack([np.asarray(maps[i], np.float32) for i in order]).astype(np.float16) if order \
        else np.zeros((0, 1, 1), np.float16)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, index=np.asarray(order, np.int64), id=np.asarray([ids[i] for i in order], str),
                                maps=stack, model=np.asarray(model))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_maps(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """(model name, {sample id: (h, w) float32 map}) of a file :func:`save_maps` wrote; ValueError
    naming the file when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as z:
            ids, maps, model = z["id"], z["maps"], str(z["model"])
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a maps file of evaluate --save-maps ({exc})") from None
    if maps.ndim != 3 or len(ids) != len(maps):
        raise ValueError(f"{path}: not a maps file of evaluate --save-maps (shapes {ids.shape}, {maps.shape})")
    return model, {str(i): maps[k].astype(np.float32) for k, i in enumerate(ids)}
