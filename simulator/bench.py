"""``simulate bench``: measured throughput, side by side in one run.

    simulate bench visual      frames/s of the mesh raster (rgb + depth + ids) at 224 and 512
    simulate bench pipeline    samples/s of a spec end to end (sampling, rendering, writing)
                               for 1 and 2 worker processes, start-up included and in steady
                               state; then one fresh worker process profiled apart: its start-up,
                               raster passes per sample, milliseconds per stage, the
                               encode-and-write floor, peak memory and what it rendered on.
                               ``--executor ray`` adds the ray executor beside the local one
    simulate bench clips       clips/s of the main job made as clips (:data:`CLIP_OVERRIDES`: 224x224,
                               2 s at 10 fps, objects moving linearly; ``--set`` overrides them) with
                               1 worker, start-up included and in steady state; then the profiled
                               worker as for ``pipeline`` and the seconds per clip split into the
                               still sample and its further frames with the encoding and writing

Numbers depend on the machine and its load; compare only numbers printed by the same run.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from renderers.visual.mesh_raster import MeshRasterRenderer

from .assets.library import AssetLibrary
from .cli_parser import ArgumentParser
from .pipeline import SampleFailed, SampleMaker
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


#: The clip ``simulate bench clips`` makes of the spec: a 2 s, 10 fps, 224x224 clip (20 frames),
#: objects moving in straight lines, in the spec's room. The user's ``--set`` comes after these,
#: so it overrides any of them.
CLIP_OVERRIDES = ("image.width=224", "image.height=224", "audio.duration=2", "video.fps=10",
                  "objects.motion.kind=linear")


def clip_shape(spec_path: str, overrides=()) -> dict[str, Any]:
    """``width``, ``height``, ``fps``, ``duration_s`` and ``frames`` of the clips the spec makes
    with ``overrides``; SpecError if it makes stills (``video.fps`` null)."""
    from .scene_settings import video
    from .spec.errors import SpecError

    spec = load_spec(spec_path, list(overrides), library=AssetLibrary.default())[0]
    v = video(spec.resolved)
    if v is None:
        raise SpecError("bench clips: the spec makes stills (video.fps is null); set video.fps")
    image = spec.resolved["image"]
    return {"width": int(image["width"]), "height": int(image["height"]), "fps": v.fps,
            "duration_s": v.duration_s, "frames": v.frame_count}


def clip_split_line(prof: dict[str, Any]) -> str:
    """The seconds a clip takes in :func:`profile_worker`'s process, split into the still sample
    (everything but what follows) and its further frames (``frames_ms``) with the encoding and
    writing of all its files (``floor_ms``)."""
    total = sum(prof["stage_ms"].values()) / 1000.0
    frames, floor = prof["frames_ms"] / 1000.0, prof["floor_ms"] / 1000.0
    return (f"s per clip in one worker ({prof['samples']} clips): {total:.3f}; still sample "
            f"{total - frames - floor:.3f} (layout, its raster passes, masks and record, audio), frames and "
            f"encoding {frames + floor:.3f} (the frames after the still rendered and labelled {frames:.3f}, "
            f"every file encoded and written {floor:.3f})")


#: Stages of a sample, in the order they happen (see :func:`profile_worker`).
STAGES = ("sampling", "raster", "annotation", "acoustics", "encoding", "writing")


def _profile_child(conn, spec_path: str, overrides: list[str], samples: int, launched: float) -> None:
    """Body of :func:`profile_worker`'s process: send back its measurements (or the error)."""
    try:
        conn.send(_profile_here(spec_path, overrides, samples, launched))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def _profile_here(spec_path: str, overrides: list[str], samples: int, launched: float) -> dict[str, Any]:
    from .encode import encode_sample
    from .sinks.folder import write_blobs

    ready_start = time.monotonic()
    spec = load_spec(spec_path, [*overrides, f"samples={samples + 1}"], library=AssetLibrary.default())[0]
    maker = SampleMaker(spec)
    ready = time.monotonic()
    raster = getattr(maker.image, "raster", None)  # the mesh raster (other backends: no passes)
    tmp = Path(tempfile.mkdtemp(prefix="avsim-bench-profile-"))
    try:
        encode_sample(maker.make(0))  # first sample: JIT compilation, uploads, caches
        first = time.monotonic()
        stage = dict.fromkeys(STAGES, 0.0)
        passes0 = dict(raster.passes) if raster is not None else {}
        render0 = dict(maker.renderer.stage_s)
        made, raster_in_render = 0, 0.0
        for index in range(1, samples + 1):
            r0 = raster.raster_s if raster is not None else 0.0
            t0 = time.perf_counter()
            try:
                scene, preview = maker.layout(index)
            except SampleFailed:  # its attempts count; the sample itself is not made
                stage["raster"] += (raster.raster_s if raster is not None else 0.0) - r0
                stage["sampling"] += time.perf_counter() - t0 - ((raster.raster_s if raster is not None else 0.0) - r0)
                continue
            t1 = time.perf_counter()
            r1 = raster.raster_s if raster is not None else 0.0
            sample = maker.renderer.render(scene, preview)
            t2 = time.perf_counter()
            r2 = raster.raster_s if raster is not None else 0.0
            encoded = encode_sample(sample)
            t3 = time.perf_counter()
            write_blobs(tmp, encoded)
            t4 = time.perf_counter()
            stage["sampling"] += (t1 - t0) - (r1 - r0)
            stage["raster"] += r2 - r0
            stage["encoding"] += t3 - t2
            stage["writing"] += t4 - t3
            raster_in_render += r2 - r1
            made += 1
        render = {k: maker.renderer.stage_s[k] - render0[k] for k in render0}
        stage["acoustics"] = render["acoustics"]
        # the rest of the rendering step (image manipulation, masks, record; a clip's further frames
        # with their labels), without its raster passes (raster_in_render holds the frames' passes too)
        stage["annotation"] = render["image"] + render["annotation"] + render.get("video", 0.0) - raster_in_render
        passes = {k: v - passes0.get(k, 0) for k, v in (raster.passes.items() if raster is not None else ())}
        info = raster.gl_info() if raster is not None else {}
        maker.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"samples": made, "stage_s": stage, "render_s": render, "passes": passes,
            "import_s": ready_start - launched, "ready_s": ready - launched, "first_sample_s": first - ready,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, "gl": info}


