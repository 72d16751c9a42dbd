"""Localization, negative-audio and retrieval metrics, exactly as the seed papers define them.

Pure numpy. Every function takes plain arrays so it can be unit-tested on hand-computed cases.

Conventions used throughout:

* A *heatmap* is an audio-visual similarity map at image resolution, ``(H, W)`` floats (the model's
  cosine-similarity map, bilinearly upsampled). Raw values are kept (not min-max normalised),
  because the universal threshold compares raw similarity values across samples. A heatmap with
  a NaN or an infinite value is refused (:class:`NonFiniteMapError`): ``np.argmax`` would make a
  NaN the peak, and sorting would put NaNs above every value.
* A *mask* is an ``(H, W)`` bool array indexed ``mask[row, col] = mask[floor(v), floor(u)]``
  (docs/conventions.md), of the heatmap's shape.
* A *peak* is the ``(row, col)`` of the heatmap's maximum (first in row-major order on ties).
* Rates and IoUs are fractions in [0, 1]; tables multiply by 100.

Papers (cited by title in each docstring, with the project's citation key; docs/references.md
lists them in full):

* seeds/000: Jia et al., *Seeing Sound, Hearing Sight: Uncovering Modality Bias and Conflict of AI
  Models in Sound Localization* (A-Acc, V-Acc, horizontal/vertical precision).
* seeds/001: Senocak et al., *Toward Interactive Sound Source Localization: Better Align Sight and
  Sound!* (cIoU, adaptive cIoU, AUC, IIoU, IAUC, retrieval).
* seeds/003: Juanola et al., *A Critical Assessment of Visual Sound Source Localization Models
  Including Negative Audio* (universal threshold, pIA, AUCN, FLOC, FAUC).
* seeds/004: Juanola et al., *Learning from Silence and Noise for Visual Sound Source
  Localization* (restates those metrics in Sec. 4.1 and Table 2; separability, P@k / A@k).

Where a paper leaves a detail open (``>`` or ``>=``, how ties and empty masks count, mean or
success rate) the authors' public evaluation code decides: SSL-Align's ``utils.py`` /
``test.py`` (the authors of seeds/001) and ``vssl_eval`` (``eval.py``, ``utils_dir/eval_utils.py``;
the authors of seeds/003-004). Each docstring says which.

The two families of cIoU are kept apart by name:

* ``cIoU@0.5`` (:func:`success_rate`): the *share of samples* whose IoU is >= 0.5, with the
  top-50 % or the adaptive top-B localisation mask (seeds/001; seeds/004 Table 2 "cIoU Adap.").
* ``cIoU_Uth`` (:func:`mean_iou`): the *mean IoU* over samples with the universal-threshold mask
  (seeds/003-004, Table 2 "cIoU Uth").
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

#: IoU thresholds of the success-ratio curves (AUC, AUCN): 0, 0.05, ..., 1.0, as the public
#: reference implementations of the cIoU/AUC protocol (LVS, EZ-VSL, SSL-Align, vssl_eval) evaluate them.
CURVE_THRESHOLDS = np.linspace(0.0, 1.0, 21)
#: IoU at or above which a sample counts as correctly localised (seeds/001 Sec. 4.2: "samples with
#: an IoU higher than 0.5 are counted as correct"; the reference code uses ``>= 0.5``, as here).
IOU_SUCCESS = 0.5


class NonFiniteMapError(ValueError):
    """A heatmap with NaN or infinite values (no metric is defined on it)."""


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid rule (``np.trapz`` was renamed in numpy 2; this works with both)."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def finite_map(heatmap: np.ndarray, name: str | None = None) -> np.ndarray:
    """``heatmap`` as a float64 ``(H, W)`` array, refused if it has a NaN or an infinite value.

    ``name`` (e.g. the model and sample) is put in the message. Raises :class:`NonFiniteMapError`
    (a ``ValueError``) for NaN/inf and ``ValueError`` for anything that is not a non-empty 2-D
    numeric array.
    """
    label = f"heatmap of {name}" if name else "heatmap"
    try:
        h = np.asarray(heatmap, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{label}: not a numeric array ({exc})") from None
    if h.ndim != 2 or h.size == 0:
        raise ValueError(f"{label}: expected a non-empty (H, W) array, got shape {h.shape}")
    bad = ~np.isfinite(h)
    if bad.any():
        n_nan = int(np.isnan(h).sum())
        raise NonFiniteMapError(f"{label}: {n_nan} NaN and {int(bad.sum()) - n_nan} infinite values among its "
                                f"{h.size} pixels; no localisation metric is defined on it")
    return h


def _mask_like(mask: np.ndarray, shape: tuple[int, ...], what: str = "mask") -> np.ndarray:
    """``mask`` as a bool array; ``ValueError`` unless its shape is ``shape``."""
    m = np.asarray(mask, dtype=bool)
    if m.shape != tuple(shape):
        raise ValueError(f"{what} has shape {m.shape}, the heatmap {tuple(shape)}")
    return m


def _finite_threshold(threshold: float, what: str = "threshold") -> float:
    t = float(threshold)
    if not np.isfinite(t):
        raise ValueError(f"{what} must be a finite number, got {threshold!r}")
    return t


# --------------------------------------------------------------------------------------------
# Peak-based metrics (seeds/000)
# --------------------------------------------------------------------------------------------
def peak(heatmap: np.ndarray) -> tuple[int, int]:
    """(row, col) of the heatmap's maximum: the predicted sound-source location (*Seeing Sound,
    Hearing Sight*, seeds/000, Sec. 2.4 and Fig. 3: "the location of the maximum activation on the
    heatmaps"). Ties: first in row-major order (``np.argmax``). NaN/inf maps are refused."""
    h = finite_map(heatmap)
    r, c = np.unravel_index(int(np.argmax(h)), h.shape)
    return int(r), int(c)


