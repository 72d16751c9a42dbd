"""Pretrained encoder weights from local files (``model.pretrained.image`` / ``.audio``).

Nothing is ever downloaded: a file is read from the path given (docs/training.md says how to
make one on a machine with internet access). Two layouts are understood:

``resnet``  an ImageNet ResNet-18 as torchvision saves it (``torch.save(resnet18().state_dict())``,
            ``.pth``/``.pt``) or as timm saves it (timm's ``resnet18.*`` models use the same names;
            ``.pth``/``.bin`` or ``.safetensors``): ``conv1.weight``, ``bn1.*``,
            ``layer{1-4}.{0,1}.{conv1,bn1,conv2,bn2}.*``, ``layer{2-4}.0.downsample.{0,1}.*`` and
            the classifier ``fc.*``. :func:`resnet_to_backbone` maps these onto
            :class:`~training.models.ResNet18Backbone` (which follows the torchvision layout: the
            stem, four stages of two basic blocks, a 1x1 convolution + batch norm shortcut where
            the shape changes); the classifier is dropped and the encoder's ``head`` (and the
            audio encoder's ``input_norm``) keep their random initialisation, as they are new.
``avsim``   this project's own names: an encoder's state dict, optionally under ``backbone.``,
            ``image_encoder.`` / ``audio_encoder.`` or ``model.image_encoder.`` (a run's
            ``model.safetensors``). Tensors are matched by name; those not in the file keep their
            initialisation and are named in a warning.

Pickled files (``.pth``, ``.pt``, ``.bin``, ...) are read with ``torch.load(weights_only=True)``
(tensors and plain containers only, never arbitrary objects); ``.safetensors`` with safetensors.
A file wrapped as ``{"state_dict": ...}`` or ``{"model": ...}`` and keys prefixed ``module.``
(DDP) are unwrapped.

CoordConv (``model.coord_channels``) gives the image encoder's first convolution 5 input channels
(R, G, B, x, y) where an ImageNet checkpoint has 3: the RGB weights are copied and the weights of
the x and y planes start at zero, so at initialisation the encoder computes exactly the
pretrained features (the coordinate channels contribute nothing until training moves them).

A tensor whose shape differs from the model's is an error (:class:`ConfigError` naming the key and
both shapes): e.g. ``model.image_widths`` other than ``[64, 128, 256, 512]`` cannot hold a
ResNet-18 checkpoint, and a ResNet-50 (bottleneck blocks) or a deep-stem ResNet (timm's
``resnet18d``) is refused by name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from .config import ConfigError

# every tensor name of a torchvision/timm ResNet with basic blocks (ResNet-18/34), classifier included
_RESNET_KEY = re.compile(r"(conv1\.weight|bn1\.\w+|layer[1-4]\.\d+\.(conv[12]\.weight|bn[12]\.\w+|"
                         r"downsample\.[01]\.\w+)|fc\.(weight|bias))")
_WRAPPERS = ("state_dict", "model", "model_state", "model_state_dict", "net", "weights")
FIRST_CONV = "backbone.conv1.weight"
RESNET18_WIDTHS = [64, 128, 256, 512]


@dataclass
class LoadReport:
    """What :func:`load_encoder_weights` did: the file's layout, the module tensors loaded, those
    adapted (with a note each), and those left at their initialisation."""

    layout: str
    loaded: list[str] = field(default_factory=list)
    adapted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a local weight file (``.safetensors``, or a pickled state dict read with
    ``torch.load(weights_only=True)``), on the CPU, unwrapped from ``{"state_dict": ...}``-style
    containers and ``module.`` prefixes. ConfigError naming the file if it cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"pretrained weights not found: {p} (nothing is downloaded: copy the file there, see "
                          "docs/training.md)")
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj = load_file(str(p))
        else:
            obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - safetensors, zipfile and unpickling raise many kinds
        raise ConfigError(f"pretrained weights {p}: cannot be read as a state dict "
                          f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
    state = _unwrap(obj)
    if state is None:
        raise ConfigError(f"pretrained weights {p}: not a state dict (a mapping of names to tensors)")
    return state


def _unwrap(obj) -> dict[str, torch.Tensor] | None:
    if not isinstance(obj, dict):
        return None
    tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if tensors:
        while tensors and all(k.startswith("module.") for k in tensors):
            tensors = {k.removeprefix("module."): v for k, v in tensors.items()}
        return tensors
    for key in _WRAPPERS:
        if isinstance(obj.get(key), dict):
            return _unwrap(obj[key])
    return None


def is_resnet_layout(state: dict[str, torch.Tensor]) -> bool:
    """True for a torchvision/timm ResNet state dict (top-level ``conv1``, ``layer1`` ...)."""
    return ("layer1.0.conv1.weight" in state or "layer1.0.conv2.weight" in state) and \
        any(k.startswith("conv1.") for k in state)


def resnet_to_backbone(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torchvision/timm ResNet-18 (or -34) names -> :class:`ResNet18Backbone` names (no prefix);
    the classifier ``fc.*`` is dropped. ConfigError for layouts that are not basic-block ResNets
    with a single 7x7 stem (bottleneck blocks, deep stems), naming the offending keys."""
    if any(k.startswith("conv1.0.") for k in state):
        raise ConfigError("a deep-stem ResNet (timm resnet*d: conv1.0, conv1.1, ...) does not fit the ResNet-18 "
                          "stem (one 7x7 convolution); use torchvision's resnet18 or timm's resnet18.*")
    if any(re.fullmatch(r"layer\d+\.\d+\.conv3\.weight", k) for k in state):
        raise ConfigError("a bottleneck ResNet (ResNet-50 and larger: conv3 in every block) does not fit the "
                          "ResNet-18 basic blocks; use a resnet18 checkpoint")
    other = sorted(k for k in state if not _RESNET_KEY.fullmatch(k))
    if other:
        raise ConfigError(f"{len(other)} tensor(s) are not ResNet-18 names: {', '.join(other[:4])}"
                          f"{' ...' if len(other) > 4 else ''}")
    return {k: v for k, v in state.items() if not k.startswith("fc.")}