def profile_worker(spec_path: str, samples: int, overrides=()) -> dict[str, Any]:
    """Make ``samples`` samples of the spec (after one warm-up sample) in one fresh worker process
    started as the local executor starts its workers (``spawn``, ``LP_NUM_THREADS=1``), timing
    each stage; the samples are encoded and written atomically into a temporary folder.

    Returns: ``samples`` (made; the attempts of failed ones count), ``stage_ms`` (milliseconds per sample
    per stage of :data:`STAGES`: sampling = drawing and settling the layout without its raster
    passes; raster = every raster pass with its read-back, a clip's frames included; annotation =
    image manipulation, masks and the record, a clip's further frames and their labels, without
    raster passes; acoustics; encoding = PNG, FLAC and JSON bytes, a clip's MP4, frame strips and
    SELD CSV; writing = the atomic writes), ``floor_ms`` (encoding + writing: what writing the
    sample costs at least), ``frames_ms`` (a clip's frames after the still, rendered with their
    raster passes and labelled: ``SceneRenderer.stage_s["video"]`` per sample; 0 for stills),
    ``passes_per_sample`` (all raster passes, counted by the raster renderer) and ``passes`` (per
    sample, by kind), ``ready_s`` (seconds from starting the process to a ready worker: interpreter,
    imports, library, renderers), ``import_s`` (the part before the worker's own set-up),
    ``first_sample_s`` (the first sample, with its one-off costs), ``peak_mb`` (the process's peak
    resident memory, MB = 1e6 bytes) and ``gl`` (:meth:`MeshRasterRenderer.gl_info`; empty for
    backends without the raster)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    saved = os.environ.get("LP_NUM_THREADS")
    os.environ["LP_NUM_THREADS"] = "1"  # as in the local executor's workers
    try:
        launched = time.monotonic()
        proc = ctx.Process(target=_profile_child, args=(child, str(spec_path), list(overrides), samples, launched))
        proc.start()
    finally:
        if saved is None:
            os.environ.pop("LP_NUM_THREADS", None)
        else:
            os.environ["LP_NUM_THREADS"] = saved
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        result = {"error": "the profiling process died"}
    proc.join()
    if "error" in result:
        raise RuntimeError(f"bench profile: {result['error']}")
    n = max(result["samples"], 1)
    result["stage_ms"] = {k: 1000.0 * v / n for k, v in result.pop("stage_s").items()}
    result["floor_ms"] = result["stage_ms"]["encoding"] + result["stage_ms"]["writing"]
    result["frames_ms"] = 1000.0 * result["render_s"].get("video", 0.0) / n
    result["passes"] = {k: v / n for k, v in result["passes"].items()}
    result["passes_per_sample"] = sum(result["passes"].values())
    return result


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
    ap.add_argument("what", choices=("visual", "pipeline", "clips"))
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml"))
    ap.add_argument("--samples", type=int, default=None,
                    help="pipeline: samples (default 200); clips: clips (default 12)")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="pipeline, clips: spec overrides, as for simulate (clips: after its own, "
                         + " ".join(CLIP_OVERRIDES) + ")")
    ap.add_argument("--workers", action="append", default=[], metavar="N[,N...]",
                    help="pipeline, clips: worker counts (repeatable or comma list; default 1,2; clips: 1)")
    ap.add_argument("--executor", action="append", default=[], metavar="NAME[,NAME...]",
                    help="pipeline, clips: executors measured beside local (repeatable or comma list), e.g. ray")
    ap.add_argument("--no-profile", dest="profile", action="store_false",
                    help="pipeline, clips: skip the profiled worker (start-up, passes, stages, floor, memory, GL "
                         "renderer; clips: the still / frames split)")
    args = ap.parse_args(argv)
    if args.what == "visual":
        for row in bench_visual(frames=args.frames):
            print(f"mesh raster {row['size']}x{row['size']} (rgb + depth + ids): {row['frames_per_s']:.1f} frames/s "
                  f"({1000 / row['frames_per_s']:.1f} ms a frame, {row['frames']} frames)")
        return 0
    clips = args.what == "clips"
    samples = args.samples if args.samples is not None else (12 if clips else 200)
    if samples < 1:
        raise SpecError("--samples must be at least 1")
    executors = _names(["local", *args.executor], "local")
    for name in executors:  # an unknown name or a missing extra is refused before any run
        if name not in EXECUTORS.names():
            raise SpecError(f"--executor {name}: no such executor (known: {', '.join(EXECUTORS.names())})")
        EXECUTORS.get(name)()
    try:
        workers = [int(w) for w in _names(args.workers, "1" if clips else "1,2")]
    except ValueError:
        raise SpecError("--workers takes whole numbers (e.g. 2 or 1,2)") from None
    if not workers or min(workers) < 1:
        raise SpecError("--workers must be at least 1")
    overrides = [*CLIP_OVERRIDES, *args.overrides] if clips else list(args.overrides)
    if clips:
        c = clip_shape(args.spec, overrides)  # a spec without clips is refused before any run
        label = (f"clips {Path(args.spec).name} ({c['width']}x{c['height']}, {c['duration_s']:g} s at "
                 f"{c['fps']:g} fps: {c['frames']} frames)")
    else:
        label = f"pipeline {Path(args.spec).name}"
    rows = bench_pipeline(args.spec, samples, workers=workers, overrides=overrides, executors=executors)
    for line in rate_lines(rows, label, "clip" if clips else "sample"):
        print(line)
    if args.profile:
        prof = profile_worker(args.spec, samples, overrides=overrides)
        for line in profile_lines(prof, {row["workers"]: row for row in rows if row["executor"] == "local"}):
            print(line)
        if clips:
            print(clip_split_line(prof))
    return 0


def rate_lines(rows: list[dict], label: str, unit: str = "sample") -> list[str]:
    """The lines ``simulate bench pipeline`` (``unit`` sample) and ``clips`` (clip) print for
    :func:`bench_pipeline`'s rows: each row's rates, start-up included and steady, size and worker
    peak memory; each other executor's overhead against local; the speed-up of 2 local workers."""
    lines, d = [], 2 if unit == "clip" else 1  # decimals of the rates (a clip takes about a second)
    for row in rows:
        lines.append(f"{label}, {row['executor']}, {row['workers']} worker(s): "
                     f"{row['samples_per_s']:.{d}f} {unit}s/s ({row['samples']} {unit}s in {row['seconds']:.1f} s, "
                     f"start-up included); steady {row['steady_per_s']:.{d}f} {unit}s/s{_actor_note(row)}; "
                     f"{row['bytes_per_sample'] / 1e3:.0f} kB and {row['files_per_sample']:.2f} files a {unit}"
                     + (f"; worker peak memory {row['worker_peak_mb']:.0f} MB" if row["worker_peak_mb"] else ""))
    local = {row["workers"]: row for row in rows if row["executor"] == "local"}
    for row in rows:
        base = local.get(row["workers"])
        if row["executor"] == "local" or base is None or _actor_note(row):
            continue
        lines.append(f"{row['executor']} overhead at {row['workers']} worker(s): "
                     f"{_overhead(base['steady_per_s'], row['steady_per_s'])} steady, "
                     f"{_overhead(base['samples_per_s'], row['samples_per_s'])} start-up included (time per {unit}, "
                     "against local)")
    if 1 in local and 2 in local:
        steady = (f"{local[2]['steady_per_s'] / local[1]['steady_per_s']:.2f}x steady, "
                  if local[1]["steady_per_s"] > 0 else "")
        lines.append(f"speed-up with 2 workers: {steady}"
                     f"{local[2]['samples_per_s'] / local[1]['samples_per_s']:.2f}x start-up included")
    return lines


