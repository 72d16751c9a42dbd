"""``simulate --dry-run`` estimates a dataset's size from samples it makes in memory: within 15 %
of what the run then writes (every file, dataset-level files included), for specs whose samples
differ in size (negatives, stems of mixed samples, WAV audio, shards)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import simulate


def written(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


@pytest.mark.slow
@pytest.mark.parametrize("spec, extra", [
    ("congruent", ()),
    ("negatives", ()),
    ("mixed", ("--set", "audio.format=wav")),
    ("congruent", ("--set", "output.format=webdataset", "--set", "output.shard_samples=10")),
])
def test_dry_run_estimate_is_within_15_percent(tmp_path: Path, spec: str, extra: tuple[str, ...]):
    args = ("--spec", spec, "--set", "samples=40", "--set", "output.dir=out", *extra)
    dry = simulate(*args, "--dry-run", cwd=tmp_path)
    assert not (tmp_path / "out").exists()
    m = re.search(r"estimated size: [\d.]+ MB \(~(\d+) kB and ([\d.]+) files a sample", dry.stdout)
    assert m, dry.stdout
    per_sample, files = float(m.group(1)) * 1e3, float(m.group(2))
    run = simulate(*args, "--workers", "2", "--quiet", cwd=tmp_path, check=False)
    assert run.returncode in (0, 1), run.stderr
    size, n_files = written(tmp_path / "out")
    assert abs(per_sample * 40 - size) <= 0.15 * size, (per_sample * 40, size)
    if "webdataset" not in " ".join(extra):  # shards: a few tars instead of the files
        assert abs(files * 40 - n_files) <= 0.15 * n_files, (files * 40, n_files)
