"""Shared helpers: run the real ``simulate`` CLI in a subprocess and read datasets back."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONGRUENT = REPO / "scenes" / "congruent.yaml"


def simulate(*args: str, cwd: Path, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m simulator.cli ARGS`` in ``cwd``; return the completed process."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"simulate {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file below ``root``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def read_records(root: Path) -> list[dict]:
    out = []
    for line in (root / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        out.append(json.loads((root / entry["files"]["record"]).read_text()))
    return out


#: Free field and two omni ears: the set-up whose interaural cues have an exact closed form.
FREE_FIELD = ("--set", "room.type=free_field", "--set", "listener.head=spaced", "--set", "background.kind=color")


@pytest.fixture(scope="session")
def congruent_dataset(tmp_path_factory) -> Path:
    """A small congruent dataset (free field, spaced ears) made once per session by the CLI."""
    cwd = tmp_path_factory.mktemp("congruent")
    simulate("--spec", str(CONGRUENT), "--set", "samples=36", "--set", "output.dir=out", *FREE_FIELD, "--quiet",
             cwd=cwd)
    return cwd / "out"
