"""Clips as training and evaluation samples: one item per (sample, frame) of a dataset written with
a ``video`` block (docs/video.md), and per-frame localisation scores (docs/video.md, "Training on
clips").

:class:`ClipFrameDataset` is a map-style torch ``Dataset`` over a dataset folder or its WebDataset
shards (:func:`training.data.open_source`, the reader of :class:`training.datasets.SampleDataset`).
Item ``i`` is frame k of one sample's clip, frames of a sample consecutive (sample-major, k
ascending), samples in manifest (index) order; samples without a clip are left out. An item (a
dict; arrays are NumPy):

``index``
    int, the sample's plan index (as :class:`training.datasets.SampleDataset`).
``frame``
    int, the frame number k (0 .. K - 1, K the record's ``video.frame_count``).
``t_s``
    float, the frame's time t_k = k / fps, seconds (the record's ``video.frames[k].t_s``).
``image``
    ``uint8 (H, W, 3)`` RGB: frame k decoded from the sample's MP4 (PyAV), row 0 the top of the
    image (the pixel frame of docs/conventions.md; the padding row/column of an odd size removed),
    a copy of its own. H.264 is lossy: it is the frame the MP4 holds, not the rendered one.
``audio``
    ``float32 (C, L)``: the window of the sample's audio file centred on t_k, channels as the file
    holds them, L = round(window_s x rate) samples at the record's ``audio.sample_rate``. Exact
    indices: the centre sample is c_k = floor(k x rate / fps + 0.5) and window sample j is audio
    sample c_k - L // 2 + j (so c_k is window sample L // 2); window samples outside the audio
    (before sample 0 or from sample N on) are zero (**zero-padded at the clip's edges**).
``target``
    ``bool (H, W)``: the union of the visible masks in frame k (the frame's ``objects[].mask``,
    the RLE of its id frame) of the objects that carry a source sounding in frame k. A source
    sounds in frame k unless its entry in ``video.frames[k].sources`` has ``"active": false``
    (no flag: active); none sounds when the sample's audio is not rendered (``audio.content``
    silence or noise). A source on no object (a point or off-screen source) adds nothing. An
    object with a sounding source counts even when the source's own point is off screen or
    hidden, as long as some of the object is visible.
``has_target``
    bool: ``target`` has a pixel (a visible sounding object in the frame).
``negatives``
    {kind: ``float32 (C, L)``}: the same window of each negative-audio file of the sample
    (silence, noise, offscreen), else empty.
``record``
    the sample record (a dict; its ``video.frames[k]`` holds the frame's labels).

:func:`training.datasets.collate` batches these items (it keeps the keys it knows and drops
``frame`` and ``t_s``); :meth:`ClipFrameDataset.collate` also keeps those two.

:func:`evaluate_frames` scores a per-frame predictor (image, audio window) -> map on such a dataset,
with the metric functions of ``evaluate`` (training/evaluate.py, training/metrics.py).
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .data import DataError, Entry, decode_audio, decode_file, decode_rle, open_source, parse_record
from .datasets import collate as _collate

#: ``predict(image uint8 (H, W, 3), audio float32 (C, L)) -> (h, w)`` float map (upsampled
#: bilinearly to (H, W) when smaller, as ``evaluate`` does).
FramePredictor = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class _Clip:
    """One sample's decoded clip, kept for the items of its frames: ``frames`` (K, H, W, 3) uint8,
    ``audio`` (C, N) float32, ``negatives`` {kind: (C, N) float32}, ``record``."""

    record: dict
    frames: np.ndarray
    audio: np.ndarray
    negatives: dict[str, np.ndarray]


def decode_mp4(data: bytes, height: int, width: int) -> np.ndarray:
    """(K, H, W, 3) uint8 RGB frames of an MP4 (frame k presented at k / fps), cut to ``height`` x
    ``width`` (the writer pads odd sizes by one row/column)."""
    import av

    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24")[:height, :width] for f in container.decode(video=0)]
    if not frames:
        raise DataError("the MP4 holds no video frame")
    out = np.stack(frames)
    if out.shape[1:3] != (height, width):
        raise DataError(f"MP4 frames of {out.shape[1]}x{out.shape[2]} pixels where the record says "
                        f"{height}x{width}")
    return out


def centre_sample(k: int, fps: float, sample_rate: int) -> int:
    """c_k = floor(k x sample_rate / fps + 0.5): the audio sample nearest frame k's time k / fps."""
    return int(np.floor(k * float(sample_rate) / float(fps) + 0.5))


