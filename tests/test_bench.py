"""The benchmark commands run and report what they measure (their numbers are for humans, not
asserted beyond being measured at all)."""
from pathlib import Path

from simulator.bench import STAGES, bench_visual, profile_lines, profile_worker

SPEC = str(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml")


def test_bench_visual_runs():
    rows = bench_visual(sizes=(64,), frames=2)
    assert rows[0]["size"] == 64 and rows[0]["frames_per_s"] > 0


def test_profiled_worker_reports_passes_stages_floor_memory_and_renderer():
    prof = profile_worker(SPEC, 3, overrides=["image.width=96", "image.height=96"])
    assert prof["samples"] == 3
    assert set(prof["stage_ms"]) == set(STAGES) and all(v >= 0 for v in prof["stage_ms"].values())
    assert prof["stage_ms"]["raster"] > 0 and prof["stage_ms"]["acoustics"] > 0
    # counted, not estimated: every sample needs its colour and id passes, sizing needs silhouettes
    assert prof["passes"]["colour"] >= 1 and prof["passes"]["ids"] >= 1 and prof["passes"]["silhouettes"] >= 1
    assert prof["passes_per_sample"] == sum(prof["passes"].values())
    assert prof["floor_ms"] == prof["stage_ms"]["encoding"] + prof["stage_ms"]["writing"] > 0
    assert 0 < prof["import_s"] < prof["ready_s"] and prof["first_sample_s"] > 0 and prof["peak_mb"] > 50
    assert prof["gl"]["renderer"] and prof["gl"]["platform"]
    lines = profile_lines(prof, {1: {"steady_per_s": 10.0}, 2: {"steady_per_s": 16.0}})
    text = "\n".join(lines)
    for what in ("start-up", "raster passes per sample", "sampling", "writing", "floor", "peak memory",
                 prof["gl"]["renderer"]):
        assert what in text
    floor = prof["floor_ms"]
    assert f"{100.0 / floor:.1f}x with 1 worker(s)" in text and f"{125.0 / floor:.1f}x with 2 worker(s)" in text
