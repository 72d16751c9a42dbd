"""Golden digests: a few samples of every ready spec in scenes/ (and of variants reaching the other
writers, rooms, heads, backgrounds and the photo backend) must keep the SHA-256 of every file
committed in tests/golden_digests.json (tests/golden_cases.py says how they are taken and how to
rewrite them when an output change is intended and explained)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import golden_cases

HERE = Path(__file__).resolve().parent


def test_every_ready_spec_is_a_golden_case():
    bundled = {p.stem for p in (HERE.parent / "scenes").glob("*.yaml")}
    assert bundled <= {spec for _, spec, _, _ in golden_cases.CASES}


def test_outputs_match_the_golden_digests():
    proc = subprocess.run([sys.executable, str(HERE / "golden_cases.py")], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.returncode == 0, f"outputs differ from tests/golden_digests.json:\n{proc.stdout}\n{proc.stderr}"
    expected = json.loads((HERE / "golden_digests.json").read_text())
    assert sum(len(v) for v in expected.values()) > 300