def peak_in_mask(peak_rc: tuple[int, int], mask: np.ndarray | None) -> float:
    """1.0 if the peak pixel lies inside ``mask``, else 0.0; NaN when there is no mask.

    This is A-Acc for one trial when ``mask`` is the sounding object's segmentation mask
    (*Seeing Sound, Hearing Sight*, seeds/000, Sec. 2.4: "A-Acc = 1 if the peak activation falls
    within the segmentation mask of the sounding object; 0 otherwise"), and V-Acc when ``mask`` is
    the union of the masks of the objects of the sound's category (in the vision-only condition:
    of every sound-emitting object).
    """
    if mask is None:
        return float("nan")
    m = np.asarray(mask, dtype=bool)
    r, c = peak_rc
    if not (0 <= r < m.shape[0] and 0 <= c < m.shape[1]):
        raise ValueError(f"peak {peak_rc} lies outside the {m.shape} mask")
    return float(bool(m[r, c]))


def a_acc(heatmap: np.ndarray, target_mask: np.ndarray) -> float:
    """A-Acc of one trial (*Seeing Sound, Hearing Sight*, seeds/000, Sec. 2.4): 1.0 if the peak of
    ``heatmap`` is inside the sounding object's mask, else 0.0."""
    h = finite_map(heatmap)
    return peak_in_mask(peak(h), _mask_like(target_mask, h.shape, "target mask"))


def v_acc(heatmap: np.ndarray, semantic_masks: Sequence[np.ndarray]) -> float:
    """V-Acc of one trial (*Seeing Sound, Hearing Sight*, seeds/000, Sec. 2.4): the peak inside any
    object of the correct category (the union of ``semantic_masks``); NaN if there is none (e.g.
    absent visual cue)."""
    h = finite_map(heatmap)
    if len(semantic_masks) == 0:
        return float("nan")
    union = np.logical_or.reduce([_mask_like(m, h.shape, "semantic mask") for m in semantic_masks])
    return peak_in_mask(peak(h), union)


def axis_errors_deg(pred_uv: tuple[float, float], gt_uv: tuple[float, float],
                    visual_angle_deg: Callable[..., np.ndarray]) -> tuple[float, float]:
    """Horizontal and vertical visual-angle errors (degrees) between a predicted and a true
    location, both continuous pixel coordinates ``(u, v)`` (u right, v down; docs/conventions.md).

    *Seeing Sound, Hearing Sight* (seeds/000, Sec. 3, Fig. 6) measures the distance between
    predicted and ground-truth locations "along each axis" in degrees of visual angle. Here the
    horizontal error is the visual angle between ``(u_pred, v_gt)`` and ``(u_gt, v_gt)`` (only
    the horizontal coordinate differs) and the vertical error the angle between ``(u_gt, v_pred)``
    and ``(u_gt, v_gt)``. ``visual_angle_deg(u0, v0, u1, v1)`` is the viewing geometry: seeds/000's
    screen (``ScreenProjection.visual_angle_deg``: the image on a screen at a viewing distance,
    angles seen from the viewer's eye) or the rendering camera's own (``PinholeCamera``);
    ``training.evaluate.visual_angle_fn`` picks it.
    """
    up, vp = float(pred_uv[0]), float(pred_uv[1])
    ug, vg = float(gt_uv[0]), float(gt_uv[1])
    h = float(visual_angle_deg(up, vg, ug, vg))
    v = float(visual_angle_deg(ug, vp, ug, vg))
    return h, v


