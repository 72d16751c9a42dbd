"""One writer per dataset: an exclusive lock held for a run's lifetime.

The lock is ``fcntl.flock`` on ``<dataset>/.avsim.lock``; the kernel releases it when the process
dies (also on kill -9), so a stale lock file never blocks a rerun. While a run holds it the file
names the holder (process id, host, start time, command line) for the message a second writer
gets; a run that ends empties it. The file stays (removing a lock file lets two writers lock two
different files).
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path

from .base import OutputDirError

LOCK_NAME = ".avsim.lock"
#: Marks an output folder that `simulate merge` or `simulate pack` is writing; a rerun of the same
#: command may clear a folder so marked (and only such a folder).
MERGING_MARK = ".avsim-merging"


def holder_of(root: Path) -> str | None:
    """Who holds the lock of the dataset at ``root`` now (a description), or None; writes nothing."""
    path = root / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _describe(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return (f"process {info['pid']} on {info['host']} since {info['since']} "
                f"({' '.join(info['command'])[:120]})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class DatasetLock:
    """The exclusive lock of a dataset folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock (the folder must exist); OutputDirError naming the holder if another
        process has it."""
        path = self.root / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputDirError(f"another run is writing this dataset: {_describe(path)}; wait for it or "
                                 "choose another output.dir", key="output.dir", source=str(self.root)) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "command": sys.argv}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(info) + "\n").encode())
        self._fd = fd

    def release(self) -> None:
        """Clear the holder's description (a finished dataset's lock file is empty) and unlock."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __getstate__(self):  # a sink pickled to a worker does not carry the lock
        return {"root": self.root, "_fd": None}
