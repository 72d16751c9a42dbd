"""Records written before the Scene's format 2 (tests/data/format1: six samples of the six
AudioCOCO conditions, negatives, a noise image, a shoebox room, non-default levels, written by the
format-1 code) still load and still replay to the same bytes. Their render settings (levels,
noise, image manipulations, encoding) come from the dataset.json beside them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import simulate

DATA = Path(__file__).resolve().parent / "data" / "format1"


def records() -> list[Path]:
    return sorted((DATA / "samples").rglob("*.json"))


def test_the_fixture_is_format_1():
    assert len(records()) == 6
    for path in records():
        assert json.loads(path.read_text())["scene"]["format"] == 1


@pytest.mark.parametrize("index", range(6))
def test_format1_record_replays_byte_identical(index, tmp_path):
    dataset = tmp_path / "format1"
    shutil.copytree(DATA, dataset)
    record = dataset / "samples" / "0000" / f"{index:07d}.json"
    proc = simulate("replay", str(record), "--out", str(tmp_path / "replayed"), cwd=tmp_path)
    lines = proc.stdout.strip().splitlines()
    assert lines and all("identical to the original" in line for line in lines), proc.stdout
    files = json.loads(record.read_text())["files"]
    assert len(lines) == len(files)
