"""Trainer throughput: samples/s and the fraction of step time spent waiting for data.

    python benchmarks/bench_trainer.py [--steps 40] [--warmup 4] [--batch 16] [--workers 0,2]
                                       [--device auto|cpu|cuda] [--dataset PATH] [--samples 256]
                                       [--config configs/stereo_ipd.yaml] [--threads N] [--no-cache-run]

Without ``--dataset`` a small dataset is generated first with the real ``simulate`` (the experiment's
data: ``scenes/congruent.yaml`` in free field, spaced ears, plain background, 112x112 images, 1 s
of 16 kHz audio; ``--samples`` of them) into a temporary folder. Then the trainer's own loop
(``training.train.Trainer.run``: the configured model, optimizer, autocast, and the trainer's batch
source) runs ``--warmup`` + ``--steps`` optimizer steps, once per data mode:

* ``cache``: the trainer's default (``data.cache: true``): batches read from the memory-mapped
  decode cache in the training process (the cache is built before timing starts; workers unused);
* ``decode, N workers``: ``data.cache: false``, each batch decoded from the files, in the training
  process (N = 0) or by N DataLoader workers, for each N of ``--workers``.

Each step is timed through the trainer's ``on_step`` hook: ``wait`` is the time blocked in the
batch iterator's ``next()`` (decoding, or a worker not done yet), ``compute`` the time of
``to_device`` + ``train_step`` (which reads the loss back, so a CUDA step is finished when it
ends). Reported over the timed steps (warm-up steps dropped): samples/s = samples / (wait +
compute), mean step time, data-wait fraction = wait / (wait + compute), and wall-clock samples/s
over the same steps (checkpoints at epoch ends included). The block says what it ran on: the CUDA
device name with the torch and CUDA versions, or ``cpu (no CUDA)``. Wall-clock on a possibly
shared machine; the first epoch of a DataLoader run includes its workers' start-up (every epoch
starts new workers, as in training), so use a dataset of several batches per epoch. The 1-minute
load average before and after is printed: other processes on a small machine make the CPU steps
several times slower (torch's threads then wait for each other).
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from training.config import ConfigError, load_config  # noqa: E402
from training.data import DataError  # noqa: E402
from training.train import Trainer  # noqa: E402

CONGRUENT = REPO / "scenes" / "congruent.yaml"
# the experiment's data (scripts/run_experiment.sh), fast to make: free field, spaced ears, plain background
DATASET_SETTINGS = ["image.width=112", "image.height=112", "audio.duration=1.0", "objects.max_distance_m=100",
                    "room.type=free_field", "listener.head=spaced", "background.kind=color"]


def make_dataset(dest: Path, samples: int, extra: Sequence[str] = ()) -> Path:
    """``samples`` congruent samples made by the ``simulate`` CLI into ``dest``; returns ``dest``."""
    args = [sys.executable, "-m", "simulator.cli", "--spec", str(CONGRUENT), "--set", f"samples={samples}"]
    for s in [*DATASET_SETTINGS, *extra, f"output.dir={dest}"]:
        args += ["--set", s]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([*args, "--quiet"], cwd=str(dest.parent), capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"simulate failed ({proc.returncode}):\n{proc.stderr}")
    return dest


def device_description(device: torch.device) -> str:
    """The device in words: CUDA name with torch and CUDA versions, or the CPU (and whether CUDA exists)."""
    if device.type == "cuda":
        idx = device.index if device.index is not None else torch.cuda.current_device()
        return (f"cuda:{idx} {torch.cuda.get_device_name(idx)} (torch {torch.__version__}, "
                f"CUDA {torch.version.cuda})")
    cuda = "CUDA available but not used" if torch.cuda.is_available() else "no CUDA"
    return f"cpu ({cuda}; torch {torch.__version__})"


def run_mode(config: str, dataset: Path, work: Path, *, batch: int, cache: bool, workers: int, device: str,
             warmup: int, steps: int, threads: int | None, extra: Sequence[str] = ()) -> dict:
    """``warmup`` + ``steps`` steps of ``Trainer.run`` with one data mode; the timings of the last ``steps``."""
    total = warmup + steps
    out = Path(tempfile.mkdtemp(prefix="run.", dir=work))
    overrides = [f"data.train={dataset}", f"data.cache_dir={work / 'cache'}", f"out_dir={out}",
                 f"data.cache={'true' if cache else 'false'}", f"data.num_workers={workers}",
                 "data.val_fraction=0", "train.validate=false", f"train.batch_size={batch}",
                 f"train.device={device}", "train.epochs=100000", f"train.max_steps={total}",
                 f"train.log_every={total}", "train.keep_checkpoints=1", "train.tensorboard=false", *extra]
    if threads:
        overrides.append(f"train.threads={threads}")
    cfg = load_config(config, overrides)
    records: list[tuple[int, float, float, int, float]] = []

    def on_step(step: int, wait_s: float, compute_s: float, samples: int) -> None:
        records.append((step, wait_s, compute_s, samples, time.perf_counter()))

    trainer = Trainer(cfg, quiet=True, on_step=on_step)
    summary = trainer.run()
    if len(records) != total:
        raise RuntimeError(f"expected {total} timed steps, the trainer made {len(records)}")
    timed = records[warmup:]
    wait = sum(r[1] for r in timed)
    compute = sum(r[2] for r in timed)
    n = sum(r[3] for r in timed)
    busy = wait + compute
    # wall clock from the end of the last warm-up step (or the first timed step's start) to the last step's end
    t_start = records[warmup - 1][4] if warmup else timed[0][4] - timed[0][1] - timed[0][2]
    wall = timed[-1][4] - t_start
    return {"mode": "cache" if cache else f"decode, {workers} workers",
            "cache": cache, "workers": 0 if cache else workers, "batch": batch, "steps": len(timed),
            "warmup": warmup, "samples": n, "device": device_description(trainer.device),
            "amp": summary["amp"], "torch_threads": torch.get_num_threads(),
            "steps_per_epoch": trainer.steps_per_epoch, "dataset_samples": trainer.table.n,
            "samples_per_s": n / busy, "wall_samples_per_s": n / wall if wall > 0 else math.inf,
            "mean_step_s": busy / len(timed), "mean_wait_s": wait / len(timed),
            "wait_fraction": wait / busy}


def report(results: list[dict], config: str, dataset: Path, load: tuple[float, float] | None = None) -> str:
    r0 = results[0]
    lines = ["trainer benchmark",
             f"  device:          {r0['device']}, autocast {r0['amp']}",
             f"  torch threads:   {r0['torch_threads']} (of {os.cpu_count()} CPUs)"
             + (f"; 1-min load average {load[0]:.2f} before, {load[1]:.2f} after" if load else ""),
             f"  model config:    {config}",
             f"  dataset:         {dataset} ({r0['dataset_samples']} samples, {r0['steps_per_epoch']} steps an epoch)",
             f"  batch size:      {r0['batch']}",
             f"  steps timed:     {r0['steps']} after {r0['warmup']} warm-up steps",
             f"  {'data mode':<22} {'workers':>7} {'samples/s':>10} {'step ms':>9} {'wait ms':>9} "
             f"{'data wait':>9} {'wall samples/s':>15}"]
    for r in results:
        lines.append(f"  {r['mode']:<22} {r['workers']:>7} {r['samples_per_s']:>10.1f} {r['mean_step_s'] * 1e3:>9.1f} "
                     f"{r['mean_wait_s'] * 1e3:>9.1f} {r['wait_fraction']:>9.1%} {r['wall_samples_per_s']:>15.1f}")
    lines.append("  (samples/s and data wait over step time = wait for the next batch + to_device + train_step; "
                 "wall samples/s includes checkpoints)")
    return "\n".join(lines)


def _load() -> float | None:
    """The 1-minute load average (a busy machine slows the CPU steps a lot), where the OS has one."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def parse_workers(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers: expected N or N,M,... (got {text!r})") from None
    if not out or any(w < 0 for w in out):
        raise argparse.ArgumentTypeError(f"--workers: expected non-negative counts (got {text!r})")
    return out


