"""The ``train`` command.

    train --config configs/stereo_ipd.yaml [--set key.path=VALUE ...] [--out DIR]
          [--resume [auto|CHECKPOINT]] [--stop-after-steps N] [--quiet] [--data-wait]
    torchrun --nproc_per_node N -m training.train --config ...      # DDP (gloo on the CPU)

Writes into ``out_dir``: ``config.json`` (the resolved config), ``train_log.csv`` (one row every
``train.log_every`` steps: step, epoch, lr, losses, throughput), ``val_log.csv`` (per epoch),
``checkpoints/step_*.{safetensors,json}`` + ``latest.json``, and at the end ``model.safetensors``
+ ``model.json`` (what ``evaluate`` reads) and ``summary.json``.

Determinism: the model initialisation comes from ``seed``; the data order and the flips of each
epoch are functions of (seed, epoch), and the augmentations of ``data.augment`` (training/augment.py)
functions of (seed, epoch, sample); nothing else draws random numbers. A run resumed from a
checkpoint (model, optimizer, RNG states, position in the epoch) continues exactly as the
uninterrupted run would have (``--stop-after-steps`` simulates an interruption).

Exit status: 0 success, 2 bad config or data, 1 other failures.
"""
from __future__ import annotations

import csv
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from simulator.cli_parser import ArgumentParser

from . import checkpoint as ckpt
from . import ddp
from .augment import BatchAugmenter
from .config import ConfigError, load_config
from .data import DataError, epoch_flips, epoch_order, held_out, make_table, open_source, select_entries
from .losses import compute_losses
from .models import build_model, image_to_unit, normalise_image, standardise_image

LOG_FIELDS = ["step", "epoch", "lr", "loss", "contrastive", "alignment", "silence", "noise", "supervised",
              "samples_per_s", "elapsed_s"]
