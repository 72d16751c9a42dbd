"""The benchmark commands run and report what they measure (their numbers are for humans, not
asserted beyond being measured at all)."""
import re
from pathlib import Path

import pytest

from simulator.bench import STAGES, bench_visual, main, profile_lines, profile_worker

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


def test_bench_clips_prints_clips_per_s_the_split_and_memory(capsys):
    """``simulate bench clips`` through its real path (bench_pipeline, the profiled worker), tiny:
    3 clips of 64x64, 1 s (the user's --set over the kind's own sizes) at its 10 fps."""
    assert main(["clips", "--samples", "3", "--set", "image.width=64", "--set", "image.height=64",
                 "--set", "audio.duration=1"]) == 0
    out = capsys.readouterr().out
    rate = re.search(r"^clips congruent\.yaml \(64x64, 1 s at 10 fps: 10 frames\), local, 1 worker\(s\): "
                     r"([\d.]+) clips/s \(3 clips in ([\d.]+) s, start-up included\); steady ([\d.]+) clips/s; "
                     r"(\d+) kB and ([\d.]+) files a clip; worker peak memory (\d+) MB$", out, re.M)
    assert rate, out
    per_s, seconds, steady, kb, files, peak = map(float, rate.groups())
    assert per_s > 0 and steady > 0 and seconds > 0 and peak > 50
    assert abs(per_s - 3 / seconds) <= 0.01 + 0.05 * per_s  # clips/s start-up included is clips over the run
    assert files > 6 and kb > 0  # still, audio, record, MP4, id strip, SELD CSV, + dataset files over 3
    split = re.search(r"^s per clip in one worker \(3 clips\): ([\d.]+); still sample ([\d.]+) \(.*\), "
                      r"frames and encoding ([\d.]+) \(the frames after the still rendered and labelled ([\d.]+), "
                      r"every file encoded and written ([\d.]+)\)$", out, re.M)
    assert split, out
    total, still, after, frames, floor = map(float, split.groups())
    assert still > 0 and frames > 0 and floor > 0
    assert abs(still + after - total) <= 0.002 and abs(frames + floor - after) <= 0.002
    assert "worker start-up" in out and "profiled worker peak memory" in out
    assert "MP4" in out  # the floor names the clip's files
    # the stages still add up and none is negative once a clip's frames are in the render
    stages = re.search(r"^ms per sample in one worker \(3 samples\): (.*); sum ([\d.]+)$", out, re.M)
    values = [float(v.split()[-1]) for v in stages.group(1).split(", ")]
    assert min(values) >= 0 and abs(sum(values) - float(stages.group(2))) < 0.5


def test_bench_clips_refuses_a_spec_without_clips_before_any_run():
    from simulator.spec.errors import SpecError

    with pytest.raises(SpecError, match="video.fps"):
        main(["clips", "--set", "video.fps=null"])
