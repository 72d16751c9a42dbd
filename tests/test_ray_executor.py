"""The ray executor: its scheduling (in order, bounded, lost chunks made again) against a fake Ray;
the checks it makes before anything is written; and, with Ray installed, the same bytes as the
local executor from a Ray started for the run and from a real two-node cluster on 127.0.0.1 whose
actor process is SIGKILLed mid-run."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import tree_digest

from simulator.errors import SampleError
from simulator.executors import EXECUTORS
from simulator.executors import ray_executor as rx
from simulator.executors.local import LocalExecutor
from simulator.spec.errors import SpecError

SMALL = ["--spec", "congruent", "--set", "image.width=64", "--set", "image.height=64", "--set", "audio.duration=0.5",
         "--set", "objects.max_distance_m=100", "--set", "output.dir=out", "--quiet"]


# ------------------------------------------------------------------------------- a fake Ray
class TaskError(Exception):
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ActorError(Exception):
    pass


class FakeRay:
    """Enough of ``ray`` for :func:`ray_executor._ordered`: tasks finish in a shuffled order; an
    actor in ``dead`` loses every task; ``fail`` maps an index to the error its job raises."""

    exceptions = SimpleNamespace(RayTaskError=TaskError, RayActorError=ActorError)

    def __init__(self, actors: int, dead=(), fail=None, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.dead = set(dead)
        self.fail = fail or {}
        self.actors = [SimpleNamespace(run=SimpleNamespace(remote=self._submitter(a))) for a in range(actors)]
        self.submitted: list[tuple[int, list[int]]] = []  # (actor, chunk)

    def _submitter(self, actor: int):
        def remote(indices: list[int]):
            self.submitted.append((actor, indices))
            return (actor, tuple(indices), len(self.submitted))
        return remote

    def wait(self, refs: list, num_returns: int = 1):
        ref = self.rng.choice(refs)
        return [ref], [r for r in refs if r is not ref]

    def get(self, ref):
        actor, indices, _ = ref
        if actor in self.dead:
            raise ActorError(f"actor {actor} died\nlong details")
        for i in indices:
            if i in self.fail:
                raise TaskError(self.fail[i])
        return [{"index": i} for i in indices]


def chunked(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(n, i + size))) for i in range(0, n, size)]


def flat(ray: FakeRay, chunks: list[list[int]]):
    return [entry["index"] for results in rx._ordered(ray, ray.actors, chunks) for entry in results]


def test_results_come_in_index_order_with_a_bounded_window():
    chunks = chunked(200, 3)
    ray = FakeRay(actors=3, seed=4)
    seen, ahead = [], 0
    for results in rx._ordered(ray, ray.actors, chunks):
        seen += [e["index"] for e in results]
        submitted_up_to = max(c[0] for _, c in ray.submitted) // 3
        ahead = max(ahead, submitted_up_to - len(seen) // 3)
    assert seen == list(range(200))
    assert len(ray.submitted) == len(chunks)  # none made twice
    assert ahead <= rx.AHEAD_PER_ACTOR * 3


def test_chunks_of_a_dead_actor_are_made_by_the_others_once_each():
    ray = FakeRay(actors=3, dead={1}, seed=1)
    assert flat(ray, chunked(60, 4)) == list(range(60))
    made = [tuple(c) for a, c in ray.submitted if a != 1]
    assert sorted(made) == sorted(tuple(c) for c in chunked(60, 4))


def test_a_chunk_is_given_up_when_no_actor_is_left():
    ray = FakeRay(actors=2, dead={0, 1})
    with pytest.raises(SampleError, match="no worker is left: actor . died$"):
        flat(ray, chunked(10, 2))


def test_a_job_error_is_raised_in_its_turn_as_itself():
    ray = FakeRay(actors=2, fail={13: SampleError("sample 13 cannot be made: no")}, seed=2)
    got = []
    with pytest.raises(SampleError, match="sample 13 cannot be made"):
        for results in rx._ordered(ray, ray.actors, chunked(40, 2)):
            got += [e["index"] for e in results]
    assert got == list(range(12))  # everything before the failing chunk, in order


def test_chunk_size_gives_several_chunks_per_actor():
    assert rx.chunk_size(200, 2) == 12 and rx.chunk_size(10, 4) == 1 and rx.chunk_size(10**6, 8) == 16


# ------------------------------------------------------------------- checks before any write
def test_addresses_are_checked_before_the_run():
    with pytest.raises(SpecError, match="expected auto or HOST:PORT"):
        rx.check_address("nonsense")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SpecError, match="no Ray cluster answers there"):
        rx.check_address(f"127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(SpecError, match="the local executor runs on this machine"):
        LocalExecutor(1, "auto")
    assert LocalExecutor(2).workers == 2 and "ray" in EXECUTORS.names()


def test_without_ray_the_extra_is_named(monkeypatch):
    monkeypatch.setattr(rx, "ray_available", lambda: False)
    with pytest.raises(SpecError, match=r"pip install 'avsim\[ray\]'"):
        rx.RayExecutor(2)


def test_cli_refuses_an_address_for_the_local_executor_before_writing(tmp_path, capsys):
    from simulator.cli import main

    out = tmp_path / "out"
    assert main(["--spec", "congruent", "--set", f"output.dir={out}", "--address", "auto"]) == 2
    assert "--address" in capsys.readouterr().err and not out.exists()


def test_an_output_folder_a_node_does_not_see_is_named(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "dataset.json").write_text("{}")
    assert rx.output_seen(str(tmp_path), "out", ["dataset.json"]) is None
    problem = rx.output_seen(str(tmp_path), "out", ["dataset.json", "manifest.jsonl"])
    assert "every node sees" in problem and "manifest.jsonl" in problem
    assert "does not exist" in rx.output_seen(str(tmp_path / "gone"), "out", [])
    assert rx.output_seen(str(tmp_path / "gone"), "elsewhere", None) is None  # the workers write no files
    assert rx.writes_on_workers(SimpleNamespace(name="folder"))
    assert not rx.writes_on_workers(SimpleNamespace(name="webdataset"))


# --------------------------------------------------------------------------------- real Ray
def simulate(cwd: Path, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.slow
def test_a_local_ray_gives_the_local_executors_bytes(tmp_path):
    pytest.importorskip("ray")
    args = [*SMALL, "--set", "samples=12", "--workers", "2"]
    ray_run = simulate(tmp_path / "ray", *args, "--executor", "ray")
    assert ray_run.returncode == 0, ray_run.stderr
    assert "Traceback" not in ray_run.stderr and "INFO" not in ray_run.stderr  # no Ray banners
    local = simulate(tmp_path / "local", *args)
    assert local.returncode == 0, local.stderr
    ours, theirs = tree_digest(tmp_path / "ray" / "out"), tree_digest(tmp_path / "local" / "out")
    assert ours == theirs and sum(k.endswith(".png") for k in ours) == 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_processes(marks: list[str]) -> list:
    """The processes of the test's cluster (a command line naming its temp dir or GCS port) and
    their descendants (agents and actors, whose titles name neither)."""
    import psutil

    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
            if proc.pid != os.getpid() and any(m in line for m in marks):
                for p in [proc, *proc.children(recursive=True)]:
                    found[p.pid] = p
        except psutil.Error:
            pass
    return list(found.values())


@pytest.fixture
def two_nodes():
    """A head and a second node (1 CPU each) on 127.0.0.1; every process of it killed afterwards
    (by pid: ``ray stop --force`` would stop every Ray of this machine)."""
    pytest.importorskip("ray")
    pytest.importorskip("psutil")
    temp = tempfile.mkdtemp(prefix="avsim-ray-")  # short: Ray's socket paths live below it
    port = free_port()
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts", "start", "--node-ip-address", "127.0.0.1",
               "--num-cpus", "1", "--object-store-memory", str(80 * 2**20), "--disable-usage-stats"]
    marks = [temp, f":{port}"]
    try:
        subprocess.run([*ray_cli, "--head", "--port", str(port), "--temp-dir", temp, "--include-dashboard=false",
                        "--dashboard-port", str(free_port()), "--ray-client-server-port", str(free_port())],
                       env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([*ray_cli, "--address", f"127.0.0.1:{port}"], env=env, check=True, capture_output=True,
                       timeout=120)
        yield SimpleNamespace(address=f"127.0.0.1:{port}", env=env, marks=marks)
    finally:
        for proc in cluster_processes(marks):
            try:
                proc.kill()
            except Exception:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def actor_pids(marks: list[str]) -> list[int]:
    """The live actor processes of the test's cluster."""
    import psutil

    out = []
    for proc in cluster_processes(marks):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and " ".join(proc.cmdline()).startswith("ray::AvsimWorker"):
                out.append(proc.pid)
        except psutil.Error:
            pass
    return out


