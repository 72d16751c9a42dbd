"""Run a spec: plan the samples, make them in 1..N local worker processes, write the dataset.

Workers are separate processes started with ``spawn`` (each creates its own EGL context, asset
cache and renderers once). Results come back in index order (``Executor.map``), so the manifest
is identical for any worker count.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from .plan import Plan
from .spec.spec import Spec
from .writers.coco import coco_export
from .writers.folder import DatasetFolder, remove_stale_temporaries, write_sample_files
from .writers.atomic import write_text_atomic


@dataclass
class RunSummary:
    name: str
    out_dir: str
    made: int
    skipped: int
    seconds: float
    failed: list[dict[str, Any]]

    def line(self) -> str:
        rate = self.made / self.seconds if self.seconds > 0 and self.made else 0.0
        text = (f"{self.name}: wrote {self.made} samples, skipped {self.skipped} already complete, "
                f"in {self.seconds:.1f} s ({rate:.1f} samples/s) -> {self.out_dir}")
        if self.failed:
            first = self.failed[0]
            text += (f"\n{len(self.failed)} sample(s) had no valid layout and were not written (listed in "
                     f"dataset.json 'failed'); first: {first['reason']}. Relax the spec (objects.max_distance_m, "
                     f"room size, categories or size bins).")
        return text


_WORKER: dict[str, Any] = {}


def _init_worker(spec: Spec, single_threaded_gl: bool = False) -> None:
    if single_threaded_gl:
        # Several workers share the cores: Mesa's llvmpipe must not spawn a thread per core in
        # each of them (measured: 2 workers go from 18 to 26 samples/s on 2 cores).
        os.environ.setdefault("LP_NUM_THREADS", "1")
    from .pipeline import SampleMaker

    _WORKER["maker"] = SampleMaker(spec)
    _WORKER["spec"] = spec


def _make_and_write(index: int) -> dict[str, Any]:
    """Make and write one sample; its manifest entry, or ``{"index", "failed"}`` if no valid
    layout exists for it (the run goes on; dataset.json lists the failures)."""
    from .pipeline import SampleFailed

    spec: Spec = _WORKER["spec"]
    try:
        sample = _WORKER["maker"].make(index)
    except SampleFailed as exc:
        return {"index": index, "failed": str(exc)}
    r = spec.resolved
    return write_sample_files(spec.output_dir, r["output"], r["audio"], sample)


def spec_library(spec: Spec):
    """The asset library a spec was validated against (the default one if none was given)."""
    from .assets.library import AssetLibrary

    return spec.library if spec.library is not None else AssetLibrary.default()


def library_report(spec: Spec) -> dict[str, Any] | None:
    """What a user library used and skipped (None for the default library)."""
    report = getattr(spec_library(spec), "report", None)
    return report.counts() if report is not None else None


def plan_counts(spec: Spec) -> dict[str, Any]:
    library, pool = spec_library(spec), None
    if spec.resolved["image"]["renderer"] == "photos":
        from .photos.sampler import category_pool_for_spec

        pool = category_pool_for_spec(spec, library)
    return Plan(spec, library, category_pool=pool).counts()


def run_spec(spec: Spec, mode: str, workers: int = 1, progress: bool = True) -> RunSummary:
    """Generate (or finish) one dataset. ``mode`` comes from :meth:`DatasetFolder.check`."""
    start = time.perf_counter()
    folder = DatasetFolder(spec)
    counts = plan_counts(spec)
    if mode == "complete":
        return RunSummary(spec.name, str(folder.root), 0, spec.samples, time.perf_counter() - start, [])
    done = folder.open(mode, counts, library_report(spec))
    remove_stale_temporaries(folder.root)
    todo = [i for i in range(spec.samples) if i not in done]
    failed: list[dict[str, Any]] = []
    bar = _progress(spec, len(done), progress)
    try:
        if workers <= 1 or len(todo) <= 1:
            _init_worker(spec)
            try:
                for index in todo:
                    _collect(_make_and_write(index), folder, failed)
                    bar.update(1)
            finally:
                _WORKER.pop("maker").close()
        else:
            ctx = multiprocessing.get_context("spawn")
            chunk = max(1, min(16, len(todo) // (workers * 8)))
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(spec, True)) as pool:
                for entry in pool.map(_make_and_write, todo, chunksize=chunk):
                    _collect(entry, folder, failed)
                    bar.update(1)
    finally:
        bar.close()
    if spec.resolved["output"]["coco"]:
        categories = spec_library(spec).categories
        if spec.resolved["image"]["renderer"] == "photos":
            from .photos.sampler import photo_categories

            categories = sorted(set(categories) | photo_categories(spec))  # COCO names left unmapped too
        coco = coco_export(folder.records(), categories, spec.name)
        write_text_atomic(folder.root / "annotations.coco.json", json.dumps(coco, sort_keys=True) + "\n")
    folder.write_info("incomplete" if failed else "complete", counts, library_report(spec), failed)
    return RunSummary(spec.name, str(folder.root), len(todo) - len(failed), len(done), time.perf_counter() - start,
                      failed)


def _collect(entry: dict[str, Any], folder: DatasetFolder, failed: list[dict[str, Any]]) -> None:
    if "failed" in entry:
        failed.append({"index": entry["index"], "reason": entry["failed"]})
    else:
        folder.append([entry])


def _progress(spec: Spec, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=spec.samples, initial=initial, unit="sample", desc=spec.name, file=sys.stderr,
                disable=not enabled, smoothing=0.1, dynamic_ncols=True)
