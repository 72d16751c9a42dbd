"""The torch datasets of simulator.torch_data: SpecStream (samples made on the fly) shards a
spec's indices over DataLoader workers and DDP ranks with no overlap and no gap, and its items
equal what SampleDataset decodes from the dataset ``simulate`` writes for the same spec."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader  # noqa: E402

from simulator.pipeline import SampleFailed  # noqa: E402
from simulator.torch_data import SampleDataset, SpecStream, collate, shard_indices  # noqa: E402
from training.data import decode_audio, decode_image  # noqa: E402

from conftest import CONGRUENT, REPO, simulate  # noqa: E402

#: A small, fast spec: six congruent samples of 64 x 48 pixels, free field, spaced ears, with
#: the silence negative so that the negative-audio path is compared too.
OVERRIDES = ["samples=6", "image.width=64", "image.height=48", "room.type=free_field", "listener.head=spaced",
             "background.kind=color", "negatives.silence=true"]


def set_args(overrides: list[str]) -> list[str]:
    return [a for o in overrides for a in ("--set", o)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The folder dataset ``simulate`` writes for OVERRIDES."""
    cwd = tmp_path_factory.mktemp("torch_data")
    simulate("--spec", str(CONGRUENT), *set_args(OVERRIDES), "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


def as_is(item):
    return item


def assert_same_item(a: dict, b: dict) -> None:
    assert a["index"] == b["index"]
    assert a["record"] == b["record"]
    for key in ("image", "audio", "target"):
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key
    assert a["has_target"] == b["has_target"]
    assert sorted(a["negatives"]) == sorted(b["negatives"])
    for kind in a["negatives"]:
        assert np.array_equal(a["negatives"][kind], b["negatives"][kind])


# ------------------------------------------------------------------------------------------------
# Sharding (no rendering)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start,stop", [(0, 6), (0, 7), (3, 20), (5, 5), (0, 1)])
@pytest.mark.parametrize("world,workers", [(1, 1), (1, 2), (2, 1), (2, 2), (3, 4)])
def test_shards_cover_every_index_exactly_once(start, stop, world, workers):
    shards = world * workers
    got = [i for s in range(shards) for i in shard_indices(start, stop, s, shards)]
    assert sorted(got) == list(range(start, stop))
    assert len(got) == len(set(got))
    sizes = [len(shard_indices(start, stop, s, shards)) for s in range(shards)]
    assert max(sizes) - min(sizes) <= 1


def test_a_stream_shards_by_rank_and_worker(monkeypatch):
    base = SpecStream(CONGRUENT, ["samples=10"], start=1, stop=10)
    seen = []
    for rank in range(2):
        s = SpecStream(base.spec, start=1, stop=10, rank=rank, world_size=2)
        assert len(s) == len(range(1 + rank, 10, 2))
        for worker in range(3):
            seen += list(s.indices(worker, 3))
    assert sorted(seen) == list(range(1, 10)) and len(seen) == len(set(seen))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert base.rank_world() == (1, 2)
    assert list(base.indices()) == [2, 4, 6, 8]
    assert list(base.indices(1, 2)) == [4, 8]
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(ValueError, match="RANK"):
        base.rank_world()


def test_a_stream_refuses_bad_arguments():
    spec = SpecStream(CONGRUENT, ["samples=4"]).spec
    with pytest.raises(ValueError, match="start <= stop <= samples"):
        SpecStream(spec, stop=5)
    with pytest.raises(ValueError, match="start <= stop"):
        SpecStream(spec, start=3, stop=2)
    with pytest.raises(ValueError, match="both rank and world_size"):
        SpecStream(spec, rank=0)
    with pytest.raises(ValueError, match="rank 2"):
        SpecStream(spec, rank=2, world_size=2)
    with pytest.raises(ValueError, match="overrides"):
        SpecStream(spec, ["samples=3"])
    with pytest.raises(ValueError, match="sweep makes"):
        SpecStream("ablation")


def test_failed_samples_are_skipped_and_counted(caplog):
    stream = SpecStream("congruent", ["samples=4"])

    class Failing:  # stands in for the SampleMaker: sample 2 has no valid layout
        def make(self, index):
            raise SampleFailed(f"sample {index}: no layout")

    stream._maker, stream._maker_pid = Failing(), os.getpid()
    with caplog.at_level("WARNING", logger="simulator.stream"):
        assert list(stream) == []
    assert [f["index"] for f in stream.failed] == [0, 1, 2, 3]
    assert "sample 2: no layout" in caplog.text
    stream._maker = None  # nothing to close


def test_collate_stacks_arrays_and_keeps_records():
    item = {"index": 3, "image": np.zeros((4, 5, 3), np.uint8), "audio": np.zeros((2, 8), np.float32),
            "target": np.zeros((4, 5), bool), "has_target": True, "negatives": {"silence": np.zeros((2, 8), np.float32)},
            "record": {"id": "0000003"}}
    batch = collate([item, dict(item, index=4, negatives={})])
    assert batch["index"].tolist() == [3, 4] and batch["image"].shape == (2, 4, 5, 3)
    assert batch["image"].dtype == torch.uint8 and batch["audio"].dtype == torch.float32
    assert batch["target"].dtype == torch.bool and batch["has_target"].tolist() == [True, True]
    assert batch["negatives"] == {} and batch["record"] == [{"id": "0000003"}, {"id": "0000003"}]
    with pytest.raises(ValueError, match="different shapes"):
        collate([item, dict(item, audio=np.zeros((2, 9), np.float32))])


# ------------------------------------------------------------------------------------------------
# Against the generated dataset
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_sample_dataset_returns_every_sample_of_a_folder(folder):
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    ds = SampleDataset(folder)
    assert len(ds) == len(manifest) == 6
    for i, entry in enumerate(manifest):
        item = ds[i]
        assert item["index"] == entry["index"]
        assert item["record"] == json.loads((folder / entry["files"]["record"]).read_text())
        assert np.array_equal(item["image"], decode_image((folder / entry["files"]["image"]).read_bytes()))
        assert np.array_equal(item["audio"], decode_audio((folder / entry["files"]["audio"]).read_bytes()))
        assert item["image"].shape == (48, 64, 3) and item["audio"].shape[0] == 2
        assert item["target"].shape == (48, 64) and item["target"].any() == item["has_target"]
        assert sorted(item["negatives"]) == ["silence"] and not item["negatives"]["silence"].any()
    raw = SampleDataset(folder, decode=False)[5]
    assert raw["files"] == {k: (folder / rel).read_bytes() for k, rel in manifest[5]["files"].items()}
    with pytest.raises(IndexError):
        ds[6]
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=collate)
    batches = list(loader)
    assert torch.cat([b["index"] for b in batches]).tolist() == [e["index"] for e in manifest]
    assert batches[0]["image"].shape == (4, 48, 64, 3) and batches[1]["audio"].shape[0] == 2


