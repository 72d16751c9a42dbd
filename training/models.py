"""Dual-stream audio-visual localization models (seeds/000 Fig. 3, seeds/001 Sec. 3.2).

An image encoder (ResNet-18 class: a 7x7 stride-2 stem, 3x3 max pool, four stages of two basic
blocks) gives a spatial feature map ``v (B, D, h, w)``; an audio encoder (the same architecture on
a spectrogram, global average pooled) gives ``a (B, D)``. The audio-visual similarity map is the
cosine similarity between ``v`` at every location and ``a``: ``S (B, h, w)`` in [-1, 1]; its peak
is the predicted sound-source location.

Variants (``model.variant``)
    ``mono``           the two channels are averaged and the log-mel of the mean is encoded
                       (seeds/000's IS3-FT-Mono input).
    ``stereo_conv1d``  a learnable ``Conv1d(2 -> 1)`` on the waveform before the mono front end
                       (seeds/000's IS3-FT-Stereo wiring). It is initialised to equal weights
                       (0.5, 0.5 on the centre tap, zeros elsewhere), so at initialisation it *is*
                       the mono model; its taps can learn interaural delays and level weights.
    ``stereo_ipd``     a four-channel spectrogram: mean log-mel, interaural level difference and
                       cos/sin interaural phase difference per mel band (features.py).
    ``vision``         no audio: a learned constant audio embedding, so the map is a vision-only
                       prior of where sounding objects are (a baseline of ``evaluate``).

Widths are configurable: ``[64, 128, 256, 512]`` is ResNet-18 proper (GPU configs), the CPU
configs use ``[16, 32, 64, 64]``. ``output_stride`` 8 or 16 keeps later stages at a higher
resolution (stride 1 instead of 2) so that small objects get their own map cells.
``coord_channels`` appends normalised x and y coordinate planes to the image (CoordConv), which
lets the cosine map express *where* as well as *what*.

Image input: the encoders always receive images normalised as :func:`normalise_image` does,
``(x / 255 - 0.5) / 0.25`` (what ``train`` and ``evaluate`` feed). With
``model.image_normalisation: imagenet`` the image encoder re-normalises them to ImageNet's
statistics, ``(x / 255 - mean) / std`` with mean (0.485, 0.456, 0.406) and std (0.229, 0.224,
0.225) per RGB channel, the input that ImageNet-pretrained weights (``model.pretrained.image``,
training/pretrained.py) were trained with. The model itself carries the choice (non-persistent
buffers, rebuilt from the config), so every caller of ``encode_image`` gets the same input.

SpecAugment (``data.augment.spec_augment``, training/augment.py) masks the spectrogram between the
front end and the audio encoder; ``train`` hands the masks of a step to the model with
:meth:`AVModel.spectrogram_masks`, outside which (evaluation) nothing is masked.
"""
from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ConfigError
from .data import IMAGE_MEAN, IMAGE_STD
from .features import InterauralSpectrogram, LogMel, mask_spectrogram
from .pretrained import LoadReport, load_encoder_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)   # ImageNet RGB statistics of images in [0, 1]
IMAGENET_STD = (0.229, 0.224, 0.225)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions with batch norm and a residual connection."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18Backbone(nn.Module):
    """ResNet-18 layout with configurable stage widths and stage strides (no classifier)."""

    def __init__(self, in_channels: int, widths: Sequence[int] = (64, 128, 256, 512),
                 strides: Sequence[int] = (1, 2, 2, 2)):
        super().__init__()
        w = list(widths)
        self.conv1 = nn.Conv2d(in_channels, w[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w[0])
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers = []
        cin = w[0]
        for cout, s in zip(w, strides):
            layers.append(nn.Sequential(BasicBlock(cin, cout, s), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.out_channels = cin
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


STAGE_STRIDES = {32: (1, 2, 2, 2), 16: (1, 2, 2, 1), 8: (1, 2, 1, 1)}


class ImageEncoder(nn.Module):
    """RGB (B, 3, H, W) images normalised by :func:`normalise_image` -> (B, D, H/stride, W/stride).

    ``normalisation``: ``default`` feeds them as they are; ``imagenet`` first maps them to
    ``(x / 255 - IMAGENET_MEAN) / IMAGENET_STD`` per channel (an exact affine map of the input)."""

    def __init__(self, widths: Sequence[int], output_stride: int, embed_dim: int, coord_channels: bool = True,
                 normalisation: str = "default"):
        super().__init__()
        self.coord_channels = bool(coord_channels)
        self.normalisation = normalisation
        if normalisation not in ("default", "imagenet"):
            raise ConfigError(f"model.image_normalisation must be default or imagenet (got {normalisation!r})")
        self.backbone = ResNet18Backbone(3 + 2 * self.coord_channels, widths, STAGE_STRIDES[int(output_stride)])
        self.head = nn.Conv2d(self.backbone.out_channels, embed_dim, 1)
        if normalisation == "imagenet":
            # x01 = x * IMAGE_STD + IMAGE_MEAN;  (x01 - m) / s = x * (IMAGE_STD / s) + (IMAGE_MEAN - m) / s
            std = torch.tensor(IMAGENET_STD, dtype=torch.float64)
            mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64)
            self.register_buffer("input_scale", (IMAGE_STD / std).float().view(1, 3, 1, 1), persistent=False)
            self.register_buffer("input_shift", ((IMAGE_MEAN - mean) / std).float().view(1, 3, 1, 1),
                                 persistent=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.normalisation == "imagenet":
            image = image * self.input_scale + self.input_shift
        if self.coord_channels:
            b, _, h, w = image.shape
            ys = torch.linspace(-1.0, 1.0, h, device=image.device, dtype=image.dtype)
            xs = torch.linspace(-1.0, 1.0, w, device=image.device, dtype=image.dtype)
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")
            image = torch.cat([image, gx.expand(b, 1, h, w), gy.expand(b, 1, h, w)], dim=1)
        return self.head(self.backbone(image))


class AudioEncoder(nn.Module):
    """Spectrogram (B, C, n_mels, T) -> (B, D)."""

    def __init__(self, in_channels: int, widths: Sequence[int], embed_dim: int):
        super().__init__()
        self.input_norm = nn.BatchNorm2d(in_channels)
        self.backbone = ResNet18Backbone(in_channels, widths, STAGE_STRIDES[32])
        self.head = nn.Linear(self.backbone.out_channels, embed_dim)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        f = self.backbone(self.input_norm(spec))
        return self.head(f.mean(dim=(2, 3)))


class AVModel(nn.Module):
    """The dual-stream model; see the module docstring for the variants."""

    def __init__(self, cfg_model: dict, cfg_audio: dict, sample_rate: int, use_alignment: bool = False):
        super().__init__()
        m = cfg_model
        self.variant = m["variant"]
        d = int(m["embed_dim"])
        self.image_encoder = ImageEncoder(m["image_widths"], m["output_stride"], d, m["coord_channels"],
                                          m.get("image_normalisation", "default"))
        self._spec_keep: torch.Tensor | None = None   # set only inside `spectrogram_masks`
        fe_args = (sample_rate, cfg_audio["n_fft"], cfg_audio["hop"], cfg_audio["n_mels"], cfg_audio["fmin"],
                   cfg_audio["fmax"])
        self.mix = None
        if self.variant == "vision":
            self.frontend = None
            self.audio_encoder = None
            self.audio_constant = nn.Parameter(torch.randn(d) / d ** 0.5)
        else:
            if self.variant == "stereo_ipd":
                self.frontend = InterauralSpectrogram(*fe_args)
            else:
                self.frontend = LogMel(*fe_args)
            if self.variant == "stereo_conv1d":
                k = int(m["conv1d_kernel"])
                self.mix = nn.Conv1d(2, 1, k, padding=k // 2, bias=False)
                with torch.no_grad():
                    self.mix.weight.zero_()
                    self.mix.weight[0, :, k // 2] = 0.5
            self.audio_encoder = AudioEncoder(self.frontend.out_channels, m["audio_widths"], d)
        self.proj_v = self.proj_a = None
        if use_alignment:
            p = int(m["projection_dim"])
            self.proj_v = nn.Sequential(nn.Linear(d, p), nn.ReLU(), nn.Linear(p, p))
            self.proj_a = nn.Sequential(nn.Linear(d, p), nn.ReLU(), nn.Linear(p, p))

    # -- streams --
    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised image -> (B, D, h, w)."""
        return self.image_encoder(image)

    def audio_input(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, 2, L) waveform -> the spectrogram the audio encoder sees."""
        if self.variant == "mono":
            return self.frontend(wave.mean(dim=1))
        if self.variant == "stereo_conv1d":
            with torch.autocast(device_type=wave.device.type, enabled=False):
                mixed = self.mix(wave.float()).squeeze(1)
            return self.frontend(mixed)
        return self.frontend(wave)

    def encode_audio(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, 2, L) waveform -> (B, D). In training mode inside :meth:`spectrogram_masks` the
        spectrogram is masked first (SpecAugment)."""
        if self.variant == "vision":
            return self.audio_constant.unsqueeze(0).expand(wave.shape[0], -1)
        spec = self.audio_input(wave)
        if self._spec_keep is not None and self.training:
            spec = mask_spectrogram(spec, self._spec_keep)
        return self.audio_encoder(spec)

    @contextlib.contextmanager
    def spectrogram_masks(self, keep: torch.Tensor | None) -> Iterator[None]:
        """Within the block, training-mode :meth:`encode_audio` masks its spectrograms with ``keep``
        (B, n_mels, T) bool (False = masked; :func:`~training.features.mask_spectrogram`): a call
        on k * B waveforms (the batch's audio followed by its negatives) uses row i's mask for
        waveforms i, B + i, ... ``None`` masks nothing. The masks are cleared on exit."""
        previous, self._spec_keep = self._spec_keep, keep
        try:
            yield
        finally:
            self._spec_keep = previous

    # -- similarity --
    @staticmethod
    def similarity(v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Paired cosine map: v (B, D, h, w), a (B, D) -> (B, h, w)."""
        vn = F.normalize(v.float(), dim=1)
        an = F.normalize(a.float(), dim=1)
        return torch.einsum("bdhw,bd->bhw", vn, an)

    @staticmethod
    def all_pairs(v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Every image with every audio: (Bv, D, h, w), (Ba, D) -> (Bv, Ba, h, w)."""
        vn = F.normalize(v.float(), dim=1)
        an = F.normalize(a.float(), dim=1)
        return torch.einsum("idhw,jd->ijhw", vn, an)

    def embeddings(self, v: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Global image and audio embeddings for retrieval/alignment: the projection heads'
        outputs (seeds/001 eq. 4) when present, else the pooled backbone features."""
        pv = v.float().mean(dim=(2, 3))
        pa = a.float()
        if self.proj_v is not None:
            return self.proj_v(pv), self.proj_a(pa)
        return pv, pa

    def forward(self, image: torch.Tensor, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image features (Bi, D, h, w) and audio embeddings (Ba, D) in one call (the call DDP
        wraps). ``similarity`` / ``all_pairs`` turn them into maps."""
        return self.encode_image(image), self.encode_audio(wave)

    def maps(self, image: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        """Paired similarity maps (B, h, w)."""
        v, a = self(image, wave)
        return self.similarity(v, a)

    def param_groups(self, lr: float, conv1d_lr_scale: float = 1.0) -> list[dict]:
        mix = [p for n, p in self.named_parameters() if n.startswith("mix.")]
        rest = [p for n, p in self.named_parameters() if not n.startswith("mix.")]
        groups = [{"params": rest, "lr": lr, "name": "main"}]
        if mix:
            groups.append({"params": mix, "lr": lr * conv1d_lr_scale, "name": "conv1d"})
        return groups


def image_to_unit(image_uint8: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float in [0, 1] (``x / 255``)."""
    return image_uint8.permute(0, 3, 1, 2).float() / 255.0


def standardise_image(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) float in [0, 1] -> the encoders' input, ``(x - 0.5) / 0.25``."""
    return (x - IMAGE_MEAN) / IMAGE_STD


def normalise_image(image_uint8: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float, ``(x / 255 - 0.5) / 0.25``."""
    return standardise_image(image_to_unit(image_uint8))


def build_model(cfg: dict, sample_rate: int) -> AVModel:
    """The model of ``cfg``, with ``model.pretrained`` weights loaded (training/pretrained.py).
    Warns naming the tensors left at their initialisation or adapted (the CoordConv channels), and
    when ImageNet-layout image weights meet ``model.image_normalisation: default``."""
    m = cfg["model"]
    model = AVModel(m, cfg["audio"], sample_rate, use_alignment=cfg["loss"]["alignment"]["weight"] > 0)
    pre = m.get("pretrained") or {}
    for part, attr in (("image", "image_encoder"), ("audio", "audio_encoder")):
        if not pre.get(part) or getattr(model, attr) is None:
            continue
        report = load_encoder_weights(getattr(model, attr), pre[part], part,
                                      widen_first_conv=part == "image" and bool(m["coord_channels"]))
        _warn_about(report, part, pre[part], m)
    return model


def _warn_about(report: LoadReport, part: str, path: str, cfg_model: dict) -> None:
    where = f"model.pretrained.{part}"
    if report.missing:
        n = report.missing
        warnings.warn(f"{where}: {len(n)} tensor(s) not in {path} keep their random initialisation: "
                      f"{', '.join(n[:4])}{' ...' if len(n) > 4 else ''}", stacklevel=3)
    if report.adapted:
        warnings.warn(f"{where}: {len(report.adapted)} tensor(s) adapted from {path}: {'; '.join(report.adapted)}",
                      stacklevel=3)
    if part == "image" and report.layout == "resnet" and cfg_model.get("image_normalisation") != "imagenet":
        warnings.warn(f"{where}: {path} is an ImageNet-layout ResNet but model.image_normalisation is "
                      f"{cfg_model.get('image_normalisation')!r}; set it to imagenet to feed the input statistics "
                      "those weights were trained with", stacklevel=3)


def load_pretrained(module: nn.Module | None, path: str | Path) -> list[str]:
    """Load a local weight file into ``module`` (training/pretrained.py); the names of the
    module's tensors left at their initialisation. No download ever happens."""
    if module is None:
        return []
    return load_encoder_weights(module, path).missing
