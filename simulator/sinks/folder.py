"""The dataset folder: layout, per-sample files, manifest, dataset.json, resume and safety.

Layout of a dataset directory::

    dataset.json                 resolved spec, spec hash, versions, status, counts
    manifest.jsonl               one line per finished sample, in index order
    annotations.coco.json        COCO export (written when the run completes)
    samples/0000/0000042.png     image (RGB, 8-bit)
    samples/0000/0000042.flac    audio (channels: left, right), or .wav (32-bit float)
    samples/0000/0000042.json    the record: annotations and the Scene (replayable)
    samples/0000/0000042.depth.png   optional: depth, uint16 millimetres (0 = no object)
    samples/0000/0000042.s1.flac     optional: source 1 rendered alone (stems)
    samples/0000/0000042.rirs.npz    optional: source-to-ear impulse responses
    samples/0000/0000042.neg_silence.flac   optional (negatives): the same image's negative audio

Samples are grouped 1000 to a folder. Every file is written atomically; a sample's manifest line
is appended only after all its files exist, and lines are appended in index order, so an
interrupted run leaves a manifest prefix and a rerun skips exactly those samples and redoes the
rest, giving the same bytes as an uninterrupted run.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
from pathlib import Path
from typing import Any, Iterable

from ..encode import SAMPLE_LAYOUT, EncodedSample
from ..parts import Part
from ..plan import PLAN_VERSION
from ..spec.spec import Spec, spec_hash
from .atomic import write_bytes_atomic, write_text_atomic
from .base import OutputDirError, Sink
from .coco import coco_text
from .lock import LOCK_NAME, DatasetLock, holder_of

DATASET_FORMAT = "avsim-dataset"
DATASET_FORMAT_VERSION = 1
OWN_ENTRIES = {"dataset.json", "manifest.jsonl", "annotations.coco.json", "samples", "shards"}


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("avsim", "numpy", "scipy", "trimesh", "pyrender-maintained", "PyOpenGL", "soundfile", "pillow",
                 "pycocotools", "PyYAML"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


#: Folders of the kernel's virtual file systems: never a place for a dataset.
VIRTUAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def check_output_place(root: Path) -> None:
    """Refuse, before anything is written, an output folder that cannot take a dataset: under
    /proc, /sys or /dev (/dev/shm is fine), below a file, with a name too long for the file system, on a read-only
    file system, or in a folder this process may not write to (OutputDirError, exit status 2)."""
    source = str(root)
    path = Path(os.path.abspath(root))
    if any(p.is_relative_to(v) and not p.is_relative_to("/dev/shm") for p in (path, path.resolve())
           for v in VIRTUAL_ROOTS):
        raise OutputDirError("is on a virtual file system (/proc, /sys, /dev), not a place for a dataset",
                             key="output.dir", source=source)
    if len(os.fsencode(path)) > 4000 or any(len(os.fsencode(part)) > 255 for part in path.parts):
        raise OutputDirError("path is too long for the file system (255 bytes a name, 4000 a path)",
                             key="output.dir", source=source)
    ancestor = path
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise OutputDirError(f"{ancestor} is a broken link", key="output.dir", source=source)
        ancestor = ancestor.parent
    try:
        resolved = ancestor.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise OutputDirError(f"cannot resolve {ancestor}: {exc}", key="output.dir", source=source) from None
    if not resolved.is_dir():
        raise OutputDirError(f"{ancestor} is a file, not a folder", key="output.dir", source=source)
    try:
        read_only = bool(os.statvfs(resolved).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise OutputDirError(f"{resolved} is on a read-only file system", key="output.dir", source=source)
    if not os.access(resolved, os.W_OK | os.X_OK):
        raise OutputDirError(f"no permission to write in {resolved}", key="output.dir", source=source)


class DatasetFolder:
    """One dataset directory for one resolved spec."""

    def __init__(self, spec: Spec, part: Part | None = None):
        self.spec = spec
        self.part = part
        self.root = spec.output_dir
        self.manifest_path = self.root / "manifest.jsonl"
        self.info_path = self.root / "dataset.json"
        self.lock = DatasetLock(self.root)

    # -- opening ------------------------------------------------------------------------------
    def check(self, overwrite: bool) -> str:
        """Decide, without writing anything, what to do with the folder: ``new``, ``resume``,
        ``complete`` (nothing to do) or ``overwrite``. Raises OutputDirError if it is not ours
        or holds another spec's dataset (without ``overwrite``)."""
        check_output_place(self.root)
        if not self.root.exists():
            return "new"
        if not self.root.is_dir():
            raise OutputDirError("exists and is not a folder", key="output.dir", source=str(self.root))
        holder = holder_of(self.root)
        if holder is not None:
            raise OutputDirError(f"another run is writing this dataset: {holder}; wait for it or choose another "
                                 "output.dir", key="output.dir", source=str(self.root))
        entries = {p.name for p in self.root.iterdir()} - {LOCK_NAME}
        if not entries:
            return "new"
        info = self._read_info()
        if info is None:
            raise OutputDirError("folder is not empty and is not a dataset of this tool; refusing to write "
                                 "into it (choose another output.dir)", key="output.dir", source=str(self.root))
        if overwrite:
            return "overwrite"
        if info.get("spec_hash") != self.spec.hash():
            return self._check_growth(info)
        held, wanted = info.get("part"), self.part.plain(self.spec.samples) if self.part else None
        if held != wanted:
            raise OutputDirError(f"holds {_part_text(held)} of this spec, not {_part_text(wanted)}; choose another "
                                 "output.dir for each part (simulate merge joins them)", key="output.dir",
                                 source=str(self.root))
        complete = info.get("status") == "complete" and self._manifest_count() == len(self.indices())
        if not complete and info.get("plan_version") != PLAN_VERSION:
            raise OutputDirError("holds an unfinished dataset made by an older version of this tool's plan; it "
                                 "cannot be finished with the same samples: use --overwrite to make it anew",
                                 key="output.dir", source=str(self.root))
        return "complete" if complete else "resume"

    def indices(self) -> range:
        return self.part.indices(self.spec.samples) if self.part is not None else range(self.spec.samples)

    def _check_growth(self, info: dict[str, Any]) -> str:
        """A rerun with a larger ``samples`` and otherwise the same spec grows the dataset (every
        existing sample is kept; :mod:`simulator.plan`): ``resume``. Anything else is refused."""
        stored = info.get("spec")
        held = info.get("samples")
        same_plan = (isinstance(stored, dict) and spec_hash(stored, samples=False) == self.spec.plan_hash()
                     and info.get("plan_version") == PLAN_VERSION)
        if not same_plan:
            raise OutputDirError("holds a dataset of a different spec; use --overwrite to replace it or choose "
                                 "another output.dir", key="output.dir", source=str(self.root))
        if self.part is not None or info.get("part") is not None:
            raise OutputDirError("holds a part of a dataset of another size; parts cannot grow: grow the merged "
                                 "dataset, or choose another output.dir", key="output.dir", source=str(self.root))
        if not isinstance(held, int) or held > self.spec.samples:
            raise OutputDirError(f"holds {held} samples of this spec and a dataset only grows: samples must be at "
                                 f"least {held} (it is {self.spec.samples}); use --overwrite to replace it",
                                 key="samples", source=str(self.root))
        return "resume"

    def _read_info(self) -> dict[str, Any] | None:
        try:
            info = json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) and info.get("format") == DATASET_FORMAT else None

    def _manifest_count(self) -> int:
        return len(self.completed())

    def open(self, mode: str, counts: dict[str, Any], library: dict[str, Any] | None = None) -> set[int]:
        """Take the folder's writer lock and prepare it for writing; return the indices already
        complete."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock.acquire()
        if mode == "overwrite":
            for name in OWN_ENTRIES:
                p = self.root / name
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
        done = self.completed() if mode == "resume" else set()
        self._truncate_manifest(len(done))
        self.manifest_path.touch()
        self.write_info("incomplete", counts, library)
        return done

    def completed(self) -> set[int]:
        """Indices of the manifest's complete lines whose files all exist with their sizes (the
        lines are in increasing index order; a sample that could not be made leaves a gap)."""
        done: set[int] = set()
        if not self.manifest_path.exists():
            return done
        with open(self.manifest_path, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # a line cut by an interruption
                try:
                    entry = json.loads(raw)
                except ValueError:
                    break
                index = entry.get("index")
                if not isinstance(index, int) or index <= max(done, default=-1) or not self._files_ok(entry):
                    break
                done.add(entry["index"])
        return done

    def _files_ok(self, entry: dict[str, Any]) -> bool:
        for rel, size in entry.get("bytes", {}).items():
            p = self.root / rel
            if not p.is_file() or p.stat().st_size != size:
                return False
        return True

    def _truncate_manifest(self, n_lines: int) -> None:
        """Keep the first ``n_lines`` lines of the manifest (drops a cut or unverified tail)."""
        if not self.manifest_path.exists():
            return
        with open(self.manifest_path, "rb") as fh:
            lines = fh.read().split(b"\n")
        keep = b"".join(line + b"\n" for line in lines[:n_lines])
        write_bytes_atomic(self.manifest_path, keep)

    def info(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None = None,
             failed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """dataset.json's data; ``library`` is a user library's report (files found, used, skipped
        and why); ``failed`` lists the samples no valid layout was found for (index, reason)."""
        return {
            "format": DATASET_FORMAT, "format_version": DATASET_FORMAT_VERSION, "name": self.spec.name,
            "status": status, "samples": self.spec.samples, "spec_hash": self.spec.hash(),
            "plan_version": PLAN_VERSION, "part": self.part.plain(self.spec.samples) if self.part else None,
            "spec": self.spec.resolved, "versions": package_versions(), "counts": counts,
            "library": library, "failed": failed or [],
            "layout": {"manifest": "manifest.jsonl", "coco": "annotations.coco.json", "sample": SAMPLE_LAYOUT},
        }

    def write_info(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None = None,
                   failed: list[dict[str, Any]] | None = None) -> None:
        """Write dataset.json (:meth:`info`)."""
        write_text_atomic(self.info_path, json.dumps(self.info(status, counts, library, failed), indent=2,
                                                      sort_keys=True) + "\n")

    # -- appending ----------------------------------------------------------------------------
    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        with open(self.manifest_path, "ab") as fh:
            for entry in entries:
                fh.write((json.dumps(entry, sort_keys=True) + "\n").encode())
                fh.flush()

    def records(self) -> Iterable[dict[str, Any]]:
        """The per-sample records, in index order (read from their JSON files)."""
        with open(self.manifest_path, "rb") as fh:
            for raw in fh:
                entry = json.loads(raw)
                yield json.loads((self.root / entry["files"]["record"]).read_text())


def _part_text(part: dict[str, Any] | None) -> str:
    return "the whole dataset" if part is None else f"part {part.get('k')}/{part.get('n')}"


def write_blobs(root: Path, encoded: EncodedSample) -> None:
    """Write a sample's blobs atomically under ``root`` (the record last)."""
    for rel, data in encoded.blobs.items():
        write_bytes_atomic(root / rel, data)


