"""No visual shortcut to the sounding object: the no-audio baselines and the sampler that keeps them at chance.

* ``sample_scores`` on hand-made records: hits, chance, shared ties, skipped samples;
* ``ShortcutTally`` flags a biased set of records and not an unbiased one (synthetic, seeded);
* a congruent dataset made by the real CLI: no baseline flagged, distractors in every size bin,
  every visible object within the occlusion limit, no two objects' boxes intersecting; the audit
  prints the baselines and writes them to its JSON, and ``--fail-on-shortcut`` turns a biased
  dataset (records edited so that the target is always the largest) into exit status 1.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.assets.library import AssetLibrary, default_library_root
from simulator.audit import main as audit_main
from simulator.core.geometry import boxes_intersect, pose_matrix
from simulator.shortcuts import FLAG_MARGIN, RULES, ShortcutTally, baseline_lines, sample_scores
from simulator.stats import main as stats_main

from conftest import CONGRUENT, FREE_FIELD, read_records, simulate

WIDTH = 100


def obj(oid: int, area: float, dist: float, vis: float, centre: tuple[float, float], *, visible: bool = True) -> dict:
    """A record object of a 100 x 100 image: a 10 x 10 box centred at ``centre`` (pixels)."""
    return {"id": oid, "visible": visible, "area_fraction": area, "distance_m": dist, "visible_fraction": vis,
            "bbox": [centre[0] - 5, centre[1] - 5, 10, 10], "size_bin": "size1" if area <= 0.05 else "size2"}


def record(objects: list[dict], targets: list[int]) -> dict:
    return {"camera": {"width": WIDTH, "height": WIDTH}, "objects": objects,
            "targets": {"audio": [{"object_id": t} for t in targets]}}


def test_rules_pick_the_expected_object():
    rec = record([obj(1, 0.20, 5.0, 0.8, (20, 20)), obj(2, 0.02, 1.0, 1.0, (80, 80)),
                  obj(3, 0.05, 3.0, 0.9, (50, 52))], targets=[1])
    got = sample_scores(rec)
    assert set(got) == set(RULES)
    assert got["largest"] == (1.0, pytest.approx(1 / 3))
    assert got["nearest"][0] == 0.0          # object 2 is nearest
    assert got["most_visible"][0] == 0.0     # object 2 is unoccluded
    assert got["centre"][0] == 0.0           # object 3 sits at the centre
    rec["targets"]["audio"] = [{"object_id": 3}]
    assert sample_scores(rec)["centre"] == (1.0, pytest.approx(1 / 3))


def test_ties_are_shared_and_two_targets_raise_chance():
    rec = record([obj(1, 0.1, 2.0, 1.0, (20, 20)), obj(2, 0.1, 2.0, 1.0, (80, 80)),
                  obj(3, 0.01, 9.0, 0.8, (30, 70)), obj(4, 0.01, 9.0, 0.8, (70, 30))], targets=[1])
    got = sample_scores(rec)
    assert got["largest"] == (pytest.approx(0.5), pytest.approx(0.25))   # tie between 1 and 2
    assert got["most_visible"] == (pytest.approx(0.5), pytest.approx(0.25))
    two = record(rec["objects"], targets=[1, 3])
    assert sample_scores(two)["largest"] == (pytest.approx(0.5), pytest.approx(0.5))


def test_samples_that_cannot_tell_are_skipped():
    alone = record([obj(1, 0.1, 2.0, 1.0, (50, 50)), obj(2, 0.1, 2.0, 1.0, (20, 20), visible=False)], targets=[1])
    assert sample_scores(alone) is None                       # one visible object: the pick is forced
    offscreen = record([obj(1, 0.1, 2.0, 1.0, (50, 50)), obj(2, 0.2, 1.0, 1.0, (20, 20))], targets=[])
    assert sample_scores(offscreen) is None                   # no audio target on an object
    hidden = record([obj(1, 0.1, 2.0, 1.0, (50, 50)), obj(2, 0.2, 1.0, 1.0, (20, 20)),
                     obj(3, 0.0, 4.0, 0.0, (70, 70), visible=False)], targets=[3])
    assert sample_scores(hidden) is None                      # the target is not visible
    tally = ShortcutTally()
    for rec in (alone, offscreen, hidden):
        tally.add(rec)
    assert tally.skipped == 3 and tally.results() == []
    assert "no sample" in baseline_lines(tally.to_dict())[0]


def synthetic(biased: bool, n: int, seed: int) -> ShortcutTally:
    """Records of 3-4 objects with i.i.d. attributes; ``biased`` makes the target the largest
    two times in three (otherwise the target is a uniformly drawn object)."""
    rng = np.random.default_rng(seed)
    tally = ShortcutTally()
    for _ in range(n):
        k = int(rng.integers(3, 5))
        objs = [obj(i + 1, float(rng.uniform(0.005, 0.3)), float(rng.uniform(1, 10)), float(rng.uniform(0.75, 1)),
                    (float(rng.uniform(10, 90)), float(rng.uniform(10, 90)))) for i in range(k)]
        target = int(rng.integers(1, k + 1))
        if biased and rng.random() < 2 / 3:
            target = max(objs, key=lambda o: o["area_fraction"])["id"]
        tally.add(record(objs, [target]))
    return tally


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unbiased_records_are_not_flagged_and_biased_ones_are(seed):
    fair = synthetic(False, 400, seed)
    assert fair.flagged == []
    for r in fair.results():
        assert abs(r.excess) < 0.08 and r.excess_low < 0 < r.excess_high or abs(r.excess) < FLAG_MARGIN
    unfair = synthetic(True, 400, seed)
    assert unfair.flagged == ["largest"]
    largest = next(r for r in unfair.results() if r.rule == "largest")
    assert largest.excess > 0.3 and largest.excess_low > FLAG_MARGIN


def test_a_small_biased_sample_is_not_flagged_on_noise():
    """Two samples where the largest happens to sound: excess 0.5 to 0.67, but no interval above zero."""
    tally = ShortcutTally()
    tally.add(record([obj(1, 0.2, 2, 1, (20, 20)), obj(2, 0.1, 2, 1, (80, 80))], [1]))
    tally.add(record([obj(1, 0.1, 2, 1, (20, 20)), obj(2, 0.2, 2, 1, (80, 80)), obj(3, 0.01, 2, 1, (50, 50))], [1]))
    assert tally.flagged == []


# -- a generated dataset ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def congruent(tmp_path_factory) -> Path:
    """Congruent samples with 3-4 objects (free field, 112 px): every object a candidate."""
    cwd = tmp_path_factory.mktemp("noshortcut")
    simulate("--spec", str(CONGRUENT), "--set", "samples=90", "--set", "image.width=112",
             "--set", "image.height=112", "--set", "audio.duration=0.25", "--set", "objects.count={int: [3, 4]}",
             "--set", "objects.max_distance_m=100", *FREE_FIELD, "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


def test_generated_dataset_has_no_shortcut(congruent):
    tally = ShortcutTally()
    records = read_records(congruent)
    for rec in records:
        tally.add(rec)
    results = {r.rule: r for r in tally.results()}
    assert results["largest"].samples >= 60
    assert tally.flagged == [], tally.summary_lines()
    for r in results.values():   # before distractors were matched: largest +29, nearest +46 points
        assert r.excess < 0.15, (r.rule, r.excess)
    others = tally.compared()["others"]["size_bin"]
    assert set(others) == {"size1", "size2", "size3"}, others   # distractors are drawn in every bin
    assert min(others.values()) >= 0.1 * sum(others.values()), others


def test_every_object_obeys_the_occlusion_rule_and_no_boxes_intersect(congruent):
    library = AssetLibrary(default_library_root(), "default")
    max_occlusion = 0.25   # the default objects.max_occlusion
    for rec in read_records(congruent):
        for o in rec["objects"]:
            if o["visible"]:
                assert o["visible_fraction"] >= 1 - max_occlusion - 1e-6, (rec["id"], o["id"], o["visible_fraction"])
        boxes = []
        for so in rec["scene"]["objects"]:
            rotation = pose_matrix(so["position_m"], so["yaw_deg"], so["pitch_deg"], so["roll_deg"], 1.0)[:3, :3]
            half = 0.5 * so["scale"] * np.asarray(library.mesh_asset(so["mesh"]).size_m, float)
            boxes.append((so["id"], np.asarray(so["position_m"], float), rotation, half))
        for i, (a, *box_a) in enumerate(boxes):
            for b, *box_b in boxes[i + 1:]:
                assert not boxes_intersect(*box_a, *box_b), (rec["id"], a, b)


def test_audit_and_stats_report_the_baselines(congruent, tmp_path, capsys):
    out = tmp_path / "audit.json"
    assert audit_main([str(congruent), "--no-checksums", "--json", str(out), "--fail-on-shortcut"]) == 0
    printed = capsys.readouterr().out
    assert "no-audio baselines" in printed and "largest" in printed and "FLAG" not in printed
    data = json.loads(out.read_text())
    blob = json.dumps(data)
    assert "no_audio_baselines" in blob and '"largest"' in blob
    stats_dir = tmp_path / "stats"
    stats_main([str(congruent), "--out", str(stats_dir)])
    stats = json.loads((stats_dir / "stats.json").read_text())
    assert set(stats["no_audio_baselines"]["rules"]) == set(RULES)


def test_fail_on_shortcut_flags_a_biased_dataset(congruent, tmp_path, capsys, monkeypatch):
    """Records edited so that the sounding object always has the largest mask: flagged, and with
    ``--fail-on-shortcut`` exit 1. The edit also breaks the area check (and the file sizes), so
    the label violations are cleared here to see the flag's own effect on the exit status."""
    import simulator.audit as audit

    biased = tmp_path / "biased"
    shutil.copytree(congruent, biased)
    for line in (biased / "manifest.jsonl").read_text().splitlines():
        path = biased / json.loads(line)["files"]["record"]
        rec = json.loads(path.read_text())
        visible = [o for o in rec["objects"] if o["visible"]]
        target = {t["object_id"] for t in rec["targets"]["audio"]}
        if visible:
            top = max(o["area_fraction"] for o in visible) + 0.01
            for o in visible:
                if o["id"] in target:
                    o["area_fraction"] = top
        path.write_text(json.dumps(rec))
    real = audit.audit_dataset

    def labels_cleared(root, checksums=True):
        report = real(root, checksums=checksums)
        report.failures.clear()
        report.dataset_violations.clear()
        return report

    monkeypatch.setattr(audit, "audit_dataset", labels_cleared)
    assert audit_main([str(biased), "--no-checksums", "--json", str(tmp_path / "a.json")]) == 0
    printed = capsys.readouterr().out
    assert "FLAG" in printed
    assert json.loads((tmp_path / "a.json").read_text())["no_audio_baselines"]["rules"]["largest"]["flagged"]
    assert audit_main([str(biased), "--no-checksums", "--fail-on-shortcut"]) == 1


