"""The docs that are generated or promised stay true."""
from __future__ import annotations

import re
from pathlib import Path

from simulator.spec.reference import spec_reference

REPO = Path(__file__).resolve().parent.parent


def test_spec_reference_is_up_to_date():
    assert (REPO / "docs" / "spec.md").read_text() == spec_reference(), \
        "docs/spec.md is stale: run `simulate spec-reference --out docs/spec.md`"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    test_cmd = next(b.strip() for b in blocks if "pytest" in b)
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci


def test_every_bundled_spec_validates():
    from simulator.assets.library import AssetLibrary
    from simulator.spec.loader import load_spec

    specs = sorted((REPO / "scenes").glob("*.yaml"))
    assert specs
    for path in specs:
        assert load_spec(path, library=AssetLibrary.default())