VAL_FIELDS = ["epoch", "step", "val_loss", "val_a_acc", "val_samples"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["ablate"]:  # train ablate STUDY.yaml: a whole ablation study (training/ablate.py)
        from .ablate import main as ablate_main

        return ablate_main(argv[1:])
    ap = ArgumentParser(prog="train", description="Train an audio-visual localization model on a generated dataset "
                        "(or `train ablate STUDY.yaml`: an ablation study end to end, training/ablate.py).")
    ap.add_argument("--config", required=True, help="training YAML (see configs/ and docs/training.md)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                    help="override a config field (value in YAML), e.g. --set train.epochs=2")
    ap.add_argument("--out", help="output folder (overrides out_dir)")
    ap.add_argument("--resume", nargs="?", const="auto", default=None,
                    help="resume from the run's latest checkpoint (auto) or from the given checkpoint")
    ap.add_argument("--stop-after-steps", type=int, default=None,
                    help="checkpoint and stop after this global step (as an interruption would)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--data-wait", action="store_true",
                    help="also print in each progress line the fraction of step time spent waiting for the next batch")
    args = ap.parse_args(argv)
    try:
        overrides = list(args.overrides) + ([f"out_dir={args.out}"] if args.out else [])
        cfg = load_config(args.config, overrides)
        if not cfg["data"]["train"]:
            raise ConfigError("data.train is required (a dataset folder or shards)")
        summary = Trainer(cfg, resume=args.resume, stop_after=args.stop_after_steps, quiet=args.quiet,
                          data_wait=args.data_wait).run()
    except (ConfigError, DataError, ckpt.ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        ddp.cleanup()
    if not args.quiet and summary.get("is_main", True):
        print(json.dumps({k: v for k, v in summary.items() if k != "is_main"}, indent=1))
    return 0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    def __init__(self, cfg: dict, resume: str | None = None, stop_after: int | None = None, quiet: bool = False,
                 data_wait: bool = False, on_step=None):
        """``data_wait``: the progress line also says which fraction of the window's step time was
        spent waiting for the next batch. ``on_step(global_step, wait_s, compute_s, samples)``, if
        given, is called after every optimizer step with the seconds blocked in the batch
        iterator's ``next()`` and the seconds of ``to_device`` + ``train_step`` (for benchmarks)."""
        self.cfg = cfg
        self.quiet = quiet
        self.stop_after = stop_after
        self.data_wait = data_wait
        self.on_step = on_step
        t = cfg["train"]
        if t["threads"]:
            torch.set_num_threads(int(t["threads"]))
        self.info, self.device = ddp.setup(t["device"])
        if t["deterministic"]:
            torch.use_deterministic_algorithms(True, warn_only=True)
            if self.device.type == "cuda":
                torch.backends.cudnn.benchmark = False
                torch.backends.cudnn.deterministic = True
        seed_everything(int(cfg["seed"]))
        self.out = Path(cfg["out_dir"])
        self.ckpt_dir = self.out / "checkpoints"

        # data (rank 0 builds the decode cache, the others wait and open it)
        d = cfg["data"]
        self.source = open_source(d["train"])
        entries = select_entries(self.source, d)
        val_entries = []
        if d["val"]:
            self.val_source = open_source(d["val"])
            val_entries = select_entries(self.val_source, d)
        elif d["val_fraction"]:
            self.val_source = self.source
            val_entries = [e for e in entries if held_out(e.id, d["val_fraction"])]
            entries = [e for e in entries if not held_out(e.id, d["val_fraction"])]
        if self.info.is_main:
            self.table = make_table(self.source, d, entries, progress=not quiet)
        ddp.barrier(self.info)
        if not self.info.is_main:
            self.table = make_table(self.source, d, entries)
        self.val_table = None
        if val_entries and t["validate"]:
            vd = {**d, "negatives": []}
            if self.info.is_main:
                self.val_table = make_table(self.val_source, vd, val_entries)
            ddp.barrier(self.info)
            if not self.info.is_main:
                self.val_table = make_table(self.val_source, vd, val_entries)
        self.sample_rate = self.table.spec.sample_rate
        a = cfg["audio"]
        self.augmenter = BatchAugmenter(d["augment"], int(cfg["seed"]), self.sample_rate,
                                        (int(a["n_mels"]), self.table.spec.length // int(a["hop"]) + 1))
        self.categories = sorted({e.category for e in self.source.entries if e.category})

        # model and optimizer
        self.model = build_model(cfg, self.sample_rate).to(self.device)
        self.ddp_model = ddp.wrap(self.model, self.info, self.device)
        o = cfg["optim"]
        groups = self.model.param_groups(o["lr"], cfg["model"]["conv1d_lr_scale"])
        for g in groups:
            g["base_lr"] = g["lr"]
        if o["name"] == "sgd":
            self.opt = torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
        elif o["name"] == "adamw":
            self.opt = torch.optim.AdamW(groups, lr=o["lr"], weight_decay=o["weight_decay"])
        else:
            self.opt = torch.optim.Adam(groups, lr=o["lr"], weight_decay=o["weight_decay"])
        self.amp_dtype = self._amp_dtype()
        # fp16 needs loss scaling on any device (CUDA, or the CPU's autocast); bf16 and fp32 do not
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

        b = t["batch_size"]
        if self.table.n < b:
            raise ConfigError(f"train.batch_size {b} is larger than the training set ({self.table.n} samples)")
        ddp.rank_slice(b, self.info)  # checks divisibility
        self.steps_per_epoch = self.table.n // b
        total = t["epochs"] * self.steps_per_epoch
        self.total_steps = min(total, t["max_steps"]) if t["max_steps"] else total
        self.progress = {"epoch": 0, "step_in_epoch": 0, "global_step": 0}
        self.log_rows = 0
        self.val_rows = 0
        self.train_time = 0.0
        self._saved: tuple | None = None  # what the newest checkpoint holds (see save)
        if resume:
            self._resume(resume)
        self.tb = None
        if t["tensorboard"] and self.info.is_main:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self.tb = SummaryWriter(str(self.out / "tensorboard"))
            except Exception as exc:  # tensorboard not installed
                print(f"warning: TensorBoard logging off ({exc})", file=sys.stderr)

    # ------------------------------------------------------------------------------------------
    def _amp_dtype(self):
        amp = self.cfg["train"]["amp"]
        if amp == "off" or (amp == "auto" and self.device.type != "cuda"):
            return None
        if amp == "bf16" or (amp == "auto" and torch.cuda.is_bf16_supported()):
            return torch.bfloat16
        return torch.float16

    def _resume(self, resume: str) -> None:
        stem = ckpt.find_checkpoint(self.out if resume == "auto" else Path(resume))
        if stem is None:
            if resume == "auto":
                return  # nothing to resume: start fresh
            raise ConfigError(f"--resume {resume}: no checkpoint found")
        meta = ckpt.restore(self.model, self.opt, stem, self.scaler)
        old = meta["config"]
        for key in ("seed", "model", "loss", "audio", "optim"):
            if old.get(key) != self.cfg.get(key):
                print(f"warning: resuming {stem.name} with a different '{key}' config", file=sys.stderr)
        self.progress = dict(meta["progress"])
        self.log_rows = int(meta.get("log_rows", 0))
        self.val_rows = int(meta.get("val_rows", 0))
        self.train_time = float(meta.get("train_time_s", 0.0))
        if self.info.is_main:
            _truncate_csv(self.out / "train_log.csv", self.log_rows)
            _truncate_csv(self.out / "val_log.csv", self.val_rows)
        if not self.quiet and self.info.is_main:
            print(f"resumed from {stem} at step {self.progress['global_step']}", file=sys.stderr)

    def lr_factor(self, step: int) -> float:
        o = self.cfg["optim"]
        w = int(o["warmup_steps"] or 0)
        if w and step < w:
            return (step + 1) / w
        if o["schedule"] == "constant":
            return 1.0
        span = max(1, self.total_steps - w)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - w) / span)))

    def to_device(self, arrays: dict[str, np.ndarray], epoch: int | None = None) -> dict[str, torch.Tensor]:
        """A batch's tensors on the device; augmented (``data.augment``) when ``epoch`` is given."""
        return batch_tensors(arrays, self.device, self.augmenter if epoch is not None else None, epoch)

    def epoch_plan(self, epoch: int, steps: range) -> list[tuple[np.ndarray, np.ndarray]]:
        """(table rows, flips) of this process's share of each step's batch in ``epoch`` (the
        permutation and flips are drawn once per epoch from seed and epoch only)."""
        b = self.cfg["train"]["batch_size"]
        order = epoch_order(self.table.n, self.cfg["seed"], epoch)
        flips = epoch_flips(self.table.n, self.cfg["seed"], epoch, float(self.cfg["data"]["flip"]))
        mine = ddp.rank_slice(b, self.info)
        plan = []
        for step in steps:
            rows = order[step * b:(step + 1) * b][mine]
            plan.append((rows, flips[rows]))
        return plan

    def epoch_batches(self, epoch: int, start: int):
        """(step, arrays) for the steps of an epoch from ``start``: read in this process from the
        cache, or decoded by ``data.num_workers`` DataLoader workers when there is no cache."""
        steps = range(start, self.steps_per_epoch)
        plan = self.epoch_plan(epoch, steps)
        workers = int(self.cfg["data"]["num_workers"] or 0)
        if self.table.cached or workers == 0:
            for step, (rows, flips) in zip(steps, plan):
                yield step, self.table.batch(rows, flips)
            return
        from torch.utils.data import DataLoader

        loader = DataLoader(_Batches(self.table, plan), batch_size=None, shuffle=False, num_workers=workers,
                            collate_fn=_identity)
        yield from zip(steps, loader)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        self.ddp_model.train()
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=self.device.type, dtype=self.amp_dtype or torch.float32,
                            enabled=self.amp_dtype is not None):
            with self.model.spectrogram_masks(batch.get("spec_keep")):
                loss, parts, _maps = compute_losses(self.ddp_model, batch, self.cfg["loss"])
        self.scaler.scale(loss).backward()
        clip = self.cfg["optim"]["grad_clip"]
        if clip:
            self.scaler.unscale_(self.opt)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), float(clip))
        self.scaler.step(self.opt)
        self.scaler.update()
        return {"loss": float(loss.detach()), **parts}

    # ------------------------------------------------------------------------------------------
    def run(self) -> dict:
        t = self.cfg["train"]
        main_proc = self.info.is_main
        if main_proc:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(self.cfg, indent=2, sort_keys=True))
        log = _CsvLog(self.out / "train_log.csv", LOG_FIELDS) if main_proc else None
        vlog = _CsvLog(self.out / "val_log.csv", VAL_FIELDS) if main_proc else None
        ckpt_every = t["checkpoint_every"]
        stopped = False
        window: list[dict[str, float]] = []
        t_window = time.perf_counter()
        n_window = 0
        wait_window = busy_window = 0.0
        while self.progress["global_step"] < self.total_steps and not stopped:
            epoch = self.progress["epoch"]
            for wait, (step, arrays) in _waited(self.epoch_batches(epoch, self.progress["step_in_epoch"])):
                gs = self.progress["global_step"]
                if gs >= self.total_steps:
                    break
                factor = self.lr_factor(gs)
                for g in self.opt.param_groups:
                    g["lr"] = g["base_lr"] * factor
                rows = arrays["rows"]
                t0 = time.perf_counter()
                vals = self.train_step(self.to_device(arrays, epoch))
                busy = time.perf_counter() - t0
                self.train_time += busy
                window.append(vals)
                n_window += len(rows) * self.info.world_size
                wait_window += wait
                busy_window += wait + busy
                if self.on_step is not None:
                    self.on_step(gs + 1, wait, busy, len(rows) * self.info.world_size)
                self.progress.update(step_in_epoch=step + 1, global_step=gs + 1)
                gs += 1
                if gs % t["log_every"] == 0 or gs == self.total_steps:
                    mean = {k: float(np.mean([w[k] for w in window])) for k in window[0]}  # same keys every step
                    mean = ddp.all_reduce_mean(mean, self.info, self.device)
                    dt = time.perf_counter() - t_window
                    row = {"step": gs, "epoch": epoch, "lr": self.opt.param_groups[0]["lr"],
                           **{k: f"{v:.6g}" for k, v in mean.items()},
                           "samples_per_s": f"{n_window / max(dt, 1e-9):.1f}", "elapsed_s": f"{self.train_time:.1f}"}
                    if log:
                        log.write(row)
                        self.log_rows += 1
                        if self.tb:
                            for k, v in mean.items():
                                self.tb.add_scalar(f"train/{k}", v, gs)
                        if not self.quiet:
                            waited = (f", data wait {wait_window / max(busy_window, 1e-9):.0%} of step time"
                                      if self.data_wait else "")
                            print(f"step {gs}/{self.total_steps} epoch {epoch} loss {mean['loss']:.4f} "
                                  f"({n_window / max(dt, 1e-9):.1f} samples/s{waited})", file=sys.stderr)
                    window, n_window, t_window = [], 0, time.perf_counter()
                    wait_window = busy_window = 0.0
                if self.stop_after is not None and gs >= self.stop_after:
                    stopped = True
                    break
                if ckpt_every and gs % ckpt_every == 0 and gs < self.total_steps:
                    self.save()
            if stopped:
                break
            if self.progress["step_in_epoch"] >= self.steps_per_epoch:
                if self.val_table is not None:
                    val = self.validate()
                    if vlog:
                        vlog.write({"epoch": epoch, "step": self.progress["global_step"], **val})
                        self.val_rows += 1
                        if self.tb:
                            self.tb.add_scalar("val/a_acc", float(val["val_a_acc"]), self.progress["global_step"])
                self.progress.update(epoch=epoch + 1, step_in_epoch=0)
                self.save()
        self.save()
        summary = {"is_main": main_proc, "out_dir": str(self.out), "steps": self.progress["global_step"],
                   "epochs": self.progress["epoch"], "train_time_s": round(self.train_time, 1),
                   "finished": self.progress["global_step"] >= self.total_steps,
                   "device": str(self.device), "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off"}
        if main_proc and summary["finished"]:
            ckpt.save_model(self.out, self.model, self.cfg, self._extra())
            (self.out / "summary.json").write_text(json.dumps({k: v for k, v in summary.items() if k != "is_main"}, indent=1))
        if self.tb:
            self.tb.close()
        ddp.barrier(self.info)
        return summary

    def _extra(self) -> dict:
        return {"sample_rate": self.sample_rate, "categories": self.categories,
                "image_size": list(self.table.spec.image_size), "length": self.table.spec.length,
                "progress": dict(self.progress), "log_rows": self.log_rows, "val_rows": self.val_rows,
                "train_time_s": self.train_time, "world_size": self.info.world_size}

    def save(self) -> None:
        """A checkpoint of the current position, unless the last one already holds it."""
        state = (tuple(self.progress.items()), self.log_rows, self.val_rows)
        if state == self._saved:
            return
        self._saved = state
        if self.info.is_main:
            ckpt.save_checkpoint(self.ckpt_dir, self.model, self.opt, dict(self.progress), self.cfg, self._extra(),
                                 keep=self.cfg["train"]["keep_checkpoints"], scaler=self.scaler)
        ddp.barrier(self.info)

    @torch.no_grad()
    def validate(self) -> dict:
        """Mean loss and A-Acc (map peak, at image resolution, inside the target mask) on the
        validation set (each process does all of it; cheap at validation sizes)."""
        model = self.model
        model.eval()
        b = self.cfg["train"]["batch_size"]
        hits, losses, n = [], [], 0
        cfg_loss = {**self.cfg["loss"], "silence": {"weight": 0.0}, "noise": {"weight": 0.0}}
        for start in range(0, self.val_table.n, b):
            rows = np.arange(start, min(start + b, self.val_table.n))
            batch = self.to_device(self.val_table.batch(rows, np.zeros(len(rows), bool)))
            loss, _parts, maps = compute_losses(model, batch, cfg_loss)
            losses.append(float(loss) * len(rows))
            n += len(rows)
            up = torch.nn.functional.interpolate(maps.unsqueeze(1), size=batch["target"].shape[-2:], mode="bilinear",
                                                 align_corners=False).squeeze(1)
            flat = up.flatten(1).argmax(dim=1)
            hit = batch["target"].flatten(1).gather(1, flat[:, None]).squeeze(1)
            hits.extend(hit[batch["has_target"]].float().tolist())
        model.train()
        return {"val_loss": f"{sum(losses) / max(n, 1):.6g}", "val_a_acc": f"{np.mean(hits) if hits else float('nan'):.4f}",
                "val_samples": n}


