"""``simulate bench``: measured throughput, side by side in one run.

    simulate bench visual      frames/s of the mesh raster (rgb + depth + ids) at 224 and 512
    simulate bench pipeline    samples/s of a spec end to end (sampling, rendering, writing)
                               for 1 and 2 worker processes; ``--executor ray`` adds the ray
                               executor beside the local one (same spec, samples and workers)

Numbers depend on the machine and its load; compare only numbers printed by the same run.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from renderers.visual.mesh_raster import MeshRasterRenderer

from .assets.library import AssetLibrary
from .cli_parser import ArgumentParser
from .pipeline import SampleMaker
from .run import run_spec
from .spec.loader import load_spec


def bench_visual(sizes=(224, 512), frames: int = 60, seed: int = 0) -> list[dict]:
    """Render ``frames`` scenes of the congruent spec at each size; report frames/s."""
    library = AssetLibrary.default()
    spec = load_spec(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml",
                     [f"seed={seed}", f"samples={frames}"], library=library)[0]
    maker = SampleMaker(spec, library)
    scenes = [maker.make(i).scene for i in range(frames)]
    maker.close()
    out = []
    renderer = MeshRasterRenderer(library.load_mesh)
    try:
        for size in sizes:
            for s in scenes:  # same layouts, rescaled image
                s.camera.width = s.camera.height = size
            renderer.render(scenes[0])  # warm-up: context, uploads
            start = time.perf_counter()
            for s in scenes:
                renderer.render(s)
            dt = time.perf_counter() - start
            out.append({"size": size, "frames": frames, "seconds": dt, "frames_per_s": frames / dt})
    finally:
        renderer.close()
    return out


class _TimedSink:
    """A sink that notes when each sample is committed (in the main process, in index order);
    everything else goes to the wrapped sink (the workers' copies only write)."""

    def __init__(self, sink) -> None:
        self.sink = sink
        self.times: list[float] = []

    def commit(self, entry) -> None:
        self.sink.commit(entry)
        self.times.append(time.perf_counter())

    def __getattr__(self, name: str):
        if name in ("sink", "times"):  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.sink, name)


