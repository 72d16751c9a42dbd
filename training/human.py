"""``evaluate --human RESULTS``: the clicks of ``simulate study`` scored as a "Human" row.

A click is a prediction map peaked at the clicked pixel (:class:`ClickPredictor`: minus the
distance from the click's pixel centre, so its peak is that pixel, as the ``center`` baseline's
is the centre pixel), run through evaluate's own per-sample code
(:func:`training.evaluate.evaluate_batch` and the metric functions of training/metrics.py): A-Acc,
V-Acc, and the horizontal and vertical precision within ``--n-deg`` degrees of visual angle.
Metrics of a map's shape (cIoU, AUC, negatives, retrieval) have no meaning for a click and are
left out (NaN, shown as "-").

Viewing geometry (``--angles screen``): each click's angles are measured on the screen its
participant saw, the image ``shown_css_width / screen_ppi`` inches wide at the participant's
viewing distance (the trial's recorded ``geometry``; :mod:`simulator.study.geometry`). With the
default set-up this is the screen ``evaluate`` uses for the models. ``--angles camera`` uses the
rendering camera, as for the models.

What counts: main trials (not practice) of participants who passed the screening (or had none).
A trial that timed out has no click: it counts as a miss (0 for every metric), as the participant
did not localize the sound. Each click is one row, so the Human row pools all trials (as a model's
row pools all samples); the confidence interval is over participants: a percentile bootstrap that
resamples participants with replacement (:data:`BOOTSTRAP` resamples, seeded) and recomputes the
pooled value, 95 %.
"""
from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .data import DataError

RESULTS_FORMAT = "avsim-study-results"
HUMAN_METRICS = ("a_acc", "v_acc", "h_prec", "v_prec")
#: Metrics a click does not define (a map's shape, its maximum).
NOT_FOR_CLICKS = ("iou_top50", "iou_adap", "iou_uth", "max_sim")
BOOTSTRAP = 2000
CI = 0.95


@dataclass(frozen=True)
class Click:
    """One scored trial: ``px`` the click (u, v) in image pixels (None: timed out), ``geometry``
    what the trial recorded of the screen, ``rt_ms`` the response time."""

    participant: str
    sample_id: str
    px: tuple[float, float] | None
    rt_ms: float | None
    geometry: dict[str, Any]
    source: str


def read_clicks(paths: Sequence[str | Path]) -> list[Click]:
    """The scored trials of one or more results files of ``simulate study`` (see the module
    docstring); DataError naming the file and line otherwise."""
    out: list[Click] = []
    for path in paths:
        path = Path(path)
        try:
            raw_lines = path.read_bytes().splitlines()
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        lines = []
        for n, raw in enumerate(raw_lines, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):
                obj = None
            if not isinstance(obj, dict) or (not lines and obj.get("format") != RESULTS_FORMAT):
                raise DataError(f"{path}: line {n}: not a results file of simulate study" if lines
                                else f"{path}: not a results file of simulate study")
            lines.append(obj)
        if not lines:
            raise DataError(f"{path}: not a results file of simulate study (empty)")
        failed = {o.get("participant") for o in lines if o.get("kind") == "screening"
                  and not (o.get("outcome") or {}).get("passed")}
        for n, o in enumerate(lines):
            if o.get("kind") != "trial" or o.get("practice") or o.get("participant") in failed:
                continue
            try:
                px = o["click_px"]
                px = None if px is None else (float(px[0]), float(px[1]))
                g = o["geometry"]
                float(g["shown_css_width"]), float(g["screen_ppi"]), float(g["viewing_distance_m"])
                out.append(Click(str(o["participant"]), str(o["sample_id"]), px,
                                 None if o.get("rt_ms") is None else float(o["rt_ms"]), g, str(path)))
            except (KeyError, TypeError, ValueError, IndexError):
                raise DataError(f"{path}: trial line of participant {o.get('participant')!r} is malformed") from None
    return out