@pytest.mark.slow
def test_a_two_node_cluster_survives_a_killed_actor_with_the_same_bytes(two_nodes, tmp_path):
    n = 120
    args = [*SMALL, "--set", f"samples={n}"]
    work = tmp_path / "cluster"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args, "--executor", "ray", "--workers", "2",
                             "--address", two_nodes.address], cwd=work, env=two_nodes.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = work / "out" / "manifest.jsonl"
    killed, actors, done = None, [], 0
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            actors = actor_pids(two_nodes.marks)
            done = manifest.read_bytes().count(b"\n") if manifest.exists() else 0
            # kill one of the two actors once some samples are written; on a loaded machine the
            # second actor may never be seen alive at the same time, then kill the one there is
            if actors and (done >= 15 and len(actors) == 2 or done >= 40):
                killed = actors[0]
                os.kill(killed, signal.SIGKILL)
                break
            time.sleep(0.05)
        why = "the 240 s deadline passed" if proc.poll() is None else f"the run exited ({proc.returncode})"
        out, err = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed is not None, (f"no actor was killed: {why} with {done} of {n} samples written and "
                                f"{len(actors)} actor(s) last seen alive:\n{err}")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    lines = manifest.read_text().splitlines()
    assert lines[-1].endswith("}") and manifest.read_text().endswith("\n")
    assert [json.loads(line)["index"] for line in lines] == list(range(n))  # each once, in order
    local = simulate(tmp_path / "local", *args, "--workers", "2")
    assert local.returncode == 0, local.stderr
    assert tree_digest(work / "out") == tree_digest(tmp_path / "local" / "out")
