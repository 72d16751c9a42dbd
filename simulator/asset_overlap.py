"""Do two datasets share an asset? ``simulate audit A --against B`` (docs/dataset-format.md).

A held-out test set (``library.split``, docs/assets.md) must use no clip, mesh or photo its training
set uses. This module reads the records of both datasets (folder datasets, or a sweep's output
folder: the union of its sub-datasets) and collects, per kind, the asset keys they use:

* ``clips``: every source's ``clip`` and every off-screen negative's clip;
* ``meshes``: every object's ``mesh`` (targets and distractors alike);
* ``photos``: the photo file (relative to ``photos.images``) of each photo sample.

The report gives the counts, the shared keys of each kind (the first few), and each dataset's split
(dataset.json ``library.split``); exit status 1 when the datasets share an asset, 0 when they are
disjoint, 2 when either is not a dataset.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .record_files import BadFile, inside, manifest_lines, read_json, read_record

#: The asset kinds compared, in report order.
KINDS = ("clips", "meshes", "photos")
#: Shared keys listed per kind in the text report (the JSON report lists all).
SHOWN = 5


class NotADataset(ValueError):
    """A folder that is neither a dataset nor a sweep's folder of datasets (one-line message)."""


@dataclass
class DatasetAssets:
    """The assets one dataset (or a sweep's datasets together) uses: kind -> keys; ``splits``: the
    ``library.split`` each dataset.json records (None for an unsplit one)."""

    root: Path
    samples: int = 0
    assets: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in KINDS})
    splits: list[dict[str, Any] | None] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.root), "samples": self.samples, "splits": self.splits,
                "assets": {kind: len(keys) for kind, keys in self.assets.items()}, "unreadable": self.unreadable}


def record_assets(record: dict[str, Any]) -> dict[str, set[str]]:
    """The asset keys one record uses, per kind (see the module docstring); parts of the record
    that are malformed are skipped (``simulate audit A`` reports them)."""
    out: dict[str, set[str]] = {kind: set() for kind in KINDS}

    def items(value: Any) -> list[dict[str, Any]]:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    for source in items(record.get("sources")):
        out["clips"].add(source.get("clip"))
    for negative in items(record.get("negatives")):
        if isinstance(negative.get("source"), dict):
            out["clips"].add(negative["source"].get("clip"))
    for obj in items(record.get("objects")):
        out["meshes"].add(obj.get("mesh"))
    scene = record.get("scene") if isinstance(record.get("scene"), dict) else {}
    source = scene.get("image_source")
    if isinstance(source, dict) and source.get("type") == "photo":
        out["photos"].add(source.get("file"))
    return {kind: {k for k in keys if isinstance(k, str)} for kind, keys in out.items()}


def dataset_roots(path: Path) -> list[Path]:
    """``path`` if it is a dataset, else its sub-datasets (a sweep's output folder)."""
    if (path / "dataset.json").is_file():
        return [path]
    subs = sorted(p for p in path.iterdir() if (p / "dataset.json").is_file()) if path.is_dir() else []
    if subs:
        return subs
    raise NotADataset(f"{path}: {'no such folder' if not path.exists() else 'not a dataset (no dataset.json)'}")


def read_assets(path: Path | str) -> DatasetAssets:
    """Every asset key the records of the dataset(s) at ``path`` use (NotADataset if there are none)."""
    path = Path(path)
    found = DatasetAssets(path)
    for root in dataset_roots(path):
        try:
            info = read_json(root / "dataset.json")
        except BadFile as exc:
            raise NotADataset(f"{root}/dataset.json: cannot be read ({exc})") from None
        if not isinstance(info, dict) or not (root / "manifest.jsonl").is_file():
            raise NotADataset(f"{root}: not a dataset (dataset.json without manifest.jsonl)")
        spec = info.get("spec") if isinstance(info.get("spec"), dict) else {}
        if (spec.get("output") or {}).get("format", "folder") != "folder":
            raise NotADataset(f"{root}: a dataset of shards; compare the folder datasets they were packed from")
        library = info.get("library") if isinstance(info.get("library"), dict) else {}
        found.splits.append(library.get("split"))
        try:
            for record in _records(root, found.unreadable):
                found.samples += 1
                for kind, keys in record_assets(record).items():
                    found.assets[kind] |= keys
        except BadFile as exc:
            raise NotADataset(f"{root}/manifest.jsonl: cannot be read ({exc})") from None
    return found


def _records(root: Path, unreadable: list[str]) -> Iterable[dict[str, Any]]:
    """The records the manifest lists; those that cannot be read are named in ``unreadable``."""
    for _, entry, error in manifest_lines(root / "manifest.jsonl"):
        rel = (entry or {}).get("files", {}).get("record")
        if error or not isinstance(rel, str) or not inside(root, rel):
            unreadable.append(error or f"{root}: a manifest entry without a record")
            continue
        try:
            yield read_record(root / rel)
        except BadFile as exc:
            unreadable.append(f"{root / rel}: {exc}")


@dataclass
class OverlapReport:
    """Two datasets' assets and the keys they share, per kind."""

    a: DatasetAssets
    b: DatasetAssets
    shared: dict[str, list[str]]

    @property
    def disjoint(self) -> bool:
        return not any(self.shared.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (every shared key)."""
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "shared": self.shared, "disjoint": self.disjoint}

    def summary(self) -> str:
        lines = []
        for d in (self.a, self.b):
            counts = ", ".join(f"{len(d.assets[k])} {k}" for k in KINDS)
            lines.append(f"{d.root}: {d.samples} samples, {counts}; split: {_splits_text(d.splits)}")
            if d.unreadable:
                lines.append(f"  {len(d.unreadable)} record(s) could not be read (simulate audit {d.root} says why)")
        for kind in KINDS:
            keys = self.shared[kind]
            if keys:
                more = f", ... ({len(keys) - SHOWN} more)" if len(keys) > SHOWN else ""
                lines.append(f"shared {kind}: {len(keys)}: {', '.join(keys[:SHOWN])}{more}")
        total = sum(len(v) for v in self.shared.values())
        lines.append("DISJOINT: no clip, mesh or photo in common" if self.disjoint else
                     f"OVERLAP: {total} asset(s) used by both datasets")
        return "\n".join(lines)


def _splits_text(splits: Iterable[dict[str, Any] | None]) -> str:
    texts = []
    for s in splits:
        if not isinstance(s, dict):
            texts.append("none (every asset)")
            continue
        fractions = s.get("fractions") if isinstance(s.get("fractions"), dict) else {}
        kinds = [k for k in ("sounds", "meshes", "photos") if s.get(k)]
        texts.append(f"{s.get('use')} (fractions {', '.join(f'{k} {v}' for k, v in fractions.items())}; "
                     f"salt {s.get('salt')!r}; split: {', '.join(kinds) or 'nothing'})")
    return "; ".join(dict.fromkeys(texts)) or "none"


def compare(a: Path | str, b: Path | str) -> OverlapReport:
    """The overlap of the datasets at ``a`` and ``b`` (NotADataset if either is not one)."""
    da, db = read_assets(a), read_assets(b)
    return OverlapReport(da, db, {kind: sorted(da.assets[kind] & db.assets[kind]) for kind in KINDS})


def main(dataset: str, against: str, json_path: str | None = None) -> int:
    """``simulate audit A --against B``: print the overlap; 0 disjoint, 1 shared assets, 2 not a dataset."""
    try:
        report = compare(dataset, against)
    except NotADataset as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    return 0 if report.disjoint else 1