def human_camera(camera: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    """The record's ``camera`` with the screen the participant saw (screen mode, their viewing
    distance and the image pixels per inch as shown), so ``--angles screen`` measures the click's
    angles on it; the pinhole fields (``--angles camera``) are unchanged."""
    from simulator.study.geometry import shown_screen

    distance, ppi = shown_screen(geometry)
    return {**camera, "projection": "screen", "viewing_distance_m": distance, "pixels_per_inch": ppi}


class ClickPredictor:
    """One participant's clicks as maps: for sample index i, ``-distance`` (in pixels) from the
    centre of the clicked pixel ``(floor(u), floor(v))``, so the peak is the clicked pixel."""

    image_size = None
    length = None

    def __init__(self, name: str, clicks: dict[int, tuple[float, float]]):
        self.name = name
        self.clicks = clicks

    def image_features(self, images: np.ndarray, indices: Sequence[int]) -> Any:
        return (images.shape[1:3], list(indices))

    def audio_features(self, audio: np.ndarray) -> Any:
        return audio

    def maps(self, feats: Any, audio: Any, key: str) -> np.ndarray:
        (h, w), idx = feats
        rr, cc = np.mgrid[0:h, 0:w]
        out = []
        for i in idx:
            u, v = self.clicks[int(i)]
            r, c = min(int(math.floor(v)), h - 1), min(int(math.floor(u)), w - 1)
            out.append(-np.hypot(rr - r, cc - c).astype(np.float32))
        return np.stack(out)

    def embeddings(self, feats: Any, audio: Any) -> tuple[np.ndarray, np.ndarray]:
        (_, idx) = feats
        return np.ones((len(idx), 4)), np.ones((len(idx), 4))


class HumanScorer:
    """Scores the clicks of ``--human`` files on evaluate's samples, batch by batch."""

    def __init__(self, paths: Sequence[str], name: str, n_deg: float, angles: str, evaluate: Any):
        self.ev = evaluate   # training.evaluate, passed in (it imports this module)
        self.name = name
        self.n_deg = n_deg
        self.angles = angles
        self.clicks = read_clicks(paths)
        if not self.clicks:
            raise DataError(f"{', '.join(map(str, paths))}: no main trial of a participant who passed the screening")
        self.by_sample: dict[str, list[Click]] = defaultdict(list)
        for c in self.clicks:
            self.by_sample[c.sample_id].append(c)
        self.result = evaluate.ModelResult(name)
        self.per_participant: dict[str, Any] = defaultdict(lambda: evaluate.ModelResult(name))
        self.timeouts = 0

    def restrict(self, entries: list) -> list:
        """The entries the participants saw (models are scored on the same stimuli, as in seeds/000);
        DataError naming a sample of the results that the dataset does not have."""
        ids = {e.id for e in entries}
        missing = sorted(set(self.by_sample) - ids)
        if missing:
            raise DataError(f"{self.clicks[0].source}: sample {missing[0]} is not in the evaluated data "
                            f"({len(missing)} such); is it the study's dataset (and no --conditions/--max-samples)?")
        return [e for e in entries if e.id in self.by_sample]

    def score(self, batch: list) -> None:
        """Add the rows of the clicks on the samples of ``batch`` (evaluate's Samples)."""
        ModelResult, evaluate_batch = self.ev.ModelResult, self.ev.evaluate_batch
        for s in batch:
            for c in self.by_sample.get(s.id, []):
                sample = replace(s, negatives={}, stems={},
                                 record={**s.record, "camera": human_camera(s.record["camera"], c.geometry)})
                res = ModelResult(self.name)
                if c.px is None:
                    self.timeouts += 1
                    if sample.own_negative:
                        res.neg_rows.append({"index": s.index, "condition": s.condition, "size_bin": s.size_bin,
                                             "kind": s.own_negative, "source": "sample", "max_sim": float("nan"),
                                             "v_acc": 0.0 if s.semantic_mask is not None else float("nan")})
                    elif s.target_mask is not None:
                        res.rows.append({"index": s.index, "id": s.id, "condition": s.condition,
                                         "size_bin": s.size_bin, "category": s.category, "a_acc": 0.0,
                                         "v_acc": 0.0 if s.semantic_mask is not None else float("nan"),
                                         "h_prec": 0.0, "v_prec": 0.0, "h_err": float("inf"),
                                         "v_err": float("inf"), "angles": self.angles})
                else:
                    pred = ClickPredictor(self.name, {s.index: c.px})
                    evaluate_batch(pred, [sample], res, self.n_deg, self.angles)
                for r in res.rows:
                    r.update({k: float("nan") for k in NOT_FOR_CLICKS})
                    r.update(participant=c.participant, rt_ms=c.rt_ms, timed_out=c.px is None,
                             click_u=None if c.px is None else c.px[0], click_v=None if c.px is None else c.px[1])
                for r in res.neg_rows:
                    r["max_sim"] = float("nan")
                    r["participant"] = c.participant
                for target in (self.result, self.per_participant[c.participant]):
                    target.rows.extend(res.rows)
                    target.neg_rows.extend(res.neg_rows)

    def finalize(self, seed: int = 0) -> dict[str, Any]:
        """The Human row as evaluate's ``finalize`` gives a model's (the metrics a click defines),
        with ``{metric}_ci`` [low, high] over participants and ``participants`` in each group."""
        finalize = self.ev.finalize
        out = _click_metrics(finalize(self.result, {}))
        parts = {p: _click_metrics(finalize(r, {})) for p, r in sorted(self.per_participant.items())}
        rng = np.random.default_rng([int(seed), 1000])
        names = list(parts)
        draws = rng.integers(0, len(names), size=(BOOTSTRAP, len(names))) if len(names) > 1 else None
        for gk, g in out["groups"].items():
            g["participants"] = sum(1 for p in parts.values() if gk in p["groups"])
            for key in HUMAN_METRICS:
                if not np.isfinite(g.get(key, np.nan)):
                    continue
                sums = np.array([_total(parts[p]["groups"].get(gk, {}), key) for p in names])
                if draws is None or g["participants"] < 2:
                    g[f"{key}_ci"] = [float("nan"), float("nan")]
                    continue
                s, n = sums[draws, 0].sum(axis=1), sums[draws, 1].sum(axis=1)
                vals = s[n > 0] / n[n > 0]
                lo, hi = np.percentile(vals, [50 * (1 - CI), 50 * (1 + CI)])
                g[f"{key}_ci"] = [float(lo), float(hi)]
        out["global"] = {"participants": len(names), "trials": len(self.clicks), "timeouts": self.timeouts}
        self.participant_results = parts
        self.final = out
        return out

    def write(self, out: Path, cols: list[str]) -> None:
        """After :meth:`finalize`: append the Human confidence-interval table to ``out/tables.md``; write
        ``human_trials.csv`` (one row per scored click) and ``human_participants.csv``."""
        GROUP_METRICS, _pct = self.ev.GROUP_METRICS, self.ev._pct
        g_all = self.final["groups"]
        titles = dict(GROUP_METRICS)
        lines = ["", f"### {self.name}: {100 * CI:.0f} % confidence intervals over participants (%)", "",
                 f"({len(self.participant_results)} participant(s), {len(self.clicks)} trials, {self.timeouts} timed "
                 f"out (counted as misses); percentile bootstrap over participants, {BOOTSTRAP} resamples; "
                 "'-' where fewer than two participants)", "",
                 "| metric | " + " | ".join(c.replace("/", " ") for c in cols) + " |", "|---|" + "---:|" * len(cols)]
        for key in HUMAN_METRICS:
            if not any(np.isfinite(g_all.get(c, {}).get(key, np.nan)) for c in cols):
                continue
            cells = []
            for c in cols:
                g = g_all.get(c, {})
                lo, hi = g.get(f"{key}_ci", [float("nan")] * 2)
                cells.append("-" if not np.isfinite(g.get(key, np.nan)) else
                             f"{_pct(g[key])} [{_pct(lo)}, {_pct(hi)}]")
            lines.append(f"| {titles[key]} | " + " | ".join(cells) + " |")
        lines.append("")
        with (out / "tables.md").open("a") as fh:
            fh.write("\n".join(lines))
        fields = ["participant", "index", "id", "condition", "size_bin", "category", "click_u", "click_v", "rt_ms",
                  "timed_out", "a_acc", "v_acc", "angles", "h_err", "v_err", "h_prec", "v_prec", "peak_u", "peak_v"]
        with (out / "human_trials.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.result.rows)
        with (out / "human_participants.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["participant", "condition", "size_bin", "metric", "value", "n"])
            for p, r in self.participant_results.items():
                for gk, g in r["groups"].items():
                    c, sb = gk.split("/")
                    for key in HUMAN_METRICS:
                        if np.isfinite(g.get(key, np.nan)):
                            w.writerow([p, c, sb, key, g[key], g.get(f"{key}_n", g.get("n"))])


def _click_metrics(res: dict[str, Any]) -> dict[str, Any]:
    """A finalize result with only what a click defines (the four metrics and their counts)."""
    keep = {"n", *HUMAN_METRICS, *(f"{k}_n" for k in HUMAN_METRICS)}
    return {"groups": {gk: {k: v for k, v in g.items() if k in keep} for gk, g in res["groups"].items()},
            "negatives": {}, "global": {}}


def _total(g: dict[str, Any], key: str) -> tuple[float, int]:
    """(sum, count) of a metric in a participant's group (0, 0 when absent)."""
    n = int(g.get(f"{key}_n", 0) or 0)
    v = g.get(key, np.nan)
    return (float(v) * n, n) if n and np.isfinite(v) else (0.0, 0)
