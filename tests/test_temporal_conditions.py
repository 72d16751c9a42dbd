"""Clip conditions (leaves_view, enters_view, turns_towards, cross_event), onsets and offsets, AVATAR segment kinds
per frame, and the per-frame audit: the datasets pass it, each event happens when the record says,
and tampered labels fail it."""
from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import CONGRUENT, read_records, simulate
from simulator.activity import RAMP_S, active_at, gate
from simulator.audit import audit_dataset
from simulator.clip_audit import ClipAudit
from simulator.conditions.segments import FrameView, segment_of
from simulator.core.masks import decode_rle
from simulator.core.scene import Scene, Source
from simulator.core.scene_motion import head_yaw_deg

av = pytest.importorskip("av")

W, H, FPS, DURATION = 80, 60, 10.0, 1.5
CLIP = ["--set", f"image.width={W}", "--set", f"image.height={H}", "--set", f"audio.duration={DURATION}",
        "--set", f"video.fps={FPS}", "--set", "objects.count={int: [1, 3]}"]


def make(cwd: Path, condition: str, samples: int = 3, *extra: str) -> tuple[Path, list[dict]]:
    simulate("--spec", str(CONGRUENT), "--set", f"samples={samples}", "--set", f"condition={condition}", *CLIP,
             *extra, "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out", read_records(cwd / "out")


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, tuple[Path, list[dict]]]:
    out = {}
    for condition in ("leaves_view", "enters_view", "turns_towards"):
        out[condition] = make(tmp_path_factory.mktemp(condition), condition)
    out["cross_event"] = make(tmp_path_factory.mktemp("cross_event"), "cross_event", 3,
                              "--set", "room.type=free_field", "--set", "background.kind=color",
                              "--set", "output.stems=true")
    return out


def frames_of(rec: dict, source_id: int) -> list[tuple[float, dict]]:
    return [(f["t_s"], next(s for s in f["sources"] if s["id"] == source_id)) for f in rec["video"]["frames"]]


# -- the conditions' datasets ------------------------------------------------------------------------

@pytest.mark.parametrize("condition", ["leaves_view", "enters_view", "turns_towards", "cross_event"])
def test_clip_condition_datasets_pass_the_audit(datasets, condition):
    root, records = datasets[condition]
    report = audit_dataset(root)
    assert report.ok, report.summary()
    assert report.clips.clips == len(records) == 3
    assert report.clips.events == {condition: 3}
    assert report.clips.frames == sum(r["video"]["frame_count"] for r in records)


def test_leaves_view_the_sounding_object_walks_out(datasets):
    root, records = datasets["leaves_view"]
    for rec in records:
        event = rec["video"]["event"]
        src = next(s for s in rec["sources"] if s["id"] == event["source_id"])
        assert src["placement"] == "object" and src["on_screen"]
        assert 0 < event["t_s"] < DURATION
        frames = frames_of(rec, src["id"])
        assert all(s["on_screen"] for t, s in frames if t < event["t_s"])
        assert not any(s["on_screen"] for t, s in frames if t > event["t_s"] + 0.002)
        assert any(t > event["t_s"] for t, _ in frames)
        # the object itself moves (its record trajectory), horizontally, and shows less and less
        motion = next(o for o in rec["motion"]["objects"] if o["id"] == src["object_id"])
        assert motion["motion"]["kind"] == "linear" and motion["motion"]["elevation_deg"] == 0.0
        z = np.asarray(motion["positions_m"])[:, 2]
        assert np.ptp(z) < 1e-9
        first = rec["video"]["frames"][0]["objects"]
        last = rec["video"]["frames"][-1]["objects"]
        area = lambda objs: next(o["visible_pixels"] for o in objs if o["id"] == src["object_id"])  # noqa: E731
        assert area(last) < area(first)
        assert rec["video"]["frames"][0]["segment"] == "single"
        assert rec["video"]["frames"][-1]["segment"] == "offscreen"


