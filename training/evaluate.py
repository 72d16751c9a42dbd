"""The ``evaluate`` command: seeds' metrics per condition and size bin, baselines, tables, plots.

    evaluate --data DATASET --model RUN [RUN ...] [--names A B ...] [--baselines random center]
             [--vision-prior RUN] [--compare A:B ...] [--n-deg 6] [--angles screen|camera] [--out DIR]

For every model (a run folder with ``model.safetensors``, or a checkpoint) and baseline it computes,
per (condition, size bin) and over all samples (training/metrics.py has each definition and its
source):

* seeds/000: A-Acc, V-Acc, horizontal and vertical precision within ``--n-deg`` degrees of visual
  angle; ``--angles screen`` (default) measures the angles as seeds/000's participants saw them, the
  image on a screen 0.76 m away (the record's own screen in screen mode, else seeds/000's display:
  a 640-pixel-wide picture at 90 pixels per inch), ``--angles camera`` with the rendering camera's
  field of view;
* seeds/001: cIoU@0.5 with the top-50 % and the adaptive top-B localisation masks (the share of
  samples with IoU >= 0.5), their AUCs, and IIoU/IAUC on multi-source samples from the per-source
  stems (a source without a stem fails its image);
* seeds/003-004: the universal threshold (3rd quartile of the negative pairs' map maxima),
  cIoU_Uth (the *mean* IoU at that threshold) and AUC at it, pIA and AUCN per negative kind
  (silence, noise, off-screen: the ``negatives.*`` files and the ``vision_only``/``offscreen``
  samples), FLOC, FAUC, separability;
* retrieval P@k and A@k (image -> audio, audio -> image; labels: the sound's category), alignment
  and modality-gap magnitude.

``--human RESULTS``: the clicks of ``simulate study`` scored as a "Human" row with the same metrics
(training/human.py; docs/study.md), every row then on the samples the participants saw.

A map with a NaN or an infinite value stops the evaluation with a message naming the model and the
sample (exit status 2).

Baselines: ``random`` (a uniformly random map: a random point), ``center`` (the image centre),
and ``vision_prior`` (a ``model.variant: vision`` model, given with ``--vision-prior``: where
sounding objects usually are, without audio).

Writes ``tables.md`` (Table S1-style: rows = models, columns = condition x size bin, one table per
metric), ``metrics.csv`` (long format), ``metrics.json``, ``per_sample.csv``, ``margins.csv`` and
PNG plots (``hv_precision.png`` as seeds/000 Fig. 6, ``a_acc_by_size.png``, ``max_similarity.png``
as seeds/003 Fig. 1). The viewing geometry of the precision metrics is in each of them. With
``--save-maps`` also ``maps/<model>.npz``, each sample's map (:mod:`training.saved_maps`), which
``simulate preview DIR --eval OUT`` draws over the images.
"""
from __future__ import annotations

import csv
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from simulator.core import camera as cam
from simulator.core.geometry import ScreenProjection

from simulator.cli_parser import ArgumentParser

from . import metrics as M
from .checkpoint import ModelFileError, load_model_files
from .config import DEFAULTS, NEGATIVE_KINDS, ConfigError, load_config
from .ddp import pick_device
from .data import (DataError, decode_audio, decode_file, decode_image, decode_rle, fit_length, is_negative,
                   object_masks, open_source, resize_image, target_masks, to_stereo)
from .models import build_model, normalise_image
from .saved_maps import maps_file, save_maps

SIZE_BINS = ("size1", "size2", "size3")