def batch_tensors(arrays: dict[str, np.ndarray], device: torch.device, augmenter: BatchAugmenter | None = None,
                  epoch: int | None = None) -> dict[str, torch.Tensor]:
    """Tensors on ``device`` of a batch of ``SampleTable.batch`` arrays: ``image`` (B, 3, H, W)
    normalised (:func:`~training.models.normalise_image`), ``audio`` (B, 2, L), ``target`` (B, H, W)
    bool, ``has_target`` (B,), ``neg_*``. With an active ``augmenter`` (and ``epoch``) the image is
    cropped / jittered in [0, 1] before normalisation, the audio shifted / noised, and
    ``spec_keep`` (B, n_mels, T) holds the SpecAugment masks; without one the result is exactly
    what it was before augmentations existed."""
    def put(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(device)

    image, audio, target, has_target = put(arrays["image"]), put(arrays["audio"]), put(arrays["target"]), \
        put(arrays["has_target"])
    aug = augmenter if augmenter is not None and augmenter.active and epoch is not None else None
    if aug is not None and aug.image_active:
        x, target, has_target = aug.image(image_to_unit(image), target, has_target, arrays["rows"], epoch)
        image = standardise_image(x)
    else:
        image = normalise_image(image)
    if aug is not None and aug.audio_active:
        audio = aug.audio(audio, arrays["rows"], epoch)
    out = {"image": image, "audio": audio, "target": target, "has_target": has_target}
    for k, v in arrays.items():
        if k.startswith("neg_"):
            out[k] = put(v)
    if aug is not None and aug.spec_active:
        out["spec_keep"] = aug.spectrogram_keep(arrays["rows"], epoch).to(device)
    return out


def _identity(x):
    return x


def _waited(items):
    """(seconds blocked in ``next()``, item) for each item of ``items``: the time a training step
    waited for its batch (decoding, or a DataLoader worker not done yet)."""
    it = iter(items)
    while True:
        t0 = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            return
        yield time.perf_counter() - t0, item


class _Batches(torch.utils.data.Dataset):
    """Batch i of a precomputed plan of (rows, flips), decoded in a DataLoader worker."""

    def __init__(self, table, plan):
        self.table, self.plan = table, plan

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, i: int) -> dict:
        return self.table.batch(*self.plan[i])


class _CsvLog:
    def __init__(self, path: Path, fields: list[str]):
        self.path, self.fields = path, fields
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="") as f:
                csv.DictWriter(f, fields).writeheader()

    def write(self, row: dict) -> None:
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, self.fields, extrasaction="ignore").writerow({k: row.get(k, "") for k in self.fields})


def _truncate_csv(path: Path, rows: int) -> None:
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: 1 + rows]))


if __name__ == "__main__":
    sys.exit(main())