def test_enters_view_the_sound_walks_in_and_stays(datasets):
    root, records = datasets["enters_view"]
    for rec in records:
        event = rec["video"]["event"]
        src = next(s for s in rec["sources"] if s["id"] == event["source_id"])
        assert src["placement"] == "offscreen" and not src["on_screen"]
        traj = next(s for s in rec["motion"]["sources"] if s["id"] == src["id"])
        assert traj["motion"]["kind"] == "waypoints" and len(traj["motion"]["legs"]) == 1
        path = np.asarray(traj["positions_m"])
        # it walks towards its end place, then stays there (in view, inside the image margin)
        end = np.asarray(traj["motion"]["legs"][0]["to_m"])
        np.testing.assert_allclose(path[-1], end, atol=1e-9)
        assert np.linalg.norm(path[0] - end) > 0.3
        frames = frames_of(rec, src["id"])
        assert not frames[0][1]["on_screen"]
        assert all(s["on_screen"] for t, s in frames if t > event["t_s"] + 0.002)
        assert not any(s["on_screen"] for t, s in frames if t < event["t_s"] - 0.002)
        u, v = frames[-1][1]["pixel"]
        assert 0.1 * W - 1e-6 <= u <= 0.9 * W + 1e-6 and 0.1 * H - 1e-6 <= v <= 0.9 * H + 1e-6
        assert rec["audio"]["moving"] is True
        assert {o["category"] for o in rec["objects"]}.isdisjoint({src["category"]})


def test_turns_towards_the_head_turns_until_the_sound_is_in_view(datasets):
    root, records = datasets["turns_towards"]
    for rec in records:
        event = rec["video"]["event"]
        src = next(s for s in rec["sources"] if s["id"] == event["source_id"])
        assert src["placement"] == "offscreen" and not src["on_screen"]
        scene = Scene.from_dict(rec["scene"])
        turn = scene.listener.turn
        assert turn is not None and len(turn.legs) == 1
        total = turn.legs[0].to_deg - turn.start_deg
        # it turns the way the sound is, by about the sound's azimuth at t = 0
        assert np.sign(total) == np.sign(src["azimuth_deg"]) or abs(src["azimuth_deg"]) > 120
        assert abs(total) == pytest.approx(abs(src["azimuth_deg"]), abs=0.5 * rec["camera"]["hfov_deg"] + 1)
        frames = frames_of(rec, src["id"])
        assert not frames[0][1]["on_screen"]
        assert all(s["on_screen"] for t, s in frames if t > event["t_s"] + 0.002)
        # the head yaw at the end of the clip is the turned one, and the sound is within the field of view
        end = float(head_yaw_deg(scene, [DURATION])[0])
        assert end == pytest.approx(turn.legs[0].to_deg)
        assert abs(frames[-1][1]["azimuth_deg"]) < 0.5 * rec["camera"]["hfov_deg"]
        assert rec["audio"]["moving"] is True


def test_cross_event_switches_the_sounding_source(datasets):
    root, records = datasets["cross_event"]
    for rec in records:
        event = rec["video"]["event"]
        target = next(s for s in rec["sources"] if s["id"] == event["source_id"])
        first = next(s for s in rec["sources"] if s["id"] != event["source_id"])
        assert target["onset_s"] == first["offset_s"] == event["t_s"]
        assert first["placement"] == "offscreen"
        sr = rec["audio"]["sample_rate"]
        stems = {s["id"]: sf.read(root / rec["files"][f"stem_s{s['id']}"], always_2d=True)[0]
                 for s in rec["sources"]}
        switch = int(event["t_s"] * sr)
        # in free field nothing of the target arrives before its onset, nothing of the first after
        # its offset plus the longest propagation delay and the head's response
        assert np.abs(stems[target["id"]][:switch]).max() == 0.0
        assert np.abs(stems[target["id"]][switch:]).max() > 0.0
        late = switch + int((first["distance_m"] / 343.0 + 0.03) * sr) + 64
        assert np.abs(stems[first["id"]][:switch]).max() > 0.0
        assert np.abs(stems[first["id"]][late:]).max() < 1e-6
        segments = [(f["t_s"], f["segment"]) for f in rec["video"]["frames"]]
        assert all(seg == "offscreen" for t, seg in segments if t < event["t_s"])
        assert all(seg in ("single", "offscreen") for t, seg in segments if t >= event["t_s"])
        rows = np.loadtxt(root / rec["files"]["seld"], delimiter=",", dtype=int, ndmin=2)
        for f, _, track, *_ in rows:
            emitting = target if track == target["id"] else first
            assert (f / 10.0 >= event["t_s"]) == (emitting is target)


