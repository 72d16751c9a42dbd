"""Every metric of training/metrics.py against hand-computed values on small synthetic cases."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.core.geometry import PinholeCamera, ScreenProjection
from training import metrics as M


def _mask(shape, *cells):
    m = np.zeros(shape, bool)
    for r, c in cells:
        m[r, c] = True
    return m


# -- seeds/000: peak, A-Acc, V-Acc ----------------------------------------------------------------
def test_peak_is_the_argmax_and_first_on_ties():
    h = np.array([[0.1, 0.9, 0.2], [0.3, 0.9, 0.0]])
    assert M.peak(h) == (0, 1)
    assert M.pixel_center((2, 5)) == (5.5, 2.5)


def test_a_acc_peak_inside_the_sounding_object_mask():
    h = np.zeros((4, 4))
    h[2, 3] = 1.0
    assert M.a_acc(h, _mask((4, 4), (2, 3), (2, 2))) == 1.0
    assert M.a_acc(h, _mask((4, 4), (1, 3))) == 0.0
    assert math.isnan(M.peak_in_mask((0, 0), None))


def test_v_acc_uses_any_object_of_the_category():
    h = np.zeros((4, 4))
    h[0, 0] = 1.0
    dog1 = _mask((4, 4), (3, 3))
    dog2 = _mask((4, 4), (0, 0), (0, 1))
    assert M.v_acc(h, [dog1]) == 0.0
    assert M.v_acc(h, [dog1, dog2]) == 1.0
    assert math.isnan(M.v_acc(h, []))


# -- seeds/000: horizontal / vertical precision in degrees of visual angle -------------------------
def test_axis_errors_pinhole_hand_computed():
    cam = PinholeCamera(100, 100, 90.0)          # f = 50 px
    h, v = M.axis_errors_deg((75.0, 50.0), (50.0, 50.0), cam.visual_angle_deg)
    assert h == pytest.approx(math.degrees(math.atan(25 / 50)))   # 26.565 deg
    assert v == pytest.approx(0.0, abs=1e-6)
    h, v = M.axis_errors_deg((50.0, 60.0), (50.0, 50.0), cam.visual_angle_deg)
    assert h == pytest.approx(0.0, abs=1e-6)
    assert v == pytest.approx(math.degrees(math.atan(10 / 50)))   # 11.31 deg
    # the vertical error is measured at the true column: the predicted column does not matter
    _, v2 = M.axis_errors_deg((90.0, 60.0), (50.0, 50.0), cam.visual_angle_deg)
    assert v2 == pytest.approx(v)


def test_axis_errors_screen_mode_hand_computed():
    scr = ScreenProjection(224, 224)             # 0.76 m, 90 ppi
    # 90 pixels = 1 inch = 0.0254 m on the screen at 0.76 m, centred
    h, v = M.axis_errors_deg((112.0 + 90, 112.0), (112.0, 112.0), scr.visual_angle_deg)
    assert h == pytest.approx(math.degrees(math.atan(0.0254 / 0.76)))   # 1.914 deg
    assert v == pytest.approx(0.0, abs=1e-6)


def test_within_deg():
    assert M.within_deg(5.9, 6) == 1.0
    assert M.within_deg(6.0, 6) == 1.0
    assert M.within_deg(6.1, 6) == 0.0
    assert math.isnan(M.within_deg(float("nan")))


# -- seeds/001: cIoU, adaptive cIoU, AUC, IIoU -----------------------------------------------------
def test_iou_hand_computed():
    a = _mask((3, 3), (0, 0), (0, 1), (1, 1))
    b = _mask((3, 3), (0, 1), (1, 1), (2, 2), (2, 1))
    assert M.iou(a, b) == pytest.approx(2 / 5)
    assert M.iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 0.0


def test_top50_and_adaptive_iou():
    # The masks follow the seed authors' reference code (SSL-Align, vssl_eval): the pixels strictly
    # above the value at sorted index N // 2 (adaptive: N - B). This test used to expect exactly N // 2
    # (B) pixels chosen by position; with distinct values the reference keeps one pixel fewer.
    h = np.arange(16, dtype=float).reshape(4, 4)          # sorted[8] = 8: the mask is the values 9..15
    gt = np.zeros((4, 4), bool)
    gt[2:] = True                                          # the values 8..15
    assert M.iou_top50(h, gt) == pytest.approx(7 / 8)
    gt_small = _mask((4, 4), (3, 3), (3, 2), (0, 0))       # B = 3; sorted[13] = 13: the mask is 14, 15
    assert M.iou_adaptive(h, gt_small) == pytest.approx(2 / 3)
    # top 50 % against a 3-pixel object: 7 predicted pixels, 2 of them on it -> 2 / 8
    assert M.iou_top50(h, gt_small) == pytest.approx(2 / 8)


def test_ties_are_decided_by_value_not_position():
    # was: top_k_mask broke ties by raster position, so a constant map "predicted" its top rows.
    # Now a constant map localises nothing (IoU 0), as the reference code's `pred > sorted[N // 2]`.
    h = np.ones((2, 2))
    assert not M.top50_mask(h).any()
    assert M.iou_top50(h, _mask((2, 2), (0, 0), (0, 1))) == 0.0


def test_threshold_iou():
    h = np.array([[0.1, 0.6], [0.7, 0.2]])
    assert M.iou_threshold(h, _mask((2, 2), (1, 0)), 0.5) == pytest.approx(1 / 2)


def test_ciou_success_rate_counts_iou_at_least_half():
    assert M.success_rate([0.4, 0.5, 0.6]) == pytest.approx(2 / 3)
    assert math.isnan(M.success_rate([]))
    assert math.isnan(M.success_rate([0.6, float("nan")]))  # an undefined IoU (no universal threshold)


def test_auc_hand_computed():
    assert M.auc([1.0, 1.0]) == pytest.approx(1.0)
    # IoU 0: only t = 0 succeeds -> one trapezoid of width 0.05 from 1 to 0
    assert M.auc([0.0]) == pytest.approx(0.025)
    # IoU 0.5: success for t in [0, 0.5] (11 points), then 0 -> 0.5 + 0.025
    assert M.auc([0.5]) == pytest.approx(0.525)
    assert M.auc([0.5, 1.0]) == pytest.approx((0.525 + 1.0) / 2)
    assert math.isnan(M.auc([0.5, float("nan")]))


def test_iiou_requires_every_source():
    samples = [[0.6, 0.7], [0.6, 0.3], [0.9]]
    assert M.iiou(samples) == pytest.approx(2 / 3)
    assert M.interactive_success([0.5, 0.49]) == 0.0
    assert M.iauc([[0.5, 1.0]]) == pytest.approx(0.525)   # the worst source's IoU


# -- seeds/003-004: universal threshold, pIA, AUCN, FLOC, FAUC, separability -----------------------
def test_universal_threshold_is_q3_of_negative_maxima():
    assert M.universal_threshold([0, 1, 2, 3, 4]) == pytest.approx(3.0)
    assert M.universal_threshold([1.0, 2.0]) == pytest.approx(1.75)


def test_pia_is_the_activated_area_fraction():
    h = np.array([[0.1, 0.5], [0.7, 0.2]])
    assert M.pia(h, 0.3) == pytest.approx(0.5)
    assert M.pia(h, 0.7) == 0.0        # strictly above the threshold


def test_aucn_hand_computed():
    assert M.aucn([0.0, 0.0]) == pytest.approx(1.0)
    assert M.aucn([1.0]) == pytest.approx(0.025)     # succeeds only at t = 1
    # pIA 0.5: fails for t < 0.5, succeeds from t = 0.5 -> 0.5 + 0.025
    assert M.aucn([0.5]) == pytest.approx(0.525)


def test_floc_and_fauc_reproduce_seed_004_table_2():
    # SSL-SaN on the first test set: cIoU Uth 29.61, pIA 0.01 / 0.00 / 1.72 -> FLOC 45.63;
    # AUC Uth 29.97, AUCN 99.99 / 100.00 / 98.17 -> FAUC 46.05
    # (floc/fauc now take the per-kind pIAs / AUCNs and average them, as the paper's FLOC does)
    floc = M.floc(0.2961, [0.0001, 0.0, 0.0172])
    fauc = M.fauc(0.2997, [0.9999, 1.0, 0.9817])
    assert 100 * floc == pytest.approx(45.63, abs=0.01)
    assert 100 * fauc == pytest.approx(46.05, abs=0.01)
    assert M.harmonic_mean(0.0, 0.0) == 0.0


def test_separability_is_q1_positive_minus_q3_negative():
    assert M.separability([1, 2, 3, 4, 5], [0, 1, 2, 3, 4]) == pytest.approx(2 - 3)
    assert M.separability([5, 6, 7, 8, 9], [0, 1, 2, 3, 4]) == pytest.approx(6 - 3)
    assert math.isnan(M.separability([], [1.0]))


# -- retrieval and embedding geometry --------------------------------------------------------------
def test_precision_and_accuracy_at_k_hand_computed():
    # queries along x and y; gallery items at known angles
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    g = np.array([[1.0, 0.1], [1.0, 0.5], [0.1, 1.0], [-1.0, 0.0]])
    ql = ["dog", "cat"]
    gl = ["dog", "cat", "cat", "dog"]
    # query 0 ranking: g0 (dog), g1 (cat), g2 (cat), g3 (dog); query 1: g2 (cat), g1 (cat), g0, g3
    out = M.precision_accuracy_at_k(q, g, ql, gl, ks=(1, 2, 3))
    assert out["P@1"] == pytest.approx((1 + 1) / 2)
    assert out["P@2"] == pytest.approx((1 / 2 + 2 / 2) / 2)
    assert out["P@3"] == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert out["A@1"] == out["P@1"]
    assert out["A@3"] == 1.0
    out = M.precision_accuracy_at_k(q, g, ["cat", "dog"], gl, ks=(1, 2))
    assert out["A@1"] == 0.0
    assert out["A@2"] == pytest.approx(1 / 2)    # query 0 finds a cat at rank 2; query 1 no dog in top 2


def test_alignment_and_magnitude():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    v = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert M.alignment(a, v) == pytest.approx((math.sqrt(0.5) + 1.0) / 2)
    # normalised centroids: a -> (0.5, 0.5), v -> (0.3536, 0.8536)
    assert M.magnitude(a, v) == pytest.approx(math.hypot(0.5 - 0.5 * math.sqrt(0.5), 0.5 - (0.5 * math.sqrt(0.5) + 0.5)))
    assert M.magnitude(a, a) == pytest.approx(0.0)


def test_binomial_se():
    assert M.binomial_se(0.5, 100) == pytest.approx(0.05)
    assert math.isnan(M.binomial_se(0.5, 0))
