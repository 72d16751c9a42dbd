"""End to end through the real CLI: labels are exact, output is deterministic and resumable."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfiltfilt
from PIL import Image

from simulator.core.masks import decode_rle
from simulator.core.geometry import PinholeCamera, azimuth_deg, distance_m, elevation_deg, lateral_deg
from simulator.core.size_bins import SIZE_BINS

from conftest import CONGRUENT, FREE_FIELD, read_records, simulate, tree_digest


def _itd_samples(left: np.ndarray, right: np.ndarray, max_lag: int) -> tuple[float, float]:
    """Lag (samples) by which the right channel trails the left: GCC-PHAT peak (whitened, so
    tonal clips do not alias; the floor keeps empty bands from adding phase noise) with parabolic
    interpolation (positive: the left ear hears it first); and the ambiguity of that peak, the
    highest other peak (more than 3 lags away) over it: near 1 for a periodic clip (a beeping
    alarm), whose interaural lag is only known up to its period."""
    n = left.size + right.size
    spec = np.fft.rfft(right, n) * np.conj(np.fft.rfft(left, n))
    spec /= np.abs(spec) + 1e-3 * np.abs(spec).max()
    cc = np.fft.irfft(spec, n)
    cc = np.concatenate([cc[-max_lag:], cc[: max_lag + 1]])
    k = int(np.argmax(cc))
    others = cc.copy()
    others[max(0, k - 3): k + 4] = -np.inf
    ambiguity = float(others.max() / cc[k])
    lag = float(k)
    if 0 < k < cc.size - 1:
        a, b, c = cc[k - 1], cc[k], cc[k + 1]
        lag = k + 0.5 * (a - c) / (a - 2 * b + c)
    return lag - max_lag, ambiguity


def test_every_sample_is_labelled_exactly(congruent_dataset: Path):
    records = read_records(congruent_dataset)
    assert len(records) == 36
    for rec in records:
        cam = rec["camera"]
        target = rec["targets"]["audio"][0]
        obj = next(o for o in rec["objects"] if o["id"] == target["object_id"])
        mask = decode_rle(obj["mask"])
        assert mask.shape == (cam["height"], cam["width"])
        # the target's 3D position projects to a pixel inside its own mask
        pin = PinholeCamera(cam["width"], cam["height"], cam["hfov_deg"], tuple(cam["position_m"]))
        u, v, depth = pin.project(np.asarray(target["position_m"]))
        assert depth > 0
        assert mask[int(np.floor(v)), int(np.floor(u))], f"sample {rec['index']}: target pixel outside its mask"
        assert np.allclose([u, v], target["pixel"])
        # its mask area lies in the requested size bin
        lo, hi = SIZE_BINS[rec["size_bin"]]
        area = mask.mean()
        assert lo < area <= hi and area == pytest.approx(obj["area_fraction"])
        assert obj["size_bin"] == rec["size_bin"]
        # stored angles agree with the geometry
        p = np.asarray(target["position_m"])
        assert target["azimuth_deg"] == pytest.approx(float(azimuth_deg(p)))
        assert target["elevation_deg"] == pytest.approx(float(elevation_deg(p)))
        assert target["distance_m"] == pytest.approx(float(distance_m(p)))
        # congruent: exactly one object of the audio's category, and it is the target
        same = [o for o in rec["objects"] if o["category"] == target["category"]]
        assert [o["id"] for o in same] == [obj["id"]]
        assert rec["targets"]["semantic"] == [obj["id"]]


def test_audio_level_and_time_differences_point_to_the_target(congruent_dataset: Path):
    checked = 0
    for rec in read_records(congruent_dataset):
        target = rec["targets"]["audio"][0]
        audio, sr = sf.read(congruent_dataset / rec["files"]["audio"], always_2d=True)
        assert audio.shape == (int(round(rec["audio"]["duration_s"] * sr)), 2)
        left, right = audio[:, 0], audio[:, 1]
        lateral = target["lateral_deg"]
        if abs(lateral) < 5.0:
            continue
        side = np.sign(lateral)  # + : source on the left
        # the level difference below 0.4 fs, where the renderer's fractional delays are exact
        # (renderers/acoustic/free_field.py); above it their interpolators roll off differently per
        # ear, which can outweigh the 1/r difference of a source a few metres away (about 0.2 dB)
        low = butter(8, 0.4 * sr, "low", fs=sr, output="sos")
        ild_db = 10 * np.log10(np.sum(sosfiltfilt(low, left)**2) / np.sum(sosfiltfilt(low, right)**2))
        assert np.sign(ild_db) == side, f"sample {rec['index']}: ILD {ild_db:.4f} dB vs lateral {lateral:.1f}"
        itd, ambiguity = _itd_samples(left, right, max_lag=int(sr * 0.002))
        if ambiguity > 0.9:  # a periodic clip: its lag is ambiguous, the ILD above still counts
            continue
        checked += 1
        assert np.sign(itd) == side, f"sample {rec['index']}: ITD {itd:.2f} samples vs lateral {lateral:.1f}"
        ears = rec["scene"]["listener"]["ear_spacing_m"]
        p = np.asarray(target["position_m"])
        expected = (np.linalg.norm(p - [0, -ears / 2, 0]) - np.linalg.norm(p - [0, ears / 2, 0])) / 343.0 * sr
        assert itd == pytest.approx(expected, abs=0.5)
    assert checked >= 10


def test_images_masks_and_coco_export_agree(congruent_dataset: Path):
    from pycocotools.coco import COCO

    coco = COCO(str(congruent_dataset / "annotations.coco.json"))
    records = read_records(congruent_dataset)
    assert len(coco.getImgIds()) == len(records)
    for rec in records[:10]:
        img = Image.open(congruent_dataset / rec["files"]["image"])
        assert img.size == (rec["camera"]["width"], rec["camera"]["height"]) and img.mode == "RGB"
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[rec["index"] + 1]))
        visible = [o for o in rec["objects"] if o["visible"]]
        assert len(anns) == len(visible)
        masks = [coco.annToMask(a).astype(bool) for a in anns]
        total = np.sum(masks, axis=0)
        assert total.max() <= 1, "instance masks overlap"
        targets = [a for a in anns if a["audio_target"]]
        assert len(targets) == 1 and targets[0]["object_id"] == rec["targets"]["audio"][0]["object_id"]


def test_dataset_json_counts_and_versions(congruent_dataset: Path):
    info = json.loads((congruent_dataset / "dataset.json").read_text())
    assert info["status"] == "complete" and info["samples"] == 36
    assert sum(info["counts"]["size_bin"].values()) == 36
    assert set(info["counts"]["size_bin"]) == {"size1", "size2", "size3"}
    assert max(info["counts"]["size_bin"].values()) - min(info["counts"]["size_bin"].values()) <= 1
    assert "numpy" in info["versions"] and len(info["spec_hash"]) == 64
    records = read_records(congruent_dataset)
    got = {b: sum(r["size_bin"] == b for r in records) for b in SIZE_BINS}
    assert got == info["counts"]["size_bin"]


def test_rerun_is_a_no_op(congruent_dataset: Path):
    before = {p: p.stat().st_mtime_ns for p in congruent_dataset.rglob("*") if p.is_file()}
    digest = tree_digest(congruent_dataset)
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=36", "--set", "output.dir=out", *FREE_FIELD,
                    "--quiet", cwd=congruent_dataset.parent)
    assert "wrote 0 samples" in proc.stdout
    assert tree_digest(congruent_dataset) == digest
    assert {p: p.stat().st_mtime_ns for p in congruent_dataset.rglob("*") if p.is_file()} == before


def test_replay_reproduces_a_sample(congruent_dataset: Path, tmp_path: Path):
    record = congruent_dataset / "samples" / "0000" / "0000005.json"
    proc = simulate("replay", str(record), "--out", str(tmp_path / "replay"), cwd=tmp_path)
    assert "DIFFERS" not in proc.stdout and proc.stdout.count("identical") >= 3


@pytest.mark.parametrize("overrides", [
    (),  # the main job: shoebox room with its walls as background, MIT KEMAR HRTF
    ("--set", "condition={choice: [audio_only, vision_only, mixed, offscreen]}", "--set",
     "negatives={silence: true, noise: true, offscreen: true}", "--set", "audio.level_db=-3",
     "--set", "audio.noise_rms_db=-30", "--set", "image.gray_level=77", "--set", "output.depth=true",
     "--set", "audio.format=wav", "--set", "room.type=free_field", "--set", "background.kind=backdrop"),
])
def test_a_record_copied_alone_replays_its_sample(tmp_path: Path, overrides):
    """A record holds every setting its sample needs: copied alone to another folder (no
    dataset.json, no spec) it re-renders every file of its sample byte for byte."""
    simulate("--spec", str(CONGRUENT), "--set", "samples=4", "--set", "image.width=64", "--set", "image.height=48",
             "--set", "audio.duration=0.5", *overrides, "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    for rec in read_records(tmp_path / "out"):
        alone = tmp_path / f"alone{rec['index']}"
        alone.mkdir()
        copied = alone / "record.json"
        copied.write_bytes((tmp_path / "out" / rec["files"]["record"]).read_bytes())
        out = tmp_path / f"replayed{rec['index']}"
        proc = simulate("replay", str(copied), "--out", str(out), cwd=alone)
        assert "DIFFERS" not in proc.stdout and "no original" in proc.stdout
        for kind, rel in rec["files"].items():
            assert (out / rel).read_bytes() == (tmp_path / "out" / rel).read_bytes(), (rec["condition"], kind)


@pytest.mark.slow
def test_workers_give_identical_bytes_and_seeds_differ(tmp_path: Path):
    args = ("--spec", str(CONGRUENT), "--set", "samples=12", "--set", "output.dir=out", "--quiet")
    for name, extra in (("w1", ()), ("w2", ("--workers", "2")), ("seed", ("--set", "seed=8"))):
        (tmp_path / name).mkdir()
        simulate(*args, *extra, cwd=tmp_path / name)
    one, two = tree_digest(tmp_path / "w1" / "out"), tree_digest(tmp_path / "w2" / "out")
    assert one == two
    other = tree_digest(tmp_path / "seed" / "out")
    images = [k for k in one if k.endswith(".png")]
    assert all(one[k] != other.get(k) for k in images)


@pytest.mark.slow
def test_sigkill_halfway_then_rerun_is_byte_identical(tmp_path: Path):
    n = 30
    args = ["--spec", str(CONGRUENT), "--set", f"samples={n}", "--set", "output.dir=out", "--quiet"]
    (tmp_path / "clean").mkdir()
    simulate(*args, cwd=tmp_path / "clean")
    work = tmp_path / "killed"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = work / "out" / "manifest.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= n // 2:
            break
        if proc.poll() is not None:
            pytest.fail("run finished before it could be killed")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lines = manifest.read_bytes().count(b"\n")
    assert 0 < lines < n
    assert json.loads((work / "out" / "dataset.json").read_text())["status"] == "incomplete"
    simulate(*args, cwd=work)
    assert tree_digest(work / "out") == tree_digest(tmp_path / "clean" / "out")


def test_refuses_foreign_folder_and_other_spec(tmp_path: Path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set", f"output.dir={foreign}",
                    cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "output.dir" in proc.stderr
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    before = tree_digest(tmp_path / "out")
    for other in ("seed=9", "samples=1"):  # another spec; fewer samples (a dataset only grows)
        proc = simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set", other, "--set", "output.dir=out",
                        cwd=tmp_path, check=False)
        assert proc.returncode == 2 and "--overwrite" in proc.stderr and "Traceback" not in proc.stderr
        assert tree_digest(tmp_path / "out") == before
    simulate("--spec", str(CONGRUENT), "--set", "samples=3", "--set", "seed=9", "--set", "output.dir=out",
             "--overwrite", "--quiet", cwd=tmp_path)
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert info["samples"] == 3 and info["spec"]["seed"] == 9
    assert (tmp_path / "out" / "manifest.jsonl").read_text().count("\n") == 3


def test_sweep_makes_one_sub_dataset_per_point(tmp_path: Path):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(CONGRUENT.read_text() + "sweep: {listener.head: [spaced, mono]}\n")
    spec.write_text(spec.read_text().replace("samples: 200", "samples: 2"))
    simulate("--spec", str(spec), "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    subs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert subs == ["listener.head=mono", "listener.head=spaced"]
    for sub, channels in (("listener.head=mono", 1), ("listener.head=spaced", 2)):
        info = json.loads((tmp_path / "out" / sub / "dataset.json").read_text())
        assert info["spec"]["listener"]["head"] == sub.split("=")[1]
        rec = read_records(tmp_path / "out" / sub)[0]
        assert sf.info(str(tmp_path / "out" / sub / rec["files"]["audio"])).channels == channels


def test_screen_projection_puts_sources_behind_their_pixels(tmp_path: Path):
    from simulator.core.geometry import ScreenProjection

    simulate("--spec", str(CONGRUENT), "--set", "samples=8", "--set", "output.dir=out", "--set",
             "camera.projection=screen", *FREE_FIELD, "--quiet", cwd=tmp_path)
    for rec in read_records(tmp_path / "out"):
        cam = rec["camera"]
        screen = ScreenProjection(cam["width"], cam["height"], cam["viewing_distance_m"], cam["pixels_per_inch"],
                                  cam["depth_scale"])
        target = rec["targets"]["audio"][0]
        obj = next(o for o in rec["objects"] if o["id"] == target["object_id"])
        u, v, d = screen.world_to_pixel(np.asarray(target["position_m"]))
        assert decode_rle(obj["mask"])[int(np.floor(v)), int(np.floor(u))]
        assert np.allclose([u, v], target["pixel"])
        assert target["position_m"][0] >= cam["viewing_distance_m"] and d > 0


def test_binaural_room_dataset_keeps_objects_inside_and_decays_as_asked(tmp_path: Path):
    from pyroomacoustics.experimental import measure_rt60

    simulate("--spec", str(CONGRUENT), "--set", "samples=6", "--set", "output.dir=out",
             "--set", "room.rt60_s=0.5", "--set", "output.rirs=true", "--quiet", cwd=tmp_path)
    for rec in read_records(tmp_path / "out"):
        room = rec["scene"]["room"]
        listener, size = np.asarray(room["listener_position_m"]), np.asarray(room["size_m"])
        for obj in rec["objects"]:
            p = listener + np.asarray(obj["position_m"])
            assert np.all(p > 0) and np.all(p < size), f"object centre outside the room in sample {rec['index']}"
        target = rec["targets"]["audio"][0]
        irs = np.load(tmp_path / "out" / rec["files"]["rirs"])[f"s{target['source_id']}"]
        assert irs.shape[0] == 2
        rt60 = np.mean([measure_rt60(ir, fs=rec["audio"]["sample_rate"], decay_db=30) for ir in irs])
        assert rt60 == pytest.approx(0.5, rel=0.2)
        if abs(target["lateral_deg"]) > 10:  # the direct sound's level points to the source's side
            onset = int(np.argmax(np.abs(irs).max(axis=0) > 0.1 * np.abs(irs).max()))
            direct = irs[:, max(0, onset - 8): onset + 40]
            ild = 10 * np.log10(np.sum(direct[0] ** 2) / np.sum(direct[1] ** 2))
            assert np.sign(ild) == np.sign(target["lateral_deg"])
