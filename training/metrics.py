"""Localization, negative-audio and retrieval metrics, exactly as the seed papers define them.

Pure numpy. Every function takes plain arrays so it can be unit-tested on hand-computed cases.

Conventions used throughout:

* A *heatmap* is an audio-visual similarity map at image resolution, ``(H, W)`` floats (the model's
  cosine-similarity map, bilinearly upsampled). Raw values are kept (not min-max normalised),
  because the universal threshold of seeds/003-004 compares raw similarity values across samples.
* A *mask* is an ``(H, W)`` bool array indexed ``mask[row, col] = mask[floor(v), floor(u)]``
  (docs/conventions.md).
* A *peak* is the ``(row, col)`` of the heatmap's maximum (first in row-major order on ties).
* Rates are fractions in [0, 1]; tables multiply by 100.

Seed references: seeds/000 (A-Acc, V-Acc, horizontal/vertical precision within N degrees of
visual angle), seeds/001 (cIoU, adaptive cIoU, AUC, IIoU, instance-level alignment, retrieval),
seeds/003-004 (universal threshold, pIA, AUCN, FLOC, FAUC, separability, P@k / A@k).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

#: IoU thresholds of the success-ratio curves (AUC, AUCN): 0, 0.05, ..., 1.0, as the public
#: reference implementation of the cIoU/AUC protocol (LVS, EZ-VSL, SSL-Align) evaluates them.
CURVE_THRESHOLDS = np.linspace(0.0, 1.0, 21)
#: IoU at or above which a sample counts as correctly localised (seeds/001: "samples with an IoU
#: higher than 0.5 are counted as correct"; the reference code uses ``>= 0.5``, as here).
IOU_SUCCESS = 0.5


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid rule (``np.trapz`` was renamed in numpy 2; this works with both)."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


# --------------------------------------------------------------------------------------------
# Peak-based metrics (seeds/000)
# --------------------------------------------------------------------------------------------
def peak(heatmap: np.ndarray) -> tuple[int, int]:
    """(row, col) of the heatmap's maximum: the predicted sound-source location (seeds/000,
    Fig. 3: "the location of the maximum activation on the heatmaps"). Ties: first in row-major
    order (``np.argmax``)."""
    h = np.asarray(heatmap)
    r, c = np.unravel_index(int(np.argmax(h)), h.shape)
    return int(r), int(c)


def peak_in_mask(peak_rc: tuple[int, int], mask: np.ndarray | None) -> float:
    """1.0 if the peak pixel lies inside ``mask``, else 0.0; NaN when there is no mask.

    This is A-Acc for one trial when ``mask`` is the sounding object's segmentation mask
    (seeds/000, Sec. 2.4: "A-Acc = 1 if the peak activation falls within the segmentation mask of
    the sounding object; 0 otherwise"), and V-Acc when ``mask`` is the union of the masks of the
    objects of the sound's category (in the vision-only condition: of every sound-emitting object).
    """
    if mask is None:
        return float("nan")
    r, c = peak_rc
    return float(bool(np.asarray(mask)[r, c]))


def a_acc(heatmap: np.ndarray, target_mask: np.ndarray) -> float:
    """A-Acc of one trial (seeds/000): peak of ``heatmap`` inside the sounding object's mask."""
    return peak_in_mask(peak(heatmap), target_mask)


def v_acc(heatmap: np.ndarray, semantic_masks: Sequence[np.ndarray]) -> float:
    """V-Acc of one trial (seeds/000): peak inside any object of the correct category (the union
    of ``semantic_masks``); NaN if there is none (e.g. absent visual cue)."""
    if len(semantic_masks) == 0:
        return float("nan")
    return peak_in_mask(peak(heatmap), np.logical_or.reduce([np.asarray(m, bool) for m in semantic_masks]))


def axis_errors_deg(pred_uv: tuple[float, float], gt_uv: tuple[float, float],
                    visual_angle_deg: Callable[..., np.ndarray]) -> tuple[float, float]:
    """Horizontal and vertical visual-angle errors (degrees) between a predicted and a true
    location (continuous pixel coordinates ``(u, v)``).

    seeds/000 (Fig. 6) measures the distance between predicted and ground-truth locations "along
    each axis" in degrees of visual angle. Here the horizontal error is the visual angle between
    ``(u_pred, v_gt)`` and ``(u_gt, v_gt)`` (only the horizontal coordinate differs) and the
    vertical error the angle between ``(u_gt, v_pred)`` and ``(u_gt, v_gt)``, with
    ``visual_angle_deg(u0, v0, u1, v1)`` from the dataset's geometry
    (``PinholeCamera.visual_angle_deg`` or, in screen mode, ``ScreenProjection.visual_angle_deg``).
    """
    up, vp = float(pred_uv[0]), float(pred_uv[1])
    ug, vg = float(gt_uv[0]), float(gt_uv[1])
    h = float(visual_angle_deg(up, vg, ug, vg))
    v = float(visual_angle_deg(ug, vp, ug, vg))
    return h, v


def within_deg(error_deg: float, n_deg: float = 6.0) -> float:
    """1.0 if an axis error is within ``n_deg`` degrees of visual angle (seeds/000, Fig. 6 uses
    6 degrees), else 0.0; NaN stays NaN."""
    if not np.isfinite(error_deg):
        return float("nan")
    return float(error_deg <= n_deg)


def pixel_center(peak_rc: tuple[int, int]) -> tuple[float, float]:
    """Continuous ``(u, v)`` of the centre of pixel ``(row, col)`` (docs/conventions.md)."""
    return peak_rc[1] + 0.5, peak_rc[0] + 0.5


# --------------------------------------------------------------------------------------------
# IoU-based metrics (seeds/001, seeds/004)
# --------------------------------------------------------------------------------------------
def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of two boolean masks (0 when both are empty)."""
    p = np.asarray(pred, bool)
    g = np.asarray(gt, bool)
    union = np.logical_or(p, g).sum()
    return float(np.logical_and(p, g).sum() / union) if union else 0.0


def top_k_mask(heatmap: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` highest-valued pixels of the heatmap (ties broken by row-major order)."""
    h = np.asarray(heatmap, dtype=np.float64).ravel()
    k = int(np.clip(k, 0, h.size))
    out = np.zeros(h.size, bool)
    if k:
        order = np.argsort(-h, kind="stable")
        out[order[:k]] = True
    return out.reshape(np.asarray(heatmap).shape)


def iou_top50(heatmap: np.ndarray, gt: np.ndarray) -> float:
    """IoU behind the standard cIoU (seeds/001, Sec. 4.2): the localised area is the top 50 % of
    the map's values (``N // 2`` pixels, N the number of pixels), compared with the ground truth."""
    h = np.asarray(heatmap)
    return iou(top_k_mask(h, h.size // 2), gt)


def iou_adaptive(heatmap: np.ndarray, gt: np.ndarray) -> float:
    """IoU behind the adaptive cIoU (seeds/001, Sec. 4.2): the localised area is the top B pixels,
    B the area (in pixels) of the ground truth."""
    return iou(top_k_mask(heatmap, int(np.asarray(gt, bool).sum())), gt)


def iou_threshold(heatmap: np.ndarray, gt: np.ndarray, threshold: float) -> float:
    """IoU of the localisation mask ``heatmap > threshold`` with the ground truth (cIoU with the
    universal threshold, seeds/004 "cIoU Uth")."""
    return iou(np.asarray(heatmap) > threshold, gt)


def success_rate(ious: Sequence[float], threshold: float = IOU_SUCCESS) -> float:
    """cIoU as a dataset score (seeds/001): the fraction of samples whose IoU is at least
    ``threshold`` (0.5). NaN for no samples or when any IoU is undefined (NaN)."""
    x = np.asarray(ious, dtype=float)
    return float(np.mean(x >= threshold)) if x.size and not np.isnan(x).any() else float("nan")


def auc(ious: Sequence[float], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """AUC (seeds/001, seeds/004 Sec. 4.1): the area under the success ratio (fraction of samples
    with IoU >= t) as the threshold t goes from 0 to 1 (trapezoid rule on ``thresholds``). NaN
    for no samples or when any IoU is undefined (NaN)."""
    x = np.asarray(ious, dtype=float)
    if not x.size or np.isnan(x).any():  # no samples, or an undefined IoU (e.g. no universal threshold)
        return float("nan")
    curve = np.array([np.mean(x >= t) for t in thresholds])
    return float(_trapezoid(curve, thresholds))


def interactive_success(per_source_ious: Sequence[float], threshold: float = IOU_SUCCESS) -> float:
    """One sample's IIoU outcome (seeds/001, Sec. 4.2): 1.0 only if every sound source in the
    image is localised (its IoU, from the cIoU or adaptive cIoU protocol, >= 0.5), else 0.0."""
    x = np.asarray(per_source_ious, dtype=float)
    if not x.size:
        return float("nan")
    return float(np.all(x >= threshold))


def iiou(samples: Sequence[Sequence[float]], threshold: float = IOU_SUCCESS) -> float:
    """IIoU (seeds/001): the fraction of multi-source samples whose every source is localised.
    ``samples`` holds, per image, the IoUs of its sources (each computed from that source's audio
    alone)."""
    vals = [interactive_success(s, threshold) for s in samples if len(s)]
    return float(np.mean(vals)) if vals else float("nan")


def iauc(samples: Sequence[Sequence[float]], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """IAUC (seeds/001, Table 7): AUC of the interactive success ratio, i.e. the AUC of each
    sample's worst-source IoU."""
    worst = [float(np.min(s)) for s in samples if len(s)]
    return auc(worst, thresholds)


# --------------------------------------------------------------------------------------------
# Negative audio (seeds/003, seeds/004)
# --------------------------------------------------------------------------------------------
def universal_threshold(negative_maxima: Sequence[float]) -> float:
    """Universal threshold Uth (seeds/003; seeds/004 Sec. 4.1): the 3rd quartile of the maximum
    audio-visual similarity of the negative pairs (silence, noise, off-screen), so that it filters
    false positives without assuming the object's size or visibility (linear interpolation)."""
    x = np.asarray(negative_maxima, dtype=float)
    return float(np.percentile(x, 75)) if x.size else float("nan")


def pia(heatmap: np.ndarray, threshold: float) -> float:
    """pIA of one negative trial (seeds/003, seeds/004 Sec. 4.1): the proportion of the image area
    activated in the localisation mask ``heatmap > Uth`` (a fraction; tables show percent)."""
    return float(np.mean(np.asarray(heatmap) > threshold))


def aucn(pias: Sequence[float], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """AUCN (seeds/004 Sec. 4.1): "analogous to AUC for the case of negative audio": the area under
    the success ratio as the threshold t goes from 0 to 1, a negative trial succeeding when its
    pIA <= t (trapezoid rule on ``thresholds``)."""
    x = np.asarray(pias, dtype=float)
    if not x.size:
        return float("nan")
    curve = np.array([np.mean(x <= t) for t in thresholds])
    return float(_trapezoid(curve, thresholds))


def harmonic_mean(a: float, b: float) -> float:
    """2ab / (a + b) (0 when both are 0)."""
    return float(2 * a * b / (a + b)) if (a + b) > 0 else 0.0


def floc(ciou_uth: float, mean_pia: float) -> float:
    """FLOC (seeds/003-004): harmonic mean of the positive metric cIoU (universal threshold) and
    the negative metric 1 - pIA (pIA averaged over the negative kinds). Checked against
    seeds/004 Table 2 (cIoU 29.61, pIA 0.01/0.00/1.72 -> F 45.63)."""
    return harmonic_mean(ciou_uth, 1.0 - mean_pia)


def fauc(auc_uth: float, mean_aucn: float) -> float:
    """FAUC (seeds/003-004): harmonic mean of AUC (universal threshold) and AUCN (averaged over the
    negative kinds). Checked against seeds/004 Table 2 (AUC 29.97, AUCN 99.99/100/98.17 -> 46.05)."""
    return harmonic_mean(auc_uth, mean_aucn)


def separability(positive_maxima: Sequence[float], negative_maxima: Sequence[float]) -> float:
    """Separability (seeds/004 Sec. 4.2): Q1 of the maximum audio-visual similarities of the
    positive pairs minus Q3 of those of the negative pairs. Negative when the inter-quartile ranges
    overlap; larger is better."""
    p = np.asarray(positive_maxima, dtype=float)
    n = np.asarray(negative_maxima, dtype=float)
    if not p.size or not n.size:
        return float("nan")
    return float(np.percentile(p, 25) - np.percentile(n, 75))


# --------------------------------------------------------------------------------------------
# Retrieval and embedding geometry (seeds/001 Sec. 5.4, seeds/004 Sec. 4.2)
# --------------------------------------------------------------------------------------------
def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def retrieval_ranking(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Gallery indices sorted by decreasing cosine similarity, one row per query (ties: lower
    index first)."""
    sims = _normalise(queries) @ _normalise(gallery).T
    return np.argsort(-sims, axis=1, kind="stable")


def precision_accuracy_at_k(queries: np.ndarray, gallery: np.ndarray, query_labels: Sequence,
                            gallery_labels: Sequence, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Cross-modal retrieval P@k and A@k (seeds/004 Sec. 4.2): "Precision refers to the proportion
    of the top-k retrieved items that belong to the same category as the query, while Accuracy
    considers a retrieval successful if at least one item among the top-k matches the query's
    category". Both averaged over queries; returns ``{"P@k": ..., "A@k": ...}``."""
    rank = retrieval_ranking(queries, gallery)
    ql = np.asarray(query_labels)
    gl = np.asarray(gallery_labels)
    out: dict[str, float] = {}
    for k in ks:
        kk = min(int(k), rank.shape[1])
        hits = gl[rank[:, :kk]] == ql[:, None]
        out[f"P@{k}"] = float(hits.mean()) if hits.size else float("nan")
        out[f"A@{k}"] = float(hits.any(axis=1).mean()) if hits.size else float("nan")
    return out


def alignment(a: np.ndarray, v: np.ndarray) -> float:
    """Alignment (seeds/004 Table 1): mean cosine similarity of the audio and image embeddings of
    the positive pairs (row i of ``a`` pairs with row i of ``v``)."""
    return float(np.mean(np.sum(_normalise(a) * _normalise(v), axis=1)))


def magnitude(a: np.ndarray, v: np.ndarray) -> float:
    """Magnitude of the modality gap (seeds/004 Table 1): the distance between the centroids of the
    L2-normalised audio and image embeddings."""
    return float(np.linalg.norm(_normalise(a).mean(axis=0) - _normalise(v).mean(axis=0)))


def binomial_se(rate: float, n: int) -> float:
    """Standard error of a rate from n Bernoulli trials (for the margins tables)."""
    if n <= 0 or not np.isfinite(rate):
        return float("nan")
    return float(np.sqrt(rate * (1 - rate) / n))
