"""The audit can fail: hand-corrupted records and datasets break exactly the invariants they should.

One small dataset of every condition (with negative audio) is made by the real CLI; each test
takes a clean record of it, corrupts one thing and checks the audit names the broken invariant.
"""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.core import camera as cam
from simulator.core.masks import decode_rle, encode_rle
from simulator.audit import Violation, audit_dataset, audit_record, main as audit_main
from simulator.core.geometry import azimuth_deg, distance_m, elevation_deg, lateral_deg
from simulator.core.scene import Camera

from conftest import CONGRUENT, read_records, simulate

ALL_CONDITIONS = ["congruent", "conflict_vcue", "absent_vcue", "audio_only", "vision_only", "multi_instance",
                  "offscreen", "mixed"]
#: Work-around for a generator bug (objects kept behind a large target such as the 20 m train
#: end up beyond the default objects.max_distance_m = 30 m and the run aborts): see
#: tests/test_scenes.py::test_known_bug_large_meshes_abort_a_default_run.
WORKAROUND = ("--set", "objects.max_distance_m=100")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("audit")
    simulate("--spec", str(CONGRUENT), "--set", f"condition={{choice: [{', '.join(ALL_CONDITIONS)}]}}",
             "--set", "samples=40", "--set", "image.width=96", "--set", "image.height=96",
             "--set", "audio.duration=0.5", "--set", "objects.count={int: [2, 4]}",
             "--set", "negatives={silence: true, noise: true, offscreen: true}",
             "--set", "conditions.mixed.offscreen_probability=0.5", *WORKAROUND,
             "--set", "output.dir=out", "--quiet", cwd=cwd, check=False)
    info = json.loads((cwd / "out" / "dataset.json").read_text())
    assert len(info["failed"]) <= 4, info["failed"]  # a few layouts may not be realisable at 96 x 96: listed
    return cwd / "out"


@pytest.fixture(scope="module")
def clean(dataset) -> dict[str, list[dict]]:
    """Records without any violation, by condition."""
    out: dict[str, list[dict]] = {c: [] for c in ALL_CONDITIONS}
    for rec in read_records(dataset):
        if not audit_record(rec):
            out[rec["condition"]].append(rec)
    return out


def pick(clean, condition: str, where=lambda r: True) -> dict:
    for rec in clean[condition]:
        if where(rec):
            return copy.deepcopy(rec)
    pytest.skip(f"no clean {condition} record with the wanted property in the fixture dataset")


def checks(rec: dict) -> set[str]:
    return {v.check for v in audit_record(rec)}


# -- helpers that corrupt a record consistently (so only the intended invariant breaks) -----------

def _camera(rec) -> Camera:
    return cam.camera_from_record(rec["camera"])  # a tipped camera (floor support) keeps its pitch


def _angles(p) -> dict:
    p = np.asarray(p, dtype=float)
    return {"azimuth_deg": float(azimuth_deg(p)), "elevation_deg": float(elevation_deg(p)),
            "lateral_deg": float(lateral_deg(p)), "distance_m": float(distance_m(p))}


def add_hidden_object(rec: dict, category: str, position=(6.0, 0.5, 0.2)) -> int:
    """A fully occluded object of ``category`` (empty mask), consistent in record and Scene."""
    oid = max([o["id"] for o in rec["objects"]], default=0) + 1
    h, w = rec["camera"]["height"], rec["camera"]["width"]
    pin = cam.pinhole(_camera(rec))
    u, v, _ = pin.project(np.asarray(position, dtype=float))
    scene_obj = {"id": oid, "category": category, "mesh": f"default:meshes/{category}/{category}_01.glb",
                 "position_m": list(position), "yaw_deg": 0.0, "pitch_deg": 0.0, "roll_deg": 0.0, "scale": 1.0,
                 "sounding": False, "role": "distractor"}
    rec["objects"].append({**{k: scene_obj[k] for k in ("id", "category", "mesh", "position_m", "yaw_deg",
                                                        "sounding", "role")},
                           **_angles(position), "pixel_center": [float(u), float(v)], "visible": False,
                           "visible_pixels": 0, "visible_fraction": 0.0, "area_fraction": 0.0, "size_bin": None,
                           "bbox": None, "mask": encode_rle(np.zeros((h, w), bool))})
    rec["scene"]["objects"].append(scene_obj)
    return oid


