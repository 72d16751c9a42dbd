"""``webdataset``: a dataset as WebDataset tar shards, with the dataset-level files beside them.

Layout of a dataset directory::

    dataset.json                      as the folder sink's (spec, counts, status, part, ...); its
                                      ``layout`` names the shards and members
    manifest.jsonl                    one line per sample of a finished shard, in index order
    annotations.coco.json             COCO export (``file_name``: the image's member)
    shards/congruent-000000.tar       samples 0 ... 999 (``output.shard_samples``, ``output.shard_mb``)
    shards/congruent-000001.tar       ...

A shard holds each sample's files as the members ``<prefix>/<index:07d>.<suffix>``
(:mod:`simulator.shard_format`: ``congruent/0000042.png``, ``.json``, ``.flac``,
``.neg_silence.flac``), byte for byte the files the folder sink writes. A manifest line is the
folder's (index, id, labels, seed) with ``files`` (kind -> member), ``bytes`` and ``sha256`` (per
member), plus ``key``, ``shard`` and ``offsets`` (where each member's data starts in its tar).

Writing. Workers encode samples and return their blobs inside the entry; the main process appends
them, in index order, to the open shard ``shards/.<name>.tar.partial``, and each sample's manifest
entry to ``shards/.<name>.tar.partial.jsonl`` once its members are written. A shard closes (end
blocks, renamed to ``<name>.tar``, its entries appended to manifest.jsonl) when it holds
``output.shard_samples`` samples or when the next sample would take it past ``output.shard_mb``;
the last one closes when the run finishes. Every tar is deterministic, so the dataset is the same
bytes for any executor and worker count.

Resuming (a rerun after kill -9, a full disk, or with a larger ``samples``) keeps the manifest's
samples whose shards are intact, takes back the open shard's complete samples (checked against
their digests), and otherwise reopens the last finished shard when it may take more samples, by
copying its members into a new open shard: the closing rule then applies as in one uninterrupted
run, and the bytes are the same.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..encode import SAMPLE_LAYOUT, EncodedSample
from ..errors import OutputWriteError
from ..record_files import inside
from ..shard_format import (SHARD_DIGITS, TAR_END, entry_members, member_name, prefix_of, read_member,
                            sample_blocks, sample_key, shard_file_name, shard_number)
from ..spec.spec import Spec
from .atomic import write_bytes_atomic, write_text_atomic
from .base import OutputDirError, Sink
from .coco import coco_text
from .folder import DatasetFolder, remove_stale_temporaries

SHARDS_DIR = "shards"


# ------------------------------------------------------------------------------------------------
# The dataset folder of shards
# ------------------------------------------------------------------------------------------------
class ShardFolder(DatasetFolder):
    """The folder sink's dataset folder (lock, checks, resume of the manifest, dataset.json) with
    the samples in shards: a manifest entry is intact when its shard holds its members' bytes."""

    def __init__(self, spec: Spec, part=None) -> None:
        super().__init__(spec, part)
        self.prefix = prefix_of(spec.resolved)
        self._sizes: dict[str, int] = {}
        #: dataset.json entries taken from the datasets a pack or merge reads (the versions and the
        #: plan version that made the samples) instead of this process's
        self.carry: dict[str, Any] = {}

    def check(self, overwrite: bool) -> str:
        info = self._read_info() if self.root.is_dir() else None
        held = ((info.get("spec") or {}).get("output") or {}).get("format") if isinstance(info, dict) else None
        if info is not None and held != WebDatasetSink.name and not overwrite:
            raise OutputDirError(f"holds a dataset of output.format {held!r}, not webdataset shards; use "
                                 "--overwrite to replace it, `simulate pack` to turn it into shards, or choose "
                                 "another output.dir", key="output.dir", source=str(self.root))
        return super().check(overwrite)

    def _files_ok(self, entry: dict[str, Any]) -> bool:
        shard, offsets, sizes = entry.get("shard"), entry.get("offsets"), entry.get("bytes")
        if not (isinstance(shard, str) and inside(self.root, shard) and isinstance(offsets, dict)
                and isinstance(sizes, dict) and offsets and offsets.keys() == sizes.keys()):
            return False
        if shard not in self._sizes:
            p = self.root / shard
            self._sizes[shard] = p.stat().st_size if p.is_file() else -1
        try:
            end = max(int(offsets[m]) + int(sizes[m]) for m in sizes)
        except (TypeError, ValueError):
            return False
        return self._sizes[shard] >= end

    def completed(self) -> set[int]:
        self._sizes = {}
        return super().completed()

    def info(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None = None,
             failed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The folder sink's dataset.json data with this format's ``layout``."""
        info = super().info(status, counts, library, failed)
        info.update(self.carry)
        info["layout"] = {"manifest": "manifest.jsonl", "coco": "annotations.coco.json",
                          "shards": f"{SHARDS_DIR}/{self.prefix}-<{SHARD_DIGITS} digits>.tar",
                          "member": f"{self.prefix}/<index:07d>.<suffix>", "key_prefix": self.prefix,
                          "record_files": SAMPLE_LAYOUT}
        return info

    def iter_entries(self) -> Iterator[dict[str, Any]]:
        """The manifest's entries (after :meth:`open`, which keeps only the intact ones)."""
        with open(self.manifest_path, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    yield json.loads(raw)

    def keep_entries(self, n: int) -> None:
        """Keep the manifest's first ``n`` lines."""
        self._truncate_manifest(n)


# ------------------------------------------------------------------------------------------------
# The open shard
# ------------------------------------------------------------------------------------------------
class OpenShard:
    """The shard being written: ``.<name>.partial`` (its members so far, no end blocks) and
    ``.<name>.partial.jsonl`` (the entries of its samples, each appended once the sample's members
    are written)."""

    def __init__(self, shards_dir: Path, prefix: str, number: int) -> None:
        self.number = number
        self.name = shard_file_name(prefix, number)
        self.final = shards_dir / self.name
        self.partial = shards_dir / f".{self.name}.partial"
        self.side = shards_dir / f".{self.name}.partial.jsonl"
        self.entries: list[dict[str, Any]] = []
        self.size = 0
        self._tar = self._list = None

    def start(self, keep: list[dict[str, Any]] | None = None, size: int = 0) -> None:
        """Open for appending, keeping the first ``size`` bytes of the partial tar and ``keep``
        as its entries (a fresh shard by default)."""
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.entries, self.size = list(keep or []), size
        write_bytes_atomic(self.side, b"".join(_line(e) for e in self.entries))
        mode = "r+b" if size and self.partial.is_file() else "wb"
        self._tar = open(self.partial, mode)
        self._tar.truncate(size)
        self._tar.seek(size)
        self._list = open(self.side, "ab")

    def add(self, entry: dict[str, Any], blocks: bytes) -> None:
        self._tar.write(blocks)
        self._tar.flush()
        self._list.write(_line(entry))
        self._list.flush()
        self.entries.append(entry)
        self.size += len(blocks)

    def close(self) -> list[dict[str, Any]]:
        """Write the end blocks and rename the tar to its final name; return its entries."""
        self._tar.write(TAR_END)
        self._tar.flush()
        os.fsync(self._tar.fileno())
        self.release()
        os.replace(self.partial, self.final)
        return self.entries

    def release(self) -> None:
        for fh in (self._tar, self._list):
            if fh is not None:
                fh.close()
        self._tar = self._list = None

    def discard(self) -> None:
        self.release()
        self.partial.unlink(missing_ok=True)
        self.side.unlink(missing_ok=True)


def _line(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, sort_keys=True) + "\n").encode()


# ------------------------------------------------------------------------------------------------
# The sink
# ------------------------------------------------------------------------------------------------
class WebDatasetSink(Sink):
    """``webdataset``: tar shards (see the module docstring)."""

    name = "webdataset"

    def __init__(self, spec: Spec, part=None) -> None:
        super().__init__(spec, part)
        self.folder = ShardFolder(spec, part)
        out = spec.resolved["output"]
        self.shard_samples = int(out.get("shard_samples") or 1000)
        self.shard_bytes = int(float(out["shard_mb"]) * 1e6) if out.get("shard_mb") else None
        self.prefix = self.folder.prefix
        self.shards = self.folder.root / SHARDS_DIR
        self._open: OpenShard | None = None
        self._next = 0           # number of the next shard to open
        self._last = -1          # index of the last sample appended

    def __getstate__(self):  # a worker gets no open shard
        state = dict(self.__dict__)
        state["_open"] = None
        return state

    # -- the protocol -----------------------------------------------------------------------------
    def check(self, overwrite: bool) -> str:
        return self.folder.check(overwrite)

    def open(self, mode: str, counts: dict[str, Any], library: dict[str, Any] | None) -> set[int]:
        done = self.folder.open(mode, counts, library)
        remove_stale_temporaries(self.folder.root)
        if mode == "overwrite" and self.shards.is_dir():
            shutil.rmtree(self.shards)
        return self._resume(done)

    def write(self, encoded: EncodedSample) -> dict[str, Any]:
        return {**encoded.manifest_entry(), "blobs": encoded.blobs}

    def commit(self, entry: dict[str, Any]) -> None:
        """Append a sample given as the folder sink's manifest entry plus ``blobs`` (its files by
        folder name), as :meth:`write` returns it."""
        entry = dict(entry)
        blobs = entry.pop("blobs")
        key = sample_key(self.prefix, int(entry["index"]))
        rename = {rel: member_name(key, rel) for rel in blobs}
        shard_entry = {k: v for k, v in entry.items() if k not in ("files", "bytes", "sha256")}
        shard_entry.update(key=key, files={kind: rename[rel] for kind, rel in entry["files"].items()},
                           bytes={rename[rel]: n for rel, n in entry["bytes"].items()},
                           sha256={rename[rel]: d for rel, d in entry["sha256"].items()})
        self.append(shard_entry, {rename[rel]: data for rel, data in blobs.items()})

    def append(self, entry: dict[str, Any], members: dict[str, bytes]) -> None:
        """Append one sample: ``entry`` its manifest entry without ``shard`` and ``offsets``,
        ``members`` its bytes by member name. Closes the open shard first when the sample does not
        belong in it any more."""
        index = int(entry["index"])
        if index <= self._last:
            raise OutputWriteError(f"{self.folder.root}: sample {index} comes after sample {self._last} was "
                                   "written (a sample that failed before was made now: the inputs changed); "
                                   "make the dataset anew with --overwrite")
        ordered = [(m, members[m]) for m in sorted(members)]
        size = len(sample_blocks(ordered, 0)[0])
        shard = self._open
        if shard is not None and shard.entries and (
                len(shard.entries) >= self.shard_samples
                or (self.shard_bytes is not None and shard.size + size + len(TAR_END) > self.shard_bytes)):
            self._close()
            shard = None
        if shard is None:
            shard = self._open = OpenShard(self.shards, self.prefix, self._next)
            shard.start()
        blocks, offsets = sample_blocks(ordered, shard.size)
        shard.add({**entry, "shard": f"{SHARDS_DIR}/{shard.name}", "offsets": offsets}, blocks)
        self._last = index

    def finish(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None,
               failed: list[dict[str, Any]], categories: list[str]) -> None:
        try:
            if self._open is not None and self._open.entries:
                self._close()
            elif self._open is not None:
                self._open.discard()
                self._open = None
            self._remove_stale(keep_below=self._next)
            if self.spec.resolved["output"]["coco"]:
                write_text_atomic(self.folder.root / "annotations.coco.json",
                                  coco_text(self.records(), categories, self.spec.name))
            self.folder.write_info(status, counts, library, failed)
        finally:
            self.abort()

    def abort(self) -> None:
        if self._open is not None:
            self._open.release()  # its complete samples are taken back by the next run
        self.folder.lock.release()

    # -- closing and resuming ---------------------------------------------------------------------
    def _close(self) -> None:
        shard = self._open
        entries = shard.close()
        self.folder.append(entries)
        shard.side.unlink(missing_ok=True)
        self._next, self._open = shard.number + 1, None

    def _resume(self, done: set[int]) -> set[int]:
        """Take up the shards of an earlier run (module docstring); return the indices held."""
        self._open, self._next, self._last = None, 0, -1
        count, tail, before = 0, [], -1  # manifest lines, those of the last shard, the index before them
        for e in (self.folder.iter_entries() if done else ()):
            if tail and e["shard"] != tail[-1]["shard"]:
                before, tail = int(tail[-1]["index"]), []
            tail.append(e)
            count += 1
        number = shard_number(tail[-1]["shard"], self.prefix) if tail else None
        if tail and number is None:  # a manifest of another layout: make it anew
            self.folder.keep_entries(0)
            done, count, tail = set(), 0, []
        self._next = number + 1 if tail else 0
        self._last = int(tail[-1]["index"]) if tail else -1
        kept = count - len(tail)  # manifest lines kept when the last shard is opened again
        taken = self._take_back_partial(kept, tail, number)
        if taken is None and tail and len(tail) < self.shard_samples:
            taken = self._reopen(kept, tail, number, before)
        self._remove_stale(keep_below=self._next, open_shard=self._open)
        if taken is not None:
            if self._next == number:  # the last finished shard is open again: its samples are what it took
                done = done - {int(e["index"]) for e in tail}
            done = done | taken
        return done

    def _take_back_partial(self, kept: int, tail: list[dict], number: int | None) -> set[int] | None:
        """Continue the open shard a killed run left (shard ``number``, the last finished one, being
        refilled, or the next): its samples whose members are intact. None if there is none."""
        candidates = ([number] if number is not None else []) + [self._next]
        for n in candidates:
            shard = OpenShard(self.shards, self.prefix, n)
            if not (shard.partial.is_file() and shard.side.is_file()):
                continue
            intact, size = _intact(shard)
            if not intact:
                continue
            if n == number and intact[:len(tail)] != tail:  # refilling the last finished shard: its samples first
                continue
            if n != number and int(intact[0]["index"]) <= self._last:
                continue
            shard.start(intact, size)
            if n == number:
                self.folder.keep_entries(kept)
            self._open, self._next, self._last = shard, n, int(intact[-1]["index"])
            return {int(e["index"]) for e in intact}
        return None

    def _reopen(self, kept: int, tail: list[dict], number: int, before: int) -> set[int]:
        """Copy the last finished shard's samples into a new open shard of the same number, so that
        later samples join it as in one run; samples whose bytes are not intact are made again.
        ``kept``: the manifest lines before that shard; ``before``: the index of the last of them."""
        shard = self._open = OpenShard(self.shards, self.prefix, number)
        shard.start()
        self._next, self._last = number, -1
        taken: set[int] = set()
        with open(self.folder.root / tail[0]["shard"], "rb") as fh:
            for e in tail:
                members = {m: read_member(fh, e, m) for m in entry_members(e)}
                if any(data is None for data in members.values()):
                    break
                self.append({k: v for k, v in e.items() if k not in ("shard", "offsets")}, members)
                taken.add(int(e["index"]))
        self.folder.keep_entries(kept)  # after the copy: a kill meanwhile finds the copy complete
        if not taken:
            shard.discard()
            self._open = None
        self._last = max(taken, default=before)
        return taken

    def _remove_stale(self, keep_below: int, open_shard: OpenShard | None = None) -> None:
        """Delete this dataset's shard files an earlier, longer or interrupted run left: closed
        shards numbered ``keep_below`` or more and open shards other than ``open_shard``."""
        if not self.shards.is_dir():
            return
        pattern = re.compile(rf"(\.)?{re.escape(self.prefix)}-(\d{{{SHARD_DIGITS}}})\.tar(\.partial(\.jsonl)?)?")
        for p in self.shards.iterdir():
            m = pattern.fullmatch(p.name)
            if m is None:
                if p.name.startswith(".") and ".tmp-" in p.name:  # an atomic write a kill cut short
                    p.unlink(missing_ok=True)
                continue
            partial = m.group(3) is not None
            if partial and m.group(1) and (open_shard is None or p not in (open_shard.partial, open_shard.side)):
                p.unlink(missing_ok=True)
            elif not partial and not m.group(1) and int(m.group(2)) >= keep_below:
                p.unlink(missing_ok=True)

    # -- reading back -----------------------------------------------------------------------------
    def records(self) -> Iterator[dict[str, Any]]:
        """The records of the manifest's samples, in index order, their ``files`` naming members."""
        for e, rec in iter_records(self.folder.root, self.folder.iter_entries()):
            yield dict(rec, files=e["files"])

    # -- merging parts ----------------------------------------------------------------------------
    @classmethod
    def merge(cls, part_roots: list[Path], out: Path) -> None:
        """Join the part folders of one webdataset plan (``--part K/N``) into ``out``: the bytes of
        the one-machine run (their members streamed in index order through the same shard writer)."""
        from .shard_parts import merge_shard_parts

        merge_shard_parts(cls, [Path(p) for p in part_roots], Path(out))


def _intact(shard: OpenShard) -> tuple[list[dict[str, Any]], int]:
    """The entries of an open shard's list whose members are in its partial tar, in order and
    with their digests, and the tar's size up to the end of the last of them."""
    kept: list[dict[str, Any]] = []
    size = 0
    try:
        lines = shard.side.read_bytes().split(b"\n")
        with open(shard.partial, "rb") as fh:
            for raw in lines[:-1]:  # the last piece is cut (or empty)
                entry = json.loads(raw)
                members = [(m, read_member(fh, entry, m)) for m in entry_members(entry)]
                if any(data is None for _, data in members):
                    break
                blocks, offsets = sample_blocks(members, size)
                if offsets != entry["offsets"]:
                    break
                kept.append(entry)
                size += len(blocks)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return kept, size


def iter_records(root: Path, entries: Iterable[dict[str, Any]]) -> Iterator[tuple[dict, dict]]:
    """(entry, record) for manifest entries of a shard dataset, reading each shard once in order."""
    fh, current = None, None
    try:
        for e in entries:
            if e["shard"] != current:
                if fh is not None:
                    fh.close()
                current, fh = e["shard"], open(root / e["shard"], "rb")
            member = e["files"]["record"]
            data = read_member(fh, e, member)
            if data is None:
                raise OutputWriteError(f"{root / e['shard']}: member {member} is not what manifest.jsonl recorded")
            yield e, json.loads(data)
    finally:
        if fh is not None:
            fh.close()