def audio_window(audio: np.ndarray, centre: int, length: int) -> np.ndarray:
    """``float32 (C, length)``: samples ``centre - length // 2 .. centre - length // 2 + length - 1``
    of ``audio`` (C, N), zero where they fall outside 0 .. N - 1."""
    c, n = audio.shape
    start = int(centre) - int(length) // 2
    out = np.zeros((c, int(length)), np.float32)
    lo, hi = max(start, 0), min(start + int(length), n)
    if hi > lo:
        out[:, lo - start:hi - start] = audio[:, lo:hi]
    return out


def sounding_objects(record: dict, frame: dict) -> list[int]:
    """Ids of the objects carrying a source that sounds in ``frame`` (a record's
    ``video.frames[k]``): its entry lacks ``"active": false`` and the sample's audio is rendered
    (``audio.content``; silence and noise sound nowhere). Sorted, without repeats."""
    if (record.get("audio") or {}).get("content", "rendered") != "rendered":
        return []
    return sorted({int(s["object_id"]) for s in frame.get("sources") or []
                   if s.get("object_id") is not None and s.get("active", True) is not False})


def frame_target(record: dict, k: int) -> np.ndarray:
    """``bool (H, W)``: the union of the frame-k visible masks of :func:`sounding_objects`."""
    h, w = int(record["camera"]["height"]), int(record["camera"]["width"])
    frame = record["video"]["frames"][k]
    ids = set(sounding_objects(record, frame))
    target = np.zeros((h, w), bool)
    for obj in frame.get("objects") or []:
        if int(obj["id"]) in ids and obj.get("mask"):
            target |= decode_rle(obj["mask"])
    return target


