"""The benchmark commands run (their numbers are for humans, not asserted)."""
from simulator.bench import bench_visual


def test_bench_visual_runs():
    rows = bench_visual(sizes=(64,), frames=2)
    assert rows[0]["size"] == 64 and rows[0]["frames_per_s"] > 0
