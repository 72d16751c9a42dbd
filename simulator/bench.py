"""``simulate bench``: measured throughput, side by side in one run.

    simulate bench visual      frames/s of the mesh raster (rgb + depth + ids) at 224 and 512
    simulate bench pipeline    samples/s of a spec end to end (sampling, rendering, writing)
                               for 1 and 2 worker processes

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


def bench_pipeline(spec_path: str, samples: int, workers=(1, 2), overrides=()) -> list[dict]:
    """Generate ``samples`` samples of the spec into a temporary folder with each worker count."""
    out = []
    tmp = Path(tempfile.mkdtemp(prefix="avsim-bench-"))
    try:
        for w in workers:
            spec = load_spec(spec_path, [*overrides, f"samples={samples}", f"output.dir={tmp / f'w{w}'}"],
                             library=AssetLibrary.default())[0]
            start = time.perf_counter()
            run_spec(spec, "new", workers=w, progress=False)
            dt = time.perf_counter() - start
            out.append({"workers": w, "samples": samples, "seconds": dt, "samples_per_s": samples / dt})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="simulate bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("visual", "pipeline"))
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "scenes" / "congruent.yaml"))
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="pipeline: spec overrides, as for simulate")
    args = ap.parse_args(argv)
    if args.what == "visual":
        for row in bench_visual(frames=args.frames):
            print(f"mesh raster {row['size']}x{row['size']} (rgb + depth + ids): {row['frames_per_s']:.1f} frames/s "
                  f"({1000 / row['frames_per_s']:.1f} ms a frame, {row['frames']} frames)")
    else:
        rows = bench_pipeline(args.spec, args.samples, overrides=args.overrides)
        for row in rows:
            print(f"pipeline {Path(args.spec).name}, {row['workers']} worker(s): {row['samples_per_s']:.1f} samples/s "
                  f"({row['samples']} samples in {row['seconds']:.1f} s, start-up included)")
        if len(rows) == 2:
            print(f"speed-up with 2 workers: {rows[1]['samples_per_s'] / rows[0]['samples_per_s']:.2f}x")
    return 0
