"""`simulate stats`: counts, target-centre heatmaps, angle histograms and the uniformity summary."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulator.audit import planned_category
from simulator.stats import main as stats_main, uniformity, write_stats

from conftest import CONGRUENT, read_records, simulate

CONDITIONS = ["congruent", "audio_only", "vision_only", "offscreen"]
WORKAROUND = ("--set", "objects.max_distance_m=100")  # generator bug, see tests/test_conditions.py


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("stats")
    simulate("--spec", str(CONGRUENT), "--set", f"condition={{choice: [{', '.join(CONDITIONS)}]}}",
             "--set", "samples=24", "--set", "image.width=96", "--set", "image.height=96",
             "--set", "audio.duration=0.5", *WORKAROUND, "--set", "output.dir=out", "--quiet", cwd=cwd)
    return cwd / "out"


def test_stats_writes_plots_and_exact_counts(dataset: Path, capsys):
    assert stats_main([str(dataset)]) == 0
    out = dataset.with_name(dataset.name + ".stats")  # beside the dataset, never inside it
    assert not (dataset / "stats").exists()
    for name in ("stats.json", "counts.png", "centres.png", "angles.png"):
        assert (out / name).is_file(), name
    for name in ("counts.png", "centres.png", "angles.png"):
        with Image.open(out / name) as img:
            assert img.format == "PNG" and img.size[0] > 200 and img.size[1] > 200
    stats = json.loads((out / "stats.json").read_text())
    records = read_records(dataset)
    info = json.loads((dataset / "dataset.json").read_text())
    assert stats["samples"] == len(records) == 24
    assert stats["counts"]["condition"] == dict(Counter(r["condition"] for r in records)) == info["counts"]["condition"]
    assert stats["counts"]["size_bin"] == info["counts"]["size_bin"]
    planned = dict(Counter(planned_category(r) for r in records))
    assert stats["counts"]["category"] == planned == info["counts"]["category"]
    assert stats["counts"]["condition/size_bin"] == info["counts"]["condition/size_bin"]
    targets = [t for r in records for t in r["targets"]["audio"]]
    n_targets = sum(r["condition"] in ("congruent", "audio_only") for r in records)
    assert stats["audio_targets"] == len(targets) == n_targets
    assert stats["counts"]["audio_target_category"] == dict(Counter(t["category"] for t in targets))
    for key in ("azimuth_deg", "elevation_deg", "distance_m"):
        h = stats["histograms"][key]
        assert sum(h["counts"]) == len(targets) == h["n"]
        assert h["min"] == pytest.approx(min(t[key] for t in targets))
        assert h["max"] == pytest.approx(max(t[key] for t in targets))
    heat = stats["centres"]["heatmaps"]
    assert np.sum(heat["all"]) == len(targets)
    assert set(heat) == {"all"} | {t["category"] for t in targets}
    for cat in set(heat) - {"all"}:
        assert np.sum(heat[cat]) == sum(t["category"] == cat for t in targets)
    u = stats["centres"]["uniformity"]["all"]
    assert u["points"] + u["outside_region"] == len(targets)
    assert u["region"] == [pytest.approx(0.1), pytest.approx(0.9)]  # the spec's target.margin
    assert 0 <= u["p_value"] <= 1 and u["max_cell_fraction"] >= u["uniform_cell_fraction"]
    assert "wrote" in capsys.readouterr().out


def test_stats_out_option_and_bad_input(dataset: Path, tmp_path: Path, capsys):
    assert stats_main([str(dataset), "--out", str(tmp_path / "s"), "--bins", "8", "--no-plots"]) == 0
    stats = json.loads((tmp_path / "s" / "stats.json").read_text())
    assert np.asarray(stats["centres"]["heatmaps"]["all"]).shape == (8, 8) and stats["plots"] == []
    assert stats_main([str(tmp_path / "nothing")]) == 2
    assert "error" in capsys.readouterr().err


def test_uniformity_summary_tells_uniform_from_centred():
    rng = np.random.default_rng(0)
    flat = uniformity(rng.uniform(0.1, 0.9, size=(4000, 2)), 4, (0.1, 0.9))
    centred = uniformity(np.clip(rng.normal(0.5, 0.05, size=(4000, 2)), 0, 1), 4, (0.1, 0.9))
    assert flat["p_value"] > 1e-3 and flat["max_over_uniform"] < 1.2
    assert centred["p_value"] < 1e-12 and centred["max_cell_fraction"] > 0.2
    assert sum(map(sum, flat["counts"])) == flat["points"] == 4000


def test_write_stats_on_a_sweep_folder(dataset: Path, tmp_path: Path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "a=1").symlink_to(dataset, target_is_directory=True)
    assert stats_main([str(sweep), "--out", str(tmp_path / "o"), "--no-plots"]) == 0
    assert (tmp_path / "o" / "a=1" / "stats.json").is_file()
    assert write_stats(dataset, tmp_path / "w", plots=False)["samples"] == 24


def test_simulate_stats_subcommand(dataset, tmp_path):
    from simulator.cli import SUBCOMMANDS

    if "stats" not in SUBCOMMANDS:
        pytest.skip("`simulate stats` is not wired into simulator/cli.py yet")
    simulate("stats", str(dataset), "--out", str(tmp_path / "s"), cwd=tmp_path)
    assert (tmp_path / "s" / "stats.json").is_file() and (tmp_path / "s" / "centres.png").is_file()
    assert simulate("stats", str(tmp_path / "missing"), cwd=tmp_path, check=False).returncode == 2
