"""Checkpoints: tensors in safetensors, everything else in JSON (no pickle anywhere).

A checkpoint ``<dir>/step_00001234`` is two files:

* ``step_00001234.safetensors``: ``model.<name>`` (parameters and buffers),
  ``optim.<param index>.<state key>`` (optimizer state tensors), ``rng.torch`` and
  ``rng.cuda.<i>`` (generator states as uint8 tensors).
* ``step_00001234.json``: the config, progress (epoch, step in epoch, global step), the optimizer's
  param groups and non-tensor state, numpy and Python RNG states, the number of log rows written,
  the sample rate and category list, and the safetensors file's SHA-256.

``latest.json`` names the newest complete checkpoint; it is written last (atomically), so an
interrupted save never becomes the resume point. The final model is ``model.safetensors`` +
``model.json`` (config and metadata) in the run folder: that is what ``evaluate`` reads.
"""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simulator.record_files import BadFile, read_json
from simulator.sinks.atomic import write_bytes_atomic, write_text_atomic

FORMAT = "avsim-training-checkpoint"


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> str:
    from safetensors.torch import save

    data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=metadata)
    write_bytes_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def model_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    core = model.module if hasattr(model, "module") else model
    return {f"model.{k}": v for k, v in core.state_dict().items()}


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    np_state = np.random.get_state()
    js = {"numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
          "python": _py_state(random.getstate())}
    return tensors, js


def _py_state(state):
    return [state[0], list(state[1]), state[2]]


def restore_rng(tensors: dict[str, torch.Tensor], js: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng.cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])
    n = js["numpy"]
    np.random.set_state((n[0], np.asarray(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    p = js["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))


def optimizer_state(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"optim.{pid}.{k}"] = v
            else:
                scalars.setdefault(str(pid), {})[k] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def load_optimizer_state(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], js: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, pid, name = k.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    for pid, st in js.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(st)
    opt.load_state_dict({"state": state, "param_groups": js["param_groups"]})


def save_checkpoint(ckpt_dir: Path, model, opt, progress: dict[str, Any], cfg: dict, extra: dict[str, Any],
                    keep: int = 2, scaler: torch.amp.GradScaler | None = None) -> Path:
    """Write ``step_<global step>`` and point ``latest.json`` at it; keep the newest ``keep``."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    name = f"step_{int(progress['global_step']):08d}"
    tensors = model_state(model)
    ot, oj = optimizer_state(opt)
    rt, rj = rng_state()
    tensors.update(ot)
    tensors.update(rt)
    sha = _save_tensors(ckpt_dir / f"{name}.safetensors", tensors)
    meta = {"format": FORMAT, "version": 1, "config": cfg, "progress": progress, "optimizer": oj, "rng": rj,
            "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
            "tensors_sha256": sha, **extra}
    write_text_atomic(ckpt_dir / f"{name}.json", json.dumps(meta, indent=1))
    write_text_atomic(ckpt_dir / "latest.json", json.dumps({"checkpoint": name}))
    olds = sorted(p.stem for p in ckpt_dir.glob("step_*.json"))
    for old in olds[:-max(1, keep)]:
        for suffix in (".json", ".safetensors"):
            (ckpt_dir / f"{old}{suffix}").unlink(missing_ok=True)
    return ckpt_dir / name


def find_checkpoint(path: Path) -> Path | None:
    """A checkpoint stem from a run folder, a checkpoint folder, ``latest.json`` or a stem/file."""
    p = Path(path)
    if p.is_dir():
        for d in (p / "checkpoints", p):
            latest = d / "latest.json"
            if latest.is_file():
                return d / json.loads(latest.read_text())["checkpoint"]
        return None
    if p.name == "latest.json":
        return p.parent / json.loads(p.read_text())["checkpoint"]
    stem = p.with_suffix("") if p.suffix in (".json", ".safetensors") else p
    return stem if stem.with_suffix(".json").is_file() else None


def load_checkpoint(stem: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    stem = Path(stem)
    meta = _read_meta(stem.with_suffix(".json"))
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{stem}.json: not a training checkpoint")
    data = stem.with_suffix(".safetensors").read_bytes()
    if hashlib.sha256(data).hexdigest() != meta.get("tensors_sha256"):
        raise ModelFileError(f"{stem}.safetensors: checksum mismatch (incomplete or modified)")
    from safetensors.torch import load

    return load(data), meta


def restore(model, opt, stem: Path, scaler: torch.amp.GradScaler | None = None) -> dict[str, Any]:
    """Load model, optimizer and RNG states from a checkpoint; return its JSON metadata."""
    tensors, meta = load_checkpoint(stem)
    core = model.module if hasattr(model, "module") else model
    core.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    if opt is not None:
        load_optimizer_state(opt, tensors, meta["optimizer"])
    if scaler is not None and meta.get("scaler"):
        scaler.load_state_dict(meta["scaler"])
    restore_rng(tensors, meta["rng"])
    return meta


def save_model(run_dir: Path, model, cfg: dict, extra: dict[str, Any]) -> Path:
    """The final model: ``model.safetensors`` (weights only) + ``model.json``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    core = model.module if hasattr(model, "module") else model
    sha = _save_tensors(run_dir / "model.safetensors", dict(core.state_dict()))
    write_text_atomic(run_dir / "model.json", json.dumps({"format": "avsim-model", "version": 1, "config": cfg,
                                                           "tensors_sha256": sha, **extra}, indent=1))
    return run_dir / "model.safetensors"


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be used (missing, cut, not what it says; the message
    names the file). Exit status 2 in ``train`` and ``evaluate``."""


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = read_json(path, limit=64_000_000)
    except BadFile as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: not a model description (a JSON object)")
    return meta


def _load_tensor_file(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise ModelFileError(f"{path}: the weights file is missing")
    try:
        return _load_tensors(path)
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own errors for cut or foreign files
        raise ModelFileError(f"{path}: not a complete safetensors file ({' '.join(str(exc).split())[:200]})") from None


def load_model_files(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Weights and metadata of a final model (run folder, model.safetensors) or a checkpoint;
    ModelFileError (or FileNotFoundError for a path with no model) naming the file otherwise."""
    p = Path(path)
    if p.is_dir() and (p / "model.json").exists():
        p = p / "model.safetensors"
    if p.name.endswith(".safetensors") and p.with_suffix(".json").exists():
        meta = _read_meta(p.with_suffix(".json"))
        if meta.get("format") == "avsim-model":
            if not isinstance(meta.get("config"), dict):
                raise ModelFileError(f"{p.with_suffix('.json')}: no model config")
            return _load_tensor_file(p), meta
    try:
        stem = find_checkpoint(p)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: its latest.json cannot be read ({exc})") from None
    if stem is None:
        raise FileNotFoundError(f"{path}: no model.safetensors/model.json or checkpoint found")
    try:
        tensors, meta = load_checkpoint(stem)
    except (OSError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{stem}: the checkpoint cannot be read ({exc})") from None
    except ValueError as exc:
        raise ModelFileError(str(exc)) from None
    return {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}, meta
