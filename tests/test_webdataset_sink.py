"""``output.format: webdataset``: shards beside the dataset-level files, read by the webdataset
library, Hugging Face ``datasets`` and the trainer; the same bytes for any worker count, after an
interruption, after growth, from ``simulate pack`` of a folder dataset and from merged parts."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import CONGRUENT, FREE_FIELD, simulate
from simulator.assets.library import AssetLibrary
from simulator.cli import main as cli_main
from simulator.parts import Part
from simulator.run import run_spec
from simulator.shard_format import key_prefix, split_member
from simulator.sinks import sink_for
from simulator.sinks.base import OutputDirError
from simulator.spec.loader import load_spec_text

REPO = Path(__file__).resolve().parent.parent

# a dataset name with a '.', which must not reach the sample keys
BASE = ("name: toy.v1\nseed: 5\nsamples: {n}\ncondition: congruent\nimage: {{width: 64, height: 48}}\n"
        "audio: {{sample_rate: 8000, duration: 0.3}}\nobjects: {{count: {{int: [1, 3]}}}}\n"
        "negatives: {{silence: true}}\n")
SHARDS = ("output.format=webdataset", "output.shard_samples=3")


def toy(root: Path, n: int, *overrides: str, name: str | None = None):
    text = BASE.format(n=n) if name is None else BASE.format(n=n).replace("name: toy.v1", f"name: {name}")
    (one,) = load_spec_text(text, "toy.yaml", [*overrides, f"output.dir={root}"], library=AssetLibrary.default())
    return one


def make(root: Path, n: int, *overrides: str, part: Part | None = None, stop_after: int | None = None,
         name: str | None = None) -> Path:
    """Run a toy spec in this process; ``stop_after``: interrupt after that many commits (what a
    kill leaves: the open shard and its list stay, nothing is cleaned up)."""
    spec = toy(root, n, *overrides, name=name)
    sink = sink_for(spec, part)
    if stop_after is not None:
        commit, count = sink.commit, [0]

        def interrupted(entry):
            if count[0] >= stop_after:
                raise KeyboardInterrupt
            count[0] += 1
            commit(entry)
        sink.commit = interrupted
    try:
        run_spec(spec, sink.check(False), progress=False, sink=sink)
    except KeyboardInterrupt:
        assert stop_after is not None
    return root


def digest(root: Path) -> dict[str, str]:
    """{path: sha256} of a dataset's files; dataset.json without its output.dir (runs in other folders)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name == "dataset.json":
                info = json.loads(data)
                info["spec"]["output"].pop("dir")
                data = json.dumps(info, sort_keys=True).encode()
            out[str(p.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return out


def manifest(root: Path) -> list[dict]:
    return [json.loads(x) for x in (root / "manifest.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """7 toy samples as a folder dataset and as shards of 3 (made once for the module)."""
    base = tmp_path_factory.mktemp("webdataset")
    return {"folder": make(base / "folder", 7), "shards": make(base / "shards", 7, *SHARDS)}


# ------------------------------------------------------------------------------------------ layout
def test_shards_lie_beside_the_dataset_files_with_safe_keys(made):
    root = made["shards"]
    assert sorted(p.name for p in root.iterdir()) == [".avsim.lock", "annotations.coco.json", "dataset.json",
                                                       "manifest.jsonl", "shards"]
    tars = sorted((root / "shards").iterdir())
    assert [p.name for p in tars] == ["toy_v1-000000.tar", "toy_v1-000001.tar", "toy_v1-000002.tar"]
    entries = manifest(root)
    assert [e["index"] for e in entries] == list(range(7))
    assert [e["shard"] for e in entries] == [f"shards/{tars[i // 3].name}" for i in range(7)]
    info = json.loads((root / "dataset.json").read_text())
    assert info["status"] == "complete" and info["layout"]["key_prefix"] == "toy_v1" and info["part"] is None
    for tar in tars:
        with tarfile.open(tar) as tf:
            members = tf.getmembers()
        names = [m.name for m in members]
        keys = [split_member(n)[0] for n in names]
        assert keys == sorted(keys) and all("." not in k for k in keys)  # a sample's members are together
        assert all(n.split(".", 1)[0] == split_member(n)[0] for n in names)  # Hugging Face's split agrees
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    with open(tars[0], "rb") as fh:  # the manifest says where each member's bytes are, and their digest
        for e in entries[:3]:
            assert e["key"] == f"toy_v1/{e['index']:07d}"
            assert set(e["files"].values()) == set(e["bytes"]) == set(e["offsets"]) == set(e["sha256"])
            for member, offset in e["offsets"].items():
                fh.seek(offset)
                assert hashlib.sha256(fh.read(e["bytes"][member])).hexdigest() == e["sha256"][member]
    coco = json.loads((root / "annotations.coco.json").read_text())
    assert [im["file_name"] for im in coco["images"]] == [e["files"]["image"] for e in entries]


def test_key_prefixes_never_hold_a_dot():
    assert key_prefix("toy.v1") == "toy_v1"
    assert key_prefix("ablation", {"listener.head": "mono", "condition": "congruent"}) == \
        "ablation_condition_congruent_listener_head_mono"
    long = key_prefix("x" * 100, {"camera.hfov_deg": 40.5})
    assert len(long) == 100 and "." not in long and long != key_prefix("x" * 100, {"camera.hfov_deg": 41.5})


def test_members_are_the_folder_files_byte_for_byte(made):
    folder, shards = made["folder"], made["shards"]
    for fe, se in zip(manifest(folder), manifest(shards)):
        assert fe["index"] == se["index"] and fe["id"] == se["id"] and fe["condition"] == se["condition"]
        with tarfile.open(shards / se["shard"]) as tf:
            for kind, rel in fe["files"].items():
                assert tf.extractfile(se["files"][kind]).read() == (folder / rel).read_bytes(), rel


# ----------------------------------------------------------------------------------- other readers
def test_the_webdataset_library_reads_every_sample_once(made):
    wds = pytest.importorskip("webdataset")
    urls = [str(p) for p in sorted((made["shards"] / "shards").glob("*.tar"))]
    samples = list(wds.WebDataset(urls, shardshuffle=False))
    assert [s["__key__"] for s in samples] == [f"toy_v1/{i:07d}" for i in range(7)]
    folder = made["folder"]
    for s, e in zip(samples, manifest(folder)):
        assert {"png", "json", "flac", "neg_silence.flac"} <= set(s)
        assert s["png"] == (folder / e["files"]["image"]).read_bytes()
        assert s["flac"] == (folder / e["files"]["audio"]).read_bytes()
        assert json.loads(s["json"])["index"] == e["index"]


def test_hugging_face_datasets_reads_every_sample_once(made, tmp_path):
    datasets = pytest.importorskip("datasets")
    urls = [str(p) for p in sorted((made["shards"] / "shards").glob("*.tar"))]
    # the columns as the webdataset builder infers them, audio kept as bytes (decoding audio needs torchcodec)
    features = datasets.load_dataset("webdataset", data_files={"train": urls}, split="train", streaming=True).features
    features = datasets.Features({c: datasets.Value("binary") if c.endswith("flac") else f
                                  for c, f in features.items()})
    ds = datasets.load_dataset("webdataset", data_files={"train": urls}, split="train", features=features,
                               cache_dir=str(tmp_path / "hf"))
    assert ds["__key__"] == [f"toy_v1/{i:07d}" for i in range(7)]
    folder = made["folder"]
    for row, e in zip(ds, manifest(folder)):
        assert row["json"]["index"] == e["index"]
        assert row["flac"] == (folder / e["files"]["audio"]).read_bytes()
        assert row["neg_silence.flac"] == (folder / e["files"]["negative_silence"]).read_bytes()
        assert row["png"].size == (64, 48)


# ------------------------------------------------------------------------- same bytes, any which way
def test_interrupted_and_grown_runs_give_the_bytes_of_one_run(tmp_path):
    shards = (*SHARDS, "output.shard_mb=0.03")  # both closing rules at work
    reference = digest(make(tmp_path / "one", 11, *shards))
    assert len([k for k in reference if k.endswith(".tar")]) > 11 / 3
    for k in (0, 2, 5, 9):  # interrupted after k samples were committed, then the same command again
        out = make(tmp_path / f"cut{k}", 11, *shards, stop_after=k)
        assert (out / "dataset.json").is_file() and json.loads((out / "dataset.json").read_text())["status"] == \
            "incomplete"
        make(out, 11, *shards)
        assert digest(out) == reference, k
    grown = make(tmp_path / "grown", 7, *shards)
    make(grown, 11, *shards)                            # a larger samples reopens the last shard
    assert digest(grown) == reference
    cut = make(tmp_path / "grown_cut", 7, *shards)
    make(cut, 11, *shards, stop_after=1)                # growth interrupted, then finished
    make(cut, 11, *shards)
    assert digest(cut) == reference
    with pytest.raises(OutputDirError, match="only grows"):
        sink_for(toy(grown, 5, *shards)).check(False)


def test_a_webdataset_run_refuses_other_datasets(made, tmp_path):
    with pytest.raises(OutputDirError, match="output.format 'folder'.*simulate pack"):
        sink_for(toy(made["folder"], 7, *SHARDS)).check(False)
    with pytest.raises(OutputDirError, match="different spec"):
        sink_for(toy(made["shards"], 7, *SHARDS, "seed=9")).check(False)
    with pytest.raises(OutputDirError, match="different spec"):  # another shard size is another layout
        sink_for(toy(made["shards"], 7, "output.format=webdataset", "output.shard_samples=4")).check(False)
    assert sink_for(toy(made["shards"], 7, *SHARDS)).check(False) == "complete"
    with pytest.raises(OutputDirError, match="part"):
        sink_for(toy(made["shards"], 7, *SHARDS), Part(1, 2)).check(False)


# --------------------------------------------------------------------------------------------- pack
def test_pack_gives_the_shards_of_a_webdataset_run(made, tmp_path):
    out = tmp_path / "packed"
    assert cli_main(["pack", str(made["folder"]), "--out", str(out), "--shard-samples", "3"]) == 0
    assert digest(out) == digest(made["shards"])
    assert cli_main(["pack", str(made["folder"]), "--out", str(out), "--shard-samples", "3"]) == 0  # complete
    assert digest(out) == digest(made["shards"])
    small = tmp_path / "small"
    assert cli_main(["pack", str(made["folder"]), "--out", str(small), "--shard-mb", "0.03"]) == 0
    assert len(list((small / "shards").glob("*.tar"))) > 1
    assert [e["index"] for e in manifest(small)] == list(range(7))


def test_pack_refuses_bad_input_in_one_line_and_writes_nothing(made, tmp_path, capsys):
    folder = made["folder"]
    unfinished = tmp_path / "unfinished"
    shutil.copytree(folder, unfinished)
    lines = (unfinished / "manifest.jsonl").read_text().splitlines(True)
    (unfinished / "manifest.jsonl").write_text("".join(lines[:4]))
    info = json.loads((unfinished / "dataset.json").read_text())
    (unfinished / "dataset.json").write_text(json.dumps(dict(info, status="incomplete")))
    changed = tmp_path / "changed"
    shutil.copytree(folder, changed)
    png = changed / manifest(folder)[5]["files"]["image"]
    png.write_bytes(bytes(b ^ 1 for b in png.read_bytes()))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    cases = [([str(folder), "--shard-samples", "0"], "--shard-samples"),
             ([str(folder), "--shard-mb", "-1"], "--shard-mb"),
             ([str(tmp_path / "nothing")], "not a dataset folder"),
             ([str(made["shards"])], "already"),
             ([str(unfinished)], "unfinished"),
             ([str(changed)], str(png)),
             ([str(folder), "--out-of-place"], "unrecognized")]
    for k, (args, what) in enumerate(cases):
        out = tmp_path / f"out{k}"
        argv = ["pack", *args, "--out", str(out)]
        with pytest.raises(SystemExit) if "--out-of-place" in args else _nothing():
            assert cli_main(argv) == 2
        err = capsys.readouterr().err
        assert what in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)
        assert not out.exists(), args
    assert cli_main(["pack", str(folder), "--out", str(foreign)]) == 2
    assert "output.dir" in capsys.readouterr().err and [p.name for p in foreign.iterdir()] == ["notes.txt"]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# -------------------------------------------------------------------------------------------- merge
def test_merged_parts_are_the_one_machine_run(tmp_path):
    from simulator.merge import merge

    reference = digest(make(tmp_path / "one", 10, *SHARDS))
    parts = [make(tmp_path / f"part{k}", 10, *SHARDS, part=Part(k, 3)) for k in (1, 2, 3)]
    assert json.loads((parts[1] / "dataset.json").read_text())["part"] == {"k": 2, "n": 3, "start": 3, "stop": 6}
    assert [e["index"] for e in manifest(parts[2])] == [6, 7, 8, 9]
    merge([parts[2], parts[0], parts[1]], tmp_path / "merged")
    assert digest(tmp_path / "merged") == reference
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / ".avsim-merging").write_text("[]\n")  # what an interrupted merge leaves
    merge(parts, tmp_path / "again")
    assert digest(tmp_path / "again") == reference


@pytest.mark.slow
def test_failed_samples_leave_gaps_that_reruns_and_merges_keep(tmp_path):
    """Seed 5 at this size, placed free, has a sample with no valid layout (tests/test_parts_and_growth.py)."""
    args = ("--spec", str(CONGRUENT), "--set", "samples=8", "--set", "seed=5", "--set", "objects.support=free",
            "--set", "image.width=64",
            "--set", "image.height=48", "--set", "audio.duration=0.4",
            "--set", "condition={choice: [congruent, audio_only, vision_only, offscreen]}",
            "--set", "output.format=webdataset", "--set", "output.shard_samples=3", "--quiet")
    assert simulate(*args, "--set", "output.dir=one", cwd=tmp_path, check=False).returncode == 1
    info = json.loads((tmp_path / "one" / "dataset.json").read_text())
    assert info["failed"] and info["status"] == "incomplete"
    assert len(manifest(tmp_path / "one")) == 8 - len(info["failed"])
    reference = digest(tmp_path / "one")
    simulate(*args, "--set", "output.dir=one", cwd=tmp_path, check=False)  # tries the failed ones again
    assert digest(tmp_path / "one") == reference
    for k in (1, 2):
        simulate(*args, "--set", f"output.dir=p{k}", "--part", f"{k}/2", cwd=tmp_path, check=False)
    simulate("merge", "p2", "p1", "--out", "merged", cwd=tmp_path)
    assert digest(tmp_path / "merged") == reference


# ------------------------------------------------------------------------------------------ trainer
def test_the_trainer_reads_shards_like_the_folder(made):
    from training.data import make_table, open_source

    folder, dataset, tars = open_source(made["folder"]), open_source(made["shards"]), \
        open_source(made["shards"] / "shards")
    assert (folder.kind, dataset.kind, tars.kind) == ("folder", "shards", "shards")
    assert [e.id for e in folder.entries] == [e.id for e in dataset.entries] == [e.id for e in tars.entries]
    cfg = {"negatives": ["silence"], "cache": False}
    rows, flips = [0, 4, 6], [False, True, False]
    want = make_table(folder, cfg).batch(rows, flips)
    for source in (dataset, tars):
        got = make_table(source, cfg).batch(rows, flips)
        for k in want:
            np.testing.assert_array_equal(want[k], got[k], err_msg=k)


def test_a_shard_dataset_is_read_without_opening_its_tars(made, tmp_path, monkeypatch):
    import builtins

    from training.data import open_source

    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1])
    source = open_source(made["shards"])
    assert len(source.entries) == 7 and not [f for f in opened if f.endswith(".tar")]
    monkeypatch.undo()
    copy = tmp_path / "copy"
    shutil.copytree(made["shards"], copy)
    tar = copy / "shards" / "toy_v1-000001.tar"
    tar.write_bytes(tar.read_bytes()[:5000])  # cut: found when the sample is read, named
    from training.data import DataError, decode_file, decode_image

    cut = open_source(copy)
    with pytest.raises(DataError, match="toy_v1-000001.tar"):
        for e in cut.entries:
            decode_file(cut, e, "image", decode_image, "image")


def test_datasets_in_one_folder_are_kept_apart_and_colliding_keys_refused(made, tmp_path):
    from training.data import DataError, open_source

    other = make(tmp_path / "other", 4, *SHARDS, name="other")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for root in (made["shards"], other):
        for tar in (root / "shards").glob("*.tar"):
            shutil.copy(tar, mixed / tar.name)
    source = open_source(mixed)
    ids = [e.id for e in source.entries]
    assert len(ids) == 11 and len(set(ids)) == 11
    assert {i.split("/")[0] for i in ids} == {"toy_v1", "other"}
    shutil.copy(made["shards"] / "shards" / "toy_v1-000001.tar", mixed / "copy-000001.tar")
    with pytest.raises(DataError) as err:
        open_source(mixed)
    assert "copy-000001.tar" in str(err.value) and "toy_v1-000001.tar" in str(err.value)


# --------------------------------------------------------------------------- the CLI, end to end
def _cli_args(n: int, *extra: str) -> list[str]:
    return ["--spec", str(CONGRUENT), "--set", f"samples={n}", "--set", "image.width=64", "--set", "image.height=64",
            "--set", "audio.duration=0.5", "--set", "objects.max_distance_m=100", *FREE_FIELD,
            "--set", "output.format=webdataset", "--set", "output.shard_samples=4", "--set", "output.dir=out",
            "--quiet", *extra]


@pytest.mark.slow
def test_workers_and_sigkill_give_the_same_bytes(tmp_path):
    n = 24
    for name, extra in (("w1", ()), ("w2", ("--workers", "2"))):
        (tmp_path / name).mkdir()
        simulate(*_cli_args(n, *extra), cwd=tmp_path / name)
    reference = digest(tmp_path / "w1" / "out")
    assert digest(tmp_path / "w2" / "out") == reference
    work = tmp_path / "killed"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *_cli_args(n)], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    side = work / "out" / "shards"
    deadline = time.time() + 300
    while time.time() < deadline:  # one shard closed and the next one half full
        lists = list(side.glob(".*.partial.jsonl")) if side.is_dir() else []
        if any(p.name == ".congruent-000001.tar.partial.jsonl" and p.read_bytes().count(b"\n") >= 2 for p in lists):
            break
        if proc.poll() is not None:
            pytest.fail("run finished before it could be killed")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < len(manifest(work / "out")) < n
    simulate(*_cli_args(n), cwd=work)
    assert digest(work / "out") == reference


@pytest.mark.slow
def test_train_one_step_on_shards(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    simulate(*_cli_args(16, "--set", "negatives.silence=true", "--set", "negatives.noise=true"), cwd=tmp_path)
    run = tmp_path / "run"
    tiny = ["model.image_widths=[8, 8, 16, 16]", "model.audio_widths=[8, 8, 16, 16]", "model.embed_dim=16",
            "model.projection_dim=8", "audio.n_mels=32", "train.batch_size=8", "train.threads=1", "train.log_every=1",
            "optim.warmup_steps=0", "seed=3", "train.max_steps=1"]
    args = ["--config", str(REPO / "configs" / "stereo_ipd_san.yaml"), "--out", str(run), "--quiet",
            "--set", f"data.train={tmp_path / 'out'}", "--set", f"data.cache_dir={tmp_path / 'cache'}"]
    for s in tiny:
        args += ["--set", s]
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "training.train", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((run / "summary.json").read_text())["steps"] == 1
    assert (run / "model.safetensors").is_file()


@pytest.mark.parametrize("command", ["audit", "stats"])
def test_audit_and_stats_say_they_read_folders(made, command, tmp_path, capsys):
    """A shard dataset is refused in one line naming it, exit status 2, nothing written."""
    from simulator.cli import main

    args = [command, str(made["shards"])] + (["--out", str(tmp_path / "s")] if command == "stats" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "output.format 'webdataset'" in err and str(made["shards"]) in err
    assert not (tmp_path / "s").exists()