def move_source(rec: dict, sid: int, u: float, v: float, depth: float) -> None:
    """Put source ``sid`` behind pixel (u, v), updating its annotation, its target and the Scene."""
    camera = _camera(rec)
    p = [float(x) for x in cam.source_at_pixel(camera, u, v, depth)]
    px = cam.source_pixel(camera, p)
    fields = {"position_m": p, **_angles(p), "pixel": None if px is None else [px[0], px[1]]}
    src = next(s for s in rec["sources"] if s["id"] == sid)
    src.update(fields, on_screen=cam.source_on_screen(camera, p))
    for t in rec["targets"]["audio"]:
        if t["source_id"] == sid:
            t.update(fields)
    next(s for s in rec["scene"]["sources"] if s["id"] == sid)["position_m"] = p


def background_pixel(rec: dict) -> tuple[float, float]:
    h, w = rec["camera"]["height"], rec["camera"]["width"]
    taken = np.zeros((h, w), bool)
    for o in rec["objects"]:
        taken |= decode_rle(o["mask"])
    rows, cols = np.nonzero(~taken)
    k = len(rows) // 2
    return cols[k] + 0.5, rows[k] + 0.5


def object_of(rec: dict, oid: int) -> dict:
    return next(o for o in rec["objects"] if o["id"] == oid)


def audio_category(rec: dict) -> str:
    return rec["sources"][0]["category"]


# -- the fixture is sound ----------------------------------------------------------------------

def test_fixture_dataset_covers_every_condition_cleanly(dataset, clean):
    report = audit_dataset(dataset)
    known = {"audio_only.size_bin"}  # generator bug (clipped point-target disks), see test_conditions
    bad = [(f.id, [str(v) for v in f.violations]) for f in report.failures
           if {v.check for v in f.violations} - known]
    assert not bad and not report.dataset_violations
    assert set(report.per_condition) == set(ALL_CONDITIONS)
    assert all(clean[c] for c in ALL_CONDITIONS)


# -- generic invariants ----------------------------------------------------------------------------

def test_flipped_sounding_flag(clean):
    rec = pick(clean, "congruent")
    target = rec["targets"]["audio"][0]["object_id"]
    object_of(rec, target)["sounding"] = False
    assert {"sounding.flag", "congruent.sounding"} <= checks(rec)
    rec = pick(clean, "congruent")
    other = next((o for o in rec["objects"] if not o["sounding"]), None)
    if other is not None:
        other["sounding"] = True
        assert "sounding.flag" in checks(rec)


def test_source_moved_off_its_object(clean):
    rec = pick(clean, "congruent")
    sid = rec["sources"][0]["id"]
    u, v = background_pixel(rec)
    move_source(rec, sid, u, v, 3.0)
    assert checks(rec) == {"source.on_object", "target.pixel"}


def test_duplicate_ids_and_overlapping_masks(clean):
    rec = pick(clean, "congruent", lambda r: len(r["objects"]) >= 2)
    rec["objects"][1]["id"] = rec["objects"][0]["id"]
    assert "ids.unique" in checks(rec)
    rec = pick(clean, "congruent", lambda r: sum(o["visible"] for o in r["objects"]) >= 2)
    a, b = [o for o in rec["objects"] if o["visible"]][:2]
    for key in ("mask", "visible_pixels", "area_fraction", "size_bin", "bbox"):
        b[key] = copy.deepcopy(a[key])
    assert "mask.disjoint" in checks(rec)


def test_mask_bookkeeping(clean):
    rec = pick(clean, "absent_vcue")
    obj = rec["objects"][0]
    obj["area_fraction"] *= 1.5
    obj["visible_pixels"] += 1
    obj["bbox"] = [0, 0, 1, 1]
    got = checks(rec)
    assert {"mask.area", "mask.pixels", "mask.bbox"} <= got


def test_angles_must_follow_the_position(clean):
    rec = pick(clean, "conflict_vcue")
    rec["sources"][0]["azimuth_deg"] += 3.0
    assert "angles.geometry" in checks(rec)
    rec = pick(clean, "conflict_vcue")
    rec["objects"][0]["distance_m"] *= 1.1
    assert checks(rec) == {"angles.geometry"}


def test_target_must_repeat_its_source_and_object(clean):
    rec = pick(clean, "congruent")
    rec["targets"]["audio"][0]["category"] = "not-a-category"
    rec["targets"]["audio"][0]["size_bin"] = "size9"
    assert "target.fields" in checks(rec)


def test_files_of_another_sample_and_scene_mismatch(clean):
    rec = pick(clean, "congruent")
    rec["files"]["audio"] = "samples/0000/9999999.flac"
    assert "files.path" in checks(rec)
    rec = pick(clean, "congruent")
    rec["scene"]["objects"][0]["category"] = "elsewhere"
    assert checks(rec) == {"scene.mismatch"}


