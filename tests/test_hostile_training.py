"""``train`` and ``evaluate`` on broken things, and user asset folders that are hostile or careless
(the harness is tests/hostile.py): one-line errors naming the file, exit status 2, nothing written;
files changed since the manifest are never trained on from a stale cache."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from conftest import simulate

from hostile import Hostile, check

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parent.parent
TINY = ["model.image_widths=[8, 8, 16, 16]", "model.audio_widths=[8, 8, 16, 16]", "model.embed_dim=16",
        "model.projection_dim=8", "audio.n_mels=32", "train.batch_size=8", "train.threads=1", "train.epochs=1",
        "optim.warmup_steps=0"]


def train_args(data: str, out: str = "run", cache: str = "cache", config: str | None = None) -> list[str]:
    args = ["--config", config or str(REPO / "configs" / "stereo_ipd.yaml"), "--out", out, "--quiet",
            "--set", f"data.train={data}", "--set", f"data.cache_dir={cache}"]
    for s in TINY:
        args += ["--set", s]
    return args


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("hostile_training")
    simulate("--spec", "congruent", "--set", "samples=16", "--set", "image.width=64", "--set", "image.height=64",
             "--set", "audio.duration=0.5", "--set", "room.type=free_field", "--set", "listener.head=spaced",
             "--set", "background.kind=color", "--set", "output.dir=data", "--quiet", cwd=cwd)
    return cwd / "data"


@pytest.fixture(scope="module")
def model(data, tmp_path_factory) -> Path:
    import subprocess
    import sys

    cwd = tmp_path_factory.mktemp("hostile_model")
    subprocess.run([sys.executable, "-m", "training.train", *train_args(str(data), str(cwd / "run"), str(cwd / "c"))],
                   check=True, capture_output=True, timeout=600)
    return cwd / "run"


def broken_data(change: Callable[[Path], None], command: str = "train") -> Callable:
    def make(data: Path, model: Path) -> Callable:
        def setup(folder: Path) -> list[str]:
            copy = folder / "data"
            shutil.copytree(data, copy)
            change(copy)
            if command == "train":
                return train_args(str(copy), str(folder / "run"), str(folder / "cache"))
            return ["--data", str(copy), "--model", str(model), "--out", str(folder / "eval"), "--quiet", "--no-plots"]
        return setup
    return make


def broken_model(change: Callable[[Path], None]) -> Callable:
    def make(data: Path, model: Path) -> Callable:
        def setup(folder: Path) -> list[str]:
            copy = folder / "model"
            shutil.copytree(model, copy)
            change(copy)
            return ["--data", str(data), "--model", str(copy), "--out", str(folder / "eval"), "--quiet", "--no-plots"]
        return setup
    return make


def config_case(write: Callable[[Path], None]) -> Callable:
    """A training run whose config file ``c.yaml`` is written by ``write`` (or not at all)."""
    def make(data: Path, model: Path) -> Callable:
        def setup(folder: Path) -> list[str]:
            write(folder / "c.yaml")
            return train_args(str(data), config=str(folder / "c.yaml"))
        return setup
    return make


def sample(root: Path, index: int, ext: str) -> Path:
    return root / "samples" / "0000" / f"{index:07d}{ext}"


def rewrite_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _set_embed(m: dict) -> None:
    m["config"]["model"]["embed_dim"] = 32


CASES = [
    # -- train on broken datasets --------------------------------------------------------------
    ("train_missing_image", broken_data(lambda d: sample(d, 4, ".png").unlink()), ("0000004.png",)),
    ("train_truncated_flac", broken_data(lambda d: os.truncate(sample(d, 3, ".flac"), 100)), ("0000003.flac",)),
    ("train_garbage_png", broken_data(lambda d: sample(d, 2, ".png").write_bytes(os.urandom(800))),
     ("0000002.png",)),
    ("train_garbage_record", broken_data(lambda d: sample(d, 5, ".json").write_bytes(os.urandom(300))),
     ("0000005.json",)),
    ("train_record_deeply_nested", broken_data(lambda d: sample(d, 5, ".json").write_text("[" * 50000 + "]" * 50000)),
     ("0000005.json",)),
    ("train_manifest_garbage", broken_data(lambda d: (d / "manifest.jsonl").write_text("{not json\n")),
     ("manifest.jsonl",)),
    ("train_manifest_binary", broken_data(lambda d: (d / "manifest.jsonl").write_bytes(os.urandom(200))),
     ("manifest.jsonl",)),
    ("train_manifest_escapes", broken_data(lambda d: (d / "manifest.jsonl").write_text(
        (d / "manifest.jsonl").read_text().replace("samples/0000/0000000.png", "../../../etc/hostname"))),
     ("not a file of the dataset",)),
    ("train_dataset_json_garbage", broken_data(lambda d: (d / "dataset.json").write_bytes(os.urandom(100))),
     ("dataset.json",)),
    ("train_no_dataset", lambda data, model: (lambda folder: train_args(str(folder / "nothing"))), ("nothing",)),
    ("train_record_without_camera", broken_data(lambda d: rewrite_json(sample(d, 0, ".json"),
                                                                       lambda r: r.pop("camera"))),
     ("0000000.json",)),
    # -- configs ---------------------------------------------------------------------------------
    ("train_config_garbage", config_case(lambda c: c.write_bytes(os.urandom(300))), ("c.yaml",)),
    ("train_config_alias_bomb", config_case(lambda c: c.write_text(
        "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
                                                  for i in range(8)))), ("c.yaml", "expands to more than")),
    ("train_config_is_a_folder", config_case(lambda c: c.mkdir()), ("c.yaml",)),
    ("train_config_missing", config_case(lambda c: None), ("c.yaml",)),
    # -- evaluate with broken models and data -----------------------------------------------------
    ("eval_cut_weights", broken_model(lambda m: os.truncate(m / "model.safetensors", 1000)), ("model.safetensors",)),
    ("eval_missing_weights", broken_model(lambda m: (m / "model.safetensors").unlink()), ("model.safetensors",)),
    ("eval_garbage_config", broken_model(lambda m: (m / "model.json").write_text("{garbage")), ("model.json",)),
    ("eval_config_disagrees", broken_model(lambda m: rewrite_json(m / "model.json", _set_embed)),
     ("do not fit the model",)),
    ("eval_config_is_a_folder", broken_model(lambda m: ((m / "model.json").unlink(), (m / "model.json").mkdir())),
     ("model.json",)),
    ("eval_no_model", broken_model(lambda m: [shutil.rmtree(p) if p.is_dir() else p.unlink() for p in m.iterdir()]),
     ("model",)),
    ("eval_truncated_audio", broken_data(lambda d: os.truncate(sample(d, 1, ".flac"), 60), "evaluate"),
     ("0000001.flac",)),
    ("eval_garbage_record", broken_data(lambda d: sample(d, 1, ".json").write_text("[1, 2"), "evaluate"),
     ("0000001.json",)),
]


@pytest.mark.parametrize("name, make, fragments", CASES, ids=[c[0] for c in CASES])
def test_hostile_training_input(name, make, fragments, data, model, tmp_path):
    command = "evaluate" if name.startswith("eval_") else "train"
    check(Hostile(name, make(data, model), fragments, command=command, timeout=180), tmp_path)


def test_a_changed_file_is_not_trained_on_from_the_cache(data, tmp_path):
    """The cache is keyed by the files' sizes and times and checked against the manifest's
    digests: a file replaced after a first run is caught, not read from the stale cache."""
    import subprocess
    import sys

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    args = train_args(str(copy), str(tmp_path / "run1"), str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-m", "training.train", *args], check=True, capture_output=True, timeout=600)
    from PIL import Image

    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(sample(copy, 6, ".png"))
    case = Hostile("changed", lambda folder: train_args(str(copy), str(folder / "run2"), str(tmp_path / "cache")),
                   ("0000006.png", "changed since the dataset was written"), command="train", timeout=180)
    second = tmp_path / "second"
    second.mkdir()
    check(case, second)


# -- user asset folders --------------------------------------------------------------------------
SPEC = ("name: h\nseed: 1\nsamples: 2\nimage: {width: 48, height: 32}\naudio: {sample_rate: 8000, duration: 0.2}\n"
        "room: {type: free_field}\nlistener: {head: spaced}\nbackground: {kind: color}\n")


def user_library(fill: Callable[[Path], None], key: str = "sounds") -> Callable:
    def setup(folder: Path) -> list[str]:
        lib = folder / key
        lib.mkdir()
        fill(lib)
        (folder / "spec.yaml").write_text(SPEC + f"library: {{{key}: {lib}}}\n")
        return ["--spec", "spec.yaml", "--set", f"output.dir={folder / 'out'}"]
    return setup


def _garbage_sounds(lib: Path) -> None:
    (lib / "dog").mkdir()
    (lib / "dog" / "bark.wav").write_bytes(os.urandom(2000))
    (lib / "dog" / "empty.flac").write_bytes(b"")


def _loop_sounds(lib: Path) -> None:
    (lib / "dog").mkdir()
    os.symlink("bark.wav", lib / "dog" / "bark.wav")
    os.symlink("../../../etc/hostname", lib / "dog" / "out.wav")


def _fifo_sounds(lib: Path) -> None:
    (lib / "dog").mkdir()
    os.mkfifo(lib / "dog" / "bark.wav")


def _bomb_sizes(lib: Path) -> None:
    (lib / "sizes.yaml").write_text("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)))
    (lib / "dog").mkdir()


def _fifo_sizes(lib: Path) -> None:
    os.mkfifo(lib / "sizes.yaml")
    (lib / "dog").mkdir()


def _huge_mesh(lib: Path) -> None:
    import trimesh

    (lib / "sizes.yaml").write_text("dog: {height_m: 0.6}\n")
    (lib / "dog").mkdir()
    trimesh.creation.icosphere(subdivisions=8).export(lib / "dog" / "ball.ply")  # 1.3 M triangles


ASSET_CASES = [
    ("sounds_all_garbage", user_library(_garbage_sounds), ("library.sounds", "no usable sound", "bark.wav")),
    ("sounds_link_loop", user_library(_loop_sounds), ("library.sounds", "no usable sound", "link")),
    ("sounds_fifo", user_library(_fifo_sounds), ("library.sounds", "not a regular file")),
    ("sounds_empty_folder", user_library(lambda lib: None), ("library.sounds", "no usable sound")),
    ("meshes_sizes_alias_bomb", user_library(_bomb_sizes, "meshes"), ("library.meshes", "no usable mesh")),
    ("meshes_sizes_fifo", user_library(_fifo_sizes, "meshes"), ("library.meshes", "no usable mesh")),
    ("meshes_1_3_million_triangles", user_library(_huge_mesh, "meshes"), ("library.meshes", "triangles")),
]


@pytest.mark.parametrize("name, setup, fragments", ASSET_CASES, ids=[c[0] for c in ASSET_CASES])
def test_hostile_asset_folder(name, setup, fragments, tmp_path):
    proc = check(Hostile(name, setup, fragments, timeout=90, max_lines=2), tmp_path)
    assert not any(line.startswith("  ") for line in proc.stderr.splitlines()), proc.stderr  # no source lines
