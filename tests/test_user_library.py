"""User libraries: sound and mesh folders with good and broken files.

Broken files (truncated FLAC, empty WAV, text named .wav, unreadable OBJ, a mesh without a
size) are skipped with a reason and never raise; good ones are used: a 48 kHz clip is
resampled to the library rate with its duration kept, a 6-channel clip is mixed to mono, and
user meshes are rescaled to their sizes.yaml size and centred.
"""
from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pytest
import soundfile as sf
import trimesh

from simulator.assets import report
from simulator.assets.library import AssetLibrary
from simulator.assets.user import open_library
from simulator.assets.user import UserLibraryWarning, scan_meshes, scan_sounds


def _tone(seconds: float, sr: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t)
    if channels == 1:
        return x
    # different content per channel, so the mono mix is their mean
    return np.stack([x * (k + 1) / channels for k in range(channels)], axis=1)


@pytest.fixture
def sound_dir(tmp_path):
    root = tmp_path / "sounds"
    (root / "dog").mkdir(parents=True)
    (root / "cat").mkdir()
    sf.write(root / "dog" / "good.wav", _tone(1.0, 32000, 300.0), 32000, subtype="PCM_16")
    sf.write(root / "dog" / "hires_48k.flac", _tone(2.0, 48000, 500.0), 48000)  # 48 kHz mono
    sf.write(root / "cat" / "six_channels.wav", _tone(1.5, 32000, 700.0, channels=6), 32000,
             subtype="FLOAT")
    sf.write(root / "cat" / "good.ogg", _tone(1.2, 44100, 600.0), 44100, format="OGG", subtype="VORBIS")
    # broken ones
    full = root / "dog" / "full.flac"
    sf.write(full, np.random.default_rng(0).uniform(-0.3, 0.3, 64000), 32000)
    data = full.read_bytes()
    (root / "dog" / "truncated.flac").write_bytes(data[: len(data) // 2])
    full.unlink()
    sf.write(root / "dog" / "empty.wav", np.zeros((0, 1)), 16000)
    (root / "cat" / "not_audio.wav").write_text("this is a text file, not a RIFF/WAVE file\n")
    sf.write(root / "cat" / "silence.wav", np.zeros(16000), 16000)
    sf.write(root / "loose.wav", _tone(1.0, 16000), 16000)  # not in a category folder
    (root / "dog" / "README.txt").write_text("recorded in my garden\n")  # ignored, not an asset
    return root


@pytest.fixture
def mesh_dir(tmp_path):
    root = tmp_path / "meshes"
    (root / "dog").mkdir(parents=True)
    (root / "car").mkdir()
    box = trimesh.creation.box(extents=[2.0, 1.0, 0.5])
    box.apply_translation([5.0, 3.0, 1.0])  # off-centre on purpose
    box.export(root / "dog" / "box_dog.obj")
    yup = trimesh.creation.box(extents=[0.5, 2.0, 1.0])  # +y up: 2.0 is its height
    yup.export(root / "dog" / "yup.ply")
    (root / "dog" / "broken.obj").write_text("v 0 0 0\nv 1 0\nf 1 2 9\nthis is not an OBJ file\n")
    trimesh.creation.icosphere().export(root / "car" / "sphere.glb")  # no size for car
    (root / "sizes.yaml").write_text("dog: {height_m: 0.6}\n"
                                     "dog/yup.ply: {height_m: 0.8, up: y}\n")
    return root


def _reasons(lib):
    return {s.path.rsplit("/", 1)[-1]: s.reason for s in lib.report.skipped}


def test_sound_folder_good_files_used_bad_reported(sound_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib = scan_sounds(sound_dir, sample_rate=32000)
    assert sorted(lib.sounds) == ["cat", "dog"]
    assert lib.sounds["dog"] == ["user_sounds:dog/good.wav", "user_sounds:dog/hires_48k.flac"]
    assert lib.sounds["cat"] == ["user_sounds:cat/good.ogg", "user_sounds:cat/six_channels.wav"]
    reasons = _reasons(lib)
    assert set(reasons) == {"truncated.flac", "empty.wav", "not_audio.wav", "silence.wav", "loose.wav"}
    assert "empty" in reasons["empty.wav"]
    assert "unreadable" in reasons["not_audio.wav"]
    assert "truncated" in reasons["truncated.flac"] or "corrupt" in reasons["truncated.flac"]
    assert "silent" in reasons["silence.wav"]
    assert "category" in reasons["loose.wav"]
    assert sum(isinstance(w.message, UserLibraryWarning) for w in caught) == 5
    counts = lib.report.counts()
    assert counts["sounds"] == {"found": 9, "used": 4, "skipped": 5}
    json.dumps(counts)  # dataset.json-ready


def test_resampling_keeps_duration_and_channels_are_mixed(sound_dir):
    lib = scan_sounds(sound_dir, sample_rate=32000, warn=False)
    hires = lib.clip("user_sounds:dog/hires_48k.flac", 32000)
    assert hires.dtype == np.float32 and hires.ndim == 1
    assert len(hires) == 64000  # 2.0 s at 32 kHz
    # still a 500 Hz tone after resampling
    spectrum = np.abs(np.fft.rfft(hires[8000:40000]))
    assert abs(np.argmax(spectrum) * 32000 / 32000 - 500.0) <= 2.0
    six = lib.clip("user_sounds:cat/six_channels.wav", 16000)
    assert six.ndim == 1 and len(six) == 24000  # 1.5 s mono at the asked rate
    raw, _ = sf.read(sound_dir / "cat" / "six_channels.wav", always_2d=True)
    assert raw.shape[1] == 6
    # loudness-normalised like the default library: peak at most -1 dBFS, level near -20 dBFS
    for clip in (hires, six):
        assert np.max(np.abs(clip)) <= 10 ** (-1 / 20) + 1e-6
        rms_db = 20 * np.log10(np.sqrt(np.mean(clip.astype(float) ** 2)))
        assert -22.0 < rms_db < -18.0


def test_mesh_folder_sizes_and_broken_files(mesh_dir):
    lib = scan_meshes(mesh_dir, warn=False)
    assert list(lib.meshes) == ["dog"]
    keys = [m.key for m in lib.meshes["dog"]]
    assert keys == ["user_meshes:dog/box_dog.obj", "user_meshes:dog/yup.ply"]
    reasons = _reasons(lib)
    assert set(reasons) == {"broken.obj", "sphere.glb"}
    assert "no real-world size" in reasons["sphere.glb"]
    box = lib.load_mesh("user_meshes:dog/box_dog.obj")
    np.testing.assert_allclose(box.extents, [2.4, 1.2, 0.6], rtol=1e-6)  # uniform scale to 0.6 m tall
    np.testing.assert_allclose(box.bounds.mean(axis=0), 0.0, atol=1e-9)
    asset = lib.meshes["dog"][0]
    np.testing.assert_allclose(asset.size_m, [2.4, 1.2, 0.6], rtol=1e-5)
    assert asset.silhouette is not None and len(asset.silhouette["area_m2"]) == 24
    # front (+y up file): 2.0 high along y becomes z, rescaled to 0.8 m
    yup = lib.load_mesh("user_meshes:dog/yup.ply")
    np.testing.assert_allclose(yup.extents[2], 0.8, rtol=1e-6)
    assert lib.report.counts()["meshes"] == {"found": 4, "used": 2, "skipped": 2}


def test_bad_sizes_yaml_is_reported_not_fatal(tmp_path):
    root = tmp_path / "m"
    (root / "cat").mkdir(parents=True)
    trimesh.creation.box().export(root / "cat" / "a.obj")
    (root / "sizes.yaml").write_text("cat: {height_m: -1}\n")
    lib = scan_meshes(root, warn=False)
    assert lib.meshes == {}
    kinds = sorted(s.kind for s in lib.report.skipped)
    assert kinds == ["mesh", "sizes"]
    (root / "sizes.yaml").write_text("cat: [unclosed\n")
    lib = scan_meshes(root, warn=False)
    assert lib.meshes == {} and any("YAML" in s.reason for s in lib.report.skipped)


def test_open_library_combines_user_and_default(sound_dir, mesh_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sounds_only = open_library(sound_dir, "default")
        both = open_library(sound_dir, mesh_dir)
    default = AssetLibrary.default()
    assert open_library() is default
    # user sounds + default meshes: dog and cat have both
    assert sounds_only.categories == ["cat", "dog"]
    assert sounds_only.meshes["dog"] == default.meshes["dog"]
    mesh = sounds_only.load_mesh(default.meshes["dog"][0].key)
    assert len(mesh.faces) > 0
    assert both.categories == ["dog"]
    counts = both.report.counts()
    assert counts["sounds"]["skipped"] == 5 and counts["meshes"]["skipped"] == 2
    # pickles (to hand to worker processes) without caches, and still resolves keys
    both.clip("user_sounds:dog/good.wav", 16000)
    clone = pickle.loads(pickle.dumps(both))
    assert clone._clip_cache == {}
    np.testing.assert_array_equal(clone.clip("user_sounds:dog/good.wav", 16000),
                                  both.clip("user_sounds:dog/good.wav", 16000))
    with pytest.raises(FileNotFoundError):
        open_library(sound_dir / "missing")
    # relative folders resolve against base_dir (the spec's folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = open_library("sounds", "default", base_dir=sound_dir.parent)
    assert rel.sounds["dog"] == sounds_only.sounds["dog"]


def test_simulate_assets_report(sound_dir, mesh_dir, capsys):
    assert report.main([]) == 0
    out = capsys.readouterr().out
    assert "dog" in out and "usable categories" in out
    assert report.main(["--sounds", str(sound_dir), "--meshes", str(mesh_dir)]) == 0
    out = capsys.readouterr().out
    assert "truncated.flac" in out and "not_audio.wav" in out and "broken.obj" in out
    assert "skipped (" in out
    assert report.main(["--sounds", str(sound_dir), "--strict"]) == 1
    capsys.readouterr()
    assert report.main(["--sounds", str(sound_dir / "nope")]) == 2
    assert report.main(["--sounds", str(sound_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["user"]["sounds"]["used"] == 4


def test_simulate_with_a_broken_user_sound_folder_completes(sound_dir, tmp_path):
    """The run uses the good clips, reports the bad ones in dataset.json, and completes."""
    from conftest import CONGRUENT, read_records, simulate

    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=6", "--set", f"library.sounds={sound_dir}",
                    "--set", "objects.categories=[dog, cat]", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    assert "wrote 6 samples" in proc.stdout
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    lib = info["library"]
    assert lib["sounds"]["used"] == 4
    skipped = {s["path"].rsplit("/", 1)[-1] for s in lib["skipped"]}
    assert {"truncated.flac", "empty.wav", "not_audio.wav", "silence.wav"} <= skipped
    clips = {r["sources"][0]["clip"].rsplit("/", 1)[-1] for r in read_records(tmp_path / "out")}
    assert clips <= {"good.wav", "hires_48k.flac", "six_channels.wav", "good.ogg"}
    assert info["spec"]["library"]["sounds"] == str(sound_dir.resolve())


def _cutout(h: int = 80, w: int = 60) -> np.ndarray:
    rows, cols = np.mgrid[0:h, 0:w]
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = (180, 120, 60)
    rgba[..., 3] = np.where(((rows - h / 2) / (h / 2)) ** 2 + ((cols - w / 2) / (w / 2)) ** 2 <= 1, 255, 0)
    return rgba


def test_rgba_cutouts_are_meshes_at_their_real_size(tmp_path):
    """Object cutouts (RGBA images, optional depth map beside them) become relief meshes; an
    image without transparency is reported, not fatal; a run with the cutouts completes."""
    from PIL import Image

    from conftest import CONGRUENT, read_records, simulate

    root = tmp_path / "meshes"
    (root / "dog").mkdir(parents=True)
    Image.fromarray(_cutout()).save(root / "dog" / "spot.png")
    np.save(root / "dog" / "spot.depth.npy", np.tile(np.linspace(0, 1, 60), (80, 1)))
    Image.fromarray(_cutout()[..., :3]).save(root / "dog" / "opaque.png")  # no alpha: skipped
    (root / "sizes.yaml").write_text("dog: {height_m: 0.7}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserLibraryWarning)
        lib = scan_meshes(root)
    assert [m.key.rsplit("/", 1)[-1] for m in lib.meshes["dog"]] == ["spot.png"]
    assert "opaque.png" in _reasons(lib) and "alpha" in _reasons(lib)["opaque.png"]
    mesh = lib.load_mesh(lib.meshes["dog"][0].key)
    assert mesh.extents[2] == pytest.approx(0.7, rel=1e-3) and mesh.is_watertight
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=3", "--set", f"library.meshes={root}",
                    "--set", "objects.categories=[dog]", "--set", "target.size_bin=size2", "--set", "output.dir=out",
                    "--set", "room.type=free_field", "--set", "background.kind=color", "--quiet", cwd=tmp_path)
    assert "wrote 3 samples" in proc.stdout
    assert all(r["objects"][0]["mesh"].endswith("spot.png") for r in read_records(tmp_path / "out"))