def _candidates(key: str, part: str) -> list[str]:
    """Names a module tensor ``key`` may have in an avsim-layout file."""
    names = [key, key.removeprefix("backbone."), f"backbone.{key}"]
    if part:
        names += [f"{part}_encoder.{key}", f"model.{part}_encoder.{key}"]
    return names


def widen_input_channels(weight: torch.Tensor, channels: int) -> torch.Tensor:
    """A convolution weight ``(out, c, kh, kw)`` padded with zeros to ``channels`` input channels
    (the new channels start at zero, so the convolution's output is unchanged)."""
    out = torch.zeros((weight.shape[0], channels, *weight.shape[2:]), dtype=weight.dtype)
    out[:, : weight.shape[1]] = weight
    return out


def load_encoder_weights(module: nn.Module, path: str | Path, part: str = "",
                         widen_first_conv: bool = False) -> LoadReport:
    """Load a local weight file into an encoder (``part``: ``image`` or ``audio``, used in names
    and messages). ``widen_first_conv``: the module's first convolution has extra input channels
    (CoordConv) that a checkpoint with fewer may leave at zero. Returns a :class:`LoadReport`;
    ConfigError on a shape mismatch (naming the key and shapes) or when nothing matches."""
    p = Path(path)
    where = f"model.pretrained.{part}" if part else "pretrained weights"
    src = read_state_dict(p)
    own = module.state_dict()
    if is_resnet_layout(src):
        try:
            mapped = {f"backbone.{k}": v for k, v in resnet_to_backbone(src).items()}
        except ConfigError as exc:
            raise ConfigError(f"{where} {p}: {exc}") from None
        report = LoadReport("resnet")
        lookup = {k: k for k in own if k in mapped}
    else:
        mapped = src
        report = LoadReport("avsim")
        lookup = {}
        for k in own:
            for cand in _candidates(k, part):
                if cand in mapped:
                    lookup[k] = cand
                    break
    loaded: dict[str, torch.Tensor] = {}
    for k, t in own.items():
        if k not in lookup:
            # a ResNet classifier checkpoint never has the new head / input norm; a counter is no weight
            if not k.endswith("num_batches_tracked") and not (report.layout == "resnet" and not
                                                              k.startswith("backbone.")):
                report.missing.append(k)
            continue
        name = lookup[k]
        got = mapped[name]
        if got.shape == t.shape:
            loaded[k] = got.to(t.dtype)
        elif (widen_first_conv and k == FIRST_CONV and got.dim() == 4 and got.shape[1] < t.shape[1]
              and got.shape[0] == t.shape[0] and got.shape[2:] == t.shape[2:]):
            loaded[k] = widen_input_channels(got.to(t.dtype), t.shape[1])
            report.adapted.append(f"{k} {tuple(got.shape)} -> {tuple(t.shape)}: the input channels past "
                                  f"{got.shape[1]} (the CoordConv x, y planes) start at zero")
        else:
            hint = ""
            if report.layout == "resnet" and part == "image":
                hint = f"; model.image_widths must be {RESNET18_WIDTHS} for a ResNet-18 checkpoint"
            elif report.layout == "resnet" and k == FIRST_CONV:
                hint = (f"; the audio encoder's first convolution takes {t.shape[1]} spectrogram channel(s), "
                        f"the checkpoint's {got.shape[1]}")
            in_file = name.removeprefix("backbone.") if report.layout == "resnet" else name
            raise ConfigError(f"{where} {p}: '{in_file}' has shape {tuple(got.shape)} in the file but the model's "
                              f"'{k}' has {tuple(t.shape)}{hint}")
    unexpected = sorted(set(mapped) - set(own)) if report.layout == "resnet" else []
    if unexpected:  # shapes all fit, yet the model lacks some of the ResNet's tensors (e.g. a shortcut)
        raise ConfigError(f"{where} {p}: {len(unexpected)} tensor(s) of the ResNet have no place in the model "
                          f"({', '.join(unexpected[:3])}): its layout differs (model.image_widths must be "
                          f"{RESNET18_WIDTHS} for a ResNet-18 checkpoint)")
    if not loaded:
        raise ConfigError(f"{where} {p}: no tensor matches the model's (names or shapes differ)")
    module.load_state_dict(loaded, strict=False)
    report.loaded = sorted(loaded)
    return report
