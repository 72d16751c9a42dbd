"""``simulate merge PART_DIR ... --out DIR``: join the parts of one plan into one dataset.

Each part folder was made with ``simulate --spec X --part K/N`` (:mod:`simulator.parts`) from the
same spec. The merge checks, before it writes anything, that the folders are finished parts
(every index of the part is in its manifest or in its ``failed`` list) of one spec (same spec
hash, same package versions), that parts 1 to N are each there exactly once, and that the output
folder is new or empty. It then joins them in index order: sample files hard-linked where the
file system allows (copied otherwise; ``--copy`` always copies), the manifests' lines
concatenated, the COCO export and dataset.json written as a one-machine run writes them. The
result is byte-identical to ``simulate --spec X`` on one machine (same package versions). The part
folders are only read.

Formats other than ``folder`` are joined by their sink's ``merge(part_roots, out)`` class method
(:mod:`simulator.sinks`), after the same checks.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .cli_parser import ArgumentParser
from .record_files import MAX_MANIFEST_LINE, BadFile, inside, parse_json, read_json, read_text
from .sinks import SINKS
from .sinks.atomic import write_bytes_atomic, write_text_atomic
from .sinks.base import OutputDirError
from .sinks.coco import coco_text
from .sinks.folder import DATASET_FORMAT, check_output_place
from .sinks.lock import LOCK_NAME, MERGING_MARK, DatasetLock
from .spec.errors import SpecError
from .spec.spec import spec_hash

#: Keys of dataset.json that may differ between parts (the rest must be equal, the spec up to its
#: output.dir).
PER_PART_KEYS = ("part", "status", "failed", "spec")


@dataclass
class PartFolder:
    """A finished part: its root, dataset.json, manifest lines (raw bytes, parsed) and failures."""

    root: Path
    info: dict[str, Any]
    lines: list[bytes]
    entries: list[dict[str, Any]]
    failed: list[dict[str, Any]]

    @property
    def k(self) -> int:
        return self.info["part"]["k"]


def _bad(root: Path, problem: str) -> SpecError:
    return SpecError(problem, source=str(root))


def read_part(root: Path) -> PartFolder:
    """A part folder, checked (SpecError naming the file otherwise; nothing is written)."""
    root = Path(root)
    if not root.is_dir():
        raise _bad(root, "is not a folder")
    try:
        info = read_json(root / "dataset.json")
    except BadFile as exc:
        raise _bad(root / "dataset.json", str(exc)) from None
    if not isinstance(info, dict) or info.get("format") != DATASET_FORMAT:
        raise _bad(root / "dataset.json", "is not a dataset of this tool")
    part = info.get("part")
    if not isinstance(part, dict) or not all(isinstance(part.get(k), int) for k in ("k", "n", "start", "stop")):
        raise _bad(root, "is not a part of a plan (made without --part K/N); nothing to merge")
    try:
        text = read_text(root / "manifest.jsonl", limit=2**40)
    except BadFile as exc:
        raise _bad(root / "manifest.jsonl", str(exc)) from None
    lines, entries = [], []
    for n, raw in enumerate(text.encode().split(b"\n")[:-1], 1):
        try:
            entry = parse_json(raw) if len(raw) <= MAX_MANIFEST_LINE else None
        except BadFile:
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("index"), int) or \
                (entries and entry["index"] <= entries[-1]["index"]):
            raise _bad(root / "manifest.jsonl", f"line {n} is not a sample entry in index order")
        lines.append(raw + b"\n")
        entries.append(entry)
    failed = info.get("failed") if isinstance(info.get("failed"), list) else []
    failed_ix = {f.get("index") for f in failed if isinstance(f, dict)}
    made = {e["index"] for e in entries}
    want = set(range(part["start"], part["stop"]))
    if made | failed_ix != want or made & failed_ix or info.get("status") not in ("complete", "incomplete"):
        raise _bad(root, f"part {part['k']}/{part['n']} is not finished: {len(made)} of {len(want)} samples made "
                         f"and {len(failed_ix)} failed; rerun its command to finish it")
    if info.get("status") == "incomplete" and not failed:
        raise _bad(root, f"part {part['k']}/{part['n']} is not finished; rerun its command to finish it")
    return PartFolder(root, info, lines, entries, failed)


def check_parts(parts: Sequence[PartFolder]) -> list[PartFolder]:
    """The parts in order 1..N, checked to be all of one plan (SpecError otherwise)."""
    if not parts:
        raise SpecError("no part folders given")
    first = parts[0]
    for p in parts:
        if not isinstance(p.info.get("spec"), dict) or spec_hash(p.info["spec"]) != p.info.get("spec_hash"):
            raise _bad(p.root / "dataset.json", "its spec does not match its spec_hash (edited?)")
    for p in parts[1:]:
        for key in sorted(set(first.info) | set(p.info)):
            if key not in PER_PART_KEYS and first.info.get(key) != p.info.get(key):
                what = {"spec_hash": "spec", "versions": "package versions", "samples": "samples"}.get(key, key)
                raise _bad(p.root, f"differs from {first.root} in {what}: the parts are not of one plan made "
                                   "the same way")
    n = first.info["part"]["n"]
    by_k: dict[int, PartFolder] = {}
    for p in parts:
        if p.info["part"]["n"] != n:
            raise _bad(p.root, f"is part {p.k}/{p.info['part']['n']}, the others are parts of {n}")
        if p.k in by_k:
            raise _bad(p.root, f"is part {p.k}/{n} again (also {by_k[p.k].root})")
        by_k[p.k] = p
    missing = [k for k in range(1, n + 1) if k not in by_k]
    if missing:
        raise SpecError(f"parts {', '.join(f'{k}/{n}' for k in missing[:10])} are missing; give all {n} part folders")
    return [by_k[k] for k in range(1, n + 1)]


def check_out(out: Path, parts: Sequence[PartFolder]) -> None:
    """The merge's output folder: new, empty, or an interrupted merge's (SpecError otherwise)."""
    check_output_place(out)
    resolved = Path(os.path.abspath(out)).resolve()
    for p in parts:
        r = p.root.resolve()
        if resolved == r or resolved.is_relative_to(r) or r.is_relative_to(resolved):
            raise OutputDirError(f"overlaps the part folder {p.root}; choose another --out", key="--out",
                                 source=str(out))
    if out.exists():
        if not out.is_dir():
            raise OutputDirError("exists and is not a folder", key="--out", source=str(out))
        names = {q.name for q in out.iterdir()} - {LOCK_NAME}
        if names and MERGING_MARK not in names:
            raise OutputDirError("is not empty; the merge writes a new dataset (choose a new or empty folder)",
                                 key="--out", source=str(out))


def _link_or_copy(src: Path, dst: Path, copy: bool) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        if copy:
            raise OSError
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def merge_folders(parts: Sequence[PartFolder], out: Path, copy: bool = False,
                  out_text: str | None = None) -> dict[str, Any]:
    """Join checked folder parts into ``out`` (see the module docstring); dataset.json's data."""
    for p in parts:  # every file the manifests name is there with its size, before any write
        for e in p.entries:
            for rel, size in (e.get("bytes") or {}).items():
                src = p.root / rel
                if not inside(p.root, rel) or not src.is_file() or src.stat().st_size != size:
                    raise _bad(src, f"sample {e['index']}'s file is missing or has changed since its part was made")
    _clear_interrupted(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = DatasetLock(out)
    lock.acquire()
    try:
        write_text_atomic(out / MERGING_MARK, json.dumps([str(p.root) for p in parts]) + "\n")
        for p in parts:
            for e in p.entries:
                for rel in sorted(e.get("bytes") or {}):
                    _link_or_copy(p.root / rel, out / rel, copy)
        write_bytes_atomic(out / "manifest.jsonl", b"".join(line for p in parts for line in p.lines))
        info = dict(parts[0].info)
        failed = [f for p in parts for f in p.failed]
        info.update(part=None, failed=failed, status="incomplete" if failed else "complete")
        info["spec"] = dict(info["spec"], output=dict(info["spec"]["output"], dir=out_text or str(out)))
        if (info.get("spec") or {}).get("output", {}).get("coco"):
            categories = _categories(parts[0].root)
            records = (read_json(out / e["files"]["record"]) for p in parts for e in p.entries)
            write_text_atomic(out / "annotations.coco.json", coco_text(records, categories, info["name"]))
        write_text_atomic(out / "dataset.json", json.dumps(info, indent=2, sort_keys=True) + "\n")
        (out / MERGING_MARK).unlink()
    finally:
        lock.release()
    return info


def _categories(root: Path) -> list[str]:
    """The spec's categories, as the part's COCO export lists them."""
    try:
        coco = read_json(root / "annotations.coco.json", limit=2**34)
        return [c["name"] for c in coco["categories"]]
    except (BadFile, KeyError, TypeError) as exc:
        raise _bad(root / "annotations.coco.json", f"cannot read the categories: {exc}") from None


def _clear_interrupted(out: Path) -> None:
    """Remove what an interrupted merge into ``out`` left (only a folder carrying the mark)."""
    if (out / MERGING_MARK).is_file():
        for q in out.iterdir():
            if q.name == LOCK_NAME:
                continue
            shutil.rmtree(q) if q.is_dir() and not q.is_symlink() else q.unlink()


def merge(part_roots: Sequence[Path], out: Path, copy: bool = False, out_text: str | None = None) -> dict[str, Any]:
    """Check and join part folders (module docstring); returns the merged dataset.json's data.
    The merged spec's ``output.dir`` is ``out_text`` (default ``str(out)``), as a one-machine run
    with ``--set output.dir=OUT`` records it."""
    parts = check_parts([read_part(Path(r)) for r in part_roots])
    out = Path(out)
    check_out(out, parts)
    fmt = (parts[0].info.get("spec") or {}).get("output", {}).get("format", "folder")
    if fmt == "folder":
        return merge_folders(parts, out, copy, out_text)
    sink = SINKS.get(fmt) if fmt in SINKS.names() else None
    if sink is None or not hasattr(sink, "merge"):
        raise SpecError(f"parts of output.format {fmt!r} cannot be merged by this version", source=str(parts[0].root))
    _clear_interrupted(out)
    sink.merge([p.root for p in parts], out)
    return read_json(out / "dataset.json")


def main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="simulate merge", description="Join the part folders of one plan (made with "
                        "`simulate --spec X --part K/N`) into the dataset one machine would make.")
    ap.add_argument("parts", nargs="+", metavar="PART_DIR", help="the N part folders, in any order")
    ap.add_argument("--out", required=True, help="the merged dataset's folder (new or empty)")
    ap.add_argument("--copy", action="store_true", help="copy sample files (default: hard links where possible)")
    args = ap.parse_args(argv)
    info = merge([Path(p) for p in args.parts], Path(args.out), copy=args.copy, out_text=args.out)
    made = info.get("samples", 0) - len(info.get("failed") or [])
    print(f"{info.get('name')}: merged {len(args.parts)} parts, {made} samples ({info.get('status')}) -> {args.out}")
    return 0
