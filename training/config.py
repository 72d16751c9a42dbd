"""Training configuration: defaults, YAML files, ``--set key.path=value`` overrides, validation.

A config is a nested dict. ``DEFAULTS`` below is the reference of every key (docs/training.md
explains them). A YAML file only needs the keys it changes; unknown keys are errors (exit status 2),
so a typo never silently falls back to a default.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, Sequence


from simulator.core.scene import NEGATIVE_KINDS
from simulator.spec.errors import SpecError
from simulator.spec.reading import read_spec_file
from simulator.spec.yaml_lines import load_yaml_with_lines

DEFAULTS: dict[str, Any] = {
    "name": "run",                 # run name (used in tables and plots)
    "seed": 0,                     # everything random derives from it (init, data order, flips)
    "out_dir": "out/runs/run",         # checkpoints, logs, the final model
    "data": {
        "train": None,             # dataset folder or shard folder (required)
        "val": None,               # optional validation dataset (else a held-out fraction of train)
        "val_fraction": 0.0,       # fraction of train held out (by index hash) when val is None
        "conditions": None,        # list of conditions to keep (None: all)
        "max_samples": None,       # use only the first N samples (debugging)
        "image_size": None,        # [H, W] resize (None: the dataset's size)
        "duration_s": None,        # audio length fed to the model (None: the dataset's)
        "flip": 0.5,               # probability of a horizontal flip (mirrors masks, swaps L and R)
        "negatives": [],           # negative audio files used as extra pairs: silence, noise, offscreen
        "cache": True,             # decode once into a memory-mapped cache (else decode per batch)
        "cache_dir": None,         # default: <dataset>/.training_cache
        "num_workers": 0,          # DataLoader workers when cache is false
        "augment": {               # training-only augmentations (training/augment.py); p = 0 turns one off
            "crop": {"p": 0.0, "scale": [0.5, 1.0], "ratio": [0.75, 1.3333333333333333], "keep_centre": False},
            "colour_jitter": {"p": 0.0, "brightness": 0.4, "contrast": 0.4, "saturation": 0.4},
            "spec_augment": {"p": 0.0, "freq_masks": 2, "freq_width": 8, "time_masks": 2, "time_width": 10},
            "time_shift": {"p": 0.0, "max_s": 0.05, "mode": "circular"},      # circular | zero
            "additive_noise": {"p": 0.0, "snr_db": [10.0, 30.0], "kind": "white"},   # white | pink
        },
    },
    "audio": {
        "n_fft": 512,
        "hop": 160,
        "n_mels": 64,
        "fmin": 0.0,
        "fmax": None,              # None: Nyquist
    },
    "model": {
        "variant": "stereo_ipd",   # mono | stereo_conv1d | stereo_ipd | vision
        "image_widths": [64, 128, 256, 512],   # ResNet-18 stage widths (CPU configs use smaller)
        "audio_widths": [64, 128, 256, 512],
        "output_stride": 8,        # image feature stride: 8, 16 or 32 (ResNet-18 proper: 32)
        "embed_dim": 128,          # dimension of the features compared by cosine similarity
        "coord_channels": True,    # append normalised (x, y) to the image input (CoordConv)
        "image_normalisation": "default",   # default ((x - 0.5) / 0.25) | imagenet (for ImageNet weights)
        "conv1d_kernel": 33,       # stereo_conv1d: taps of the learnable Conv1d(2 -> 1)
        "conv1d_lr_scale": 1.0,    # learning-rate multiplier of that Conv1d
        "projection_dim": 128,     # instance-level alignment heads (built when loss.alignment > 0)
        "pretrained": {"image": None, "audio": None},   # optional local weight files (training/pretrained.py)
    },
    "loss": {
        "contrastive": {"weight": 1.0, "temperature": 0.07},
        "alignment": {"weight": 0.0, "temperature": 0.07},
        "silence": {"weight": 0.0},
        "noise": {"weight": 0.0},
        "negatives_in_contrastive": True,   # silence/noise pairs join the contrastive denominators
        "supervised": {"weight": 0.0, "kind": "softmax", "temperature": 0.1},
    },
    "optim": {
        "name": "adam",            # adam | adamw | sgd
        "lr": 1e-3,
        "weight_decay": 0.0,
        "momentum": 0.9,           # sgd only
        "schedule": "cosine",      # cosine | constant
        "warmup_steps": 0,
        "grad_clip": None,
    },
    "train": {
        "epochs": 10,
        "max_steps": None,         # stop after this many optimizer steps (overrides epochs)
        "batch_size": 32,          # global batch (split across DDP processes)
        "device": "auto",          # auto | cpu | cuda | cuda:N
        "amp": "auto",             # auto (bf16/fp16 on CUDA, off on CPU) | off | bf16 | fp16
        "threads": None,           # torch CPU threads (None: torch's default)
        "log_every": 10,           # steps between CSV log rows
        "checkpoint_every": None,  # steps between checkpoints (always one per epoch and at the end)
        "keep_checkpoints": 2,
        "validate": True,          # A-Acc and losses on the validation set after each epoch
        "tensorboard": False,      # also log to TensorBoard (if installed)
        "deterministic": True,
    },
}

VARIANTS = ("mono", "stereo_conv1d", "stereo_ipd", "vision")
IMAGE_NORMALISATIONS = ("default", "imagenet")


class ConfigError(ValueError):
    """A bad config key or value; the message names the key (and the file)."""


def _merge(base: dict, update: dict, path: str, source: str) -> dict:
    out = copy.deepcopy(base)
    for k, v in (update or {}).items():
        key = f"{path}.{k}" if path else str(k)
        if k not in base:
            raise ConfigError(f"{source}: unknown key '{key}'")
        if isinstance(base[k], dict) and base[k] and k != "pretrained":
            if not isinstance(v, dict):
                raise ConfigError(f"{source}: '{key}' must be a mapping")
            out[k] = _merge(base[k], v, key, source)
        elif isinstance(base[k], dict):
            if not isinstance(v, dict):
                raise ConfigError(f"{source}: '{key}' must be a mapping")
            unknown = set(v) - set(base[k])
            if unknown:
                raise ConfigError(f"{source}: unknown key '{key}.{sorted(unknown)[0]}'")
            out[k] = {**base[k], **v}
        else:
            out[k] = v
    return out


def parse_override(text: str) -> dict:
    """``a.b.c=VALUE`` (VALUE in YAML) -> nested dict."""
    if "=" not in text:
        raise ConfigError(f"--set '{text}': expected KEY.PATH=VALUE")
    key, raw = text.split("=", 1)
    if not key.strip() or any(not p for p in key.strip().split(".")):
        raise ConfigError(f"--set '{text[:80]}': expected KEY.PATH=VALUE with a non-empty dotted key")
    try:
        value = load_yaml_with_lines(raw, "--set")[0] if raw.strip() else None
    except SpecError as exc:
        raise ConfigError(f"--set '{text[:80]}': bad YAML value ({exc.message})") from None
    out: dict = {}
    cur = out
    parts = key.strip().split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def load_config(path: str | Path | None = None, overrides: Sequence[str] = (),
                base: dict | None = None) -> dict:
    """Defaults, then the YAML file, then each override, validated."""
    cfg = copy.deepcopy(base or DEFAULTS)
    if path is not None:
        for p, loaded in _chain(Path(path)):
            cfg = _merge(cfg, loaded, "", str(p))
    for text in overrides:
        cfg = _merge(cfg, parse_override(text), "", f"--set {text}")
    validate(cfg)
    return cfg


def _chain(path: Path, depth: int = 0) -> list[tuple[Path, dict]]:
    """The file and the files it names with ``base:`` (relative to it), outermost base first."""
    if depth > 8:
        raise ConfigError(f"{path}: 'base:' chain too deep (a cycle?)")
    if not os.path.lexists(path):
        raise ConfigError(f"config file not found: {path}")
    try:  # bounded like a spec: a regular file, no alias bombs, no deep nesting
        loaded = load_yaml_with_lines(read_spec_file(path, str(path)), str(path))[0] or {}
    except SpecError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    base = loaded.pop("base", None)
    chain = _chain((path.parent / str(base)).resolve(), depth + 1) if base else []
    return chain + [(path, loaded)]


def validate(cfg: dict) -> None:
    m, d, t, lo = cfg["model"], cfg["data"], cfg["train"], cfg["loss"]
    if m["variant"] not in VARIANTS:
        raise ConfigError(f"model.variant must be one of {', '.join(VARIANTS)} (got {m['variant']!r})")
    for key in ("image_widths", "audio_widths"):
        w = m[key]
        if not (isinstance(w, list) and len(w) == 4 and all(isinstance(x, int) and x > 0 for x in w)):
            raise ConfigError(f"model.{key} must be a list of 4 positive integers (got {w!r})")
    if m["output_stride"] not in (8, 16, 32):
        raise ConfigError(f"model.output_stride must be 8, 16 or 32 (got {m['output_stride']!r})")
    if not isinstance(m["conv1d_kernel"], int) or m["conv1d_kernel"] < 1 or m["conv1d_kernel"] % 2 == 0:
        raise ConfigError("model.conv1d_kernel must be a positive odd integer")
    bad = [n for n in d["negatives"] if n not in NEGATIVE_KINDS]
    if bad:
        raise ConfigError(f"data.negatives: unknown kind {bad[0]!r} (kinds: {', '.join(NEGATIVE_KINDS)})")
    for kind in ("silence", "noise"):
        if lo[kind]["weight"] and kind not in d["negatives"]:
            raise ConfigError(f"loss.{kind}.weight > 0 needs '{kind}' in data.negatives")
    if lo["supervised"]["kind"] not in ("softmax", "bce"):
        raise ConfigError("loss.supervised.kind must be softmax or bce")
    if m["variant"] == "vision" and (lo["contrastive"]["weight"] or lo["alignment"]["weight"]):
        raise ConfigError("model.variant vision has no audio: set loss.contrastive.weight and "
                          "loss.alignment.weight to 0 (train it with loss.supervised)")
    if not 0.0 <= float(d["flip"]) <= 1.0:
        raise ConfigError("data.flip must be a probability in [0, 1]")
    if m["image_normalisation"] not in IMAGE_NORMALISATIONS:
        raise ConfigError(f"model.image_normalisation must be one of {', '.join(IMAGE_NORMALISATIONS)} "
                          f"(got {m['image_normalisation']!r})")
    _validate_augment(d["augment"])
    if not isinstance(t["batch_size"], int) or t["batch_size"] < 1:
        raise ConfigError("train.batch_size must be a positive integer")
    if t["amp"] is False:          # YAML reads a bare `off` as false
        t["amp"] = "off"
    if t["amp"] not in ("auto", "off", "bf16", "fp16"):
        raise ConfigError("train.amp must be auto, off, bf16 or fp16")
    if cfg["optim"]["name"] not in ("adam", "adamw", "sgd"):
        raise ConfigError("optim.name must be adam, adamw or sgd")
    if cfg["optim"]["schedule"] not in ("cosine", "constant"):
        raise ConfigError("optim.schedule must be cosine or constant")


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _validate_augment(a: dict) -> None:
    """``data.augment``: probabilities in [0, 1], ranges ``[low, high]`` with low <= high, counts and
    widths non-negative integers (the message names the key)."""
    for name, sub in a.items():
        if not (_number(sub["p"]) and 0.0 <= float(sub["p"]) <= 1.0):
            raise ConfigError(f"data.augment.{name}.p must be a probability in [0, 1] (got {sub['p']!r})")

    def pair(key: str, value: Any, low: float, high: float) -> None:
        if not (isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)
                and low <= value[0] <= value[1] <= high):
            raise ConfigError(f"data.augment.{key} must be [low, high] with {low:g} <= low <= high <= {high:g} "
                              f"(got {value!r})")

    crop = a["crop"]
    pair("crop.scale", crop["scale"], 1e-3, 1.0)
    pair("crop.ratio", crop["ratio"], 1e-2, 1e2)
    if not isinstance(crop["keep_centre"], bool):
        raise ConfigError("data.augment.crop.keep_centre must be true or false")
    for key in ("brightness", "contrast", "saturation"):
        v = a["colour_jitter"][key]
        if not (_number(v) and 0.0 <= float(v) <= 1.0):
            raise ConfigError(f"data.augment.colour_jitter.{key} must be in [0, 1] (got {v!r})")
    for key, v in a["spec_augment"].items():
        if key != "p" and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
            raise ConfigError(f"data.augment.spec_augment.{key} must be a non-negative integer (got {v!r})")
    ts = a["time_shift"]
    if not (_number(ts["max_s"]) and float(ts["max_s"]) >= 0.0):
        raise ConfigError("data.augment.time_shift.max_s must be a non-negative number of seconds "
                          f"(got {ts['max_s']!r})")
    if ts["mode"] not in ("circular", "zero"):
        raise ConfigError(f"data.augment.time_shift.mode must be circular or zero (got {ts['mode']!r})")
    noise = a["additive_noise"]
    pair("additive_noise.snr_db", noise["snr_db"], -100.0, 200.0)
    if noise["kind"] not in ("white", "pink"):
        raise ConfigError(f"data.augment.additive_noise.kind must be white or pink (got {noise['kind']!r})")


def dumps(cfg: dict) -> str:
    return json.dumps(cfg, indent=2, sort_keys=True)