def steady_rate(times: list[float]) -> float:
    """Samples/s once the first results are in: samples committed after the first commit time
    at or past a fifth of them, over the time from then to the last commit (results arrive a
    chunk at a time, so the interval starts at an arrival). 0.0 if too few arrivals."""
    if len(times) < 2:
        return 0.0
    t0 = times[len(times) // 5]
    after = [t for t in times if t > t0]
    return len(after) / (times[-1] - t0) if after and times[-1] > t0 else 0.0


def folder_size(root: Path) -> tuple[int, int]:
    """(bytes, files) of every file below ``root``."""
    size = files = 0
    for p in Path(root).rglob("*"):
        if p.is_file():
            size += p.stat().st_size
            files += 1
    return size, files


def worker_peak_mb(executor: str, workers: int) -> float | None:
    """Peak resident memory of one worker so far, in MB (1e6 bytes): with one local worker the
    samples are made in this process (its own peak), with several in child processes (the
    largest child's peak, ``RUSAGE_CHILDREN``); None for executors whose workers are not this
    process's children (ray)."""
    import resource

    if executor != "local":
        return None
    who = resource.RUSAGE_SELF if workers == 1 else resource.RUSAGE_CHILDREN
    return resource.getrusage(who).ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def bench_pipeline(spec_path: str, samples: int, workers=(1, 2), overrides=(), executors=("local",)) -> list[dict]:
    """Generate ``samples`` samples of the spec into a temporary folder with each worker count and
    executor (executors alternate within a worker count). Each row: workers, executor, seconds
    (start-up and shut-down included), samples_per_s (the same), steady_per_s (:func:`steady_rate`),
    bytes_per_sample and files_per_sample (the dataset folder's, dataset-level files included, over
    the samples), worker_peak_mb (:func:`worker_peak_mb`)."""
    from .sinks import sink_for

    out = []
    tmp = Path(tempfile.mkdtemp(prefix="avsim-bench-"))
    try:
        for w in workers:
            for name in executors:
                spec = load_spec(spec_path, [*overrides, f"samples={samples}", f"output.dir={tmp / f'{name}{w}'}"],
                                 library=AssetLibrary.default())[0]
                sink = _TimedSink(sink_for(spec))
                start = time.perf_counter()
                run_spec(spec, "new", workers=w, progress=False, executor=name, sink=sink)
                dt = time.perf_counter() - start
                size, files = folder_size(spec.output_dir)
                out.append({"workers": w, "executor": name, "samples": samples, "seconds": dt,
                            "samples_per_s": samples / dt, "steady_per_s": steady_rate(sink.times),
                            "bytes_per_sample": size / samples, "files_per_sample": files / samples,
                            "worker_peak_mb": worker_peak_mb(name, w)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _names(values: list[str], default: str) -> list[str]:
    """Repeated and comma-separated option values, in order, without repeats."""
    out: list[str] = []
    for value in values or [default]:
        out += [v.strip() for v in value.split(",") if v.strip() and v.strip() not in out]
    return out


def main(argv: list[str]) -> int:
    from .executors import EXECUTORS
    from .spec.errors import SpecError

    ap = ArgumentParser(prog="simulate bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("visual", "pipeline"))
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml"))
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="pipeline: spec overrides, as for simulate")
    ap.add_argument("--workers", action="append", default=[], metavar="N[,N...]",
                    help="pipeline: worker counts (repeatable or comma list; default 1,2)")
    ap.add_argument("--executor", action="append", default=[], metavar="NAME[,NAME...]",
                    help="pipeline: executors measured beside local (repeatable or comma list), e.g. ray")
    args = ap.parse_args(argv)
    if args.what == "visual":
        for row in bench_visual(frames=args.frames):
            print(f"mesh raster {row['size']}x{row['size']} (rgb + depth + ids): {row['frames_per_s']:.1f} frames/s "
                  f"({1000 / row['frames_per_s']:.1f} ms a frame, {row['frames']} frames)")
        return 0
    executors = _names(["local", *args.executor], "local")
    for name in executors:  # an unknown name or a missing extra is refused before any run
        if name not in EXECUTORS.names():
            raise SpecError(f"--executor {name}: no such executor (known: {', '.join(EXECUTORS.names())})")
        EXECUTORS.get(name)()
    try:
        workers = [int(w) for w in _names(args.workers, "1,2")]
    except ValueError:
        raise SpecError("--workers takes whole numbers (e.g. 2 or 1,2)") from None
    if not workers or min(workers) < 1:
        raise SpecError("--workers must be at least 1")
    rows = bench_pipeline(args.spec, args.samples, workers=workers, overrides=args.overrides, executors=executors)
    for row in rows:
        print(f"pipeline {Path(args.spec).name}, {row['executor']}, {row['workers']} worker(s): "
              f"{row['samples_per_s']:.1f} samples/s ({row['samples']} samples in {row['seconds']:.1f} s, start-up "
              f"included); steady {row['steady_per_s']:.1f} samples/s{_actor_note(row)}; "
              f"{row['bytes_per_sample'] / 1e3:.0f} kB and {row['files_per_sample']:.2f} files a sample"
              + (f"; worker peak memory {row['worker_peak_mb']:.0f} MB" if row["worker_peak_mb"] else ""))
    local = {row["workers"]: row for row in rows if row["executor"] == "local"}
    for row in rows:
        base = local.get(row["workers"])
        if row["executor"] == "local" or base is None or _actor_note(row):
            continue
        print(f"{row['executor']} overhead at {row['workers']} worker(s): "
              f"{_overhead(base['steady_per_s'], row['steady_per_s'])} steady, "
              f"{_overhead(base['samples_per_s'], row['samples_per_s'])} start-up included (time per sample, "
              "against local)")
    if 1 in local and 2 in local:
        print(f"speed-up with 2 workers: {local[2]['samples_per_s'] / local[1]['samples_per_s']:.2f}x")
    return 0


def _actor_note(row: dict) -> str:
    """For ray with 1 worker: it makes one actor per CPU, so it is not compared with 1 local worker."""
    if row["executor"] == "ray" and row["workers"] == 1:
        from .executors.ray_executor import local_cpus

        return f" (ray with --workers 1: one actor per CPU, {local_cpus()})"
    return ""


def _overhead(base: float, other: float) -> str:
    """How much longer a sample takes with ``other`` samples/s than with ``base``, in %."""
    return f"{(base / other - 1) * 100:+.1f} %" if base > 0 and other > 0 else "n/a"
