"""An ``evaluate`` output folder as the preview shows it (``simulate preview DIR --eval OUT``).

From ``OUT/per_sample.csv`` each model's per-sample outcomes (A-Acc, V-Acc, horizontal and
vertical precision: 1 hit, 0 miss, empty where undefined; the map's peak pixel ``peak_u``,
``peak_v``, image pixels, origin at the top-left corner, as docs/conventions.md), and from
``OUT/maps/<model>.npz`` (written by ``evaluate --save-maps``) each model's map of the sample's
own audio, drawn over the image. Maps are optional: without them a page shows the peaks and
outcomes only.

Memory: the outcomes of every sample (a few numbers per model and sample) and the maps of one
model at a time while a page is written are held (float16 maps of 100,000 samples at 28 x 28 are
about 160 MB per model; they are loaded once, when the first page needs them).
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training.saved_maps import load_maps, maps_file

#: The outcomes a sample page shows, in order: (column of per_sample.csv, label).
OUTCOMES = (("a_acc", "A-Acc"), ("v_acc", "V-Acc"), ("h_prec", "h prec."), ("v_prec", "v prec."))
MAX_CSV_BYTES = 1 << 31
#: The largest side of a map embedded in a page (larger maps, e.g. the baselines' at image
#: resolution, are reduced by block means).
MAX_MAP_SIDE = 96


class EvaluationError(ValueError):
    """An evaluation folder that cannot be shown (names the file)."""


@dataclass
class Evaluation:
    """The per-sample outcomes and (optional) maps of an evaluation folder."""
    folder: Path
    models: list[str]
    n_deg: float | None
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)   # id -> model -> outcome
    map_files: dict[str, Path] = field(default_factory=dict)                   # model -> maps file
    _maps: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def has(self, sample_id: str) -> bool:
        return sample_id in self.rows

    def map_of(self, model: str, sample_id: str) -> np.ndarray | None:
        """The (h, w) map of ``model`` for ``sample_id`` (None without a maps file or entry)."""
        if model not in self.map_files:
            return None
        if model not in self._maps:
            try:
                self._maps[model] = load_maps(self.map_files[model])[1]
            except ValueError as exc:
                raise EvaluationError(str(exc)) from None
        return self._maps[model].get(sample_id)

    def page_data(self, sample_id: str) -> list[dict[str, Any]]:
        """What a sample page shows per model: outcomes, peak pixel, and the map as 0-255 integers
        after min-max scaling (``{"h", "w", "values"}``, row-major), or None."""
        out = []
        for model in self.models:
            row = self.rows.get(sample_id, {}).get(model)
            if row is None:
                continue
            m = self.map_of(model, sample_id)
            heat = None
            if m is not None and m.size and np.isfinite(m).all():
                step = math.ceil(max(m.shape) / MAX_MAP_SIDE)
                if step > 1:   # block means: a page carries at most MAX_MAP_SIDE^2 values per model
                    h, w = m.shape[0] // step * step or m.shape[0], m.shape[1] // step * step or m.shape[1]
                    m = m[:h, :w].reshape(h // step, step, w // step, step).mean(axis=(1, 3)) \
                        if h % step == 0 and w % step == 0 else m[::step, ::step]
                lo, hi = float(m.min()), float(m.max())
                scaled = np.zeros(m.shape) if hi <= lo else (m - lo) / (hi - lo)
                heat = {"h": int(m.shape[0]), "w": int(m.shape[1]),
                        "values": np.round(scaled * 255).astype(int).ravel().tolist()}
            out.append({"model": model, "outcomes": {k: row.get(k) for k, _ in OUTCOMES},
                        "peak": row.get("peak"), "map": heat})
        return out


def _number(text: str | None) -> float | None:
    try:
        x = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return x if x is not None and math.isfinite(x) else None


def load_evaluation(folder: Path) -> Evaluation:
    """Read an ``evaluate`` output folder; EvaluationError naming the file that is missing or bad."""
    folder = Path(folder)
    per_sample, metrics = folder / "per_sample.csv", folder / "metrics.json"
    for p in (per_sample, metrics):
        if not p.is_file():
            raise EvaluationError(f"{p}: missing (not an evaluate output folder)")
    if per_sample.stat().st_size > MAX_CSV_BYTES:
        raise EvaluationError(f"{per_sample}: larger than {MAX_CSV_BYTES} bytes")
    try:
        meta = json.loads(metrics.read_text(encoding="utf-8")).get("meta", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise EvaluationError(f"{metrics}: not readable JSON ({exc})") from None
    n_deg = meta.get("n_deg") if isinstance(meta, dict) else None
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    models: list[str] = []
    try:
        with open(per_sample, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"model", "id", "a_acc"} <= set(reader.fieldnames or []):
                raise EvaluationError(f"{per_sample}, line 1: needs the columns model, id and a_acc")
            for row in reader:
                model, sid = row.get("model") or "", row.get("id") or ""
                if not model or not sid:
                    raise EvaluationError(f"{per_sample}, line {reader.line_num}: no model or id")
                if model not in models:
                    models.append(model)
                u, v = _number(row.get("peak_u")), _number(row.get("peak_v"))
                rows.setdefault(sid, {})[model] = {
                    **{k: _number(row.get(k)) for k, _ in OUTCOMES},
                    "peak": [u, v] if u is not None and v is not None else None}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EvaluationError(f"{per_sample}: cannot be read ({exc})") from None
    map_files = {m: maps_file(folder, m) for m in models if maps_file(folder, m).is_file()}
    return Evaluation(folder, models, n_deg if isinstance(n_deg, (int, float)) else None, rows, map_files)
