"""The study's results file: JSON lines, one object a line, each with a ``kind``.

* line 1, ``header``: ``{"kind": "header", "format": "avsim-study-results", "version": 1,
  "dataset": {"path", "name", "manifest_sha256", "samples"}, "study": {"seed", "practice",
  "trials"}, "created"}``; a file whose first line is not this header is not a results file of
  this tool and is never written to.
* ``session``: a participant's plan and set-up (trial order, screen geometry), written once.
* ``consent``, ``screening`` (the outcome of the headphone screening), ``trial`` (one per
  practice or main trial: the click in image pixels, the response time, the screening outcome
  and the screen geometry; docs/study.md lists every field).

Every write replaces the whole file atomically: the new content goes to a temporary file in the
same folder, is flushed to disk (fsync) and renamed over RESULTS, so a crash or a closed laptop
leaves either the old or the new file, never half a line. A lock file ``.NAME.lock`` beside
RESULTS (held with ``flock`` while a server runs) keeps a second server off the same file.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from ..record_files import within

FORMAT = "avsim-study-results"
VERSION = 1
#: Longest line a results file may have (a trial line is well under 2 kB).
MAX_LINE = 1 << 20


class ResultsError(Exception):
    """RESULTS cannot be used (not ours, another dataset, in use, unreadable): exit status 2."""


def now_iso() -> str:
    """UTC time, ISO 8601 with milliseconds."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def manifest_sha256(root: Path) -> str:
    """SHA-256 of the dataset's manifest.jsonl (identifies the dataset a results file belongs to)."""
    h = hashlib.sha256()
    with open(root / "manifest.jsonl", "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The objects of a results file, header first; ResultsError naming the path and the line if it
    is not a results file of this tool."""
    try:
        with open(path, "rb") as fh:
            raw_lines = fh.read().splitlines()
    except IsADirectoryError:
        raise ResultsError(f"{path}: is a folder, not a study results file") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    out = []
    for n, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        what = "not a study results file of simulate study" if not out else f"line {n} is not a results line"
        if len(raw) > MAX_LINE:
            raise ResultsError(f"{path}: {what} (line {n} is too long)")
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            raise ResultsError(f"{path}: {what}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            raise ResultsError(f"{path}: {what}")
        if not out and not (obj.get("kind") == "header" and obj.get("format") == FORMAT):
            raise ResultsError(f"{path}: {what}")
        out.append(obj)
    if not out:
        raise ResultsError(f"{path}: is not a study results file of simulate study (it is empty)")
    if out[0].get("version") != VERSION:
        raise ResultsError(f"{path}: results format version {out[0].get('version')!r}, this tool reads {VERSION}")
    return out


def trials(lines: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The ``trial`` lines of a results file (practice ones included; see their ``practice``)."""
    return (o for o in lines if o.get("kind") == "trial")


def check_place(path: Path, dataset: Path) -> list[dict[str, Any]] | None:
    """The lines of an existing results file of this tool (to resume), or None for a new file;
    ResultsError naming the path otherwise (a folder, someone else's file, inside the dataset,
    a missing parent folder)."""
    a_out = Path(os.path.abspath(path))
    if within(path, dataset):
        raise ResultsError(f"{path}: is inside the dataset {dataset}; the study never writes into a dataset")
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isfile(path):
            raise ResultsError(f"{path}: exists and is not a plain file")
        return read_lines(path)
    if not a_out.parent.is_dir():
        raise ResultsError(f"{path}: its folder {a_out.parent} does not exist")
    if not os.access(a_out.parent, os.W_OK):
        raise ResultsError(f"{path}: its folder {a_out.parent} is not writable")
    return None


class ResultsFile:
    """An open results file: the lines in memory, each :meth:`append` rewrites the file atomically.
    Thread-safe (the HTTP server answers requests on threads)."""

    def __init__(self, path: Path, lines: list[dict[str, Any]]):
        self.path = Path(os.path.abspath(path))
        self.lines = lines
        self._lock = threading.Lock()
        self._lock_file: int | None = None
        self._lock_path = self.path.parent / f".{self.path.name}.lock"

    def acquire(self) -> None:
        """Hold the lock file for this process's lifetime; ResultsError if another server holds it."""
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ResultsError(f"{self.path}: is in use by another simulate study server (lock {self._lock_path})") \
                from None
        self._lock_file = fd

    def release(self) -> None:
        if self._lock_file is not None:
            try:
                os.unlink(self._lock_path)
            except OSError:
                pass
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            os.close(self._lock_file)
            self._lock_file = None

    def append(self, *objs: dict[str, Any]) -> None:
        """Add lines and replace the file atomically (temporary file, fsync, rename)."""
        with self._lock:
            lines = self.lines + list(objs)
            text = "".join(json.dumps(o, separators=(",", ":"), allow_nan=False) + "\n" for o in lines)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            self.lines = lines
