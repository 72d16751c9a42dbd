"""Replay: re-render one sample from the Scene stored in its record, and compare the bytes."""
from __future__ import annotations

import json
from pathlib import Path

from .core.scene import Scene
from .spec.errors import SpecError
from .spec.loader import spec_from_resolved
from .spec.spec import Spec
from .writers.folder import DATASET_FORMAT, write_sample_files


def find_dataset_info(record_path: Path) -> tuple[Path, dict]:
    """The dataset folder holding ``record_path`` and its dataset.json."""
    for folder in record_path.resolve().parents:
        info_path = folder / "dataset.json"
        if info_path.is_file():
            info = json.loads(info_path.read_text())
            if info.get("format") == DATASET_FORMAT:
                return folder, info
    raise SpecError("no dataset.json of this tool above the record", source=str(record_path))


def replay_record(record_path: Path, out_dir: Path) -> dict[str, bool]:
    """Render the record's Scene into ``out_dir`` (same layout) and compare each file with the
    original. Returns {file kind: identical}."""
    try:
        record = json.loads(record_path.read_text())
        scene = Scene.from_dict(record["scene"])
    except (OSError, ValueError, KeyError) as exc:
        raise SpecError(f"not a sample record: {exc}", source=str(record_path)) from None
    root, info = find_dataset_info(record_path)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SpecError("replay output folder must be new or empty", source=str(out_dir))
    spec: Spec = spec_from_resolved(info["spec"], source=str(root / "dataset.json"))
    from .pipeline import SampleMaker

    maker = SampleMaker(spec)
    try:
        sample = maker.render_scene(scene)
    finally:
        maker.close()
    r = spec.resolved
    entry = write_sample_files(out_dir, r["output"], r["audio"], sample)
    return {kind: (out_dir / rel).read_bytes() == (root / rel).read_bytes() if (root / rel).exists() else False
            for kind, rel in entry["files"].items()}
