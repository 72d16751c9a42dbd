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

from simulator.conditions.offscreen import OFFSCREEN_REGIONS
from simulator.core.image import MeshOptions, PhotoOptions
from simulator.core.scene import SCENE_FORMAT, ImageManipulation, LibraryRef, Scene, scene_from_format1
from simulator.replay import IDENTICAL, UPGRADED

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
    lines = dict(line.split(": ", 1) for line in proc.stdout.strip().splitlines())
    files = json.loads(record.read_text())["files"]
    assert set(lines) == set(files)
    assert lines.pop("record") == UPGRADED, proc.stdout
    assert all(verdict == IDENTICAL for verdict in lines.values()), proc.stdout


def test_format1_settings_come_from_dataset_json():
    spec = json.loads((DATA / "dataset.json").read_text())["spec"]
    by_condition = {}
    for path in records():
        data = json.loads(path.read_text())
        scene = scene_from_format1(data["scene"], spec)
        by_condition[scene.condition] = scene
        assert scene.format == SCENE_FORMAT and scene.audio.level_db == -6.0 and scene.audio.sample_rate == 8000
        assert scene.room.type == "shoebox" and scene.library == LibraryRef("default", "default")
        assert isinstance(scene.image, MeshOptions)
        plain = Scene.from_dict(data["scene"])  # without dataset.json: the defaults
        assert plain.audio.level_db == -12.0 and plain.objects == scene.objects
    only = by_condition["audio_only"].manipulations.image
    assert only == ImageManipulation(kind="noise", gray_level=100, noise_std=30.0)
    assert by_condition["vision_only"].manipulations.audio in ("silence", "noise")
    negatives = by_condition["congruent"].manipulations.negatives
    assert negatives.silence and not negatives.noise and negatives.offscreen.region in OFFSCREEN_REGIONS
    assert Scene.from_json(by_condition["congruent"].to_json()) == by_condition["congruent"]


def test_format1_photo_objects_name_their_annotation():
    data = json.loads(records()[0].read_text())["scene"]
    data["objects"][0]["mesh"] = "coco:123"
    data["image_source"] = {"type": "photo", "file": "a.png", "image_id": 7, "depth_file": None, "width": 64,
                            "height": 48, "crowd": [], "resize": "native",
                            "objects": {"1": {"ann_id": 123, "source_px": [3.5, 4.5], "d_norm": 0.2,
                                              "depth_m": 3.0, "depth_method": "map"}}}
    photos = {"annotations": "/x/a.json", "images": "/x/img", "depth": None, "category_map": None, "margin": 0.1}
    scene = scene_from_format1(data, {"image": {"renderer": "photos"}, "photos": photos})
    assert scene.objects[0].mesh is None and scene.objects[0].photo_annotation == 123
    assert scene.image == PhotoOptions(annotations="/x/a.json", images="/x/img", margin=0.1)
    assert scene.image_source.objects["1"].source_px == (3.5, 4.5)