def remove_stale_temporaries(root: Path) -> None:
    """Delete ``.*.tmp-<pid>`` files left by an interrupted run."""
    samples = root / "samples"
    if samples.is_dir():
        for p in samples.rglob(".*.tmp-*"):
            p.unlink(missing_ok=True)
    for p in root.glob(".*.tmp-*"):
        p.unlink(missing_ok=True)


class FolderSink(Sink):
    """``folder``: the dataset folder of this module (files per sample, manifest, dataset.json,
    COCO export)."""

    name = "folder"

    def __init__(self, spec: Spec, part=None) -> None:
        super().__init__(spec, part)
        self.folder = DatasetFolder(spec, part)

    def check(self, overwrite: bool) -> str:
        return self.folder.check(overwrite)

    def open(self, mode: str, counts: dict[str, Any], library: dict[str, Any] | None) -> set[int]:
        done = self.folder.open(mode, counts, library)
        remove_stale_temporaries(self.folder.root)
        return done

    def write(self, encoded: EncodedSample) -> dict[str, Any]:
        write_blobs(self.folder.root, encoded)
        return encoded.manifest_entry()

    def commit(self, entry: dict[str, Any]) -> None:
        self.folder.append([entry])

    def finish(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None,
               failed: list[dict[str, Any]], categories: list[str]) -> None:
        try:
            if self.spec.resolved["output"]["coco"]:
                write_text_atomic(self.folder.root / "annotations.coco.json",
                                  coco_text(self.folder.records(), categories, self.spec.name))
            self.folder.write_info(status, counts, library, failed)
        finally:
            self.folder.lock.release()

    def abort(self) -> None:
        self.folder.lock.release()