# ------------------------------------------------------------------------------------------------
# Predictors: models and baselines
# ------------------------------------------------------------------------------------------------
class Predictor:
    """Maps (at any resolution) for a batch of images paired with lists of audios."""

    name: str = "predictor"
    image_size: tuple[int, int] | None = None
    length: int | None = None

    def image_features(self, images: np.ndarray, indices: Sequence[int]) -> Any:
        raise NotImplementedError

    def audio_features(self, audio: np.ndarray) -> Any:
        """Features of ``audio`` (B, 2, L) that :meth:`maps` and :meth:`embeddings` take (indexable
        by a list of rows); the waveforms themselves unless the predictor encodes them."""
        return audio

    def maps(self, feats: Any, audio: Any, key: str) -> np.ndarray:
        """(B, h, w) maps of the batch's images paired with audio features (:meth:`audio_features`)."""
        raise NotImplementedError

    def embeddings(self, feats: Any, audio: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class ModelPredictor(Predictor):
    def __init__(self, path: Path, name: str | None, device: torch.device):
        tensors, meta = load_model_files(path)
        try:
            stored = _fill_defaults(meta["config"])
            stored["model"]["pretrained"] = {"image": None, "audio": None}   # the weights come from the run
            cfg = load_config(None, base=stored)
            self.sample_rate = int(meta.get("sample_rate", 16000))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: its model config cannot be used ({type(exc).__name__}: {exc})") from None
        self.cfg = cfg
        self.variant = cfg["model"]["variant"]
        self.model = build_model(cfg, self.sample_rate)
        try:
            missing, unexpected = self.model.load_state_dict(tensors, strict=False)
        except RuntimeError as exc:  # shapes that differ
            raise ConfigError(f"{path}: the weights do not fit the model of its config "
                              f"({' '.join(str(exc).split())[:240]})") from None
        if missing or unexpected:
            raise ConfigError(f"{path}: the weights do not fit the model of its config (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]})")
        self.model.to(device).eval()
        self.device = device
        self.name = name or cfg.get("name") or Path(path).stem
        self.image_size = tuple(meta["image_size"]) if meta.get("image_size") else None
        self.length = int(meta["length"]) if meta.get("length") else None

    @torch.no_grad()
    def image_features(self, images, indices):
        x = normalise_image(torch.from_numpy(np.ascontiguousarray(images)).to(self.device))
        return self.model.encode_image(x)

    @torch.no_grad()
    def audio_features(self, audio):
        return self.model.encode_audio(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(self.device))

    @torch.no_grad()
    def maps(self, feats, audio, key):
        return self.model.similarity(feats, audio).cpu().numpy()

    @torch.no_grad()
    def embeddings(self, feats, audio):
        pv, pa = self.model.embeddings(feats, audio)
        return pv.cpu().numpy(), pa.cpu().numpy()


class RandomPredictor(Predictor):
    """A random point: an i.i.d. uniform map, seeded by (sample index, which audio)."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def image_features(self, images, indices):
        return (images.shape[1:3], list(indices))

    def maps(self, feats, audio, key):
        (h, w), idx = feats
        salt = sum(key.encode()) * 1009
        return np.stack([np.random.default_rng([self.seed, int(i), salt]).random((h, w)) for i in idx]).astype(np.float32)

    def embeddings(self, feats, audio):
        (_, idx) = feats
        v = np.stack([np.random.default_rng([self.seed, int(i), 1]).normal(size=16) for i in idx])
        a = np.stack([np.random.default_rng([self.seed, int(i), 2]).normal(size=16) for i in idx])
        return v, a


class CenterPredictor(Predictor):
    """The image centre: a map decreasing with the distance from the centre pixel (H//2, W//2)."""

    name = "center"

    def image_features(self, images, indices):
        return (images.shape[1:3], len(indices))

    def maps(self, feats, audio, key):
        (h, w), n = feats
        rr, cc = np.mgrid[0:h, 0:w]
        m = -np.hypot(rr - h // 2, cc - w // 2).astype(np.float32)
        return np.repeat(m[None], n, axis=0)

    def embeddings(self, feats, audio):
        (_, n) = feats
        return np.ones((n, 4)), np.ones((n, 4))


class ObjectRulePredictor(Predictor):
    """A no-audio rule that picks one visible object from the record alone (the image's objects,
    never the audio): ``largest``, ``nearest``, ``most_visible``, ``central_object`` (the rules of
    :data:`simulator.shortcuts.RULES`) or ``random_object`` (a uniformly drawn visible object,
    i.e. chance). Its map is 1 on the picked object's visible mask and 0 elsewhere, so A-Acc is
    whether the pick is the audio target; ties are broken by a draw seeded by the sample, so the
    expected score shares them as the audit's baselines do. Samples without a visible object get
    a zero map."""

    uses_records = True

    def __init__(self, name: str, seed: int = 0):
        self.name = name
        self.seed = seed
        self.records: dict[int, dict] = {}

    def image_features(self, images, indices):
        return (images.shape[1:3], list(indices))

    def _pick(self, record: dict, index: int) -> dict | None:
        from simulator.shortcuts import RULES

        objects = [o for o in record.get("objects") or [] if isinstance(o, dict) and o.get("visible") and o.get("mask")]
        if not objects:
            return None
        rng = np.random.default_rng([self.seed, int(index), 77])
        if self.name == "random_object":
            return objects[int(rng.integers(len(objects)))]
        score = RULES[OBJECT_RULES[self.name]][1]
        values = np.array([score(o, record) for o in objects], float)
        tied = np.flatnonzero(values >= values.max() - 1e-12)
        return objects[int(tied[int(rng.integers(len(tied)))])]

    def maps(self, feats, audio, key):
        (h, w), idx = feats
        out = np.zeros((len(idx), h, w), np.float32)
        for k, i in enumerate(idx):
            picked = self._pick(self.records[int(i)], int(i))
            if picked is not None:
                mask = decode_rle(picked["mask"])
                if mask.shape == (h, w):
                    out[k] = mask
        return out

    def embeddings(self, feats, audio):
        (_, idx) = feats
        return np.ones((len(idx), 4)), np.ones((len(idx), 4))


#: evaluate's object-rule baselines -> the rule of simulator.shortcuts.RULES (None: a random object).
OBJECT_RULES = {"largest": "largest", "nearest": "nearest", "most_visible": "most_visible",
                "central_object": "centre", "random_object": None}


def _fill_defaults(cfg: dict) -> dict:
    """A stored config on top of the current defaults (keys added later get their defaults)."""
    def merge(base, upd):
        out = dict(base)
        for k, v in upd.items():
            if k in base and isinstance(base[k], dict) and isinstance(v, dict) and k != "pretrained":
                out[k] = merge(base[k], v)
            elif k in base:
                out[k] = v
        return out
    return merge(DEFAULTS, cfg)


# ------------------------------------------------------------------------------------------------
# Per-sample evaluation
# ------------------------------------------------------------------------------------------------
@dataclass
class Sample:
    index: int
    id: str
    condition: str
    size_bin: str | None
    category: str | None
    record: dict
    image: np.ndarray
    audio: np.ndarray
    negatives: dict[str, np.ndarray]
    stems: dict[int, np.ndarray]
    target_mask: np.ndarray | None          # union of audio targets (None for negatives)
    target_masks: list[np.ndarray]
    source_ids: list[int]
    semantic_mask: np.ndarray | None
    own_negative: str | None                # the sample's own audio is negative (vision_only/offscreen)
    gt_uv: tuple[float, float] | None


def load_sample(source, entry, length: int | None, sample_rate: int | None = None) -> Sample:
    """One sample for evaluation; its audio files must be at ``sample_rate`` (the models' rate)
    when given."""
    rec = source.record(entry)
    try:
        return _sample_of(source, entry, rec, length, sample_rate)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{source.path(entry, 'record')}: not a sample record ({type(exc).__name__}: {exc})") from None


def _sample_of(source, entry, rec: dict, length: int | None, sample_rate: int | None) -> Sample:
    image = decode_file(source, entry, "image", decode_image, "image")

    def audio(name: str) -> np.ndarray:
        return to_stereo(decode_file(source, entry, name, lambda b: decode_audio(b, length, sample_rate), "audio file"))

    wave = audio("audio")
    negs = {}
    for k in NEGATIVE_KINDS:
        if f"negative_{k}" in entry.files:
            negs[k] = audio(f"negative_{k}")
    masks = object_masks(rec)
    tms = target_masks(rec, masks)
    targets = (rec.get("targets") or {})
    src_ids = [int(t["source_id"]) for t in targets.get("audio") or []]
    stems = {}
    if len(src_ids) > 1:
        for sid in src_ids:
            key = f"stem_s{sid}"
            if key in entry.files:
                stems[sid] = audio(key)
    neg = is_negative(rec)
    own_negative = None
    if neg:
        own_negative = targets.get("negative") or "offscreen"
    sem_ids = [int(i) for i in targets.get("semantic") or []]
    if rec["condition"] == "vision_only":
        # seeds/000: in VOnly, V-Acc counts any object of a sound-emitting category (every
        # category of the asset library makes sound)
        sem_ids = [int(o["id"]) for o in rec.get("objects", []) if o.get("visible")]
    sem = [masks[i] for i in sem_ids if i in masks]
    gt_uv = None
    aud = targets.get("audio") or []
    if aud and aud[0].get("pixel") is not None:
        gt_uv = (float(aud[0]["pixel"][0]), float(aud[0]["pixel"][1]))
    return Sample(entry.index, entry.id, rec["condition"], entry.size_bin, entry.category, rec, image, wave, negs,
                  stems, None if neg or not tms else np.logical_or.reduce(tms), tms, src_ids,
                  np.logical_or.reduce(sem) if sem else None, own_negative, gt_uv)


#: Viewing geometries of the horizontal/vertical precision (``--angles``).
ANGLES = ("screen", "camera")
#: seeds/000's display (Sec. 2.1 and 2.3): the listener sits 0.76 m from a screen of 90 pixels per
#: inch that shows the COCO image at its own resolution, 640 pixels wide, i.e. 640 / 90 = 7.1
#: inches (18.1 cm) wide, 13.5 degrees of visual angle.
SEEDS000_VIEWING_DISTANCE_M = 0.76
SEEDS000_IMAGE_WIDTH_IN = 640 / 90
ANGLES_TEXT = {
    "screen": "screen geometry of seeds/000 (the image 7.1 inches wide on a screen 0.76 m away, "
              "or the record's own screen in screen mode)",
    "camera": "camera geometry (the rendering camera's field of view)",
}
#: The same, short, for table titles.
ANGLES_TITLE = {"screen": "screen geometry of seeds/000", "camera": "camera geometry"}


def screen_geometry(camera: dict) -> ScreenProjection:
    """The screen a record's image is viewed on, for visual angles as seeds/000 measures them
    (*Seeing Sound, Hearing Sight*, Sec. 2.1: a screen 0.76 m from the listener at 90 pixels per
    inch). A screen-mode record (``camera.projection: screen``) was rendered for its own screen,
    ``camera.viewing_distance_m`` and ``camera.pixels_per_inch``, which is used as is. A pinhole
    record's screen fields are unused defaults (90 ppi would show a 224-pixel image under 5 degrees
    wide), so it is shown as seeds/000 showed its pictures: ``SEEDS000_IMAGE_WIDTH_IN`` (7.1 in,
    a 640-pixel COCO image at 90 ppi) wide at 0.76 m, i.e. ``width / 7.1`` pixels per inch."""
    c = cam.camera_from_record(camera)
    if c.projection == "screen":
        return cam.screen(c)
    return ScreenProjection(c.width, c.height, SEEDS000_VIEWING_DISTANCE_M, c.width / SEEDS000_IMAGE_WIDTH_IN)


def visual_angle_fn(camera: dict, angles: str = "screen"):
    """The visual-angle function ``f(u0, v0, u1, v1) -> degrees`` of a record's ``camera`` block.

    ``screen`` (default; seeds/000's geometry): the angle between the two pixels as seen by a
    viewer of the image on :func:`screen_geometry`'s screen; 6 degrees are then about 44 % of the
    image width, as for seeds/000's participants. ``camera``: the angle between the rays of the two
    pixels of the pinhole camera that rendered the image (its ``hfov_deg``; 6 degrees are about
    10 % of a 60-degree image)."""
    if angles == "screen":
        return screen_geometry(camera).visual_angle_deg
    if angles == "camera":
        return cam.pinhole(cam.camera_from_record(camera)).visual_angle_deg
    raise ValueError(f"angles must be one of {', '.join(ANGLES)}, not {angles!r}")


def upsample(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear (align_corners=False) upsampling of a (h, w) map to the image size."""
    if m.shape == tuple(size):
        return m.astype(np.float32)
    t = torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32))[None, None]
    return F.interpolate(t, size=tuple(size), mode="bilinear", align_corners=False)[0, 0].numpy()


@dataclass
class ModelResult:
    name: str
    rows: list[dict] = field(default_factory=list)            # positives
    neg_rows: list[dict] = field(default_factory=list)        # negative pairs
    lowres: dict[tuple, np.ndarray] = field(default_factory=dict)   # (index, key) -> map for Uth metrics
    emb_v: list[np.ndarray] = field(default_factory=list)
    emb_a: list[np.ndarray] = field(default_factory=list)
    emb_labels: list[str] = field(default_factory=list)
    mixed: list[dict] = field(default_factory=list)


def checked_map(m: np.ndarray, pred: Predictor, s: Sample, audio: str) -> np.ndarray:
    """``m`` (a map of ``pred`` for sample ``s`` with ``audio``) as float64, refused with a
    :class:`~training.metrics.NonFiniteMapError` naming the model and the sample if it has a NaN or
    an infinite value (a NaN would otherwise become the peak)."""
    return M.finite_map(m, f"model {pred.name!r} for sample {s.id} (index {s.index}, {audio} audio)")


def evaluate_batch(pred: Predictor, samples: list[Sample], res: ModelResult, n_deg: float,
                   angles: str = "screen") -> None:
    """Per-sample metrics of ``pred`` on ``samples`` into ``res``. ``n_deg``: the precision radius
    in degrees of visual angle; ``angles``: its viewing geometry (:func:`visual_angle_fn`)."""
    size = pred.image_size
    images = np.stack([s.image if size is None else resize_image(s.image, size) for s in samples])
    if getattr(pred, "uses_records", False):  # a no-audio rule reads the objects of the records
        pred.records = {s.index: s.record for s in samples}
    feats = pred.image_features(images, [s.index for s in samples])
    audio = np.stack([s.audio for s in samples])
    audio = pred.audio_features(audio)  # encoded once for the maps and the embeddings
    main = pred.maps(feats, audio, "main")
    pos = [i for i, s in enumerate(samples) if s.target_mask is not None]
    if pos:
        ev, ea = pred.embeddings(_take(feats, pos), audio[pos])
        res.emb_v.extend(list(ev))
        res.emb_a.extend(list(ea))
        res.emb_labels.extend([samples[i].category for i in pos])
    for i, s in enumerate(samples):
        hw = s.image.shape[:2]
        full = checked_map(upsample(main[i], hw), pred, s, "its own")
        pk = M.peak(full)
        if s.own_negative:
            res.neg_rows.append({"index": s.index, "condition": s.condition, "size_bin": s.size_bin, "kind": s.own_negative,
                                 "source": "sample", "max_sim": float(full.max()),
                                 "v_acc": M.peak_in_mask(pk, s.semantic_mask)})
            res.lowres[(s.index, "main")] = main[i]
            continue
        if s.target_mask is None:
            continue
        row = {"index": s.index, "id": s.id, "condition": s.condition, "size_bin": s.size_bin, "category": s.category,
               "a_acc": M.peak_in_mask(pk, s.target_mask), "v_acc": M.peak_in_mask(pk, s.semantic_mask),
               "iou_top50": M.iou_top50(full, s.target_mask), "iou_adap": M.iou_adaptive(full, s.target_mask),
               "max_sim": float(full.max()), "peak_u": pk[1] + 0.5, "peak_v": pk[0] + 0.5}
        if s.gt_uv is not None and len(s.target_masks) == 1:
            h_err, v_err = M.axis_errors_deg(M.pixel_center(pk), s.gt_uv, visual_angle_fn(s.record["camera"], angles))
            row.update(angles=angles, h_err=h_err, v_err=v_err, h_prec=M.within_deg(h_err, n_deg),
                       v_prec=M.within_deg(v_err, n_deg))
        res.rows.append(row)
        res.lowres[(s.index, "main")] = main[i]
    for kind in NEGATIVE_KINDS:
        idx = [i for i, s in enumerate(samples) if kind in s.negatives]
        if not idx:
            continue
        neg_audio = np.stack([samples[i].negatives[kind] for i in idx])
        nm = pred.maps(_take(feats, idx), pred.audio_features(neg_audio), kind)
        for j, i in enumerate(idx):
            s = samples[i]
            full = checked_map(upsample(nm[j], s.image.shape[:2]), pred, s, f"{kind} negative")
            res.neg_rows.append({"index": s.index, "condition": s.condition, "size_bin": s.size_bin, "kind": kind,
                                 "source": "file", "max_sim": float(full.max()), "v_acc": float("nan")})
            res.lowres[(s.index, kind)] = nm[j]
    for i, s in enumerate(samples):
        row = interactive_row(pred, feats, i, s)
        if row is not None:
            res.mixed.append(row)


def interactive_row(pred: Predictor, feats: Any, i: int, s: Sample) -> dict | None:
    """The IIoU entry of a multi-source sample (row ``i`` of the batch features ``feats``): per
    source, the IoU of the map of that source's stem alone with its mask (top-50 % and adaptive
    protocols), or None for a source whose stem was not written, which then fails the image
    (seeds/001: an image succeeds only if *every* source is localised; see
    :func:`training.metrics.iiou`). A source with an empty mask (nothing of it visible) has no
    region to localise and is left out, as seeds/001's benchmark annotates visible sources only.
    None for a sample with fewer than two sources, or none visible."""
    if len(s.source_ids) < 2:
        return None
    top50: list[float | None] = []
    adap: list[float | None] = []
    missing = 0
    for sid, tm in zip(s.source_ids, s.target_masks):
        if not tm.any():
            continue
        if sid not in s.stems:
            top50.append(None)
            adap.append(None)
            missing += 1
            continue
        m = pred.maps(_take(feats, [i]), pred.audio_features(s.stems[sid][None]), f"stem{sid}")[0]
        full = checked_map(upsample(m, s.image.shape[:2]), pred, s, f"source {sid} stem")
        top50.append(M.iou_top50(full, tm))
        adap.append(M.iou_adaptive(full, tm))
    if not top50:
        return None
    return {"index": s.index, "condition": s.condition, "size_bin": s.size_bin, "ious_top50": top50,
            "ious_adap": adap, "missing_stems": missing}


def _take(feats, idx):
    if isinstance(feats, torch.Tensor):
        return feats[idx]
    if isinstance(feats, tuple) and isinstance(feats[1], list):
        return (feats[0], [feats[1][i] for i in idx])
    if isinstance(feats, tuple):
        return (feats[0], len(idx))
    raise TypeError(type(feats))


# ------------------------------------------------------------------------------------------------
# Aggregation
# ------------------------------------------------------------------------------------------------
def finalize(res: ModelResult, samples_by_index: dict[int, dict], ks=(1, 5, 10)) -> dict[str, Any]:
    """Per-group metrics and the negative/global metrics of one model."""
    out: dict[str, Any] = {"groups": {}, "negatives": {}, "global": {}}
    neg_max = [r["max_sim"] for r in res.neg_rows]
    uth = M.universal_threshold(neg_max) if neg_max else float("nan")
    out["global"]["uth"] = uth
    # threshold-dependent per-sample values
    for r in res.rows:
        if np.isfinite(uth):
            hw = samples_by_index[r["index"]]["hw"]
            full = upsample(res.lowres[(r["index"], "main")], hw)
            r["iou_uth"] = M.iou_threshold(full, samples_by_index[r["index"]]["target"], uth)
        else:
            r["iou_uth"] = float("nan")
    for r in res.neg_rows:
        key = (r["index"], "main" if r["source"] == "sample" else r["kind"])
        hw = samples_by_index[r["index"]]["hw"]
        r["pia"] = M.pia(upsample(res.lowres[key], hw), uth) if np.isfinite(uth) else float("nan")

    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in res.rows:
        groups[(r["condition"], r["size_bin"] or "-")].append(r)
        groups[(r["condition"], "all")].append(r)
        if r["size_bin"]:
            groups[("all", r["size_bin"])].append(r)
        groups[("all", "all")].append(r)
    for (cond, sb), rows in sorted(groups.items()):
        g = {"n": len(rows)}
        for key in ("a_acc", "v_acc", "h_prec", "v_prec"):
            vals = np.array([r.get(key, np.nan) for r in rows], float)
            vals = vals[np.isfinite(vals)]
            g[key] = float(vals.mean()) if vals.size else float("nan")
            g[f"{key}_n"] = int(vals.size)
        g.update(iou_scores(rows))
        out["groups"][f"{cond}/{sb}"] = g
    # vision_only V-Acc (its own audio is silence or noise)
    vo = defaultdict(list)
    for r in res.neg_rows:
        if r["source"] == "sample" and r["condition"] == "vision_only" and np.isfinite(r["v_acc"]):
            vo[(r["size_bin"] or "-")].append(r["v_acc"])
            vo["all"].append(r["v_acc"])
    for sb, vals in vo.items():
        out["groups"].setdefault(f"vision_only/{sb}", {"n": len(vals)})["v_acc"] = float(np.mean(vals))
        out["groups"][f"vision_only/{sb}"]["v_acc_n"] = len(vals)
    # negatives
    by_kind = defaultdict(list)
    for r in res.neg_rows:
        by_kind[r["kind"]].append(r)
    pias, aucns = [], []
    for kind in NEGATIVE_KINDS:
        rows = by_kind.get(kind)
        if not rows:
            continue
        p = [r["pia"] for r in rows]
        out["negatives"][kind] = {"n": len(rows), "pia": float(np.mean(p)), "aucn": M.aucn(p),
                                  "activated": float(np.mean(np.asarray(p) > 0)),
                                  "max_sim_median": float(np.median([r["max_sim"] for r in rows]))}
        pias.append(out["negatives"][kind]["pia"])
        aucns.append(out["negatives"][kind]["aucn"])
    allg = out["groups"].get("all/all", {})
    if pias and allg:
        out["global"]["floc"] = M.floc(allg["ciou_uth_mean"], pias)   # per-kind pIAs, averaged over kinds
        out["global"]["fauc"] = M.fauc(allg["auc_uth"], aucns)
    out["global"]["separability"] = M.separability([r["max_sim"] for r in res.rows], neg_max)
    out["global"].update(interactive_scores(res.mixed))
    # retrieval
    if len(res.emb_v) > 1:
        v = np.stack(res.emb_v)
        a = np.stack(res.emb_a)
        labels = np.array(res.emb_labels, dtype=object)
        ia = M.precision_accuracy_at_k(v, a, labels, labels, ks)
        ai = M.precision_accuracy_at_k(a, v, labels, labels, ks)
        out["global"].update({f"I2A {k}": x for k, x in ia.items()})
        out["global"].update({f"A2I {k}": x for k, x in ai.items()})
        out["global"]["alignment"] = M.alignment(a, v)
        out["global"]["magnitude"] = M.magnitude(a, v)
    return out


def iou_scores(rows: list[dict]) -> dict[str, float]:
    """The IoU-based scores of a group of positive rows, named by what they are:
    ``ciou_top50_rate`` / ``ciou_adap_rate`` = cIoU@0.5, the share of samples with IoU >= 0.5 with
    the top-50 % / adaptive top-B mask (seeds/001); ``ciou_uth_mean`` = cIoU_Uth, the mean IoU at
    the universal threshold (seeds/003-004); ``auc_*`` the AUC of the same IoUs."""
    out = {}
    for proto, key in (("top50", "iou_top50"), ("adap", "iou_adap")):
        ious = [r[key] for r in rows]
        out[f"ciou_{proto}_rate"] = M.success_rate(ious)
        out[f"auc_{proto}"] = M.auc(ious)
    ious = [r["iou_uth"] for r in rows]
    out["ciou_uth_mean"] = M.mean_iou(ious)
    out["auc_uth"] = M.auc(ious)
    return out


def interactive_scores(mixed: list[dict]) -> dict[str, float]:
    """IIoU and IAUC (seeds/001) over the multi-source samples' entries (:func:`interactive_row`),
    a source without a stem failing its image. ``iiou_n``: images; ``iiou_missing_stems``: sources
    without a stem. When no image has any stem (a dataset written without stems) IIoU is not
    defined and only the counts are given, not a score of 0."""
    if not mixed:
        return {}
    out: dict[str, float] = {"iiou_n": len(mixed), "iiou_missing_stems": sum(m["missing_stems"] for m in mixed)}
    if all(m["missing_stems"] == len(m["ious_top50"]) for m in mixed):
        return out
    for proto in ("top50", "adap"):
        per_image = [m[f"ious_{proto}"] for m in mixed]
        out[f"iiou_{proto}"] = M.iiou(per_image)
        out[f"iauc_{proto}"] = M.iauc(per_image)
    return out


# ------------------------------------------------------------------------------------------------
# Tables and plots
# ------------------------------------------------------------------------------------------------
GROUP_METRICS = [("a_acc", "A-Acc"), ("v_acc", "V-Acc"), ("h_prec", "Horizontal precision"),
                 ("v_prec", "Vertical precision"),
                 ("ciou_top50_rate", "cIoU@0.5, top-50 % mask: share of samples with IoU >= 0.5 (seeds/001)"),
                 ("ciou_adap_rate", "Adaptive cIoU@0.5, top-B mask: share of samples with IoU >= 0.5 (seeds/001)"),
                 ("auc_top50", "AUC, top-50 % mask (seeds/001)"), ("auc_adap", "AUC, adaptive top-B mask (seeds/001)"),
                 ("ciou_uth_mean", "cIoU_Uth: mean IoU at the universal threshold (seeds/003-004)"),
                 ("auc_uth", "AUC at the universal threshold (seeds/003-004)")]


def _pct(x, digits: int = 1) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}"


def group_columns(results: dict[str, dict]) -> list[str]:
    keys = set()
    for r in results.values():
        keys.update(r["groups"])
    conds = sorted({k.split("/")[0] for k in keys} - {"all"})
    cols = []
    for c in conds:
        for sb in (*SIZE_BINS, "all"):
            if f"{c}/{sb}" in keys:
                cols.append(f"{c}/{sb}")
    if len(conds) > 1 and "all/all" in keys:
        cols.append("all/all")
    return cols


def markdown_tables(results: dict[str, dict], n_deg: float, margins: list[dict], angles: str = "screen") -> str:
    """The tables of tables.md; ``angles``: the viewing geometry of the precision tables."""
    cols = group_columns(results)
    lines = []
    for key, title in GROUP_METRICS:
        if not any(np.isfinite(r["groups"].get(c, {}).get(key, np.nan)) for r in results.values() for c in cols):
            continue
        t = title + (f" within {n_deg:g} degrees of visual angle, {ANGLES_TITLE[angles]}"
                     if key in ("h_prec", "v_prec") else "")
        lines += [f"### {t} (%)", "", "| model | " + " | ".join(c.replace("/", " ") for c in cols) + " |",
                  "|---|" + "---:|" * len(cols)]
        for name, r in results.items():
            lines.append(f"| {name} | " + " | ".join(_pct(r["groups"].get(c, {}).get(key)) for c in cols) + " |")
        lines.append("")
    ns = [results[next(iter(results))]["groups"].get(c, {}).get("n", 0) for c in cols]
    lines += ["Samples per column: " + ", ".join(f"{c.replace('/', ' ')} {n}" for c, n in zip(cols, ns)), ""]
    # negatives
    kinds = [k for k in NEGATIVE_KINDS if any(k in r["negatives"] for r in results.values())]
    if kinds:
        hdr = (["Uth"] + [f"pIA {k}" for k in kinds] + [f"AUCN {k}" for k in kinds] + ["FLOC", "FAUC", "separability"]
               + [f"activated {k}" for k in kinds])
        lines += ["### Negative audio (seeds/003-004; pIA, AUCN, FLOC, FAUC in %)", "",
                  "(FLOC = harmonic mean of cIoU_Uth, the mean IoU at Uth, and 1 - pIA averaged over the kinds; "
                  "FAUC = harmonic mean of AUC at Uth and AUCN averaged over the kinds)", "",
                  "| model | " + " | ".join(hdr) + " |", "|---|" + "---:|" * len(hdr)]
        for name, r in results.items():
            g = r["global"]
            cells = [f"{g.get('uth', float('nan')):.3f}"]
            cells += [_pct(r["negatives"].get(k, {}).get("pia"), 2) for k in kinds]
            cells += [_pct(r["negatives"].get(k, {}).get("aucn"), 2) for k in kinds]
            cells += [_pct(g.get("floc")), _pct(g.get("fauc")), f"{g.get('separability', float('nan')):.3f}"]
            cells += [_pct(r["negatives"].get(k, {}).get("activated")) for k in kinds]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", "(activated: the share of negative trials with any pixel above Uth, pIA > 0; not a seed metric)", ""]
    # retrieval
    rk = [k for k in ("I2A P@1", "I2A P@5", "I2A P@10", "I2A A@5", "I2A A@10", "A2I P@1", "A2I P@5", "A2I P@10",
                      "A2I A@5", "A2I A@10") if any(k in r["global"] for r in results.values())]
    if rk:
        lines += ["### Cross-modal retrieval (%; labels: the sound's category; P@1 = A@1)", "",
                  "| model | " + " | ".join(rk) + " | alignment | magnitude |", "|---|" + "---:|" * (len(rk) + 2)]
        for name, r in results.items():
            g = r["global"]
            lines.append(f"| {name} | " + " | ".join(_pct(g.get(k)) for k in rk) +
                         f" | {g.get('alignment', float('nan')):.3f} | {g.get('magnitude', float('nan')):.3f} |")
        lines.append("")
    if any("iiou_n" in r["global"] for r in results.values()):
        lines += ["### Interactive localisation on multi-source samples (seeds/001; %)", "",
                  "(IIoU@0.5: share of images whose every source, from its stem alone, has IoU >= 0.5; a source "
                  "without a stem fails its image)", "",
                  "| model | IIoU@0.5 top-50 % | IIoU@0.5 adaptive | IAUC top-50 % | IAUC adaptive | images | "
                  "sources without a stem |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in results.items():
            g = r["global"]
            lines.append(f"| {name} | {_pct(g.get('iiou_top50'))} | {_pct(g.get('iiou_adap'))} | "
                         f"{_pct(g.get('iauc_top50'))} | {_pct(g.get('iauc_adap'))} | {g.get('iiou_n', 0)} | "
                         f"{g.get('iiou_missing_stems', 0)} |")
        lines.append("")
    if margins:
        lines += ["### Margins (paired difference of per-trial outcomes, percentage points +- standard error)", "",
                  "| comparison | metric | " + " | ".join(sorted({m['group'] for m in margins}, key=_group_order)) + " |"]
        groups = sorted({m["group"] for m in margins}, key=_group_order)
        lines.append("|---|---|" + "---:|" * len(groups))
        seen = []
        for m in margins:
            if (m["comparison"], m["metric"]) not in seen:
                seen.append((m["comparison"], m["metric"]))
        for comp, met in seen:
            cells = []
            for gname in groups:
                mm = next((m for m in margins if m["comparison"] == comp and m["metric"] == met and m["group"] == gname), None)
                cells.append("-" if mm is None else f"{100 * mm['diff']:+.1f} +- {100 * mm['se']:.1f}")
            lines.append(f"| {comp} | {metric_name(met, n_deg, angles)} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _group_order(g: str):
    c, sb = g.split("/")
    return (c == "all", c, (*SIZE_BINS, "all").index(sb) if sb in (*SIZE_BINS, "all") else 9)


def paired_margins(rows: dict[str, list[dict]], comparisons: list[tuple[str, str]],
                   metric_keys=("a_acc", "h_prec", "v_prec")) -> list[dict]:
    """A - B per group, paired by sample index: mean difference and its standard error."""
    out = []
    for a, b in comparisons:
        if a not in rows or b not in rows:
            raise ConfigError(f"--compare {a}:{b}: unknown model (have {', '.join(rows)})")
        ra = {r["index"]: r for r in rows[a]}
        rb = {r["index"]: r for r in rows[b]}
        common = sorted(set(ra) & set(rb))
        for key in metric_keys:
            groups = defaultdict(list)
            for i in common:
                x, y = ra[i].get(key, np.nan), rb[i].get(key, np.nan)
                if not (np.isfinite(x) and np.isfinite(y)):
                    continue
                d = x - y
                groups[f"{ra[i]['condition']}/{ra[i]['size_bin'] or '-'}"].append(d)
                groups[f"{ra[i]['condition']}/all"].append(d)
            for g, ds in groups.items():
                ds = np.asarray(ds)
                se = float(ds.std(ddof=1) / np.sqrt(ds.size)) if ds.size > 1 else float("nan")
                out.append({"comparison": f"{a} - {b}", "metric": key, "group": g, "diff": float(ds.mean()),
                            "se": se, "n": int(ds.size)})
    return out


def plots(results: dict[str, dict], res_rows: dict[str, ModelResult], out: Path, n_deg: float,
          audio_models: Sequence[str] | None = None, angles: str = "screen") -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    names = list(results)
    cond = _main_condition(results)
    bins = [sb for sb in SIZE_BINS if any(f"{cond}/{sb}" in r["groups"] for r in results.values())]
    if bins:
        # seeds/000 Fig. 6: horizontal (textured) vs vertical (plain) precision per model
        fig, axes = plt.subplots(1, len(bins), figsize=(4.2 * len(bins), 3.6), squeeze=False, sharey=True)
        x = np.arange(len(names))
        for ax, sb in zip(axes[0], bins):
            hp = [100 * _nan0(results[n]["groups"].get(f"{cond}/{sb}", {}).get("h_prec")) for n in names]
            vp = [100 * _nan0(results[n]["groups"].get(f"{cond}/{sb}", {}).get("v_prec")) for n in names]
            ax.bar(x - 0.2, hp, 0.4, label="horizontal", hatch="//", edgecolor="black", color="#9ecae1")
            ax.bar(x + 0.2, vp, 0.4, label="vertical", edgecolor="black", color="#9ecae1")
            ax.set_xticks(x, names, rotation=35, ha="right", fontsize=8)
            ax.set_title(f"{cond} {sb}")
        axes[0][0].set_ylabel(f"% within {n_deg:g} deg of visual angle ({angles} geometry)")
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        p = out / "hv_precision.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
        # seeds/000 Fig. 4: A-Acc by size bin
        fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(names), 3.6))
        w = 0.8 / len(bins)
        for j, sb in enumerate(bins):
            vals = [100 * _nan0(results[n]["groups"].get(f"{cond}/{sb}", {}).get("a_acc")) for n in names]
            ax.bar(np.arange(len(names)) + (j - (len(bins) - 1) / 2) * w, vals, w, label=sb)
        ax.set_xticks(np.arange(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("A-Acc (%)")
        ax.set_title(f"A-Acc by size bin ({cond})")
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = out / "a_acc_by_size.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    # seeds/003 Fig. 1: distribution of map maxima, positives vs negatives
    have_neg = [n for n in (names if audio_models is None else audio_models) if res_rows[n].neg_rows]
    if have_neg:
        fig, axes = plt.subplots(1, len(have_neg), figsize=(3.2 * len(have_neg), 3.4), squeeze=False)
        for ax, n in zip(axes[0], have_neg):
            r = res_rows[n]
            data = [[x["max_sim"] for x in r.rows]]
            labels = ["positive"]
            for k in NEGATIVE_KINDS:
                vals = [x["max_sim"] for x in r.neg_rows if x["kind"] == k]
                if vals:
                    data.append(vals)
                    labels.append(k)
            ax.boxplot(data, showfliers=False)
            ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, fontsize=8)
            uth = results[n]["global"].get("uth")
            if uth is not None and np.isfinite(uth):
                ax.axhline(uth, color="red", ls="--", lw=1, label="Uth")
                ax.legend(fontsize=7)
            ax.set_title(n, fontsize=9)
        axes[0][0].set_ylabel("max of similarity map")
        fig.tight_layout()
        p = out / "max_similarity.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    return written


def _nan0(x):
    return 0.0 if x is None or not np.isfinite(x) else float(x)


def _main_condition(results: dict[str, dict]) -> str:
    counts = defaultdict(int)
    for r in results.values():
        for k, g in r["groups"].items():
            c, sb = k.split("/")
            if c != "all" and sb == "all":
                counts[c] += g.get("n", 0)
    return max(counts, key=counts.get) if counts else "all"


def metric_name(key: str, n_deg: float, angles: str) -> str:
    """The name of a metric in the CSV files: the precision metrics carry their radius and viewing
    geometry (``h_prec_6deg_screen``), every other key is its own name."""
    return f"{key}_{n_deg:g}deg_{angles}" if key in ("h_prec", "v_prec") else key


def write_outputs(out: Path, results: dict[str, dict], res_rows: dict[str, ModelResult], n_deg: float,
                  margins: list[dict], meta: dict) -> None:
    """tables.md, metrics.json/csv, per_sample.csv, negatives.csv and margins.csv in ``out``;
    ``meta["angles"]`` (default ``screen``) is the viewing geometry of the precision metrics."""
    angles = meta.get("angles", "screen")
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({"meta": meta, "models": results, "margins": margins}, indent=1,
                                                 default=_json_default))
    with (out / "metrics.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "condition", "size_bin", "metric", "value", "n"])
        for name, r in results.items():
            for gk, g in r["groups"].items():
                c, sb = gk.split("/")
                for k, v in g.items():
                    if k == "n" or k.endswith("_n"):
                        continue
                    w.writerow([name, c, sb, metric_name(k, n_deg, angles), v, g.get(f"{k}_n", g.get("n"))])
            for kind, g in r["negatives"].items():
                for k, v in g.items():
                    if k != "n":
                        w.writerow([name, f"negative_{kind}", "all", k, v, g["n"]])
            for k, v in r["global"].items():
                w.writerow([name, "all", "all", k, v, ""])
    with (out / "per_sample.csv").open("w", newline="") as f:
        fields = ["model", "index", "id", "condition", "size_bin", "category", "a_acc", "v_acc", "angles", "h_err",
                  "v_err", "h_prec", "v_prec", "iou_top50", "iou_adap", "iou_uth", "max_sim", "peak_u", "peak_v"]
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for name, r in res_rows.items():
            for row in r.rows:
                w.writerow({"model": name, **row})
    with (out / "negatives.csv").open("w", newline="") as f:
        fields = ["model", "index", "condition", "size_bin", "kind", "source", "max_sim", "pia", "v_acc"]
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for name, r in res_rows.items():
            for row in r.neg_rows:
                w.writerow({"model": name, **row})
    if margins:
        with (out / "margins.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, ["comparison", "metric", "group", "diff", "se", "n"])
            w.writeheader()
            w.writerows({**m, "metric": metric_name(m["metric"], n_deg, angles)} for m in margins)
    md = [f"# Evaluation: {meta['data']}", "", f"{meta['samples']} samples; models: {', '.join(results)}.", "",
          f"Horizontal/vertical precision: within {n_deg:g} degrees of visual angle, {ANGLES_TEXT[angles]} "
          f"(--angles {angles}).", "", markdown_tables(results, n_deg, margins, angles)]
    (out / "tables.md").write_text("\n".join(md))


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    raise TypeError(type(o))


# ------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    ap = ArgumentParser(prog="evaluate", description="Evaluate localization models on a generated dataset.")
    ap.add_argument("--data", required=True, help="dataset folder or shards")
    ap.add_argument("--model", nargs="*", default=[], help="run folders, model.safetensors files or checkpoints")
    ap.add_argument("--names", nargs="*", default=None, help="display names of the models (default: config name)")
    ap.add_argument("--baselines", nargs="*", default=["random", "center"],
                    choices=["random", "center", "vision_prior", *OBJECT_RULES],
                    help="baselines to add (vision_prior needs --vision-prior); no-audio object rules: "
                         "largest, nearest, most_visible, central_object, random_object (chance)")
    ap.add_argument("--vision-prior", help="run folder of a model.variant: vision model (the vision-only prior)")
    ap.add_argument("--compare", nargs="*", default=[], metavar="A:B", help="paired margins A - B per size bin")
    ap.add_argument("--human", nargs="+", metavar="RESULTS", help="results files of simulate study: the clicks as "
                    "a Human row (training/human.py), everything scored on the samples the participants saw")
    ap.add_argument("--human-name", default="Human", help="the row name of --human (default Human)")
    ap.add_argument("--n-deg", type=float, default=6.0, help="precision radius in degrees of visual angle (seeds/000: 6)")
    ap.add_argument("--angles", choices=ANGLES, default="screen",
                    help="viewing geometry of the horizontal/vertical precision: screen (seeds/000's screen at "
                         "0.76 m; default) or camera (the rendering camera's field of view)")
    ap.add_argument("--conditions", nargs="*", default=None, help="only these conditions")
    ap.add_argument("--max-samples", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    ap.add_argument("--out", default="out/eval", help="output folder")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--save-maps", action="store_true",
                    help="also write each model's maps (OUT/maps/<model>.npz, for simulate preview --eval)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return run(args)
    except (DataError, ConfigError, ModelFileError, FileNotFoundError, M.NonFiniteMapError) as exc:
        # bad input (a NaN/inf map: a model with broken weights); anything else: a bug
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    if not (np.isfinite(args.n_deg) and args.n_deg > 0):
        raise ConfigError(f"--n-deg {args.n_deg:g}: the precision radius must be a positive number of degrees")
    device = pick_device(args.device)
    source = open_source(args.data)
    entries = [e for e in source.entries if not args.conditions or e.condition in args.conditions]
    if args.max_samples:
        entries = entries[: args.max_samples]
    if not entries:
        raise DataError(f"{args.data}: no samples to evaluate")
    preds: list[Predictor] = []
    names = list(args.names or [])
    if names and len(names) != len(args.model):
        raise ConfigError("--names needs one name per --model")
    for i, m in enumerate(args.model):
        preds.append(ModelPredictor(Path(m), names[i] if names else None, device))
    if "vision_prior" in args.baselines:
        if not args.vision_prior:
            raise ConfigError("--baselines vision_prior needs --vision-prior RUN (a model.variant: vision model; "
                             "configs/vision_prior.yaml trains one)")
    if args.vision_prior:
        vp = ModelPredictor(Path(args.vision_prior), "vision prior", device)
        if vp.variant != "vision":
            raise ConfigError(f"--vision-prior {args.vision_prior}: model.variant is {vp.variant}, not vision")
        preds.append(vp)
    if "random" in args.baselines:
        preds.append(RandomPredictor(args.seed))
    for rule in OBJECT_RULES:
        if rule in args.baselines:
            preds.append(ObjectRulePredictor(rule, args.seed))
    if "center" in args.baselines:
        preds.append(CenterPredictor())
    if not preds and not args.human:
        raise ConfigError("nothing to evaluate: give --model, --baselines and/or --human")
    seen = set()
    for p in preds:
        if p.name in seen:
            raise ConfigError(f"two models are named {p.name!r}: use --names")
        seen.add(p.name)
    human = None
    if args.human:   # the clicks of simulate study (training/human.py); the same samples for every row
        from .human import HumanScorer

        if args.human_name in seen:
            raise ConfigError(f"--human-name {args.human_name!r} is also a model's name")
        human = HumanScorer(args.human, args.human_name, args.n_deg, args.angles, sys.modules[__name__])
        entries = human.restrict(entries)
    lengths = {p.length for p in preds if p.length}
    length = max(lengths) if lengths else None
    rates = {p.sample_rate for p in preds if isinstance(p, ModelPredictor)}
    if len(rates) > 1:
        raise ConfigError(f"the models were trained at different sample rates {sorted(rates)}")
    rate = rates.pop() if rates else None
    if args.save_maps and len({maps_file(Path(args.out), p.name) for p in preds}) < len(preds):
        raise ConfigError("--save-maps: two model names give the same maps file name; set --names")
    results_rows = {p.name: ModelResult(p.name) for p in preds}
    sample_info: dict[int, dict] = {}
    t0 = time.perf_counter()
    it = range(0, len(entries), args.batch_size)
    if not args.quiet:
        try:
            from tqdm import tqdm
            it = tqdm(it, desc="evaluating", leave=False)
        except ImportError:
            pass
    for start in it:
        batch = [load_sample(source, e, length, rate) for e in entries[start:start + args.batch_size]]
        for s in batch:
            sample_info[s.index] = {"hw": s.image.shape[:2], "target": s.target_mask, "id": s.id}
        for p in preds:
            sub = batch
            if p.length and length and p.length != length:
                sub = [_with_length(s, p.length) for s in batch]
            evaluate_batch(p, sub, results_rows[p.name], args.n_deg, args.angles)
        if human is not None:
            human.score(batch)
    results = {name: finalize(r, sample_info) for name, r in results_rows.items()}
    if human is not None:
        results[human.name] = human.finalize(args.seed)
        results_rows[human.name] = ModelResult(human.name, rows=human.result.rows)
    comparisons = []
    for c in args.compare:
        if ":" not in c:
            raise ConfigError(f"--compare {c}: expected A:B")
        comparisons.append(tuple(c.split(":", 1)))
    margins = paired_margins({n: r.rows for n, r in results_rows.items()}, comparisons) if comparisons else []
    out = Path(args.out)
    meta = {"data": str(args.data), "samples": len(entries), "n_deg": args.n_deg, "angles": args.angles,
            "angles_text": ANGLES_TEXT[args.angles],
            "models": {p.name: getattr(p, "variant", p.name) for p in preds}, "eval_time_s": time.perf_counter() - t0}
    if human is not None:
        meta["models"][human.name] = "human"
        meta["human"] = {"results": list(args.human), **results[human.name]["global"]}
    write_outputs(out, results, results_rows, args.n_deg, margins, meta)
    if human is not None:
        human.write(out, group_columns(results))
    if args.save_maps:
        ids = {i: info["id"] for i, info in sample_info.items()}
        for p in preds:
            save_maps(out, p.name, {i: m for (i, key), m in results_rows[p.name].lowres.items() if key == "main"}, ids)
    if not args.no_plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("warning: matplotlib is not installed: no plots (pip install matplotlib)", file=sys.stderr)
            args.no_plots = True
    if not args.no_plots:
        audio_models = [p.name for p in preds if isinstance(p, ModelPredictor) and p.variant != "vision"]
        plots(results, results_rows, out, args.n_deg, audio_models or None, args.angles)
    if not args.quiet:
        print((out / "tables.md").read_text())
    return 0


def _with_length(s: Sample, length: int) -> Sample:
    def fit(x):
        return fit_length(x, length)
    return Sample(**{**s.__dict__, "audio": fit(s.audio), "negatives": {k: fit(v) for k, v in s.negatives.items()},
                     "stems": {k: fit(v) for k, v in s.stems.items()}})


if __name__ == "__main__":
    sys.exit(main())