def test_malformed_record_is_reported_not_raised():
    got = audit_record({"index": 3, "id": "0000003"})
    assert [v.check for v in got] == ["record.fields"]
    assert isinstance(got[0], Violation) and "missing" in str(got[0])


# -- per condition -----------------------------------------------------------------------------------

def test_congruent_second_instance_and_size_bin(clean):
    rec = pick(clean, "congruent")
    add_hidden_object(rec, audio_category(rec))
    assert checks(rec) == {"congruent.instances"}
    rec = pick(clean, "congruent")
    wrong = next(b for b in ("size1", "size2", "size3") if b != rec["size_bin"])
    rec["size_bin"] = rec["scene"]["size_bin"] = wrong
    assert checks(rec) == {"congruent.size_bin"}


def test_conflict_semantic_object_must_be_silent_and_present(clean):
    rec = pick(clean, "conflict_vcue")
    semantic = rec["targets"]["semantic"][0]
    rec["targets"]["semantic"] = rec["scene"]["targets"]["semantic"] = []
    assert "conflict_vcue.semantic" in checks(rec)
    rec = pick(clean, "conflict_vcue")
    obj = object_of(rec, semantic)
    obj["category"] = "zebra"
    next(o for o in rec["scene"]["objects"] if o["id"] == semantic)["category"] = "zebra"
    assert {"conflict_vcue.semantic_object", "conflict_vcue.semantic"} <= checks(rec)
    rec = pick(clean, "conflict_vcue")
    target = object_of(rec, rec["targets"]["audio"][0]["object_id"])
    target["category"] = audio_category(rec)
    assert "conflict_vcue.target_category" in checks(rec)


def test_absent_vcue_object_of_the_audio_category(clean):
    rec = pick(clean, "absent_vcue")
    add_hidden_object(rec, audio_category(rec))
    assert checks(rec) == {"absent_vcue.absent"}


def test_audio_only_needs_an_empty_image_and_its_disk(clean):
    rec = pick(clean, "audio_only")
    rec["image_content"] = "rendered"
    assert "audio_only.image" in checks(rec)
    rec = pick(clean, "audio_only")
    add_hidden_object(rec, "dog")
    assert "audio_only.objects" in checks(rec)
    rec = pick(clean, "audio_only")
    wrong = next(b for b in ("size1", "size2", "size3") if b != rec["size_bin"])
    rec["size_bin"] = rec["scene"]["size_bin"] = wrong
    assert checks(rec) == {"audio_only.size_bin"}
    rec = pick(clean, "audio_only")
    del rec["targets"]["audio"][0]["disk"]
    assert {"audio_only.disk", "target.region"} <= checks(rec)


def test_vision_only_has_no_sound(clean):
    rec = pick(clean, "vision_only")
    rec["audio"]["content"] = "rendered"
    assert {"vision_only.audio", "vision_only.negative"} <= checks(rec)
    rec = pick(clean, "vision_only")
    rec["targets"]["negative"] = rec["scene"]["targets"]["negative"] = None
    assert "vision_only.negative" in checks(rec)
    rec = pick(clean, "vision_only")
    rec["targets"]["semantic"] = rec["scene"]["targets"]["semantic"] = []
    assert "vision_only.semantic" in checks(rec)


def test_multi_instance_one_sounding_all_semantic(clean):
    rec = pick(clean, "multi_instance")
    target = rec["targets"]["audio"][0]["object_id"]
    twin = next(i for i in rec["targets"]["semantic"] if i != target)
    rec["targets"]["semantic"] = rec["scene"]["targets"]["semantic"] = [target]
    assert checks(rec) == {"multi_instance.semantic"}
    rec = pick(clean, "multi_instance")
    object_of(rec, twin)["sounding"] = True
    assert {"multi_instance.sounding", "sounding.flag"} <= checks(rec)
    rec = pick(clean, "multi_instance", lambda r: len(r["targets"]["semantic"]) == 2)
    target = rec["targets"]["audio"][0]["object_id"]
    twin = next(i for i in rec["targets"]["semantic"] if i != target)
    object_of(rec, twin)["category"] = "zebra"
    got = checks(rec)
    assert "multi_instance.instances" in got and "multi_instance.semantic" in got