def profile_lines(prof: dict[str, Any], local: dict[int, dict]) -> list[str]:
    """The lines ``simulate bench pipeline`` prints for :func:`profile_worker`'s result, with
    the floor ratios of the local rows (``workers -> row``)."""
    ms = prof["stage_ms"]
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(prof["passes"].items()))
    lines = [
        f"worker start-up (a fresh worker process, apart from the rates' steady state): {prof['ready_s']:.2f} s to "
        f"ready ({prof['import_s']:.2f} s interpreter and imports, the rest library and renderers), then "
        f"{prof['first_sample_s']:.2f} s for its first sample",
        f"raster passes per sample: {prof['passes_per_sample']:.2f}" + (f" ({kinds})" if kinds else ""),
        f"ms per sample in one worker ({prof['samples']} samples): "
        + ", ".join(f"{k} {ms[k]:.1f}" for k in STAGES) + f"; sum {sum(ms.values()):.1f}",
    ]
    ratios = [f"{1000.0 * w / row['steady_per_s'] / prof['floor_ms']:.1f}x with {w} worker(s) "
              f"({1000.0 * w / row['steady_per_s']:.1f} ms of a worker per sample, steady)"
              for w, row in sorted(local.items()) if row["steady_per_s"] > 0 and prof["floor_ms"] > 0]
    files = "PNG, FLAC, JSON, a clip's MP4, frame strips and SELD CSV" if prof.get("frames_ms") else "PNG, FLAC, JSON"
    lines.append(f"encode-and-write floor ({files} encoded and written atomically): "
                 f"{prof['floor_ms']:.1f} ms a sample" + (f"; a whole sample takes {', '.join(ratios)}" if ratios else ""))
    lines.append(f"profiled worker peak memory: {prof['peak_mb']:.0f} MB")
    gl = prof.get("gl") or {}
    if gl:
        lines.append(f"rendered on: {gl['renderer']} ({gl['vendor']}; {gl['version']}; "
                     f"PYOPENGL_PLATFORM={gl['platform']}, EGL_DEVICE_ID={gl['device']})")
    return lines


def _actor_note(row: dict) -> str:
    """For ray with 1 worker: it makes one actor per CPU, so it is not compared with 1 local worker."""
    if row["executor"] == "ray" and row["workers"] == 1:
        from .executors.ray_executor import local_cpus

        return f" (ray with --workers 1: one actor per CPU, {local_cpus()})"
    return ""


def _overhead(base: float, other: float) -> str:
    """How much longer a sample takes with ``other`` samples/s than with ``base``, in %."""
    return f"{(base / other - 1) * 100:+.1f} %" if base > 0 and other > 0 else "n/a"
