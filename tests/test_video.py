"""Clips (`video: {fps, duration_s}`): frames at k / fps, per-frame labels that agree with the
frames, SELD rows from the trajectories, audio rendered along them, byte-identical replay."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import CONGRUENT, read_records, simulate
from simulator.core.masks import decode_rle
from simulator.core.scene import Scene
from simulator.core.scene_motion import frame_scene, head_frame, source_positions_m
from simulator.core.geometry import azimuth_deg, distance_m, elevation_deg
from simulator.video import SELD_RATE_HZ, read_strip_png

av = pytest.importorskip("av")

W, H, FPS, DURATION = 96, 64, 10.0, 1.0
CLIP = ["--set", f"image.width={W}", "--set", f"image.height={H}", "--set", f"audio.duration={DURATION}",
        "--set", f"video.fps={FPS}", "--set", "room.type=shoebox", "--set", "objects.count=2",
        "--set", "objects.motion.kind=linear", "--set", "objects.motion.speed_m_s={uniform: [0.5, 1.5]}",
        "--set", "listener.turn.kind=rate", "--set", "listener.turn.rate_deg_s={uniform: [-30, 30]}",
        "--set", "output.depth=true", "--set", "video.depth=true"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, list[dict]]:
    cwd = tmp_path_factory.mktemp("clips")
    simulate("--spec", str(CONGRUENT), "--set", "samples=4", *CLIP, "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out", read_records(cwd / "out")


def decode_frames(path: Path) -> tuple[np.ndarray, list[float]]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        return np.stack([f.to_ndarray(format="rgb24") for f in frames]), [float(f.time) for f in frames]


def test_mp4_frames_are_at_k_over_fps_and_frame0_is_the_still(clips):
    out, records = clips
    from PIL import Image

    for rec in records:
        frames, times = decode_frames(out / rec["files"]["video"])
        count = rec["video"]["frame_count"]
        assert count == math.floor(DURATION * FPS - 1e-9) + 1 == frames.shape[0]
        assert frames.shape[1:3] == (H, W)
        np.testing.assert_allclose(times, np.arange(count) / FPS, atol=1e-9)
        assert rec["video"]["times_s"] == [k / FPS for k in range(count)]
        still = np.asarray(Image.open(out / rec["files"]["image"]).convert("RGB"), float)
        assert np.mean(np.abs(frames[0].astype(float) - still)) < 4.0   # H.264 at qp 18 against the PNG


def test_frame_labels_agree_with_frames_and_trajectories(clips):
    out, records = clips
    moved = 0
    for rec in records:
        scene = Scene.from_dict(rec["scene"])
        ids = read_strip_png((out / rec["files"]["frame_ids"]).read_bytes(), H)
        depth = read_strip_png((out / rec["files"]["frame_depth"]).read_bytes(), H)
        assert ids.shape == depth.shape == (rec["video"]["frame_count"], H, W)
        for frame in rec["video"]["frames"]:
            k, t = frame["k"], frame["t_s"]
            assert t == k / FPS
            still = frame_scene(scene, t)
            for obj in frame["objects"]:
                mask = decode_rle(obj["mask"])
                assert np.array_equal(mask, ids[k] == obj["id"])      # the RLE is the id frame's
                assert obj["visible_pixels"] == int(mask.sum())
                assert np.all(depth[k][mask] > 0)
            for src in frame["sources"]:
                want = still.source_by_id(src["id"]).position_m
                np.testing.assert_allclose(src["position_m"], want, atol=1e-12)
                rel = head_frame(scene, np.asarray(want), t)
                assert src["azimuth_deg"] == pytest.approx(float(azimuth_deg(rel)), abs=1e-9)
                assert src["distance_m"] == pytest.approx(float(distance_m(rel)), abs=1e-12)
                if src["object_id"] is None or not src["on_screen"]:
                    continue
                u, v = src["pixel"]
                # an on-screen sounding source's pixel is on its own object: on its visible mask
                # when visible, else on a pixel that another object covers
                hit = ids[k][int(v), int(u)]
                if src["visible"]:
                    assert hit == src["object_id"]
                else:
                    assert hit not in (0, src["object_id"])
            if k:
                moved += any(o["position_m"] != rec["video"]["frames"][0]["objects"][i]["position_m"]
                             for i, o in enumerate(frame["objects"]))
    assert moved > 0


def test_seld_rows_follow_the_trajectories(clips):
    out, records = clips
    for rec in records:
        scene = Scene.from_dict(rec["scene"])
        rows = [tuple(int(x) for x in line.split(","))
                for line in (out / rec["files"]["seld"]).read_text().splitlines()]
        classes = rec["video"]["seld"]["classes"]
        frames = math.floor(DURATION * SELD_RATE_HZ - 1e-9) + 1
        assert len(rows) == frames * len(scene.sources)
        for f, cls, track, az, el, dist in rows:
            src = scene.source_by_id(track)
            assert classes[cls] == src.category
            t = f / SELD_RATE_HZ
            rel = head_frame(scene, source_positions_m(scene, track, t)[0], t)
            assert abs(az - float(azimuth_deg(rel))) <= 0.5 + 1e-9
            assert abs(el - float(elevation_deg(rel))) <= 0.5 + 1e-9
            assert abs(dist - 100.0 * float(distance_m(rel))) <= 0.5 + 1e-9


def test_audio_is_rendered_along_the_trajectory(clips):
    """The written audio is the moving render (not the still at t = 0, which differs from it)."""
    import soundfile as sf

    from simulator.scene_renderer import SceneRenderer

    out, records = clips
    renderer = SceneRenderer()
    try:
        compared = 0
        for rec in records:
            assert rec["audio"]["moving"] is True and "motion" in rec
            written, _ = sf.read(out / rec["files"]["audio"], dtype="float32")
            if np.max(np.abs(written)) < 100 / 32768:  # a clip window that is silent says nothing here
                continue
            scene = Scene.from_dict(rec["scene"])
            scene.video = None
            moving = renderer.render(scene).audio
            still = renderer.render(frame_scene(scene, 0.0)).audio   # the same Scene without its motion
            np.testing.assert_allclose(written.T, moving, atol=1.5 / 32768)
            assert moving.shape == still.shape
            assert np.max(np.abs(moving - still)) > 100 / 32768
            compared += 1
        assert compared >= 2
    finally:
        renderer.close()


def test_replay_is_byte_identical(clips, tmp_path):
    out, records = clips
    rec = records[1]
    record_path = out / rec["files"]["record"]
    proc = simulate("replay", str(record_path), "--out", str(tmp_path / "again"), cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for kind in ("video", "frame_ids", "frame_depth", "seld", "audio", "image", "record"):
        rel = rec["files"][kind]
        assert (tmp_path / "again" / rel).read_bytes() == (out / rel).read_bytes(), kind


@pytest.mark.parametrize("override,key", [
    (["--set", "video.fps=0"], "video.fps"),
    (["--set", "video.duration_s=5"], "video.duration_s"),
    (["--set", "room.type=polyhedron", "--set", "room.floor_plan=[[0,0],[5,0],[5,4],[0,4]]"], "room.type"),
    (["--set", "room.occlusion=true"], "room.occlusion"),
    (["--set", "output.rirs=true"], "output.rirs"),
    (["--set", "camera.projection=screen"], "video.fps"),
])
def test_bad_clip_specs_exit_2_naming_the_key(tmp_path, override, key):
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=1", *CLIP, *override, "--set", "output.dir=out",
                    cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert key in proc.stderr
    assert not (tmp_path / "out").exists()
