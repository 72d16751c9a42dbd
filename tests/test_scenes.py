"""The ready specs in scenes/: each validates, plans what it promises, runs, and passes the audit."""
from __future__ import annotations

import json

import re
from collections import Counter
from pathlib import Path

import pytest
import soundfile as sf

from simulator.audit import audit_dataset, find_datasets

from conftest import read_records, simulate

REPO = Path(__file__).resolve().parent.parent
SCENES = sorted((REPO / "scenes").glob("*.yaml"))
SCENE_IDS = [p.stem for p in SCENES]
#: One ready spec per condition (docs/conditions.md).
CONDITION_SPECS = {"congruent": "congruent", "conflict_vcue": "conflict", "absent_vcue": "absent_vcue",
                   "audio_only": "audio_only", "vision_only": "vision_only", "multi_instance": "multi_instance",
                   "offscreen": "offscreen", "mixed": "mixed", "leaves_view": "leaves_view",
                   "enters_view": "enters_view", "turns_towards": "turns_towards", "cross_event": "cross_event"}
AUDIOCOCO_CONDITIONS = ["congruent", "conflict_vcue", "absent_vcue", "audio_only", "vision_only", "multi_instance"]
AUDIOCOCO_CATEGORIES = {"person", "motorbike", "train", "boat", "elephant", "bird", "cat", "dog", "horse", "sheep",
                        "cow", "keyboard"}
#: Work-around for a generator bug (see test_known_bug_large_meshes_abort_a_default_run).
WORKAROUND = ("--set", "objects.max_distance_m=100")
#: Invariants the generator is known to break (see tests/test_conditions.py).
KNOWN_GENERATOR_BUGS = {"audio_only.size_bin"}
TINY = 6


def parse_plans(text: str) -> list[dict]:
    """The dry-run's plan blocks: {"spec": name, "samples": n, "sweep": str, "per <key>": {value: count}}."""
    plans: list[dict] = []
    for line in text.splitlines():
        if line.startswith("spec "):
            plans.append({"spec": line.split()[1]})
        elif m := re.match(r"\s+per (\S+): (.*)$", line):
            plans[-1][m.group(1)] = {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split(", "))}
        elif m := re.match(r"\s+samples: (\d+)$", line):
            plans[-1]["samples"] = int(m.group(1))
        elif m := re.match(r"\s+sweep point: (.*)$", line):
            plans[-1]["sweep"] = m.group(1)
    return plans


def dry_run(spec: Path, cwd: Path, *sets: str) -> list[dict]:
    proc = simulate("--spec", str(spec), *sets, "--dry-run", cwd=cwd)
    return parse_plans(proc.stdout)


_RUNS: dict[str, Path] = {}


@pytest.fixture(scope="module")
def run_scene(tmp_path_factory):
    """Run a bundled spec with TINY samples (once per module) and return its output folder."""
    def run(name: str) -> Path:
        if name not in _RUNS:
            cwd = tmp_path_factory.mktemp(name)
            simulate("--spec", str(REPO / "scenes" / f"{name}.yaml"), "--set", f"samples={TINY}", *WORKAROUND,
                     "--set", "output.dir=out", "--quiet", cwd=cwd)
            _RUNS[name] = cwd / "out"
        return _RUNS[name]
    return run


# -- validation and plans (fast) ----------------------------------------------------------------------

def test_every_condition_has_a_ready_spec():
    names = {p.stem for p in SCENES}
    from simulator.conditions import condition_names

    assert set(CONDITION_SPECS) == set(condition_names())
    assert set(CONDITION_SPECS.values()) <= names
    assert {"audiococo", "is3_interactive", "negatives", "ablation"} <= names


@pytest.mark.parametrize("spec", SCENES, ids=SCENE_IDS)
def test_spec_has_a_header_citing_its_source(spec: Path):
    lines = spec.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 2, f"{spec.name} needs a comment header explaining it"
    assert re.search(r"seeds/00\d", " ".join(header)), f"{spec.name}'s header cites no seed paper"


@pytest.mark.parametrize("spec", SCENES, ids=SCENE_IDS)
def test_spec_dry_run(spec: Path, tmp_path: Path):
    plans = dry_run(spec, tmp_path)
    assert plans and all(sum(p["condition"].values()) == p["samples"] for p in plans)
    assert all(sum(p["size_bin"].values()) == p["samples"] for p in plans)
    assert list(tmp_path.iterdir()) == [], "a dry run wrote something"
    condition = next((c for c, name in CONDITION_SPECS.items() if name == spec.stem), None)
    if condition is not None:
        assert [list(p["condition"]) for p in plans] == [[condition]]
    if spec.stem != "audiococo":
        assert all(200 <= p["samples"] <= 600 for p in plans), "keep the default sample counts modest"


