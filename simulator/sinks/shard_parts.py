"""Finished datasets read back as untrusted input, and the merge of webdataset parts.

:func:`merge_shard_parts` is ``WebDatasetSink.merge``: the parts of a webdataset plan
(``--part K/N``), checked to be one plan's finished parts, have their samples streamed in index
order through one sink, which gives the one-machine run's bytes. ``simulate pack``
(:mod:`simulator.pack`) reads folder datasets with the same functions.
"""
from __future__ import annotations

import copy
import json
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..record_files import BadFile, inside, manifest_lines, read_json
from ..shard_format import entry_members, read_member
from ..spec.errors import SpecError
from ..spec.spec import Spec
from .atomic import write_text_atomic
from .lock import LOCK_NAME, MERGING_MARK



# ------------------------------------------------------------------------------------------------
# Reading finished datasets (as untrusted input)
# ------------------------------------------------------------------------------------------------
def read_info(root: Path) -> dict[str, Any]:
    """A dataset's dataset.json (SpecError naming the file if it is not one of this tool)."""
    from .folder import DATASET_FORMAT

    path = root / "dataset.json"
    if not root.is_dir():
        raise SpecError("not a dataset folder (not a folder)", source=str(root))
    try:
        info = read_json(path)
    except BadFile as exc:
        raise SpecError(f"not a dataset of this tool ({exc})", source=str(path)) from None
    if not isinstance(info, dict) or info.get("format") != DATASET_FORMAT or not isinstance(info.get("spec"), dict):
        raise SpecError("not a dataset of this tool", source=str(path))
    return info


def held_indices(info: dict[str, Any]) -> range:
    part = info.get("part")
    if isinstance(part, dict):
        return range(int(part["start"]), int(part["stop"]))
    return range(int(info["samples"]))