@pytest.mark.slow
def test_stream_over_two_ranks_and_two_workers_equals_the_folder(folder):
    """Two simulated DDP ranks, each a DataLoader with two spawn workers: every index exactly once,
    each item equal to the folder dataset's decoded files."""
    on_disk = {it["index"]: it for it in SampleDataset(folder)}
    got: dict[int, dict] = {}
    order = []
    spec = SpecStream(CONGRUENT, OVERRIDES).spec
    for rank in range(2):
        stream = SpecStream(spec, rank=rank, world_size=2)
        loader = DataLoader(stream, batch_size=None, num_workers=2, multiprocessing_context="spawn")
        for item in loader:
            order.append(int(item["index"]))
            got[int(item["index"])] = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in item.items()}
            got[order[-1]]["negatives"] = {k: v.numpy() for k, v in item["negatives"].items()}
    assert sorted(order) == list(range(6)) and len(order) == 6
    for index, item in got.items():
        assert_same_item(item, on_disk[index])


@pytest.mark.slow
def test_stream_bytes_equal_the_files_on_disk(folder):
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    with SpecStream(CONGRUENT, OVERRIDES, start=4, stop=6, decode=False) as stream:
        items = list(stream)
    assert [it["index"] for it in items] == [4, 5]
    for it in items:
        files = manifest[it["index"]]["files"]
        assert it["files"] == {k: (folder / rel).read_bytes() for k, rel in files.items()}


FORK_SCRIPT = textwrap.dedent("""
    import sys
    from torch.utils.data import DataLoader
    from simulator.torch_data import SpecStream, collate

    stream = SpecStream(sys.argv[1], sys.argv[2:], stop=4)
    loader = DataLoader(stream, batch_size=2, num_workers=2, collate_fn=collate, multiprocessing_context="fork")
    print(sorted(i for b in loader for i in b["index"].tolist()))
    stream.make(0)   # renders in this process: a forked worker must refuse, not hang
    try:
        list(loader)
    except RuntimeError as exc:
        print("refused" if "multiprocessing_context='spawn'" in str(exc) else exc)
""")


@pytest.mark.slow
def test_fork_workers_work_until_the_parent_renders(tmp_path):
    """torch's default start method on Linux, in a fresh process (in pytest's, an earlier test may
    have made a GL context, and fork must then be refused)."""
    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(CONGRUENT), *OVERRIDES], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["[0, 1, 2, 3]", "refused"], proc.stdout + proc.stderr[-2000:]


@pytest.mark.slow
def test_sample_dataset_reads_webdataset_shards(tmp_path, folder):
    """The shard dataset of ``output.format: webdataset`` (with its manifest), and its tars alone."""
    simulate("--spec", str(CONGRUENT), *set_args(OVERRIDES), "--set", "output.dir=out", "--set",
             "output.format=webdataset", "--quiet", cwd=tmp_path)
    files = SampleDataset(folder)
    for path in (tmp_path / "out", tmp_path / "out" / "shards"):
        shards = SampleDataset(path)
        assert shards.source.kind == "shards" and len(shards) == len(files) == 6
        loader = DataLoader(shards, batch_size=None, num_workers=2, collate_fn=as_is)
        for i, item in enumerate(loader):
            assert_same_item(item, files[i])
