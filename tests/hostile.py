"""Harness of the hostile-input corpus (tests/test_hostile*.py): run a command of the project in a
subprocess under a time and memory bound and check how it refuses bad input.

Every case gets a fresh folder. ``setup(folder)`` writes what the case needs (specs, records,
special files, asset folders) and returns the command's arguments; the harness snapshots the
folder, runs the command there with an address-space limit and a timeout, and checks: the exit
status, one short ``error: ...`` message naming the key or the file (fragments), no Python
traceback, and that nothing in the folder was written or changed (unless the case allows it).
"""
from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

#: Address space a refused command may use (it must not build huge structures), bytes.
MEMORY_LIMIT = 6 * 2**30
#: Seconds a refused command may take (loading the project included).
TIME_LIMIT = 60.0

COMMANDS = {"simulate": "simulator.cli", "train": "training.train", "evaluate": "training.evaluate"}


def snapshot(root: Path) -> dict[str, str]:
    """{relative path: sha256, 'dir', 'link' or the file type} of everything below ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = f"link:{os.readlink(p)}"
        elif p.is_dir():
            out[rel] = "dir"
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "special"
    return out


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(command: str, args: list[str], cwd: Path, timeout: float = TIME_LIMIT,
        env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1", **(env or {}))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", COMMANDS[command], *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env, preexec_fn=_limits, stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - start


@dataclass
class Hostile:
    """One hostile input: ``setup(folder) -> args`` of ``command``; the expected exit status and
    the fragments its message must hold; ``writes``: files the command may create (relative
    names), e.g. a dataset it is told to make when the bad input is only skipped."""

    id: str
    setup: Callable[[Path], list[str]]
    fragments: tuple[str, ...]
    command: str = "simulate"
    status: int = 2
    writes: bool = False
    timeout: float = TIME_LIMIT
    max_lines: int = 4
    env: dict = field(default_factory=dict)


def check(case: Hostile, folder: Path) -> subprocess.CompletedProcess:
    args = case.setup(folder)
    before = snapshot(folder)
    proc, seconds = run(case.command, args, folder, timeout=case.timeout, env=case.env)
    err = proc.stderr
    assert proc.returncode == case.status, f"exit status {proc.returncode} (expected {case.status}):\n{err[-3000:]}"
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err[-3000:]
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    if case.status == 2:  # bad input: one short message (exit 1 may report findings, e.g. audit's)
        assert errors, f"no 'error:' line:\n{err[-3000:]}"
        assert len(errors) <= case.max_lines, f"{len(errors)} error lines:\n{err[-3000:]}"
    for fragment in case.fragments:
        assert fragment in err + proc.stdout, f"expected {fragment!r} in:\n{err[-3000:]}\n{proc.stdout[-2000:]}"
    if not case.writes:
        assert snapshot(folder) == before, "the command wrote or changed files"
    assert seconds < case.timeout, f"took {seconds:.1f} s"
    return proc


def make_special(path: Path, kind: str, huge_bytes: int = 50_000_000) -> None:
    """Put a file that is not a readable regular file at ``path``: ``fifo``, ``dir``, ``loop`` (a
    link to itself), ``broken`` (a link to nothing), ``huge`` (a sparse file of ``huge_bytes`` NULs)
    or ``missing`` (nothing)."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "loop":
        os.symlink(path.name, path)
    elif kind == "broken":
        os.symlink("nothere" + path.suffix, path)
    elif kind == "huge":
        with open(path, "wb") as fh:
            fh.truncate(huge_bytes)
    elif kind != "missing":
        raise ValueError(f"unknown special file kind {kind!r}")


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``path`` (mount ``options``, e.g. ``size=400k`` or ``ro,size=1m``) for the
    block, unmounted after it; the test is skipped where mounting is not permitted."""
    path.mkdir(exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"mounting a tmpfs ({options}) is not permitted here (needs root and CAP_SYS_ADMIN)")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)