def read_entries(root: Path, info: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """The manifest entries of a finished dataset: complete (status ``complete``, or a finished
    run whose missing samples are all listed in ``failed``), in increasing index order."""
    path = root / "manifest.jsonl"
    entries: list[dict[str, Any]] = []
    try:
        for n, entry, problem in manifest_lines(path):
            if problem is not None:
                raise SpecError(problem, source=str(path))
            index = entry.get("index")
            if not isinstance(index, int) or (entries and index <= entries[-1]["index"]):
                raise SpecError(f"line {n}: index {index!r} out of order", source=str(path))
            entries.append(entry)
    except BadFile as exc:
        raise SpecError(f"cannot be read ({exc})", source=str(path)) from None
    failed = {f.get("index") for f in info.get("failed") or [] if isinstance(f, dict)}
    held = {e["index"] for e in entries}
    expected = set(held_indices(info))
    finished = info.get("status") == "complete" or (failed and held | failed == expected)
    if not finished or not held <= expected:
        raise SpecError(f"an unfinished dataset ({len(held)} of {len(expected)} samples): finish it with the "
                        f"same simulate command before {what}", source=str(root / "dataset.json"))
    return entries


def categories_of(root: Path, info: dict[str, Any]) -> list[str]:
    """The category list of a dataset's COCO export ([] when it has none)."""
    if not (info["spec"].get("output") or {}).get("coco"):
        return []
    path = root / "annotations.coco.json"
    try:
        coco = read_json(path, limit=2**40)
        return sorted(str(c["name"]) for c in coco["categories"])
    except (BadFile, KeyError, TypeError) as exc:
        raise SpecError(f"cannot be read ({exc})", source=str(path)) from None



@contextmanager
def writing(sink, out: Path, fresh: bool) -> Iterator[None]:
    """Around a pack or a merge into ``sink``: a refusal (SpecError) releases the sink and leaves a
    folder that was new or empty (``fresh``) as it was; any other stop releases the sink, and the
    same command then finishes the work."""
    try:
        yield
    except SpecError:
        sink.abort()
        if fresh:
            empty_output(out)
        raise
    except BaseException:
        sink.abort()
        raise


def empty_output(out: Path) -> None:
    """Remove what a refused pack wrote into a folder that was new or empty (the lock file stays
    if the folder existed before)."""
    if not out.is_dir():
        return
    for p in out.iterdir():
        if p.name == LOCK_NAME:
            continue
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    if not any(p.name != LOCK_NAME for p in out.iterdir()):
        (out / LOCK_NAME).unlink(missing_ok=True)
        try:
            out.rmdir()
        except OSError:
            pass


# ------------------------------------------------------------------------------------------------
# merge
# ------------------------------------------------------------------------------------------------
def merge_shard_parts(sink_cls, part_roots: list[Path], out: Path) -> None:
    """``WebDatasetSink.merge``: check the parts (one plan, parts 1..N each once, finished), then
    stream their samples in index order through one sink writing ``out`` (marked as an unfinished
    merge until done, as :mod:`simulator.merge` marks it)."""
    infos = [read_info(root) for root in part_roots]
    parts = []
    for root, info in zip(part_roots, infos):
        if (info["spec"].get("output") or {}).get("format") != sink_cls.name:
            raise SpecError("is not a part of a webdataset plan (output.format)", source=str(root))
        if not isinstance(info.get("part"), dict):
            raise SpecError("is a whole dataset, not a part (--part K/N)", source=str(root))
        if info.get("spec_hash") != infos[0].get("spec_hash"):
            raise SpecError(f"is a part of another spec than {part_roots[0]}", source=str(root))
        parts.append((int(info["part"]["k"]), int(info["part"]["n"]), root, info))
    parts.sort(key=lambda p: p[0])
    n = parts[0][1] if parts else 0
    if not parts or [p[:2] for p in parts] != [(k, n) for k in range(1, n + 1)]:
        raise SpecError(f"need parts 1..{n} of {n}, each once (got {', '.join(f'{k}/{m}' for k, m, _, _ in parts)})",
                        source=str(part_roots[0]) if part_roots else None)
    entries = [read_entries(root, info, "merging it") for _, _, root, info in parts]
    first = infos[0]
    resolved = copy.deepcopy(first["spec"])
    resolved["output"]["dir"] = str(out)
    sink = sink_cls(Spec(resolved, {}, str(part_roots[0] / "dataset.json")), None)
    sink.folder.carry = {k: first[k] for k in ("versions", "plan_version") if k in first}
    mode = sink.check(False)
    if mode == "complete":
        return
    fresh = mode == "new"
    counts, library = first.get("counts") or {}, first.get("library")
    done = sink.open(mode, counts, library)
    mark = out / MERGING_MARK  # `simulate merge` clears an output folder so marked when rerun
    with writing(sink, out, fresh):
        write_text_atomic(mark, json.dumps([str(p) for p in part_roots]) + "\n")
        for (_, _, root, _), part_entries in zip(parts, entries):
            for entry, members in _part_samples(root, part_entries, done):
                sink.append(entry, members)
        failed = sorted((f for _, _, _, info in parts for f in info.get("failed") or []), key=lambda f: f["index"])
        status = "complete" if all(info.get("status") == "complete" for info in infos) else "incomplete"
        sink.finish(status, counts, library, failed, categories_of(parts[0][2], parts[0][3]))
        mark.unlink()


def _part_samples(root: Path, entries: list[dict[str, Any]], skip: set[int]) -> Iterator[tuple[dict, dict]]:
    """(entry without shard and offsets, members by name) of a part's samples not in ``skip``,
    each shard read once, in order; SpecError for a member that is not what the manifest says."""
    fh, current = None, None
    try:
        for e in entries:
            if e["index"] in skip:
                continue
            shard = e.get("shard")
            if shard != current:
                if fh is not None:
                    fh.close()
                if not (isinstance(shard, str) and inside(root, shard) and (root / shard).is_file()):
                    raise SpecError(f"sample {e['index']}: shard {shard!r} is missing", source=str(root))
                current, fh = shard, open(root / shard, "rb")
            try:
                members = {m: read_member(fh, e, m) for m in entry_members(e)}
            except (KeyError, TypeError, ValueError):
                members = {"": None}
            bad = [m for m, data in members.items() if data is None]
            if bad:
                raise SpecError(f"member {bad[0]} is cut or not what manifest.jsonl recorded",
                                source=str(root / shard))
            yield {k: v for k, v in e.items() if k not in ("shard", "offsets")}, members
    finally:
        if fh is not None:
            fh.close()
