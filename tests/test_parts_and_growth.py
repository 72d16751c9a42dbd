"""One plan split across machines (``--part K/N`` + ``simulate merge``) and datasets that grow
(a rerun with a larger ``samples``): both give the bytes of one uninterrupted one-machine run."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CONGRUENT, simulate, tree_digest

#: Small samples; objects may come to 0.15 m of the head so that every planned sample has a layout
#: (a size3 keyboard seen near the image border can need to be nearer than the default 0.3 m, and
#: this file is about growing and merging datasets, not about samples without a layout).
SMALL = ("--set", "image.width=64", "--set", "image.height=48", "--set", "audio.duration=0.4",
         "--set", "objects.min_distance_m=0.15", "--quiet")
MIXED = ("--set", "condition={choice: [congruent, audio_only, vision_only, offscreen]}",)


def make(tmp: Path, out: str, samples: int, *extra: str, check: bool = True):
    return simulate("--spec", str(CONGRUENT), "--set", f"samples={samples}", "--set", f"output.dir={out}",
                    *MIXED, *SMALL, *extra, cwd=tmp, check=check)


@pytest.fixture(scope="module")
def one_run(tmp_path_factory) -> Path:
    """64 samples made in one run on one machine."""
    tmp = tmp_path_factory.mktemp("one")
    make(tmp, "out", 64)
    return tmp / "out"


@pytest.mark.slow
def test_growth_40_to_64_keeps_the_first_40_and_equals_one_run(tmp_path: Path, one_run: Path):
    make(tmp_path, "out", 40)
    first = tree_digest(tmp_path / "out" / "samples")
    make(tmp_path, "out", 64)
    grown = tree_digest(tmp_path / "out" / "samples")
    assert {k: grown[k] for k in first} == first  # every existing file kept, byte for byte
    assert len(grown) > len(first)
    assert tree_digest(tmp_path / "out") == tree_digest(one_run)  # manifest, COCO, dataset.json too
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert info["status"] == "complete" and info["samples"] == 64


@pytest.mark.slow
def test_three_parts_merged_equal_one_run(tmp_path: Path, one_run: Path):
    for k in (1, 2, 3):
        make(tmp_path, f"part{k}", 64, "--part", f"{k}/3")
    parts = [json.loads((tmp_path / f"part{k}" / "dataset.json").read_text())["part"] for k in (1, 2, 3)]
    assert [(p["start"], p["stop"]) for p in parts] == [(0, 21), (21, 42), (42, 64)]
    for name, extra in (("linked", ()), ("copied", ("--copy",))):  # the parts are only read
        (tmp_path / name).mkdir()
        proc = simulate("merge", "../part3", "../part1", "../part2", "--out", "out", *extra,  # any order
                        cwd=tmp_path / name)
        assert "64 samples" in proc.stdout
        # every file, dataset.json included: the one-machine run also wrote to output.dir=out
        assert tree_digest(tmp_path / name / "out") == tree_digest(one_run)


@pytest.fixture(scope="module")
def small_parts(tmp_path_factory) -> Path:
    """Parts 1/2 and 2/2 of a 4-sample plan, part 1/2 of another spec, and the parts of a plan
    with a failed sample."""
    tmp = tmp_path_factory.mktemp("parts")
    for k in (1, 2):
        make(tmp, f"p{k}", 4, "--part", f"{k}/2")
    make(tmp, "other", 4, "--part", "1/2", "--set", "audio.level_db=-3")
    make(tmp, "whole", 4)
    # five 20 m trains, one in size3, in a 30 m deep view have no layout (multi_instance: indices
    # 1, 2, 5, 6); one train alone has (congruent): each part lists its failed samples
    failing = ("--set", "condition={choice: [congruent, multi_instance]}", "--set", "room.type=free_field",
               "--set", "background.kind=color", "--set", "conditions.multi_instance.instances=5",
               "--set", "target.category=train", "--set", "target.size_bin=size3",
               "--set", "objects.max_distance_m=30")
    for k in (1, 2):
        assert make(tmp, f"f{k}", 8, "--part", f"{k}/2", *failing, check=False).returncode in (0, 1)
    make(tmp, "fwhole", 8, *failing, check=False)
    return tmp


def same_dataset(a: Path, b: Path) -> bool:
    """Byte-identical folders, but for the output.dir each dataset.json records."""
    da, db = tree_digest(a), tree_digest(b)
    ia, ib = (json.loads((p / "dataset.json").read_text()) for p in (a, b))
    for info in (ia, ib):
        info["spec"]["output"].pop("dir")
    return ia == ib and da.pop("dataset.json") and db.pop("dataset.json") and da == db


def merge(tmp: Path, *args: str):
    return simulate("merge", *args, cwd=tmp, check=False)


def refused(proc, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error:")
    for w in words:
        assert w in proc.stderr, proc.stderr


def test_two_parts_merge_to_the_whole(small_parts: Path):
    proc = merge(small_parts, "p1", "p2", "--out", "m")
    assert proc.returncode == 0, proc.stderr
    assert same_dataset(small_parts / "m", small_parts / "whole")


def test_parts_with_failed_samples_merge_to_the_whole(small_parts: Path):
    whole = json.loads((small_parts / "fwhole" / "dataset.json").read_text())
    assert whole["failed"] and whole["status"] == "incomplete"  # the case this test is about
    assert merge(small_parts, "f1", "f2", "--out", "fm").returncode == 0
    assert same_dataset(small_parts / "fm", small_parts / "fwhole")


@pytest.mark.parametrize("args, words", [
    (("p1", "--out", "x1"), ("2/2", "missing")),
    (("p1", "p1", "--out", "x2"), ("again",)),
    (("p1", "other", "--out", "x3"), ("spec",)),
    (("p1", "whole", "--out", "x4"), ("whole", "--part")),
    (("p1", "nowhere", "--out", "x5"), ("nowhere",)),
    (("p1", "p2", "--out", "p1/inner"), ("overlaps",)),
])
def test_merge_refuses_what_is_not_one_plan(small_parts: Path, args, words):
    refused(merge(small_parts, *args), *words)
    assert not (small_parts / args[-1]).exists()


def test_merge_refuses_a_non_empty_out_and_an_unfinished_part(small_parts: Path, tmp_path: Path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep me")
    refused(merge(tmp_path, str(small_parts / "p1"), str(small_parts / "p2"), "--out", "full"), "not empty")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]
    cut = tmp_path / "cut"
    shutil.copytree(small_parts / "p2", cut)
    lines = (cut / "manifest.jsonl").read_text().splitlines(keepends=True)
    (cut / "manifest.jsonl").write_text("".join(lines[:-1]))
    refused(merge(tmp_path, str(small_parts / "p1"), "cut", "--out", "m"), "not finished")
    assert not (tmp_path / "m").exists()


def test_an_interrupted_merge_is_redone(small_parts: Path, tmp_path: Path):
    out = tmp_path / "m"
    out.mkdir()
    (out / ".avsim-merging").write_text("[]\n")
    (out / "manifest.jsonl").write_text("half")
    assert merge(tmp_path, str(small_parts / "p1"), str(small_parts / "p2"), "--out", "m").returncode == 0
    assert same_dataset(out, small_parts / "whole")


@pytest.mark.parametrize("part, words", [("0/2", ("K must be",)), ("3/2", ("K must be",)), ("1/0", ("N must be",)),
                                         ("a/b", ("K/N",)), ("1-2", ("K/N",))])
def test_bad_part_is_refused(tmp_path: Path, part, words):
    refused(make(tmp_path, "out", 4, "--part", part, check=False), "--part", *words)
    assert not (tmp_path / "out").exists()


def test_a_part_folder_takes_only_its_part(small_parts: Path, tmp_path: Path):
    shutil.copytree(small_parts / "p1", tmp_path / "p1")
    before = tree_digest(tmp_path / "p1")
    refused(make(tmp_path, "p1", 4, "--part", "2/2", check=False), "part 1/2")
    refused(make(tmp_path, "p1", 4, check=False), "part 1/2")
    refused(make(tmp_path, "p1", 6, "--part", "1/2", check=False), "parts cannot grow")
    assert tree_digest(tmp_path / "p1") == before
    proc = make(tmp_path, "p1", 4, "--part", "1/2")  # its own part again: complete, a no-op
    assert "skipped 2 already complete" in proc.stdout
    assert tree_digest(tmp_path / "p1") == before


def test_dry_run_names_the_part(tmp_path: Path):
    proc = make(tmp_path, "out", 10, "--part", "2/3", "--dry-run")
    assert "part 2/3: indices 3 to 5 (3 samples)" in proc.stdout
    assert not (tmp_path / "out").exists()


def test_audit_accepts_listed_failures_and_parts(small_parts: Path):
    """A finished dataset with samples that had no valid layout, and part folders, audit clean;
    a failure list that does not cover the gap does not."""
    for name in ("fwhole", "f1", "f2", "p2"):
        proc = simulate("audit", name, cwd=small_parts, check=False)
        assert proc.returncode == 0, proc.stdout
    assert "had no valid layout" in simulate("audit", "fwhole", cwd=small_parts, check=False).stdout
    work = small_parts / "fwhole_edited"
    shutil.copytree(small_parts / "fwhole", work)
    info = json.loads((work / "dataset.json").read_text())
    info["failed"] = []
    (work / "dataset.json").write_text(json.dumps(info))
    proc = simulate("audit", str(work), cwd=small_parts, check=False)
    assert proc.returncode == 1 and "manifest.order" in proc.stdout