def test_replay_of_a_clip_condition_is_byte_identical(datasets, tmp_path):
    root, records = datasets["turns_towards"]
    rec = records[0]
    proc = simulate("replay", str(root / rec["files"]["record"]), "--out", str(tmp_path / "again"), cwd=tmp_path,
                    check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for kind in ("video", "frame_ids", "seld", "audio", "image", "record"):
        rel = rec["files"][kind]
        assert (tmp_path / "again" / rel).read_bytes() == (root / rel).read_bytes(), kind


# -- the audit fails tampered clips ------------------------------------------------------------------

def _tampered(root: Path, tmp_path: Path, edit) -> set[str]:
    copy_root = tmp_path / "copy"
    shutil.copytree(root, copy_root)
    rec_path = next(p for p in (copy_root / "samples").rglob("*.json"))
    rec = json.loads(rec_path.read_text())
    edit(rec, copy_root)
    rec_path.write_text(json.dumps(rec))
    report = audit_dataset(copy_root, checksums=False)
    return {v.check for f in report.failures for v in f.violations}


def _flip_after_event(rec, root):
    event = rec["video"]["event"]
    for frame in rec["video"]["frames"]:
        if frame["t_s"] > event["t_s"] + 0.01:
            src = next(s for s in frame["sources"] if s["id"] == event["source_id"])
            src["on_screen"] = True
            break


def _move_event(rec, root):
    rec["video"]["event"]["t_s"] = rec["video"]["duration_s"] * 0.99


def _relabel_segment(rec, root):
    rec["video"]["frames"][0]["segment"] = "mixed"


def _silence_in_label(rec, root):
    rec["video"]["frames"][0]["sources"][0]["active"] = False


def _pixel_off_mask(rec, root):
    frame = rec["video"]["frames"][0]
    src = next(s for s in frame["sources"] if s.get("visible"))
    mask = decode_rle(next(o["mask"] for o in frame["objects"] if o["id"] == src["object_id"]))
    v, u = np.argwhere(~mask)[0]
    src["pixel"] = [float(u) + 0.5, float(v) + 0.5]


def _drop_seld_row(rec, root):
    path = root / rec["files"]["seld"]
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))


@pytest.mark.parametrize("edit,checks", [
    (_flip_after_event, {"leaves_view.frames", "clip.on_screen"}),
    (_move_event, {"leaves_view.frames"}),
    (_relabel_segment, {"clip.segment"}),
    (_silence_in_label, {"clip.active"}),
    (_pixel_off_mask, {"clip.pixel_in_mask"}),
    (_drop_seld_row, {"clip.seld"}),
])
def test_the_audit_finds_tampered_clip_labels(datasets, tmp_path, edit, checks):
    root, _ = datasets["leaves_view"]
    found = _tampered(root, tmp_path, edit)
    assert checks <= found, found


def test_a_clip_condition_without_its_clip_fails_the_audit(datasets):
    _, records = datasets["cross_event"]
    rec = copy.deepcopy(records[0])
    del rec["video"]
    assert [v.check for v in ClipAudit().check(rec)] == ["clip.missing"]


# -- spec errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("override,key", [
    (["--set", "video.fps=null"], "condition"),
    (["--set", "listener.turn.kind=rate"], "listener.turn.kind"),
    (["--set", "listener.motion.kind=linear"], "listener.motion.kind"),
    (["--set", "room.occlusion=true"], "room.occlusion"),
    (["--set", "source.activity.onset_s=-1", "--set", "source.activity.kind=gated"], "source.activity.onset_s"),
])
def test_bad_clip_condition_specs_exit_2_naming_the_key(tmp_path, override, key):
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=1", "--set", "condition=leaves_view", *CLIP,
                    *override, "--set", "output.dir=out", cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert key in proc.stderr
    assert not (tmp_path / "out").exists()