class ClipFrameDataset(Dataset):
    """The frames of the clips of a dataset folder written by ``simulate`` with ``video.fps``, or of
    its ``*.tar`` shards: one item per (sample, frame k), laid out as the module docstring says.

    ``window_s``: the length of each item's audio window, seconds (> 0), centred on t_k = k / fps
    and zero-padded where it reaches past the clip's start or end. ``transform``: applied to each
    item. Every file read is checked against the manifest's SHA-256 (as ``SampleDataset``).

    Opening reads every sample's record once (the number of frames of each clip). Each item
    decodes its sample's MP4 and audio unless they are the last sample read: that one sample is
    kept decoded in this object, so reading the items in order (or ``DataLoader`` with
    ``shuffle=False``) decodes each MP4 once. Picklable without the kept sample: every
    ``DataLoader`` worker keeps its own (no state shared between workers or objects).
    """

    def __init__(self, path: str | Path, window_s: float = 1.0,
                 transform: Callable[[dict[str, Any]], Any] | None = None):
        if not (np.isfinite(window_s) and float(window_s) > 0):
            raise ValueError(f"window_s must be a positive number of seconds, not {window_s!r}")
        self.window_s = float(window_s)
        self.transform = transform
        self.source = open_source(path)
        self.entries: list[Entry] = [e for e in self.source.entries if "video" in e.files]
        if not self.entries:
            raise DataError(f"{path}: no sample has a clip (make the dataset with video.fps)")
        self.items: list[tuple[int, int]] = []      # (position in entries, frame k)
        for pos, e in enumerate(self.entries):
            rec = self._record(e)
            try:
                count = int(rec["video"]["frame_count"])
                if len(rec["video"]["frames"]) != count:
                    raise ValueError(f"{len(rec['video']['frames'])} frame labels for {count} frames")
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{self.source.path(e, 'record')}: no clip labels ({type(exc).__name__}: "
                                f"{exc})") from None
            self.items.extend((pos, k) for k in range(count))
        self._kept: tuple[int, _Clip] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_kept"] = None
        return state

    def _record(self, e: Entry) -> dict:
        where = self.source.path(e, "record")
        return decode_file(self.source, e, "record", lambda b: parse_record(b, where), "record")

    def clip(self, pos: int) -> _Clip:
        """The decoded clip of ``entries[pos]`` (kept until another sample is read)."""
        if self._kept is not None and self._kept[0] == pos:
            return self._kept[1]
        e = self.entries[pos]
        rec = self._record(e)
        try:
            h, w = int(rec["camera"]["height"]), int(rec["camera"]["width"])
            rate, count = int(rec["audio"]["sample_rate"]), int(rec["video"]["frame_count"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{self.source.path(e, 'record')}: not a clip record ({type(exc).__name__}: "
                            f"{exc})") from None
        frames = decode_file(self.source, e, "video", lambda b: decode_mp4(b, h, w), "MP4 video")
        if frames.shape[0] != count:
            raise DataError(f"{self.source.path(e, 'video')}: {frames.shape[0]} frames where the record says "
                            f"{count}")
        audio = decode_file(self.source, e, "audio", lambda b: decode_audio(b, sample_rate=rate), "audio file")
        negatives = {kind[len("negative_"):]: decode_file(self.source, e, kind,
                                                          lambda b: decode_audio(b, sample_rate=rate), "audio file")
                     for kind in sorted(e.files) if kind.startswith("negative_")}
        clip = _Clip(rec, frames, audio, negatives)
        self._kept = (pos, clip)
        return clip

    def __getitem__(self, i: int) -> Any:
        if not -len(self.items) <= i < len(self.items):
            raise IndexError(f"frame item {i} of a dataset of {len(self.items)}")
        pos, k = self.items[i]
        clip = self.clip(pos)
        rec = clip.record
        try:
            fps, rate = float(rec["video"]["fps"]), int(rec["audio"]["sample_rate"])
            t_s = float(rec["video"]["frames"][k]["t_s"])
            target = frame_target(rec, k)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise DataError(f"{self.source.path(self.entries[pos], 'record')}: frame {k} has no usable labels "
                            f"({type(exc).__name__}: {exc})") from None
        centre, length = centre_sample(k, fps, rate), int(round(self.window_s * rate))
        item = {"index": int(self.entries[pos].index), "frame": int(k), "t_s": t_s,
                "image": clip.frames[k].copy(), "audio": audio_window(clip.audio, centre, length),
                "target": target, "has_target": bool(target.any()),
                "negatives": {kind: audio_window(x, centre, length) for kind, x in clip.negatives.items()},
                "record": rec}
        return item if self.transform is None else self.transform(item)

    @staticmethod
    def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """:func:`training.datasets.collate` plus ``frame`` int64 (B,) and ``t_s`` float64 (B,)
        seconds: pass ``collate_fn=ClipFrameDataset.collate`` to the DataLoader."""
        out = _collate(items)
        out["frame"] = torch.tensor([int(it["frame"]) for it in items], dtype=torch.int64)
        out["t_s"] = torch.tensor([float(it["t_s"]) for it in items], dtype=torch.float64)
        return out


def evaluate_frames(predict: FramePredictor, dataset: Dataset, threshold: float | None = None) -> dict[str, Any]:
    """Per-frame localisation scores of ``predict`` on the items of ``dataset`` (a
    :class:`ClipFrameDataset` without a transform, or any sequence of items of that layout).

    ``predict(image, audio)``, called once per item in item order: ``image`` uint8 (H, W, 3),
    ``audio`` float32 (C, L) the frame's window; returns a (h, w) float map, upsampled bilinearly to (H, W) when of another size
    (``training.evaluate.upsample``). A map with a NaN or infinite value is refused
    (``training.metrics.NonFiniteMapError`` naming the sample and the frame).

    Each frame is one sample of the still metrics (training/evaluate.py, whose functions compute
    them): a frame with a target (``has_target``: a sounding object visible) is a positive, its IoU
    with the top-50 % mask, the adaptive top-B mask and the threshold mask ``map > threshold``
    against ``target``; a frame without one (no source sounding, or none of the sounding objects
    visible: AVATAR's off-screen) is a negative.

    **Threshold rule.** ``threshold=None`` (default): the universal threshold of seeds/003-004,
    the 3rd quartile of the map maxima over the negative frames (``training.metrics
    .universal_threshold``; NaN, and the threshold scores NaN, with no negative frame). A number:
    that raw map value (e.g. the ``uth`` of an ``evaluate`` run on stills, or 0.5 for a map of
    probabilities). A pixel is *predicted sounding* when its value is strictly above the
    threshold, *negative* when at or below it (``map > threshold`` as ``pIA``).

    Returns (rates and IoUs as fractions in [0, 1]; tables multiply by 100):

    * ``frames``, ``frames_with_target``, ``frames_without_target``: counts of frames;
    * ``threshold`` and ``threshold_rule`` (``"uth"`` or ``"given"``);
    * over the frames with a target (``training.evaluate.iou_scores``): ``ciou_top50_rate`` and
      ``ciou_adap_rate`` (cIoU@0.5: the share of frames with IoU >= 0.5), ``auc_top50``,
      ``auc_adap``, ``ciou_uth_mean`` (the mean IoU at the threshold), ``auc_uth``; and ``a_acc``
      (the share of frames whose map peak lies in the target);
    * ``offscreen_tn``: AVATAR's off-screen score, the fraction of pixels at or below the
      threshold (true negatives; 1 - pIA), averaged over the frames without a target (x 100:
      TN %); NaN with none;
    * ``segments``: the same scores per frame label ``segment`` (``single``, ``multi_entity``,
      ``mixed``, ``offscreen``, ``silent``), each with its ``frames``;
    * ``per_frame``: one row per frame (``index``, ``frame``, ``t_s``, ``segment``,
      ``has_target``, ``max_sim``, and ``iou_top50``, ``iou_adap``, ``iou_uth``, ``a_acc`` for a
      positive, ``tn`` for a negative).

    The maps are kept as ``predict`` returns them until the threshold is known (the memory of one
    map per frame).
    """
    from . import metrics as M
    from .evaluate import iou_scores, upsample

    rows: list[dict[str, Any]] = []
    maps: list[tuple[np.ndarray, tuple[int, int]]] = []   # (map as predict returned it, image size)
    targets: dict[int, np.ndarray] = {}
    for i in range(len(dataset)):
        item = dataset[i]
        image, target = item["image"], np.asarray(item["target"], bool)
        hw = image.shape[:2]
        name = f"sample {item['index']} frame {item['frame']}"
        raw = np.asarray(predict(image, item["audio"]), dtype=np.float32)
        if raw.ndim != 2:
            raise ValueError(f"predict returned a map of shape {raw.shape} for {name}; (h, w) expected")
        full = M.finite_map(upsample(raw, hw), name)
        frames = (item.get("record") or {}).get("video", {}).get("frames") or []
        k = int(item["frame"])
        row: dict[str, Any] = {"index": int(item["index"]), "frame": k, "t_s": float(item["t_s"]),
                               "segment": frames[k].get("segment") if k < len(frames) else None,
                               "has_target": bool(item["has_target"]), "max_sim": float(full.max())}
        if row["has_target"]:
            pk = M.peak(full)
            row.update(iou_top50=M.iou_top50(full, target), iou_adap=M.iou_adaptive(full, target),
                       a_acc=M.peak_in_mask(pk, target))
            targets[len(rows)] = target
        rows.append(row)
        maps.append((raw, hw))
    negatives = [r for r in rows if not r["has_target"]]
    if threshold is None:
        thr, rule = M.universal_threshold([r["max_sim"] for r in negatives]), "uth"
    else:
        thr, rule = float(threshold), "given"
        if not np.isfinite(thr):
            raise ValueError(f"threshold must be a finite map value, not {threshold!r}")
    for j, r in enumerate(rows):
        full = upsample(*maps[j])
        if not np.isfinite(thr):
            r["iou_uth" if r["has_target"] else "tn"] = float("nan")
        elif r["has_target"]:
            r["iou_uth"] = M.iou_threshold(full, targets[j], thr)
        else:
            r["tn"] = 1.0 - M.pia(full, thr)
    out: dict[str, Any] = {"frames": len(rows), "frames_with_target": len(rows) - len(negatives),
                           "frames_without_target": len(negatives), "threshold": float(thr),
                           "threshold_rule": rule, **_scores(rows, iou_scores)}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[str(r["segment"])].append(r)
    out["segments"] = {seg: {"frames": len(g), **_scores(g, iou_scores)} for seg, g in sorted(groups.items())}
    out["per_frame"] = rows
    return out


def _scores(rows: list[dict], iou_scores: Callable[[list[dict]], dict[str, float]]) -> dict[str, float]:
    """The scores of :func:`evaluate_frames` over ``rows`` (positives and negatives mixed)."""
    pos = [r for r in rows if r["has_target"]]
    neg = [r for r in rows if not r["has_target"]]
    out = dict(iou_scores(pos)) if pos else {k: float("nan") for k in (
        "ciou_top50_rate", "auc_top50", "ciou_adap_rate", "auc_adap", "ciou_uth_mean", "auc_uth")}
    out["a_acc"] = float(np.mean([r["a_acc"] for r in pos])) if pos else float("nan")
    tn = np.asarray([r["tn"] for r in neg], float)
    out["offscreen_tn"] = float(tn.mean()) if tn.size and not np.isnan(tn).any() else float("nan")
    return out


__all__ = ["ClipFrameDataset", "FramePredictor", "audio_window", "centre_sample", "decode_mp4", "evaluate_frames",
           "frame_target", "sounding_objects"]
