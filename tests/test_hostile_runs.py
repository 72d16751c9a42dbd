"""Runs in hostile conditions: two writers on one dataset, a disk that fills during the run, and
the run's main process killed while its workers work."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import tmpfs

ARGS = ["--spec", "congruent", "--set", "image.width=64", "--set", "image.height=64", "--set", "audio.duration=0.5",
        "--set", "objects.max_distance_m=100", "--quiet"]


def start(cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulator.cli", *ARGS, *extra], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def run(cwd: Path, *extra: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", *ARGS, *extra], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def wait_for(predicate, timeout: float = 120.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except OSError:
        return 0


def digests(root: Path) -> dict[str, str]:
    """Every file's SHA-256; dataset.json without the output folder it names and the versions."""
    out = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = str(p.relative_to(root))
        if rel == "dataset.json":
            info = json.loads(p.read_text())
            info["spec"]["output"].pop("dir")
            info.pop("versions")
            out[rel] = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run of 80 samples."""
    cwd = tmp_path_factory.mktemp("reference")
    proc = run(cwd, "--set", "samples=80", "--set", "output.dir=out")
    assert proc.returncode == 0, proc.stderr
    return cwd / "out"


def test_a_second_writer_is_refused_and_the_first_dataset_is_intact(reference, tmp_path):
    first = start(tmp_path, "--set", "samples=80", "--set", "output.dir=out")
    try:
        assert wait_for(lambda: lines(tmp_path / "out" / "manifest.jsonl") >= 2), "the first run never wrote"
        second = run(tmp_path, "--set", "samples=80", "--set", "output.dir=out", timeout=120)
        assert second.returncode == 2, second.stderr
        assert "Traceback" not in second.stderr
        assert "another run is writing this dataset" in second.stderr and f"process {first.pid}" in second.stderr
        dry = run(tmp_path, "--set", "samples=80", "--set", "output.dir=out", "--dry-run", timeout=120)
        assert dry.returncode == 2 and "another run is writing" in dry.stderr
    finally:
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert digests(tmp_path / "out") == digests(reference)
    assert (tmp_path / "out" / ".avsim.lock").read_text() == ""  # the lock names nobody once the run ends


def test_workers_die_with_their_run(tmp_path):
    proc = start(tmp_path, "--set", "samples=200", "--set", "output.dir=out", "--workers", "2")
    try:
        assert wait_for(lambda: lines(tmp_path / "out" / "manifest.jsonl") >= 2), "no sample was written"
        children = [int(x) for x in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        workers = [c for c in children if "simulator" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
                   or "multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) >= 2, children
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_for(lambda: not any(Path(f"/proc/{w}").exists() and "Z" not in
                                        Path(f"/proc/{w}/stat").read_text().split()[2] for w in workers), timeout=20), \
            "workers outlived their run"
    finally:
        if proc.poll() is None:
            proc.kill()
    resumed = run(tmp_path, "--set", "samples=200", "--set", "output.dir=out", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr


def test_a_full_disk_stops_the_run_clearly_and_a_rerun_completes_it(reference, tmp_path):
    with tmpfs(tmp_path / "disk", "size=400k") as disk:
        full = run(tmp_path, "--set", "samples=80", "--set", f"output.dir={disk / 'out'}")
        assert full.returncode == 1, full.stderr
        assert "Traceback" not in full.stderr
        errors = [x for x in full.stderr.splitlines() if x.startswith("error:")]
        assert len(errors) == 1 and "No space left on device" in errors[0] and "rerun the same command" in errors[0]
        assert lines(disk / "out" / "manifest.jsonl") < 80
        assert not list((disk / "out").rglob(".*.tmp-*")), "a half-written file was left behind"
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = run(tmp_path, "--set", "samples=80", "--set", f"output.dir={disk / 'out'}")
        assert again.returncode == 0, again.stderr
        assert digests(disk / "out") == digests(reference)


def test_stats_on_a_read_only_dataset_says_so(reference, tmp_path):
    with tmpfs(tmp_path / "disk", "size=64m") as disk:
        subprocess.run(["cp", "-r", str(reference), str(disk / "data")], check=True)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        proc = subprocess.run([sys.executable, "-m", "simulator.cli", "stats", str(disk / "data")], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "read-only file system" in proc.stderr and str(disk / "data.stats") in proc.stderr
        elsewhere = subprocess.run([sys.executable, "-m", "simulator.cli", "stats", str(disk / "data"), "--out",
                                    str(tmp_path / "stats"), "--no-plots"], capture_output=True, text=True, timeout=300)
        assert elsewhere.returncode == 0, elsewhere.stderr
        assert (tmp_path / "stats" / "stats.json").is_file()