def main(argv: Sequence[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40, help="timed optimizer steps per data mode")
    ap.add_argument("--warmup", type=int, default=4, help="untimed steps first")
    ap.add_argument("--batch", type=int, default=16, help="train.batch_size")
    ap.add_argument("--workers", type=parse_workers, default=[0, 2],
                    help="DataLoader worker counts of the decode runs, comma-separated (default 0,2)")
    ap.add_argument("--no-cache-run", action="store_true", help="skip the run on the decode cache")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--dataset", type=Path, help="an existing dataset folder (default: generate one)")
    ap.add_argument("--samples", type=int, default=256, help="samples of the generated dataset")
    ap.add_argument("--config", default=str(REPO / "configs" / "stereo_ipd.yaml"), help="training config")
    ap.add_argument("--threads", type=int, default=None, help="train.threads (default: the config's)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="another training-config override")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or args.batch < 1:
        ap.error("--steps and --batch must be positive, --warmup non-negative")
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: torch sees no CUDA device")
    modes = ([] if args.no_cache_run else [(True, 0)]) + [(False, w) for w in args.workers]
    with tempfile.TemporaryDirectory(prefix="bench_trainer.") as tmp:
        work = Path(tmp)
        if args.dataset is not None:
            dataset = args.dataset.resolve()
        else:
            t0 = time.perf_counter()
            dataset = make_dataset(work / "data", args.samples)
            print(f"generated {args.samples} samples with simulate in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
        load0 = _load()
        results = []
        try:
            for cache, workers in modes:
                results.append(run_mode(args.config, dataset, work, batch=args.batch, cache=cache, workers=workers,
                                        device=args.device, warmup=args.warmup, steps=args.steps,
                                        threads=args.threads, extra=args.overrides))
        except (ConfigError, DataError) as exc:  # a bad --set, dataset, or a batch larger than the dataset
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        load1 = _load()
        print(report(results, args.config, dataset if args.dataset is not None else Path("<generated>"),
                     (load0, load1) if load0 is not None and load1 is not None else None))
    return results


if __name__ == "__main__":
    main()