def within_deg(error_deg: float, n_deg: float = 6.0) -> float:
    """1.0 if an axis error (degrees of visual angle) is at most ``n_deg``, else 0.0; NaN stays
    NaN. Averaged over trials this is the horizontal or vertical precision of *Seeing Sound,
    Hearing Sight* (seeds/000, Sec. 3, Fig. 6 and Supp. Tab. S1: "within 6 degrees of visual
    angle")."""
    if not np.isfinite(error_deg):
        return float("nan")
    return float(error_deg <= n_deg)


def pixel_center(peak_rc: tuple[int, int]) -> tuple[float, float]:
    """Continuous ``(u, v)`` of the centre of pixel ``(row, col)`` (docs/conventions.md)."""
    return peak_rc[1] + 0.5, peak_rc[0] + 0.5


# --------------------------------------------------------------------------------------------
# IoU-based metrics (seeds/001, seeds/003-004)
# --------------------------------------------------------------------------------------------
def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of two boolean masks of the same shape (0 when both are empty, as
    vssl_eval counts the undefined 0/0 of its ``cal_CIOU``)."""
    p = np.asarray(pred, bool)
    g = _mask_like(gt, p.shape, "ground-truth mask")
    union = np.logical_or(p, g).sum()
    return float(np.logical_and(p, g).sum() / union) if union else 0.0


def above_sorted_value(heatmap: np.ndarray, index: int) -> np.ndarray:
    """The localisation mask of the cIoU reference code: the pixels whose value is *strictly
    above* the map's value at position ``index`` of its values sorted in ascending order.

    ``thr = np.sort(h.ravel())[index]; mask = h > thr``: how SSL-Align (*Toward Interactive Sound
    Source Localization*, seeds/001) and vssl_eval (seeds/003-004) binarise a map for cIoU and
    adaptive cIoU; seeds/001 Sec. 4.2 says the same in words ("the pixels having attention values
    larger than the top 50 % [value]"). Ties are decided by value, never by position: pixels equal
    to the threshold value are all left out. So a **constant map localises nothing** (IoU 0 with
    any non-empty ground truth): it carries no information about where the sound is, and the
    reference code scores it so. (EZ-VSL's code uses ``>=`` instead, which would make a constant
    map predict every pixel and score ``|gt| / N``; we follow the seed papers' own code.) For a
    map with distinct values the mask holds ``N - index - 1`` pixels.
    """
    h = finite_map(heatmap)
    if not 0 <= int(index) < h.size:
        raise ValueError(f"sorted index {index} outside a map of {h.size} pixels")
    thr = np.sort(h, axis=None)[int(index)]
    return h > thr


def top50_mask(heatmap: np.ndarray) -> np.ndarray:
    """Localisation mask of the standard cIoU (*Toward Interactive Sound Source Localization*,
    seeds/001, Sec. 4.2: "the threshold is set to the top 50 % value"): pixels strictly above the
    value at sorted index ``N // 2`` (reference code: ``np.sort(pred.flatten())[int(N / 2)]``,
    ``pred > thr``). Distinct values: ``N - N // 2 - 1`` pixels (25 087 of 224 x 224)."""
    h = finite_map(heatmap)
    return above_sorted_value(h, h.size // 2)


def adaptive_mask(heatmap: np.ndarray, gt_area: int) -> np.ndarray:
    """Localisation mask of the adaptive cIoU (*Toward Interactive Sound Source Localization*,
    seeds/001, Sec. 4.2: "the top B pixels, where B is the area of the ground truth"): pixels
    strictly above the value at sorted index ``N - B``, B = ``gt_area`` pixels, or ``N // 2`` when
    the ground truth is empty, both as the reference code (``gt_nums``) does. Distinct values:
    ``B - 1`` pixels."""
    h = finite_map(heatmap)
    b = int(gt_area)
    if not 0 <= b <= h.size:
        raise ValueError(f"ground-truth area {gt_area} outside [0, {h.size}]")
    return above_sorted_value(h, h.size - (b or h.size // 2))


def iou_top50(heatmap: np.ndarray, gt: np.ndarray) -> float:
    """IoU behind the standard cIoU (*Toward Interactive Sound Source Localization*, seeds/001,
    Sec. 4.2, Table 2 "cIoU"): :func:`top50_mask` against the ground-truth mask."""
    h = finite_map(heatmap)
    return iou(top50_mask(h), _mask_like(gt, h.shape, "ground-truth mask"))


def iou_adaptive(heatmap: np.ndarray, gt: np.ndarray) -> float:
    """IoU behind the adaptive cIoU (*Toward Interactive Sound Source Localization*, seeds/001,
    Sec. 4.2, Table 2 "w/ Adap."): :func:`adaptive_mask` with B = the ground truth's area."""
    h = finite_map(heatmap)
    g = _mask_like(gt, h.shape, "ground-truth mask")
    return iou(adaptive_mask(h, int(g.sum())), g)


def iou_threshold(heatmap: np.ndarray, gt: np.ndarray, threshold: float) -> float:
    """IoU of the localisation mask ``heatmap > threshold`` with the ground truth: the per-sample
    IoU of cIoU_Uth (*Learning from Silence and Noise for Visual Sound Source Localization*,
    seeds/004, Sec. 4.1; ``>`` as vssl_eval's ``cal_CIOU``). A constant map localises every pixel
    if its value is above the threshold and none otherwise."""
    h = finite_map(heatmap)
    return iou(h > _finite_threshold(threshold), _mask_like(gt, h.shape, "ground-truth mask"))


def success_rate(ious: Sequence[float], threshold: float = IOU_SUCCESS) -> float:
    """cIoU@0.5 as a dataset score: the share of samples whose IoU is at least ``threshold``
    (0.5). This is the standard and the adaptive cIoU of *Toward Interactive Sound Source
    Localization* (seeds/001, Sec. 4.2: "samples with an IoU higher than 0.5 are counted as
    correct samples"; Table 2) and the "cIoU Adap." column of *Learning from Silence and Noise*
    (seeds/004, Table 2); reference code ``np.sum(ciou >= 0.5) / len(ciou)``. NaN for no samples
    or when any IoU is undefined (NaN)."""
    x = np.asarray(ious, dtype=float)
    return float(np.mean(x >= threshold)) if x.size and not np.isnan(x).any() else float("nan")


def mean_iou(ious: Sequence[float]) -> float:
    """cIoU_Uth: the mean IoU over samples, ``(1/N) sum_i IoU_i``, with the universal-threshold
    mask (:func:`iou_threshold`). *Learning from Silence and Noise for Visual Sound Source
    Localization* (seeds/004, Sec. 4.1, Table 2 "cIoU Uth"; from seeds/003, *A Critical Assessment
    of Visual Sound Source Localization Models Including Negative Audio*); vssl_eval:
    ``ciou_maxq3_mean = np.mean(ciou_maxq3)``. Not a success rate: in every row of seeds/004
    Table 2, cIoU Uth and AUC Uth differ by at most 2.44 points, which only the mean guarantees
    (the 21-point trapezoid AUC is within 0.025 of the mean IoU), while the success-rate columns
    ("Adap.") differ by up to 12 points. NaN for no samples or when any IoU is undefined (NaN,
    e.g. no universal threshold)."""
    x = np.asarray(ious, dtype=float)
    return float(np.mean(x)) if x.size and not np.isnan(x).any() else float("nan")


def auc(ious: Sequence[float], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """AUC: the area under the success ratio (share of samples with IoU >= t) as t goes from 0 to
    1, trapezoid rule on ``thresholds`` (*Toward Interactive Sound Source Localization*, seeds/001,
    Table 2; *Learning from Silence and Noise*, seeds/004, Sec. 4.1, Table 2; reference code:
    ``sklearn.metrics.auc`` over ``0.05 * i``, i = 0..20). NaN for no samples or when any IoU is
    undefined (NaN)."""
    x = np.asarray(ious, dtype=float)
    if not x.size or np.isnan(x).any():  # no samples, or an undefined IoU (e.g. no universal threshold)
        return float("nan")
    curve = np.array([np.mean(x >= t) for t in thresholds])
    return float(_trapezoid(curve, thresholds))


def _source_ious(per_source_ious: Sequence[Optional[float]]) -> np.ndarray:
    """Per-source IoUs with a missing source (None or NaN: no stem to localise it with) as 0."""
    if len(per_source_ious) == 0:
        raise ValueError("an image of the interactive protocol needs at least one sound source")
    x = np.array([np.nan if v is None else float(v) for v in per_source_ious], dtype=float)
    return np.where(np.isnan(x), 0.0, x)


def interactive_success(per_source_ious: Sequence[Optional[float]], threshold: float = IOU_SUCCESS) -> float:
    """One image's IIoU outcome (*Toward Interactive Sound Source Localization*, seeds/001,
    Sec. 4.2: "A sample is considered successful by IIoU if the model accurately localizes all
    sound sources. Conversely, if any sound source is incorrectly localized, the entire sample is
    marked as a failure"): 1.0 only if every source's IoU (top-50 % or adaptive protocol) is
    >= 0.5, else 0.0. A source given as None or NaN (no stem: its audio alone cannot be played to
    the model) counts as a miss, so the image fails; it is never skipped, which would score the
    image on its remaining sources only."""
    return float(np.all(_source_ious(per_source_ious) >= threshold))


def iiou(samples: Sequence[Sequence[Optional[float]]], threshold: float = IOU_SUCCESS) -> float:
    """IIoU (*Toward Interactive Sound Source Localization*, seeds/001, Sec. 4.2, Table 7): the
    share of multi-source images whose every source is localised (:func:`interactive_success`).
    ``samples`` holds, per image, the IoUs of all its sources, each computed from that source's
    audio alone (reference code: ``np.min`` of the per-source ``IoU >= 0.5`` over an image's
    entries). A source without a stem is given as None and fails its image. NaN for no images."""
    vals = [interactive_success(s, threshold) for s in samples]
    return float(np.mean(vals)) if vals else float("nan")


def iauc(samples: Sequence[Sequence[Optional[float]]], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """IAUC (*Toward Interactive Sound Source Localization*, seeds/001, Table 7): the AUC of the
    interactive success ratio, i.e. the AUC of each image's worst-source IoU (reference code
    ``finalize_IAUC``: the per-threshold minimum over an image's sources). A source without a
    stem (None) has IoU 0. NaN for no images."""
    worst = [float(np.min(_source_ious(s))) for s in samples]
    return auc(worst, thresholds)


# --------------------------------------------------------------------------------------------
# Negative audio (seeds/003, seeds/004)
# --------------------------------------------------------------------------------------------
def universal_threshold(negative_maxima: Sequence[float]) -> float:
    """Universal threshold Uth: the 3rd quartile of the maximum audio-visual similarity of the
    negative pairs (silence, noise, off-screen), "so that it filters false positives without any
    assumption on the object size" (*A Critical Assessment of Visual Sound Source Localization
    Models Including Negative Audio*, seeds/003; *Learning from Silence and Noise*, seeds/004,
    Sec. 4.1). Linear interpolation between order statistics (``np.percentile``). NaN for none."""
    x = np.asarray(negative_maxima, dtype=float)
    return float(np.percentile(x, 75)) if x.size else float("nan")


def pia(heatmap: np.ndarray, threshold: float) -> float:
    """pIA of one negative trial: "the proportion of the image area that has been activated in the
    model's localization mask" ``heatmap > Uth`` (*A Critical Assessment ... Including Negative
    Audio*, seeds/003; *Learning from Silence and Noise*, seeds/004, Sec. 4.1, Table 2; vssl_eval
    ``compute_pIA`` of ``pred > thr``). A fraction; tables show percent."""
    h = finite_map(heatmap)
    return float(np.mean(h > _finite_threshold(threshold)))


def aucn(pias: Sequence[float], thresholds: np.ndarray = CURVE_THRESHOLDS) -> float:
    """AUCN, "analogous to AUC for the case of negative audio" (*Learning from Silence and Noise*,
    seeds/004, Sec. 4.1, Table 2): the area under the share of negative trials with pIA <= t as t
    goes from 0 to 1 (trapezoid on ``thresholds``; vssl_eval ``compute_AUC_pIA``). NaN for none."""
    x = np.asarray(pias, dtype=float)
    if not x.size:
        return float("nan")
    curve = np.array([np.mean(x <= t) for t in thresholds])
    return float(_trapezoid(curve, thresholds))


def harmonic_mean(a: float, b: float) -> float:
    """2ab / (a + b); 0 when both are 0; NaN when either is NaN."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return float("nan")
    return float(2 * a * b / (a + b)) if (a + b) > 0 else 0.0


def _kind_mean(values: Sequence[float], what: str) -> float:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{what}: one value per negative kind, got shape {x.shape}")
    return float(np.mean(x)) if x.size and np.isfinite(x).all() else float("nan")


def floc(ciou_uth: float, pia_by_kind: Sequence[float]) -> float:
    """FLOC, the harmonic mean of the positive metric cIoU_Uth and the negative metric 1 - pIA
    (*A Critical Assessment ... Including Negative Audio*, seeds/003; *Learning from Silence and
    Noise*, seeds/004, Sec. 4.1 and Table 2 column F)::

        FLOC = 2 c n / (c + n),  c = cIoU_Uth = mean IoU at Uth (:func:`mean_iou`),
                                 n = (1/K) sum_k (1 - pIA_k)

    ``pia_by_kind`` holds each negative kind's pIA (the mean over its trials): silence, noise,
    off-screen, K = 3 (vssl_eval: ``pia_mean_neg = mean(100 - pIA_S, 100 - pIA_N, 100 - pIA_O)``,
    ``f_pos_neg = compute_f(ciou_maxq3_mean, pia_mean_neg)``). Reproduces every row of seeds/004
    Table 2 to 0.01 (e.g. SSL-SaN: cIoU_Uth 29.61, pIA 0.01 / 0.00 / 1.72 -> 45.63)."""
    return harmonic_mean(float(ciou_uth), 1.0 - _kind_mean(pia_by_kind, "pia_by_kind"))


def fauc(auc_uth: float, aucn_by_kind: Sequence[float]) -> float:
    """FAUC, the harmonic mean of AUC at the universal threshold and AUCN averaged over the
    negative kinds (*A Critical Assessment ... Including Negative Audio*, seeds/003; *Learning from
    Silence and Noise*, seeds/004, Sec. 4.1 and Table 2 second F column; vssl_eval
    ``f_auc_aoc_pos_neg``): ``2 a m / (a + m)``, m = (1/K) sum_k AUCN_k. Reproduces seeds/004
    Table 2 (SSL-SaN: AUC 29.97, AUCN 99.99 / 100 / 98.17 -> 46.05)."""
    return harmonic_mean(float(auc_uth), _kind_mean(aucn_by_kind, "aucn_by_kind"))


def separability(positive_maxima: Sequence[float], negative_maxima: Sequence[float]) -> float:
    """Separability (*Learning from Silence and Noise*, seeds/004, Sec. 4.2 and Table 1): Q1 of the
    maximum audio-visual similarities of the positive pairs minus Q3 of those of the negative
    pairs. Negative when the inter-quartile ranges overlap; larger is better. NaN if either side
    is empty."""
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
    """Cross-modal retrieval P@k and A@k (*Learning from Silence and Noise for Visual Sound Source
    Localization*, seeds/004, Sec. 4.2, Table 3): "Precision refers to the proportion
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
    """Alignment (*Learning from Silence and Noise*, seeds/004, Sec. 4.2, Table 1): mean cosine
    similarity of the audio and image embeddings of the positive pairs (row i of ``a`` pairs with
    row i of ``v``)."""
    return float(np.mean(np.sum(_normalise(a) * _normalise(v), axis=1)))


def magnitude(a: np.ndarray, v: np.ndarray) -> float:
    """Magnitude of the modality gap (*Learning from Silence and Noise*, seeds/004, Sec. 4.2,
    Table 1): the distance between the centroids of the
    L2-normalised audio and image embeddings."""
    return float(np.linalg.norm(_normalise(a).mean(axis=0) - _normalise(v).mean(axis=0)))


def binomial_se(rate: float, n: int) -> float:
    """Standard error of a rate from n Bernoulli trials (for the margins tables)."""
    if n <= 0 or not np.isfinite(rate):
        return float("nan")
    return float(np.sqrt(rate * (1 - rate) / n))