# -- onsets and offsets -----------------------------------------------------------------------------

def test_gate_is_zero_outside_one_inside_with_raised_cosine_ramps():
    sr, n = 16000, 16000
    src = Source(id=1, category="dog", clip="x", position_m=(1.0, 0.0, 0.0), onset_s=0.25, offset_s=0.75)
    g = gate(src, sr, n)
    t = np.arange(n) / sr
    assert np.all(g[t < 0.25] == 0) and np.all(g[t >= 0.75] == 0)
    assert np.all(g[(t >= 0.25 + RAMP_S) & (t < 0.75 - RAMP_S)] == 1)
    ramp = g[(t >= 0.25) & (t < 0.25 + RAMP_S)]
    assert np.all(np.diff(ramp) > 0) and ramp[0] == 0.0
    np.testing.assert_allclose(ramp, 0.5 - 0.5 * np.cos(np.pi * (t[(t >= 0.25) & (t < 0.25 + RAMP_S)] - 0.25)
                                                       / RAMP_S), atol=1e-6)
    assert gate(Source(id=1, category="dog", clip="x", position_m=(1.0, 0.0, 0.0)), sr, n) is None
    assert list(active_at(src, [0.0, 0.25, 0.5, 0.75])) == [False, True, True, False]


def test_segment_kinds_follow_avatar():
    seen = lambda *ids: ids  # noqa: E731
    cats = {1: "dog", 2: "cat"}
    view = lambda active, seen_ids, visible: FrameView(tuple(active), tuple(seen_ids), cats, {1: 1, 2: None},  # noqa: E731
                                                       visible)
    assert segment_of(view([], [], {1: "dog"})) == "silent"
    assert segment_of(view([2], [], {1: "dog"})) == "offscreen"
    assert segment_of(view([1, 2], seen(1), {1: "dog"})) == "mixed"
    assert segment_of(view([1], seen(1), {1: "dog", 5: "dog"})) == "multi_entity"
    assert segment_of(view([1], seen(1), {1: "dog", 5: "cow"})) == "single"


def test_gated_sources_are_silent_outside_their_interval(tmp_path):
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=3", "--set", "image.width=64",
                    "--set", "image.height=48", "--set", "audio.duration=1.0", "--set", "room.type=free_field",
                    "--set", "background.kind=color", "--set", "output.stems=true",
                    "--set", "source.activity.kind=gated", "--set", "source.activity.onset_s={uniform: [0.2, 0.4]}",
                    "--set", "source.activity.active_s=0.3", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0
    root = tmp_path / "out"
    records = read_records(root)
    for rec in records:
        sr = rec["audio"]["sample_rate"]
        for src in rec["sources"]:
            assert 0.2 <= src["onset_s"] <= 0.4 and src["offset_s"] == pytest.approx(src["onset_s"] + 0.3)
            x = sf.read(root / rec["files"][f"stem_s{src['id']}"], always_2d=True)[0]
            on = int(math.floor(src["onset_s"] * sr))
            off = int(math.ceil((src["offset_s"] + src["distance_m"] / 343.0 + 0.03) * sr)) + 64
            assert np.abs(x[:on]).max() == 0.0
            assert np.abs(x[on:off]).max() > 0.0
            assert np.abs(x[off:]).max() < 1e-6
    assert audit_dataset(root).ok


@pytest.mark.parametrize("edit,field", [
    (lambda s: s["sources"][0].update(onset_s=0.9, offset_s=0.5), "sources[0]"),
    (lambda s: s["sources"][0].update(onset_s=50.0), "sources[0]"),
    (lambda s: s["video"]["event"].update(kind="congruent"), "video.event.kind"),
    (lambda s: s["video"]["event"].update(source_id=99), "video.event.source_id"),
])
def test_replaying_a_scene_with_a_bad_time_course_exits_2_naming_the_field(datasets, tmp_path, edit, field):
    root, records = datasets["cross_event"]
    rec = copy.deepcopy(records[0])
    edit(rec["scene"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rec))
    proc = simulate("replay", str(path), "--out", str(tmp_path / "again"), cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert field in proc.stderr
    assert not (tmp_path / "again").exists()
