"""The localisation metrics as the seed papers define them, checked against worked examples.

Every expected value below is computed by hand from the paper's definition (or read from the
paper's tables), never by calling the function under test a second way:

* cIoU_Uth is the *mean* IoU at the universal threshold and FLOC its harmonic mean with 1 - pIA
  averaged over the negative kinds (Learning from Silence and Noise for Visual Sound Source
  Localization, Sec. 4.1 and Table 2; the authors' vssl_eval code);
* cIoU@0.5 (top-50 % and adaptive masks) is the share of samples with IoU >= 0.5 (Toward
  Interactive Sound Source Localization, Sec. 4.2);
* a constant map localises nothing, a NaN/inf map is refused, a source without a stem fails its
  image in IIoU;
* horizontal/vertical precision is measured in seeds/000's screen geometry by default (Seeing
  Sound, Hearing Sight, Sec. 2.1: 0.76 m, 90 pixels per inch, 640-pixel images).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from training import evaluate as E
from training import metrics as M

INCH = 0.0254


def _mask(shape, *cells):
    m = np.zeros(shape, bool)
    for r, c in cells:
        m[r, c] = True
    return m


# -- FLOC / FAUC / cIoU_Uth: Learning from Silence and Noise, Table 2 ------------------------------
# (cIoU Uth, AUC Uth, pIA silence, AUCN silence, pIA noise, AUCN noise, pIA off-screen, AUCN off-screen,
#  FLOC, FAUC), in percent, copied from the paper's Table 2 (four test sets, several models)
TABLE2_ROWS = [
    (11.71, 12.08, 4.42, 95.80, 4.42, 95.80, 4.41, 95.82, 20.86, 21.45),     # RCGrad, first test set
    (3.90, 5.91, 1.59, 98.30, 0.05, 99.93, 0.70, 99.23, 7.51, 11.15),        # LVS
    (34.46, 34.78, 2.34, 97.57, 1.11, 98.79, 1.97, 97.95, 51.02, 51.36),     # SSL-Align (weakly sup.)
    (29.61, 29.97, 0.01, 99.99, 0.00, 100.00, 1.72, 98.17, 45.63, 46.05),    # SSL-SaN
    (49.07, 49.95, 0.02, 99.86, 1.37, 98.78, 0.50, 99.40, 65.70, 66.48),     # ACL, second test set
    (18.87, 19.73, 0.00, 100.00, 0.00, 100.00, 1.97, 97.87, 31.72, 32.92),   # SSL-SaN, second test set
    (51.34, 49.57, 0.00, 99.99, 0.03, 99.98, 0.32, 99.72, 67.82, 66.26),     # ACL, fourth test set
    (32.76, 32.86, 0.05, 99.95, 0.00, 100.00, 0.95, 98.96, 49.31, 49.42),    # SSL-SaN, fourth test set
]


@pytest.mark.parametrize("row", TABLE2_ROWS)
def test_floc_and_fauc_reproduce_table_2(row):
    c, a, ps, ns, pn, nn, po, no, f_loc, f_auc = (x / 100 for x in row)
    # inputs are rounded to 0.01 points in the paper: allow that much in the result
    assert 100 * M.floc(c, [ps, pn, po]) == pytest.approx(100 * f_loc, abs=0.015)
    assert 100 * M.fauc(a, [ns, nn, no]) == pytest.approx(100 * f_auc, abs=0.015)


def test_floc_worked_example():
    # cIoU_Uth 0.40; pIA 0.10 / 0.20 / 0.30 -> 1 - mean pIA = 0.80 -> 2 * 0.4 * 0.8 / 1.2 = 0.5333
    assert M.floc(0.40, [0.10, 0.20, 0.30]) == pytest.approx(0.16 / 0.3)
    # pIA averaged over the kinds, not over all trials: one kind at 0.9, two at 0 -> n = 0.7
    assert M.floc(0.70, [0.9, 0.0, 0.0]) == pytest.approx(0.70)
    assert math.isnan(M.floc(float("nan"), [0.0]))
    with pytest.raises(ValueError):
        M.floc(0.4, [[0.1, 0.2]])


def test_ciou_uth_is_the_mean_iou_not_a_success_rate():
    # two samples at Uth = 0.5: IoU 2/6 (2 of the 4 mask pixels on the 4-pixel object) and 1
    h0 = np.zeros((4, 4))
    h0[0, 0] = h0[0, 1] = h0[3, 2] = h0[3, 3] = 0.9
    gt0 = _mask((4, 4), (0, 0), (0, 1), (1, 0), (1, 1))
    h1 = np.where(gt0, 0.8, 0.1)
    ious = [M.iou_threshold(h0, gt0, 0.5), M.iou_threshold(h1, gt0, 0.5)]
    assert ious == pytest.approx([2 / 6, 1.0])
    assert M.mean_iou(ious) == pytest.approx((1 / 3 + 1) / 2)
    assert M.success_rate(ious) == pytest.approx(1 / 2)            # the cIoU@0.5 reading differs
    assert math.isnan(M.mean_iou([0.2, float("nan")]))            # no universal threshold
    assert math.isnan(M.mean_iou([]))


def test_auc_is_within_a_half_step_of_the_mean_iou():
    # Why Table 2's cIoU Uth and AUC Uth never differ by more than 2.5 points: the 21-point
    # trapezoid AUC of any IoU set is within 0.025 of its mean, while the share of IoU >= 0.5 is not.
    assert M.auc([0.45] * 4) == pytest.approx(0.475)              # 9 full steps + half a step
    assert M.mean_iou([0.45] * 4) == pytest.approx(0.45)
    assert M.success_rate([0.45] * 4) == 0.0
    rng = np.random.default_rng(7)
    for _ in range(200):
        x = rng.random(int(rng.integers(1, 40))) ** rng.uniform(0.3, 3.0)
        assert abs(M.auc(x) - M.mean_iou(x)) <= 0.025 + 1e-12


# -- constant maps and ties: the reference code's `pred > sorted(pred)[index]` --------------------
def test_a_constant_map_localises_nothing():
    h = np.full((4, 4), 0.3)
    gt = _mask((4, 4), (0, 0), (1, 1), (2, 2))
    assert not M.top50_mask(h).any() and not M.adaptive_mask(h, 3).any()
    assert M.iou_top50(h, gt) == 0.0
    assert M.iou_adaptive(h, gt) == 0.0
    # at a fixed threshold a constant map is all or nothing
    assert M.iou_threshold(h, gt, 0.2) == pytest.approx(3 / 16)
    assert M.iou_threshold(h, gt, 0.3) == 0.0                      # strictly above
    assert M.pia(h, 0.2) == 1.0 and M.pia(h, 0.3) == 0.0


def test_a_plateau_at_the_median_is_left_out_whole():
    # 2 pixels at 3, 8 at 2, 6 at 0: sorted[8] = 2, so the top-50 % mask is the two 3s only (the
    # old position-based top-8 took the two 3s and the first six 2s in raster order)
    h = np.zeros((4, 4))
    h[0, :] = 2.0
    h[1, :] = 2.0
    h[3, 0] = h[3, 3] = 3.0
    gt = _mask((4, 4), (3, 0), (3, 3))
    assert M.top50_mask(h).sum() == 2
    assert M.iou_top50(h, gt) == 1.0
    # adaptive with B = 2: sorted[14] = 3 -> nothing strictly above (the reference's B - 1 rule)
    assert M.iou_adaptive(h, gt) == 0.0
    # distinct values: N - N // 2 - 1 pixels (7 of 16), adaptive B - 1 (4 of B = 5)
    d = np.arange(16, dtype=float).reshape(4, 4)
    assert M.top50_mask(d).sum() == 7
    assert M.adaptive_mask(d, 5).sum() == 4
    # an empty ground truth: the reference uses B = N // 2
    assert M.adaptive_mask(d, 0).sum() == 7


# -- NaN / inf maps are refused -------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_maps_are_refused(bad):
    h = np.zeros((3, 3))
    h[1, 2] = bad
    gt = _mask((3, 3), (1, 2))
    calls = [lambda: M.peak(h), lambda: M.a_acc(h, gt), lambda: M.v_acc(h, [gt]), lambda: M.iou_top50(h, gt),
             lambda: M.iou_adaptive(h, gt), lambda: M.iou_threshold(h, gt, 0.5), lambda: M.pia(h, 0.5)]
    for call in calls:
        with pytest.raises(M.NonFiniteMapError):
            call()
    with pytest.raises(ValueError, match="sample congruent/0000007"):
        M.finite_map(h, "sample congruent/0000007")


def test_bad_shapes_and_thresholds_are_refused():
    with pytest.raises(ValueError, match="shape"):
        M.iou_top50(np.zeros((3, 3)), np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match="non-empty"):
        M.peak(np.zeros(5))
    with pytest.raises(ValueError, match="finite"):
        M.iou_threshold(np.zeros((2, 2)), np.zeros((2, 2), bool), float("nan"))


# -- IIoU: a source without a stem fails its image ------------------------------------------------
def test_iiou_counts_a_missing_stem_as_a_failure():
    assert M.iiou([[0.9, 0.8]]) == 1.0
    assert M.iiou([[0.9, None]]) == 0.0                            # not 1.0 (the skipped reading)
    assert M.iiou([[0.9, float("nan")], [0.7, 0.6]]) == pytest.approx(1 / 2)
    assert M.interactive_success([None, None]) == 0.0
    # IAUC: the missing source's IoU is 0, so only t = 0 succeeds -> 0.025
    assert M.iauc([[0.9, None]]) == pytest.approx(0.025)
    with pytest.raises(ValueError):
        M.iiou([[]])


# -- seeds/000 screen geometry for horizontal / vertical precision --------------------------------
def _pixels_for_degrees(deg: float, distance_m: float, ppi: float) -> float:
    """Screen pixels from the screen centre that subtend ``deg`` at ``distance_m``: d tan(a) / pitch."""
    return distance_m * math.tan(math.radians(deg)) / (INCH / ppi)


def _pinhole_record(width=224, height=224, hfov=60.0):
    return {"width": width, "height": height, "hfov_deg": hfov, "position_m": [0, 0, 0], "projection": "pinhole",
            "viewing_distance_m": 0.76, "pixels_per_inch": 90.0, "depth_scale": 0.5}


def test_screen_geometry_is_seeds_000_display_for_a_pinhole_record():
    # a 224-pixel image shown 640 / 90 inches wide at 0.76 m: 31.5 pixels per inch
    scr = E.screen_geometry(_pinhole_record())
    assert scr.viewing_distance_m == 0.76 and scr.pixels_per_inch == pytest.approx(31.5)
    n = _pixels_for_degrees(6.0, 0.76, 31.5)
    assert n == pytest.approx(99.06, abs=0.01)                    # 44 % of the 224-pixel width
    f = E.visual_angle_fn(_pinhole_record(), "screen")
    c = 112.0
    for axis in (0, 1):                                           # horizontal, then vertical
        def err(px):
            pred = (c + px, c) if axis == 0 else (c, c + px)
            return M.axis_errors_deg(pred, (c, c), f)[axis]
        assert err(99) == pytest.approx(math.degrees(math.atan(99 * INCH / 31.5 / 0.76)))   # 5.997
        assert M.within_deg(err(99), 6.0) == 1.0
        assert M.within_deg(err(100), 6.0) == 0.0                 # 6.057 degrees


def test_camera_geometry_is_the_rendering_cameras_field_of_view():
    # hfov 60 at 224 pixels: f = 112 / tan(30 deg) = 193.99 px; 6 degrees = 20.39 px (9 % of the width)
    f = E.visual_angle_fn(_pinhole_record(), "camera")
    h20, _ = M.axis_errors_deg((132.0, 112.0), (112.0, 112.0), f)
    h21, _ = M.axis_errors_deg((133.0, 112.0), (112.0, 112.0), f)
    assert h20 == pytest.approx(math.degrees(math.atan(20 / (112 / math.tan(math.radians(30))))))
    assert M.within_deg(h20) == 1.0 and M.within_deg(h21) == 0.0
    # the same 50-pixel miss: 14.6 degrees for the camera, 3.1 degrees on seeds/000's screen
    cam_err = M.axis_errors_deg((162.0, 112.0), (112.0, 112.0), f)[0]
    scr_err = M.axis_errors_deg((162.0, 112.0), (112.0, 112.0), E.visual_angle_fn(_pinhole_record()))[0]
    assert cam_err == pytest.approx(math.degrees(math.atan(50 / (112 / math.tan(math.radians(30))))))   # 14.45
    assert scr_err == pytest.approx(math.degrees(math.atan(50 * INCH / 31.5 / 0.76)))                   # 3.04
    with pytest.raises(ValueError, match="angles"):
        E.visual_angle_fn(_pinhole_record(), "retina")


def test_a_screen_record_is_viewed_on_its_own_screen():
    rec = {**_pinhole_record(), "projection": "screen", "viewing_distance_m": 0.5, "pixels_per_inch": 60.0}
    n = _pixels_for_degrees(6.0, 0.5, 60.0)                       # 124.14 px
    f = E.visual_angle_fn(rec, "screen")
    _, v124 = M.axis_errors_deg((112.0, 112.0 - 124), (112.0, 112.0), f)
    _, v125 = M.axis_errors_deg((112.0, 112.0 - 125), (112.0, 112.0), f)
    assert n == pytest.approx(124.14, abs=0.01)
    assert M.within_deg(v124) == 1.0 and M.within_deg(v125) == 0.0


# -- the evaluate pipeline uses these definitions --------------------------------------------------
class FixedMaps(E.Predictor):
    """Maps looked up by (sample index, audio key); constant embeddings."""

    def __init__(self, table: dict, name: str = "fixed"):
        self.table = table
        self.name = name

    def image_features(self, images, indices):
        return (images.shape[1:3], list(indices))

    def maps(self, feats, audio, key):
        return np.stack([self.table[(i, key)] for i in feats[1]])

    def embeddings(self, feats, audio):
        n = len(feats[1])
        return np.ones((n, 4)), np.ones((n, 4))


def _sample(index: int, masks: list[np.ndarray], *, negatives=(), stems=None, sids=None, camera=None, gt_uv=None):
    h, w = masks[0].shape
    return E.Sample(index=index, id=f"congruent/{index:07d}", condition="congruent", size_bin="size1", category="dog",
                    record={"camera": camera or _pinhole_record(w, h)}, image=np.zeros((h, w, 3), np.uint8),
                    audio=np.zeros((2, 8), np.float32), negatives={k: np.zeros((2, 8), np.float32) for k in negatives},
                    stems=stems or {}, target_mask=np.logical_or.reduce(masks), target_masks=list(masks),
                    source_ids=sids or list(range(1, len(masks) + 1)), semantic_mask=masks[0], own_negative=None,
                    gt_uv=gt_uv)


def test_evaluate_reports_mean_ciou_uth_and_its_floc():
    gt = _mask((4, 4), (0, 0), (0, 1), (0, 2), (0, 3), (1, 0))            # 5 pixels
    main0 = np.where(_mask((4, 4), (0, 0), (0, 1)), 0.9, 0.0)            # 2 pixels above Uth, on the object
    main1 = np.where(_mask((4, 4), (0, 0)), 0.9, 0.0)                    # 1 pixel
    quiet = np.where(_mask((4, 4), (2, 2)), 0.5, 0.0)                    # max 0.5, nothing above 0.5
    loud = np.where(_mask((4, 4), (3, 0), (3, 1), (3, 2), (3, 3)), 0.9, 0.0)   # a quarter of the image
    kinds = ("silence", "noise", "offscreen")
    table = {(0, "main"): main0, (1, "main"): main1, **{(i, k): quiet for i in (0, 1) for k in kinds}}
    table[(1, "offscreen")] = loud
    samples = [_sample(i, [gt], negatives=kinds) for i in (0, 1)]
    res = E.ModelResult("fixed")
    E.evaluate_batch(FixedMaps(table), samples, res, 6.0)
    out = E.finalize(res, {i: {"hw": (4, 4), "target": gt} for i in (0, 1)})
    # Uth = Q3 of the six negative maxima (0.5 x 5, 0.9) = 0.5
    assert out["global"]["uth"] == pytest.approx(0.5)
    g = out["groups"]["all/all"]
    assert [r["iou_uth"] for r in res.rows] == pytest.approx([2 / 5, 1 / 5])
    assert g["ciou_uth_mean"] == pytest.approx(0.3)                      # the mean ...
    assert g["ciou_top50_rate"] == 0.0 and g["ciou_adap_rate"] == 0.0    # ... not a share of IoU >= 0.5
    pia = {k: out["negatives"][k]["pia"] for k in kinds}
    assert pia == pytest.approx({"silence": 0.0, "noise": 0.0, "offscreen": 0.125})
    n = 1 - 0.125 / 3
    assert out["global"]["floc"] == pytest.approx(2 * 0.3 * n / (0.3 + n))   # 0.45695, not 0


def test_evaluate_iiou_fails_an_image_with_a_missing_stem():
    d = np.arange(16, dtype=float).reshape(4, 4)
    gt_a = d > 8                      # exactly the top-50 % mask of d (values 9..15)
    gt_b = d < 7                      # exactly the top-50 % mask of 15 - d (values 0..6)
    table = {(0, "main"): np.zeros((4, 4)), (0, "stem1"): d, (0, "stem2"): 15 - d}
    stem = np.zeros((2, 8), np.float32)

    def scores(stems):
        res = E.ModelResult("fixed")
        E.evaluate_batch(FixedMaps(table), [_sample(0, [gt_a, gt_b], stems=stems)], res, 6.0)
        return E.interactive_scores(res.mixed), res.mixed

    both, _ = scores({1: stem, 2: stem})
    assert both["iiou_top50"] == 1.0 and both["iiou_n"] == 1 and both["iiou_missing_stems"] == 0
    one, rows = scores({1: stem})
    assert rows[0]["ious_top50"] == [1.0, None]
    assert one["iiou_top50"] == 0.0 and one["iiou_adap"] == 0.0 and one["iiou_missing_stems"] == 1
    assert one["iauc_top50"] == pytest.approx(0.025)
    # a dataset written without stems: IIoU is undefined, not 0
    none, _ = scores({})
    assert "iiou_top50" not in none and none["iiou_missing_stems"] == 2


def test_evaluate_records_the_precision_geometry():
    gt = np.zeros((224, 224), bool)
    gt[100:124, 100:124] = True
    heat = np.zeros((224, 224))
    heat[112, 162] = 1.0                                               # peak 50 px right of the target
    res = {a: E.ModelResult("fixed") for a in E.ANGLES}
    for a in E.ANGLES:
        E.evaluate_batch(FixedMaps({(0, "main"): heat}), [_sample(0, [gt], gt_uv=(112.5, 112.5))], res[a], 6.0, a)
    screen, camera = res["screen"].rows[0], res["camera"].rows[0]
    assert screen["angles"] == "screen" and camera["angles"] == "camera"
    assert screen["h_prec"] == 1.0 and camera["h_prec"] == 0.0
    # 50 pixels on the 31.5-ppi screen at 0.76 m (the two points sit half a pixel off the screen's centre)
    assert screen["h_err"] == pytest.approx(math.degrees(math.atan(50 * INCH / 31.5 / 0.76)), abs=1e-3)


def test_evaluate_names_the_sample_of_a_nan_map():
    gt = _mask((4, 4), (0, 0))
    heat = np.zeros((4, 4))
    heat[2, 3] = np.nan
    with pytest.raises(M.NonFiniteMapError, match=r"'broken'.*congruent/0000007"):
        E.evaluate_batch(FixedMaps({(7, "main"): heat}, "broken"), [_sample(7, [gt])], E.ModelResult("broken"), 6.0)


def test_the_cli_reports_a_nan_map_as_bad_input(monkeypatch, capsys):
    def run(args):
        raise M.NonFiniteMapError("heatmap of model 'broken' for sample congruent/0000007: 1 NaN")
    monkeypatch.setattr(E, "run", run)
    assert E.main(["--data", "nowhere"]) == 2
    assert "congruent/0000007" in capsys.readouterr().err