def test_audiococo_plan_is_balanced(tmp_path: Path):
    from simulator.assets.library import AssetLibrary
    from simulator.plan import Plan
    from simulator.spec.loader import load_spec

    (plan,) = dry_run(REPO / "scenes" / "audiococo.yaml", tmp_path)
    assert plan["samples"] == 1800
    assert plan["condition"] == {c: 300 for c in AUDIOCOCO_CONDITIONS}
    assert plan["size_bin"] == {"size1": 600, "size2": 600, "size3": 600}
    assert plan["condition/size_bin"] == {f"{c}/{b}": 100 for c in AUDIOCOCO_CONDITIONS
                                          for b in ("size1", "size2", "size3")}
    assert set(plan["category"]) == AUDIOCOCO_CATEGORIES and sum(plan["category"].values()) == 1800
    # within each (condition, size bin) the categories the bin allows are balanced to one sample
    library = AssetLibrary.default()
    (spec,) = load_spec(REPO / "scenes" / "audiococo.yaml", library=library)
    p = Plan(spec, library)
    cells = Counter((e.condition, e.size_bin, e.category) for e in map(p.entry, range(len(p))))
    for cond in AUDIOCOCO_CONDITIONS:
        for b in ("size1", "size2", "size3"):
            counts = [n for (c, sb, _), n in cells.items() if (c, sb) == (cond, b)]
            assert sum(counts) == 100 and max(counts) - min(counts) <= 1, (cond, b, counts)
    assert dict(Counter(e.category for e in map(p.entry, range(len(p))))) == plan["category"]
    r = spec.resolved
    assert r["camera"]["projection"] == "screen" and r["camera"]["viewing_distance_m"] == 0.76
    assert r["listener"]["ear_spacing_m"] == 0.17 and r["listener"]["head"] == "spaced"
    # the picture is as wide on the screen as seeds/000's 640-pixel COCO images at 90 pixels per inch
    assert r["image"]["width"] / r["camera"]["pixels_per_inch"] == pytest.approx(640 / 90, rel=1e-3)


def test_ablation_is_a_grid(tmp_path: Path):
    plans = dry_run(REPO / "scenes" / "ablation.yaml", tmp_path)
    assert len(plans) == 4
    assert {p["sweep"] for p in plans} == {
        f'{{"listener.head": "{h}", "condition": "{c}"}}' for h in ("spaced", "mono")
        for c in ("congruent", "conflict_vcue")}


# -- tiny runs, audited (slow) ----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", SCENE_IDS)
def test_spec_runs_and_passes_the_audit(name: str, run_scene):
    out = run_scene(name)
    for root in find_datasets(out):
        report = audit_dataset(root)
        bad = [(f.id, [str(v) for v in f.violations if v.check not in KNOWN_GENERATOR_BUGS]) for f in report.failures]
        assert not [b for b in bad if b[1]], bad
        assert not report.dataset_violations, [str(v) for v in report.dataset_violations]
        assert report.samples == TINY


@pytest.mark.slow
def test_is3_interactive_two_sounding_objects_with_stems(run_scene):
    out = run_scene("is3_interactive")
    for rec in read_records(out):
        assert rec["condition"] == "mixed" and len(rec["objects"]) == 2
        cats = [s["category"] for s in rec["sources"]]
        assert len(cats) == 2 and cats[0] != cats[1]
        assert all(s["placement"] == "object" and s["on_screen"] for s in rec["sources"])
        assert sorted(t["source_id"] for t in rec["targets"]["audio"]) == [1, 2]
        assert sorted(o["id"] for o in rec["objects"] if o["sounding"]) == [1, 2]
        mix = sf.read(str(out / rec["files"]["audio"]), always_2d=True)[0]
        for sid in (1, 2):
            stem = sf.read(str(out / rec["files"][f"stem_s{sid}"]), always_2d=True)[0]
            assert stem.shape == mix.shape and abs(stem).max() > 0


@pytest.mark.slow
def test_negatives_spec_pairs_every_image_with_three_negatives(run_scene):
    out = run_scene("negatives")
    for rec in read_records(out):
        assert [n["kind"] for n in rec["negatives"]] == ["silence", "noise", "offscreen"]
        for neg in rec["negatives"]:
            assert (out / neg["file"]).is_file()
        silence = sf.read(str(out / rec["negatives"][0]["file"]))[0]
        assert abs(silence).max() == 0


@pytest.mark.slow
def test_ablation_makes_four_sub_datasets(run_scene):
    out = run_scene("ablation")
    subs = {p.name for p in find_datasets(out)}
    assert subs == {f"listener.head={h},condition={c}" for h in ("spaced", "mono")
                    for c in ("congruent", "conflict_vcue")}
    for sub in subs:
        rec = read_records(out / sub)[0]
        assert rec["condition"] == sub.split("condition=")[1]
        assert rec["audio"]["channels"] == (1 if "mono" in sub else 2)


@pytest.mark.slow
def test_impossible_samples_are_reported_and_the_run_completes(tmp_path: Path):
    """Five 20 m trains, each filling its own size bin's share of the image with at most a quarter
    of it hidden, one of them in size3, cannot share a 30 m deep view: those samples are listed as
    failed in dataset.json, the run finishes, and the exit status is 1."""
    proc = simulate("--spec", str(REPO / "scenes" / "multi_instance.yaml"), "--set", "samples=2",
                    "--set", "target.category=train", "--set", "target.size_bin=size3",
                    "--set", "objects.max_distance_m=30", "--set", "conditions.multi_instance.instances=5",
                    "--set", "output.dir=out", "--quiet", cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert info["status"] == "incomplete" and [f["index"] for f in info["failed"]] == [0, 1]
    assert "no valid layout" in proc.stdout and (tmp_path / "out" / "manifest.jsonl").read_text() == ""
