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


def _project_texts() -> dict[Path, str]:
    """Every doc, spec, config and source file of the project (what a reader of the repository has)."""
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for folder in ("simulator", "renderers", "training", "scenes", "configs", "benchmarks", "scripts", "tools"):
        files += sorted(p for p in (REPO / folder).rglob("*") if p.suffix in (".py", ".md", ".yaml", ".sh"))
    return {p: p.read_text(errors="replace") for p in files if p.is_file()}


def test_every_seed_citation_is_in_the_references():
    refs = (REPO / "docs" / "references.md").read_text()
    listed = set(re.findall(r"^\| (seeds/\d{3}) \| .+\. .+\d{4}", refs, flags=re.M))
    cited = {m for text in _project_texts().values() for m in re.findall(r"seeds/\d{3}", text)}
    assert cited and cited <= listed, f"cited but not in docs/references.md: {sorted(cited - listed)}"


def test_no_reference_to_files_outside_the_repository():
    bad = {str(p.relative_to(REPO)): hit for p, text in _project_texts().items()
           for hit in re.findall(r"DESIGN\.md|\.\./shared|shared/seeds", text)}
    assert not bad, bad


def test_paths_named_in_the_docs_exist():
    pattern = re.compile(r"(?<![\w./-])((?:simulator|renderers|training|tests|docs|scenes|configs|benchmarks|scripts|"
                         r"tools)/[\w./-]*[\w/])")
    missing = set()
    for path, text in _project_texts().items():
        if path.suffix != ".md":
            continue
        for m in pattern.finditer(text):
            rel = m.group(1).rstrip(".")
            if not any(c in rel for c in "<*") and not rel.endswith("_") and not (REPO / rel).exists():
                missing.add(f"{path.relative_to(REPO)}: {rel}")
    assert not missing, sorted(missing)


def test_simulate_help_lists_every_subcommand(capsys):
    from simulator.cli import COMMANDS, main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert re.search(rf"^  {re.escape(name)}\s+\S", out, flags=re.M), name
    assert {"run", "replay", "audit", "stats", "bench", "assets", "spec-reference"} <= set(COMMANDS)


def test_architecture_tells_how_to_add_each_variant():
    text = (REPO / "docs" / "architecture.md").read_text()
    for what in ("condition", "room kind", "head model", "image backend", "sink", "executor"):
        assert f"**A{'n' if what[0] in 'aeiou' else ''} {what}.**" in text, what
