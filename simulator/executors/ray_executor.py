"""``ray``: the samples made by Ray actors, on a Ray cluster (``--address auto|HOST:PORT``) or, without
an address, on a Ray started on this machine for the run and stopped after it.

Each actor (one CPU) holds a started :class:`~simulator.executors.job.SampleJob`, so its renderers
are built once. Chunks of consecutive indices go to whichever actor has room (at most
:data:`QUEUED_PER_ACTOR` chunks each, and no chunk more than :data:`AHEAD_PER_ACTOR` chunks per actor
ahead of the oldest result not yet handed back, so what waits in the driver stays bounded); the
results are yielded in index order while later chunks run.

Workers: ``--workers N`` (N > 1) makes N actors; ``--workers 1`` (the default) makes one actor per
CPU of the cluster (of this machine without an address). A cluster with fewer CPUs than actors
shares them out (fractional CPUs).

Lost work: an actor whose process dies (killed, out of memory, its node gone) is restarted by Ray
(:data:`ACTOR_RESTARTS` times) and its unfinished chunks run again; a chunk whose actor is gone for
good is given to another actor, up to :data:`CHUNK_TRIES` times in all. A sample made twice is
written twice with the same bytes (the sink writes atomically) and committed once, by the driver.
An error of a sample (the job raises) stops the run in its turn, after the samples before it, as
the same exception as in-process. When the driver dies, even by kill -9, Ray ends its actors (a
job's actors do not outlive its driver; a Ray started by the driver stops with it).

Shared files: with a sink whose workers write the sample files (``folder``), each actor checks at
start that it sees the output folder the driver sees (:func:`output_seen`); actors work in the
driver's working folder, so a relative ``output.dir`` means the same on every node.

``ray`` is an optional extra (``pip install 'avsim[ray]'``): it is imported only when samples are
made; :class:`RayExecutor` refuses to be built without it (:class:`SpecError`, exit status 2).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
from collections import deque
from typing import Any, Iterator

from ..errors import SampleError
from ..spec.errors import SpecError
from .base import Executor

RAY_MISSING = "the ray executor needs the optional extra: pip install 'avsim[ray]'"
#: Times Ray restarts a dead actor (and reruns its unfinished chunks).
ACTOR_RESTARTS = 3
#: Times a chunk is given to an actor, counting the first.
CHUNK_TRIES = 3
#: Chunks waiting at (or running in) one actor.
QUEUED_PER_ACTOR = 2
#: How far (in chunks per actor) submitted chunks may run ahead of the oldest unreturned one.
AHEAD_PER_ACTOR = 4
#: Object store of a local Ray (bytes): results are manifest entries (with the webdataset sink
#: also the sample bytes; Ray spills what does not fit to disk).
OBJECT_STORE_BYTES = 100 * 2**20


def ray_available() -> bool:
    """Whether ``import ray`` would find the package (without importing it)."""
    return importlib.util.find_spec("ray") is not None


def _import_ray():
    try:
        import ray
    except ImportError:
        raise SpecError(RAY_MISSING) from None
    return ray


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """Refuse (:class:`SpecError`) a ``HOST:PORT`` (or ``ray://HOST:PORT``) where nothing accepts a
    connection within ``timeout_s`` seconds: Ray itself would keep retrying for many minutes."""
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SpecError(f"--address {address}: expected auto or HOST:PORT of the cluster's head (e.g. 10.0.0.5:6379)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise SpecError(f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); start one "
                        "with `ray start --head` (docs/scale.md)") from None


def local_cpus() -> int:
    """The CPUs this process may run on (its affinity; all of the machine's where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def chunk_size(samples: int, actors: int) -> int:
    """Indices per task: about eight chunks per actor, 1 to 16 samples each."""
    return max(1, min(16, samples // (max(1, actors) * 8)))


def writes_on_workers(sink) -> bool:
    """Whether the sink's workers write sample files themselves (the ``folder`` sink), so every
    node must see the output folder; a sink says so with a ``workers_write_files`` attribute."""
    return bool(getattr(sink, "workers_write_files", getattr(sink, "name", "") == "folder"))


def output_seen(cwd: str, output_dir: str, names: list[str] | None) -> str | None:
    """Why this process cannot write where the driver does (None if it can). It works in the
    driver's folder ``cwd`` where that exists here (a relative output.dir then means the same).
    ``names``: None if the workers write no files, else the entries the driver sees in
    ``output_dir``, which this process must see too (a node with its own empty folder at that
    path would write samples the dataset never gets)."""
    host = socket.gethostname()
    if os.path.isdir(cwd):
        os.chdir(cwd)
    elif names is not None:
        return f"the driver's working folder {cwd} does not exist on {host}"
    if names is None:
        return None
    try:
        here = set(os.listdir(output_dir))
    except OSError as exc:
        missing = exc.strerror
    else:
        missing = ", ".join(sorted(set(names) - here))
    if missing:
        return (f"the output folder {os.path.abspath(output_dir)} on {host} is not the driver's ({missing}): "
                "it must be on a file system every node sees, at the same path")
    return None


class AvsimWorker:
    """A Ray actor (its process is titled ``ray::AvsimWorker``): one started SampleJob, working in
    the driver's folder ``cwd`` and checked to see its output folder (``names``: see
    :func:`output_seen`)."""

    def __init__(self, job, cwd: str, names: list[str] | None) -> None:
        self.job = job
        # A failure here is kept and raised by run(): an error of the run (the same as in-process),
        # not a lost actor that Ray would restart and report at length.
        self.failure: Exception | None = None
        try:
            problem = output_seen(cwd, str(job.spec.output_dir), names)
            if problem:
                raise SampleError(problem)
            # Actors share the cores: Mesa's llvmpipe must not spawn a thread per core in each (see local.py).
            os.environ.setdefault("LP_NUM_THREADS", "1")
            job.start()
        except Exception as exc:
            self.failure = exc

    def run(self, indices: list[int]) -> list[dict[str, Any]]:
        """The results of ``job(i)`` for a chunk of indices, in order."""
        if self.failure is not None:
            raise self.failure
        return [self.job(i) for i in indices]

    def pid(self) -> int:
        return os.getpid()


class RayExecutor(Executor):
    name = "ray"
    takes_address = True

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        super().__init__(workers, address)
        if not ray_available():
            raise SpecError(RAY_MISSING)
        if address is not None and address != "auto":
            check_address(address)

    def map(self, job, indices: list[int]) -> Iterator[dict[str, Any]]:
        if not indices:
            return
        ray = _import_ray()
        started = self._connect(ray)
        actors: list = []
        try:
            count, cpus = self._actor_shape(ray)
            remote = ray.remote(AvsimWorker).options(num_cpus=cpus, max_restarts=ACTOR_RESTARTS,
                                                      max_task_retries=ACTOR_RESTARTS, scheduling_strategy="SPREAD")
            out = job.spec.output_dir
            names = (sorted(os.listdir(out)) if out.is_dir() else []) if writes_on_workers(job.sink) else None
            actors = [remote.remote(job, os.getcwd(), names) for _ in range(count)]
            size = chunk_size(len(indices), count)
            chunks = [indices[i:i + size] for i in range(0, len(indices), size)]
            for results in _ordered(ray, actors, chunks):
                yield from results
        finally:
            if started:  # ends this job: its actors and tasks go with it (a local Ray stops)
                ray.shutdown()
            else:  # the caller's Ray stays up; only this run's actors go
                for actor in actors:
                    try:
                        ray.kill(actor, no_restart=True)
                    except Exception:  # already gone, or Ray itself is down
                        pass

    def _connect(self, ray) -> bool:
        """Connect to the cluster, or start a local Ray; False if this process already had a Ray
        (which is then used and left running)."""
        if ray.is_initialized():
            return False
        quiet: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        if self.address is not None:
            try:
                ray.init(address=self.address, **quiet)
            except ConnectionError as exc:
                raise SpecError(f"--address {self.address}: {' '.join(str(exc).split())[:300]}") from None
        else:
            ray.init(address="local", num_cpus=self.workers if self.workers > 1 else local_cpus(),
                     object_store_memory=OBJECT_STORE_BYTES, **quiet)
        return True

    def _actor_shape(self, ray) -> tuple[int, float]:
        """How many actors, and the CPUs each asks for (fewer than one when they outnumber the
        cluster's CPUs)."""
        total = float(ray.cluster_resources().get("CPU", 0.0))
        count = self.workers if self.workers > 1 else max(1, int(total))
        return count, (1.0 if count <= total else total / count)


def _lost_errors(ray) -> tuple[type[BaseException], ...]:
    """The exceptions that mean a chunk's worker, node or result was lost (not the chunk's fault)."""
    ex = ray.exceptions
    return tuple(getattr(ex, n) for n in ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError",
                                          "OwnerDiedError", "LocalRayletDiedError") if hasattr(ex, n))


def _ordered(ray, actors: list, chunks: list[list[int]]) -> Iterator[list[dict[str, Any]]]:
    """Run ``chunks`` on ``actors``; yield each chunk's results in chunk order."""
    lost = _lost_errors(ray)
    alive = list(range(len(actors)))
    load = [0] * len(actors)
    tries = [0] * len(chunks)
    todo: deque[int] = deque(range(len(chunks)))
    pending: dict[Any, tuple[int, int]] = {}  # ref -> (chunk, actor)
    done: dict[int, list[dict[str, Any]] | Exception] = {}  # an error is raised in its turn
    ahead = AHEAD_PER_ACTOR * len(actors)
    first = 0  # the oldest chunk not yet yielded

    def submit() -> None:
        while todo and todo[0] < first + ahead:
            free = [a for a in alive if load[a] < QUEUED_PER_ACTOR]
            if not free:
                return
            actor = min(free, key=lambda a: load[a])
            chunk = todo.popleft()
            pending[actors[actor].run.remote(chunks[chunk])] = (chunk, actor)
            load[actor] += 1
            tries[chunk] += 1

    submit()
    while first < len(chunks):
        if first in done:
            results = done.pop(first)
            if isinstance(results, Exception):
                raise results
            yield results
            first += 1
            submit()
            continue
        (ref,), _ = ray.wait(list(pending), num_returns=1)
        chunk, actor = pending.pop(ref)
        load[actor] -= 1
        try:
            done[chunk] = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # the job raised: the same error as in-process
            cause = getattr(exc, "cause", None)
            done[chunk] = cause.with_traceback(None) if isinstance(cause, Exception) else exc
        except lost as exc:
            if actor in alive:
                alive.remove(actor)
            span = f"samples {chunks[chunk][0]} to {chunks[chunk][-1]}"
            if tries[chunk] >= CHUNK_TRIES or not alive:
                reason = (re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines() or [type(exc).__name__])[0]
                reason = reason[:300]
                raise SampleError(f"{span}: the Ray worker making them was lost {tries[chunk]} time(s) and "
                                  f"{'no worker is left' if not alive else 'they were not retried again'}: "
                                  f"{reason}") from None
            todo.appendleft(chunk)
        submit()
