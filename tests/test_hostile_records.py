"""Records are untrusted input: ``simulate replay`` and ``simulate audit`` on records and datasets
that others sent, broken or malicious (the harness is tests/hostile.py). Each is refused with a
one-line message naming the file or the field, within a time and memory bound, with nothing
written; asset keys never lead out of their library."""
from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import simulate

from hostile import Hostile, check, make_special


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("source")
    simulate("--spec", "congruent", "--set", "samples=2", "--set", "image.width=48", "--set", "image.height=32",
             "--set", "audio.duration=0.2", "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


@pytest.fixture(scope="module")
def record(dataset) -> dict:
    return json.loads((dataset / "samples" / "0000" / "0000000.json").read_text())


def replay_of(mutate: Callable[[dict], object] | None = None, raw: bytes | None = None,
              out: str = "replayed") -> Callable:
    """A case replaying a copy of the fixture record changed by ``mutate`` (or the bytes ``raw``)."""
    def make(record: dict) -> Callable:
        def setup(folder: Path) -> list[str]:
            path = folder / "record.json"
            if raw is not None:
                path.write_bytes(raw)
            else:
                rec = copy.deepcopy(record)
                result = mutate(rec) if mutate else None
                path.write_text(json.dumps(rec if result is None else result))
            return ["replay", "record.json", "--out", str(folder / out) if not out.startswith("/") else out]
        return setup
    return make


def scene_set(path: str, value) -> Callable[[dict], None]:
    """Set ``scene.<path>`` (dotted, list indices as numbers) to ``value``."""
    def mutate(rec: dict) -> None:
        node = rec["scene"]
        parts = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value
    return mutate


RECORD_CASES = [
    ("garbage_bytes", replay_of(raw=os.urandom(2000)), ("record.json", "not a sample record")),
    ("empty_file", replay_of(raw=b""), ("record.json", "not a sample record")),
    ("json_list", replay_of(lambda r: [1, 2, 3]), ("record.json", "no scene")),
    ("json_string", replay_of(raw=b'"a record"'), ("record.json", "no scene")),
    ("no_scene", replay_of(lambda r: r.pop("scene") and None), ("record.json", "no scene")),
    ("scene_not_a_mapping", replay_of(lambda r: r.update(scene=[1])), ("record.json", "no scene")),
    ("scene_format_99", replay_of(scene_set("format", 99)), ("record.json", "format")),
    ("format_1_without_dataset", replay_of(scene_set("format", 1)), ("record.json", "dataset.json")),
    ("deeply_nested", replay_of(raw=b"[" * 200_000 + b"]" * 200_000), ("record.json", "nested too deeply")),
    ("sample_rate_1e12", replay_of(scene_set("audio.sample_rate", 10**12)), ("audio.sample_rate", "outside")),
    ("duration_1e9", replay_of(scene_set("audio.duration_s", 1e9)), ("audio.duration_s", "outside")),
    ("width_1e9", replay_of(scene_set("camera.width", 10**9)), ("camera.width", "outside")),
    ("hfov_zero", replay_of(scene_set("camera.hfov_deg", 0.0)), ("camera.hfov_deg",)),
    ("position_nan", replay_of(raw=None, mutate=scene_set("objects.0.position_m", [float("nan"), 0, 0])),
     ("objects[0].position_m",)),
    ("position_huge", replay_of(scene_set("objects.0.position_m", [1e300, 0.0, 0.0])), ("objects[0].position_m",)),
    ("id_zero", replay_of(scene_set("objects.0.id", 0)), ("objects[0].id",)),
    ("id_bool", replay_of(scene_set("objects.0.id", True)), ("objects[0].id", "integer")),
    ("seed_negative", replay_of(scene_set("seed", [-1, 0, 0])), ("seed",)),
    ("clip_key_escapes", replay_of(scene_set("sources.0.clip", "default:../../../../../../etc/passwd")),
     ("stay inside the library",)),
    ("clip_key_absolute", replay_of(scene_set("sources.0.clip", "default:/etc/passwd")),
     ("stay inside the library",)),
    ("mesh_key_escapes", replay_of(scene_set("objects.0.mesh", "default:meshes/../../../../../etc/hostname")),
     ("stay inside the library",)),
    ("key_unknown_library", replay_of(scene_set("sources.0.clip", "elsewhere:dog.flac")), ("not in library",)),
    ("key_not_a_string", replay_of(scene_set("sources.0.clip", 7)), ("sources[0].clip", "string")),
    ("unknown_condition", replay_of(scene_set("condition", "louder")), ("condition", "louder")),
    ("unknown_head", replay_of(scene_set("listener.head", "bat")), ("listener.head", "bat")),
    ("unknown_room_type", replay_of(scene_set("room.type", "cave")), ("room.type", "cave")),
    ("unknown_backend", replay_of(scene_set("image.backend", "crayon")), ("image.backend",)),
    ("unknown_texture", replay_of(scene_set("background.texture", "plaid")), ("background.texture",)),
    ("unknown_field", replay_of(scene_set("camera.lens", "fisheye")), ("lens",)),
    ("missing_camera", replay_of(lambda r: r["scene"].pop("camera") and None), ("camera",)),
    ("sofa_is_not_sofa", replay_of(scene_set("listener.sofa", "/etc/hostname")), ("record.json",)),
    ("sofa_missing", replay_of(scene_set("listener.sofa", "/nonexistent/x.sofa")), ("record.json",)),
    ("library_folder_missing", replay_of(scene_set("library.sounds", "/nonexistent/sounds")), ("record.json",)),
    ("source_on_missing_object", replay_of(scene_set("sources.0.object_id", 99)), ("sources[0].object_id",)),
    ("duplicate_object_ids", replay_of(lambda r: r["scene"]["objects"].append(r["scene"]["objects"][0]) and None),
     ("objects",)),
    ("photo_source_missing_files", replay_of(lambda r: r["scene"].update(
        image={"backend": "photos", "annotations": "/nonexistent/a.json", "images": "/nonexistent"},
        image_source={"type": "photo", "file": "x.png", "image_id": 1, "width": 4, "height": 4})),
     ("record.json",)),
    ("out_in_proc", replay_of(out="/proc/avsim-replay"), ("virtual file system",)),
]


def special_record(kind: str) -> Callable:
    def make(record: dict) -> Callable:
        def setup(folder: Path) -> list[str]:
            make_special(folder / "record.json", kind, huge_bytes=80_000_000)
            return ["replay", "record.json", "--out", str(folder / "replayed")]
        return setup
    return make


RECORD_CASES += [
    ("record_is_a_fifo", special_record("fifo"), ("record.json", "regular file")),
    ("record_is_a_folder", special_record("dir"), ("record.json", "regular file")),
    ("record_huge", special_record("huge"), ("record.json", "80000000 bytes")),
    ("record_link_loop", special_record("loop"), ("record.json",)),
    ("record_missing", special_record("missing"), ("record.json",)),
]


@pytest.mark.parametrize("name, make, fragments", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_hostile_record(name, make, fragments, record, tmp_path):
    check(Hostile(name, make(record), fragments, timeout=60), tmp_path)


def test_replay_out_folder_not_empty(record, tmp_path):
    def setup(folder: Path) -> list[str]:
        (folder / "record.json").write_text(json.dumps(record))
        (folder / "replayed").mkdir()
        (folder / "replayed" / "mine.txt").write_text("keep me\n")
        return ["replay", "record.json", "--out", str(folder / "replayed")]

    check(Hostile("out_not_empty", setup, ("replayed", "new or empty")), tmp_path)


# -- audit and stats on datasets that others sent ------------------------------------------------
def broken_dataset(change: Callable[[Path], None], command: str = "audit") -> Callable:
    def make(dataset: Path) -> Callable:
        def setup(folder: Path) -> list[str]:
            copy_ = folder / "data"
            shutil.copytree(dataset, copy_)
            change(copy_)
            return [command, str(copy_)] + (["--out", str(folder / "stats")] if command == "stats" else [])
        return setup
    return make


def _first_record(root: Path) -> Path:
    return root / "samples" / "0000" / "0000000.json"


DATASET_CASES = [
    ("audit_not_a_dataset", broken_dataset(lambda d: (d / "dataset.json").unlink()), 2, ("dataset",)),
    ("audit_dataset_json_garbage", broken_dataset(lambda d: (d / "dataset.json").write_bytes(os.urandom(500))), 2,
     ("dataset.json",)),
    ("audit_dataset_json_list", broken_dataset(lambda d: (d / "dataset.json").write_text("[1]")), 2,
     ("dataset.json",)),
    ("audit_record_garbage", broken_dataset(lambda d: _first_record(d).write_bytes(os.urandom(300))), 1,
     ("record",)),
    ("audit_record_deeply_nested", broken_dataset(lambda d: _first_record(d).write_text("[" * 100000 + "]" * 100000)),
     1, ("record",)),
    ("audit_manifest_binary", broken_dataset(lambda d: (d / "manifest.jsonl").write_bytes(os.urandom(300))), 2,
     ("manifest.jsonl",)),
    ("audit_manifest_text_garbage", broken_dataset(lambda d: (d / "manifest.jsonl").write_text("{nope\n[1, 2]\n\"x\"\n")),
     1, ("manifest line 1", "manifest line 2")),
    ("audit_manifest_escapes", broken_dataset(lambda d: (d / "manifest.jsonl").write_text(json.dumps(
        {"index": 0, "files": {"record": "../../../../etc/hostname"}, "bytes": {"/etc/hostname": 10}}) + "\n")),
     1, ("not a file of the dataset",)),
    ("audit_record_missing", broken_dataset(lambda d: _first_record(d).unlink()), 1, ("0000000.json",)),
    ("audit_scene_malformed", broken_dataset(lambda d: _first_record(d).write_text(json.dumps(
        {**json.loads(_first_record(d).read_text()), "scene": {"format": 2, "index": "zero"}}))), 1, ("scene",)),
    ("stats_not_a_dataset", broken_dataset(lambda d: (d / "dataset.json").unlink(), "stats"), 2, ("dataset",)),
    ("stats_manifest_garbage", broken_dataset(lambda d: (d / "manifest.jsonl").write_bytes(os.urandom(300)), "stats"),
     2, ("manifest",)),
    ("stats_record_garbage", broken_dataset(lambda d: _first_record(d).write_bytes(os.urandom(300)), "stats"), 2,
     ("0000000.json",)),
]


@pytest.mark.parametrize("name, make, status, fragments", DATASET_CASES, ids=[c[0] for c in DATASET_CASES])
def test_hostile_dataset(name, make, status, fragments, dataset, tmp_path):
    check(Hostile(name, make(dataset), fragments, status=status), tmp_path)


def test_audit_of_a_missing_folder(tmp_path):
    check(Hostile("audit_missing", lambda f: ["audit", str(f / "nothing")], ("nothing",)), tmp_path)


def test_the_record_corpus_is_large():
    assert len(RECORD_CASES) + len(DATASET_CASES) >= 50