def test_offscreen_source_marked_on_screen(clean):
    rec = pick(clean, "offscreen")
    rec["sources"][0]["on_screen"] = True
    assert {"source.on_screen", "offscreen.source"} <= checks(rec)
    rec = pick(clean, "offscreen")
    move_source(rec, rec["sources"][0]["id"], *background_pixel(rec), 3.0)
    assert "offscreen.source" in checks(rec)
    rec = pick(clean, "offscreen")
    rec["targets"]["negative"] = rec["scene"]["targets"]["negative"] = None
    assert "offscreen.negative" in checks(rec)
    rec = pick(clean, "offscreen")
    add_hidden_object(rec, audio_category(rec))
    assert checks(rec) == {"offscreen.category"}


def test_mixed_needs_stems_and_a_target_per_on_screen_source(clean):
    rec = pick(clean, "mixed")
    del rec["files"][f"stem_s{rec['sources'][-1]['id']}"]
    assert "mixed.stems" in checks(rec)
    rec = pick(clean, "mixed", lambda r: len(r["targets"]["audio"]) >= 2)
    dropped = rec["targets"]["audio"].pop()
    rec["scene"]["targets"]["audio"].remove(dropped["source_id"])
    assert checks(rec) == {"mixed.targets"}
    rec = pick(clean, "mixed")
    rec["sources"] = rec["sources"][:1]
    assert "mixed.sources" in checks(rec)


def test_negatives(clean):
    rec = pick(clean, "congruent", lambda r: "negatives" in r)
    assert [n["kind"] for n in rec["negatives"]] == ["silence", "noise", "offscreen"]
    off = next(n for n in rec["negatives"] if n["kind"] == "offscreen")
    off["source"]["category"] = rec["objects"][0]["category"]
    assert checks(rec) == {"negatives.category"}
    rec = pick(clean, "congruent", lambda r: "negatives" in r)
    del rec["files"]["negative_noise"]
    assert "negatives.files" in checks(rec)
    rec = pick(clean, "congruent", lambda r: "negatives" in r)
    off = next(n for n in rec["negatives"] if n["kind"] == "offscreen")
    off["source"]["on_screen"] = True
    assert "negatives.offscreen" in checks(rec)
    rec = pick(clean, "vision_only")
    rec["negatives"] = [{"kind": "silence", "file": rec["files"]["audio"]}]
    assert "negatives.target" in checks(rec)


# -- a dataset on disk ---------------------------------------------------------------------------------

def test_dataset_files_and_counts(dataset, tmp_path, capsys):
    work = tmp_path / "copy"
    shutil.copytree(dataset, work)
    assert audit_main([str(work), "--json", str(tmp_path / "ok.json")]) in (0, 1)
    records = read_records(work)
    rec = records[3]
    (work / rec["files"]["image"]).unlink()
    audio = work / rec["files"]["audio"]
    data = bytearray(audio.read_bytes())
    data[-1] ^= 0xFF
    audio.write_bytes(bytes(data))
    info = json.loads((work / "dataset.json").read_text())
    cond = next(iter(info["counts"]["condition"]))
    info["counts"]["condition"][cond] += 1
    (work / "dataset.json").write_text(json.dumps(info))
    report = audit_dataset(work)
    failed = next(f for f in report.failures if f.index == 3)
    assert {"files.exist", "files.sha256"} <= {v.check for v in failed.violations}
    assert "dataset.counts" in {v.check for v in report.dataset_violations}
    assert "files.sha256" not in {v.check for f in audit_dataset(work, checksums=False).failures
                                  for v in f.violations}
    capsys.readouterr()
    assert audit_main([str(work), "--json", str(tmp_path / "bad.json")]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "dataset.counts" in out and "0000003" in out
    full = json.loads((tmp_path / "bad.json").read_text())
    assert not full["ok"] and any(f["id"] == "0000003" for f in full["failures"])


def test_exit_status_two_without_a_dataset(tmp_path, capsys):
    assert audit_main([str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert audit_main([str(tmp_path / "empty")]) == 2
    assert "not a dataset" in capsys.readouterr().err


def test_clean_dataset_exits_zero(dataset, capsys):
    report = audit_dataset(dataset)
    assert audit_main([str(dataset)]) == (0 if report.ok else 1)
    out = capsys.readouterr().out
    assert ("OK" if report.ok else "FAILED") in out.splitlines()[-1]


def test_simulate_audit_subcommand(dataset, tmp_path):
    from simulator.cli import SUBCOMMANDS

    if "audit" not in SUBCOMMANDS:
        pytest.skip("`simulate audit` is not wired into simulator/cli.py yet")
    proc = simulate("audit", str(dataset), cwd=tmp_path, check=False)
    assert proc.returncode in (0, 1) and "samples" in proc.stdout
    assert simulate("audit", str(tmp_path / "missing"), cwd=tmp_path, check=False).returncode == 2
