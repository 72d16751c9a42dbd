"""Replay: re-render one sample from the Scene stored in its record, and compare the bytes.

A record of Scene format 2 holds every setting its sample needs, so the record alone is enough:
it may be copied anywhere, without its dataset. A format-1 record takes its render settings from
the dataset.json of the dataset folder above it. Each re-rendered file is compared with the
original beside the record when there is one.
"""
from __future__ import annotations

import json
from pathlib import Path

from .core.plain import PlainError
from .core.scene import Scene, scene_from_format1
from .encode import encode_sample
from .record_files import BadFile, one_line, parse_json, read_json, read_text
from .scene_renderer import SceneRenderer
from .sinks.atomic import write_bytes_atomic
from .sinks.folder import DATASET_FORMAT, check_output_place
from .spec.errors import SpecError

#: Per file: the re-rendered bytes equal the original's.
IDENTICAL = "identical to the original"
#: The record's annotations equal the original's; only its stored Scene is written in a newer format.
UPGRADED = "annotations identical to the original (Scene upgraded to the current format)"
DIFFERS = "DIFFERS from the original"
NO_ORIGINAL = "written (no original beside the record to compare with)"


def find_dataset_info(record_path: Path) -> tuple[Path, dict] | None:
    """The dataset folder holding ``record_path`` and its dataset.json, or None."""
    for folder in record_path.resolve().parents:
        info_path = folder / "dataset.json"
        if info_path.is_file():
            try:
                info = read_json(info_path)
            except BadFile:
                continue
            if isinstance(info, dict) and info.get("format") == DATASET_FORMAT:
                return folder, info
    return None


def load_record(record_path: Path) -> tuple[dict, Scene, Path | None]:
    """The record, its Scene and the folder its ``files`` are relative to (None if unknown)."""
    try:
        record = parse_json(read_text(record_path))
        if not isinstance(record, dict) or not isinstance(record.get("scene"), dict):
            raise ValueError("no scene in the record")
        data = record["scene"]
        found = find_dataset_info(record_path)
        if data.get("format") == 1:
            if found is None:
                raise ValueError("a record of Scene format 1 needs the dataset.json of its dataset above it")
            scene = scene_from_format1(data, found[1].get("spec"))
        else:
            scene = Scene.from_dict(data)
    except (OSError, ValueError, PlainError) as exc:
        raise SpecError(f"not a sample record: {one_line(exc)}", source=str(record_path)) from None
    root = found[0] if found is not None else _root_from_files(record_path, record)
    return record, scene, root


def _root_from_files(record_path: Path, record: dict) -> Path | None:
    """The folder the record's own name (``files.record``) is relative to, if it matches."""
    rel = (record.get("files") or {}).get("record")
    if not isinstance(rel, str):
        return None
    parts = Path(rel).parts
    path = record_path.resolve()
    if tuple(path.parts[-len(parts):]) != parts:
        return None
    return Path(*path.parts[:-len(parts)])


def replay_record(record_path: Path, out_dir: Path) -> dict[str, str]:
    """Render the record's Scene into ``out_dir`` (same layout) and compare each file with the
    original beside the record. Returns {file kind: verdict} (the constants of this module)."""
    record, scene, root = load_record(record_path)
    check_output_place(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise SpecError("replay output folder must be new or empty", source=str(out_dir))
    renderer = SceneRenderer()
    try:
        encoded = encode_sample(renderer.render(scene))
    except (ValueError, KeyError, OSError, RuntimeError) as exc:  # the Scene asks for what cannot be rendered
        raise SpecError(f"cannot render the record's Scene: {one_line(exc)}", source=str(record_path)) from None
    finally:
        renderer.close()
    for rel, data in encoded.blobs.items():
        write_bytes_atomic(out_dir / rel, data)
    original_format = record["scene"].get("format")
    verdicts = {}
    for kind, rel in encoded.files.items():
        original = root / rel if root is not None else None
        if original is None or not original.is_file():
            verdicts[kind] = NO_ORIGINAL
        elif original.read_bytes() == encoded.blobs[rel]:
            verdicts[kind] = IDENTICAL
        elif kind == "record" and original_format != encoded.record["scene"]["format"] and \
                _annotations(json.loads(original.read_bytes())) == _annotations(encoded.record):
            verdicts[kind] = UPGRADED
        else:
            verdicts[kind] = DIFFERS
    return verdicts


def _annotations(record: dict) -> dict:
    """A record without its Scene; a format-1 photo object's ``mesh: "coco:<id>"`` read as the
    current ``mesh: null, photo_annotation: <id>``."""
    out = {k: v for k, v in record.items() if k != "scene"}
    objects = []
    for obj in out.get("objects") or []:
        mesh = obj.get("mesh") if isinstance(obj, dict) else None
        if isinstance(mesh, str) and mesh.startswith("coco:") and mesh[5:].isdigit():
            obj = {**obj, "mesh": None, "photo_annotation": int(mesh[5:])}
        objects.append(obj)
    out["objects"] = objects
    return out