def test_evaluate_object_rule_baselines_pick_from_the_record():
    """evaluate's no-audio rules put their map on the picked object's mask; random_object draws
    among the visible objects only, seeded by the sample."""
    pytest.importorskip("torch")
    from simulator.core.masks import encode_rle
    from training.evaluate import OBJECT_RULES, ObjectRulePredictor

    h = w = 20
    masks = {}
    for oid, (r0, c0, size) in {1: (0, 0, 8), 2: (10, 10, 4), 3: (12, 0, 3), 4: (0, 15, 5)}.items():
        m = np.zeros((h, w), bool)
        m[r0:r0 + size, c0:c0 + size] = True
        masks[oid] = m
    objects = [{**obj(1, 0.16, 5.0, 0.9, (4, 4)), "mask": encode_rle(masks[1])},
               {**obj(2, 0.04, 1.0, 1.0, (12, 12)), "mask": encode_rle(masks[2])},
               {**obj(3, 0.02, 3.0, 0.8, (1, 13)), "mask": encode_rle(masks[3])},
               {**obj(4, 0.5, 0.5, 1.0, (17, 2), visible=False), "mask": encode_rle(masks[4])}]
    rec = {"camera": {"width": w, "height": h}, "objects": objects}
    images = np.zeros((1, h, w, 3), np.uint8)
    expected = {"largest": 1, "nearest": 2, "most_visible": 2, "central_object": 2}
    for rule, oid in expected.items():
        p = ObjectRulePredictor(rule)
        p.records = {0: rec}
        got = p.maps(p.image_features(images, [0]), None, "main")[0]
        assert np.array_equal(got > 0, masks[oid]), rule
    picks = set()
    for seed in range(40):
        p = ObjectRulePredictor("random_object", seed)
        p.records = {0: rec}
        got = p.maps(p.image_features(images, [0]), None, "main")[0] > 0
        picks.add(next(oid for oid, m in masks.items() if np.array_equal(got, m)))
    assert picks == {1, 2, 3}   # never the invisible object 4
    assert set(OBJECT_RULES) == {"largest", "nearest", "most_visible", "central_object", "random_object"}
