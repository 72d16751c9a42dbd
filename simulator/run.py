"""Run a spec: plan the samples, make them with an executor, write the dataset through a sink.

``run_spec`` checks nothing itself (the CLI checks every spec's output first, before any write):
it opens the sink (resuming a partial dataset), hands the indices not yet complete to the executor
(:mod:`simulator.executors`), commits each sample's manifest entry in index order, and finishes
the dataset (dataset.json with counts and failures, the COCO export).
"""
from __future__ import annotations

import errno
import sys
import time
from dataclasses import dataclass
from typing import Any

from .assets.library import AssetLibrary
from .assets.split import split_summary
from .executors import EXECUTORS
from .executors.job import SampleJob
from .image_backends import IMAGE_BACKENDS
from .plan import Plan
from .errors import OutputWriteError
from .sinks import Sink, sink_for
from .spec.spec import Spec


#: errno values that mean the output cannot take more data now (full disk, quota, read-only).
OUTPUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


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


def spec_library(spec: Spec) -> AssetLibrary:
    """The asset library a spec was validated against (the default one if none was given)."""
    return spec.library if spec.library is not None else AssetLibrary.default()


def library_report(spec: Spec) -> dict[str, Any] | None:
    """What a user library used and skipped, and the held-out split the dataset draws from
    (``split``, :func:`simulator.assets.split.split_summary`); None for the whole default library."""
    library = spec_library(spec)
    report = getattr(library, "report", None)
    counts = report.counts() if report is not None else None
    split = split_summary(library)
    return counts if split is None else {**(counts or {}), "split": split}


def plan_counts(spec: Spec) -> dict[str, Any]:
    """Counts per condition, size bin and category of the spec's plan."""
    library = spec_library(spec)
    backend = IMAGE_BACKENDS.get(spec.resolved["image"]["renderer"])
    return Plan(spec, library, category_pool=backend.plan_pool(spec, library)).counts()


def run_spec(spec: Spec, mode: str, workers: int = 1, progress: bool = True, executor: str = "local",
             sink: Sink | None = None, address: str | None = None) -> RunSummary:
    """Generate (or finish) one dataset. ``mode`` comes from the sink's ``check``; ``address``: the
    executor's cluster (``simulate --address``), None for this machine."""
    start = time.perf_counter()
    sink = sink or sink_for(spec)
    counts = plan_counts(spec)
    out_dir = str(spec.output_dir)
    if mode == "complete":
        return RunSummary(spec.name, out_dir, 0, len(sink.indices()), time.perf_counter() - start, [])
    failed: list[dict[str, Any]] = []
    bar = None
    try:
        done = sink.open(mode, counts, library_report(spec))
        todo = [i for i in sink.indices() if i not in done]
        bar = _progress(spec, len(sink.indices()), len(done), progress)
        runner = EXECUTORS.get(executor)(workers) if address is None else EXECUTORS.get(executor)(workers, address)
        for entry in runner.map(SampleJob(spec, sink), todo):
            if "failed" in entry:
                failed.append({"index": entry["index"], "reason": entry["failed"]})
            else:
                sink.commit(entry)
            bar.update(1)
        library = spec_library(spec)
        categories = IMAGE_BACKENDS.get(spec.resolved["image"]["renderer"]).categories(spec, library)
    except OSError as exc:
        sink.abort()
        if exc.errno in OUTPUT_FULL:
            raise OutputWriteError(f"{out_dir}: {exc.strerror} while writing samples; the complete samples are "
                                   "kept: make room and rerun the same command to finish") from None
        raise
    except BaseException:
        sink.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    try:
        sink.finish("incomplete" if failed else "complete", counts, library_report(spec), failed, categories)
    except OSError as exc:
        if exc.errno in OUTPUT_FULL:
            raise OutputWriteError(f"{out_dir}: {exc.strerror} while finishing the dataset; make room and rerun "
                                   "the same command to finish") from None
        raise
    return RunSummary(spec.name, out_dir, len(todo) - len(failed), len(done), time.perf_counter() - start, failed)


def _progress(spec: Spec, total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="sample", desc=spec.name, file=sys.stderr,
                disable=not enabled, smoothing=0.1, dynamic_ncols=True)
