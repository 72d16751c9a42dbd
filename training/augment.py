"""Training-time augmentations of the seed papers (``data.augment``; every one off by default).

Which the seeds use
    *Learning from Silence and Noise for Visual Sound Source Localization* (seeds/004, App. A.3,
    following SSL-TIE): spectrogram masking along time and frequency, appearance transformations
    (colour jittering, blur, greyscale) and geometric ones (crop, resize, rotation, flip).
    *Toward Interactive Sound Source Localization: Better Align Sight and Sound!* (seeds/001,
    Sec. 3): SimCLR's image augmentations (random resized crop, colour jitter) and random
    time-window shifts of the audio. *Seeing Sound, Hearing Sight: Uncovering Modality Bias and
    Conflict of AI models in Sound Localization* (seeds/000) fine-tunes a pretrained model (IS3-FT)
    and describes no augmentation. Additive noise at a random SNR is not in these recipes; it is
    offered as a robustness option (seeds/000's and seeds/004's noise *conditions* are noise in
    place of the sound, which ``data.negatives`` covers).

What is implemented (``data.augment.<name>``, each applied to a sample with probability ``p``)
    ``crop``            random resized crop (SimCLR/torchvision style): a box of ``scale`` times the
                        image area and aspect ratio (width / height) in ``ratio`` (log-uniform),
                        resampled to the image size: the image bilinearly, the target mask with the
                        *same* sampling grid by nearest neighbour, so mask and image stay aligned. A
                        crop that cuts a sample's whole target out makes it a pair without a target
                        (``has_target`` false: its sound is now off-screen). ``keep_centre`` centres
                        the box on the image centre (a zoom). Caveat for stereo models: a crop moves
                        and zooms the image but not the sound, so the column at which a given
                        interaural delay appears changes; ``keep_centre`` at least keeps the centre
                        column at azimuth 0 and every source on its side.
    ``colour_jitter``   brightness, contrast and saturation factors drawn uniformly in
                        ``[1 - v, 1 + v]`` and applied in that order to the image in [0, 1]
                        (torchvision's definitions: contrast around the mean grey level, saturation
                        around each pixel's grey level; clipped to [0, 1] after each).
    ``spec_augment``    SpecAugment: ``freq_masks`` bands of up to ``freq_width`` mel bands and
                        ``time_masks`` spans of up to ``time_width`` frames are masked (set to the
                        sample's mean of each channel) in the spectrogram the audio encoder sees,
                        the same bins in every channel (mean log-mel, level and phase difference),
                        so masking never creates a false interaural cue. The masks are drawn here
                        and applied inside the model (``AVModel.spectrogram_masks``) because the
                        spectrogram is computed on the model's device; a sample's negatives
                        (silence, noise) get its mask too.
    ``time_shift``      the waveform is shifted by a whole number of samples drawn uniformly in
                        ``[-max_s, max_s]`` seconds, the *same* shift in both ears, so interaural
                        time and level differences are unchanged; ``circular`` rolls the waveform
                        (content leaving one end re-enters at the other), ``zero`` pads with zeros.
    ``additive_noise``  white or pink (1/f power) Gaussian noise added at an SNR drawn uniformly
                        (in dB) in ``snr_db``, relative to the sample's mean power over both ears.
                        The noise is *independent* in the two ears at the same level: a diffuse,
                        uncorrelated noise (as sensor or room noise) lowers interaural coherence
                        without pointing anywhere, whereas identical noise in both ears would be a
                        phantom source straight ahead (zero delay and level difference) that pulls
                        the cues towards the centre. It is drawn anew for every sample of every
                        batch (epoch), and only added to the sample's own audio, never to its
                        silence or noise negatives (silence must stay silent).

Order and frames: the flip (training/data.py) comes first, then crop, then colour jitter (images
in [0, 1], channels first, on the model's device), then time shift, then noise (waveforms (B, 2, L)
in [-1, 1], channels L, R); SpecAugment acts on the spectrogram (B, C, n_mels, T frames).

Determinism: every random number of augmentation ``a`` for table row ``r`` in ``epoch`` comes
from ``numpy.random.default_rng([seed, epoch, r, salt(a)])``, like the flips: the same run seed
gives the same augmented batches, whatever the batch split (DDP), worker count or device, a resumed
run sees the same batches as the uninterrupted one, and turning one augmentation on does not change
the draws of another. Nothing here touches a global random state.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

SALTS = {"crop": 0xC409, "colour_jitter": 0xC010, "spec_augment": 0x5BEC, "time_shift": 0x7155,
         "additive_noise": 0x0A15}
GREY = (0.299, 0.587, 0.114)          # ITU-R 601 luma weights (torchvision's rgb_to_grayscale)


def sample_rng(seed: int, epoch: int, row: int, name: str) -> np.random.Generator:
    """The generator of augmentation ``name`` for table row ``row`` in ``epoch``."""
    return np.random.default_rng([int(seed), int(epoch), int(row), SALTS[name]])


# ------------------------------------------------------------------------------------------------
# Images: (B, 3, H, W) float in [0, 1]; masks (B, H, W) bool
# ------------------------------------------------------------------------------------------------
def crop_box(rng: np.random.Generator, height: int, width: int, scale: Sequence[float], ratio: Sequence[float],
             keep_centre: bool = False) -> tuple[float, float, float, float]:
    """A random resized crop's box ``(top, left, box height, box width)`` in pixels (continuous,
    pixel edges at integers) inside a ``height`` x ``width`` image; the whole image if ten draws
    do not fit (torchvision's RandomResizedCrop, without its centre-crop fallback)."""
    area = float(height * width)
    lo, hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        a = area * rng.uniform(scale[0], scale[1])
        r = math.exp(rng.uniform(lo, hi))
        bw, bh = math.sqrt(a * r), math.sqrt(a / r)
        if bw <= width and bh <= height:
            if keep_centre:
                return (height - bh) / 2, (width - bw) / 2, bh, bw
            return rng.uniform(0.0, height - bh), rng.uniform(0.0, width - bw), bh, bw
    return 0.0, 0.0, float(height), float(width)


def crop_grid(boxes: np.ndarray, height: int, width: int) -> torch.Tensor:
    """``F.grid_sample`` grid (B, H, W, 2) mapping output pixel centres of an ``height`` x ``width``
    image to the boxes (B, 4) ``(top, left, h, w)`` of an input of the same size
    (``align_corners=False`` coordinates: input pixel k spans [k, k + 1))."""
    boxes = np.asarray(boxes, np.float64)
    ys = boxes[:, 0:1] + (np.arange(height) + 0.5)[None] / height * boxes[:, 2:3]     # (B, H) input rows
    xs = boxes[:, 1:2] + (np.arange(width) + 0.5)[None] / width * boxes[:, 3:4]      # (B, W) input columns
    gy = np.broadcast_to((2.0 * ys / height - 1.0)[:, :, None], (len(boxes), height, width))
    gx = np.broadcast_to((2.0 * xs / width - 1.0)[:, None, :], (len(boxes), height, width))
    return torch.from_numpy(np.stack([gx, gy], axis=-1).astype(np.float32))


def crop_resize(image: torch.Tensor, target: torch.Tensor, boxes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample ``image`` (B, C, H, W) bilinearly and ``target`` (B, H, W) bool by nearest
    neighbour from the same boxes (B, 4) ``(top, left, h, w)`` to (H, W)."""
    _b, _c, h, w = image.shape
    grid = crop_grid(boxes, h, w).to(image.device)
    out = F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    mask = F.grid_sample(target.float().unsqueeze(1), grid, mode="nearest", padding_mode="border",
                         align_corners=False).squeeze(1) > 0.5
    return out.to(image.dtype), mask


def grey(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W) luma."""
    w = torch.tensor(GREY, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def colour_jitter(x: torch.Tensor, brightness: torch.Tensor, contrast: torch.Tensor,
                  saturation: torch.Tensor) -> torch.Tensor:
    """Brightness, contrast, saturation factors (B,) applied in that order to ``x`` (B, 3, H, W)
    in [0, 1], clipped to [0, 1] after each step (a factor of 1 leaves a step's input as is, up
    to rounding)."""
    f = lambda v: v.to(x.device, x.dtype).view(-1, 1, 1, 1)     # noqa: E731
    x = (x * f(brightness)).clamp(0.0, 1.0)
    m = grey(x).mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - m) * f(contrast) + m).clamp(0.0, 1.0)
    g = grey(x)
    return ((x - g) * f(saturation) + g).clamp(0.0, 1.0)


# ------------------------------------------------------------------------------------------------
# Audio: waveforms (B, 2, L) (channels L, R); spectrogram masks (B, n_mels, T)
# ------------------------------------------------------------------------------------------------
def time_shift(wave: torch.Tensor, shifts: Sequence[int], mode: str = "circular") -> torch.Tensor:
    """Shift each sample's waveform (B, C, L) by ``shifts[i]`` samples (positive = later), the
    same shift for all its channels; ``circular`` rolls, ``zero`` fills the vacated samples with 0."""
    b, c, n = wave.shape
    s = torch.as_tensor(np.asarray(shifts, np.int64), device=wave.device).view(b, 1)
    src = torch.arange(n, device=wave.device).view(1, n) - s                     # (B, L) source index
    out = wave.gather(2, (src % n).unsqueeze(1).expand(b, c, n))
    if mode == "zero":
        out = out * ((src >= 0) & (src < n)).unsqueeze(1).to(wave.dtype)
    elif mode != "circular":
        raise ValueError(f"time shift mode must be circular or zero (got {mode!r})")
    return out


def make_noise(rng: np.random.Generator, channels: int, length: int, kind: str = "white") -> np.ndarray:
    """(channels, length) float32 Gaussian noise with unit mean power per channel, independent
    between channels; ``pink``: power spectral density proportional to 1/f (DC removed)."""
    x = rng.standard_normal((channels, length))
    if kind == "pink":
        spec = np.fft.rfft(x, axis=1)
        f = np.arange(spec.shape[1], dtype=np.float64)
        f[0] = np.inf                          # no DC
        spec = spec / np.sqrt(f)
        x = np.fft.irfft(spec, n=length, axis=1)
    elif kind != "white":
        raise ValueError(f"noise kind must be white or pink (got {kind!r})")
    x = x / np.sqrt(np.maximum((x ** 2).mean(axis=1, keepdims=True), 1e-20))
    return x.astype(np.float32)


def add_noise(wave: torch.Tensor, noise: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    """``wave`` (B, C, L) plus unit-power ``noise`` (B, C, L) scaled to ``snr_db`` (B,) below the
    sample's mean power over all channels (a silent sample stays silent)."""
    power = wave.float().pow(2).mean(dim=(1, 2))
    scale = torch.sqrt(power / torch.pow(10.0, snr_db.to(wave.device).float() / 10.0))
    return (wave + noise.to(wave.device, wave.dtype) * scale.view(-1, 1, 1).to(wave.dtype))


def spectrogram_keep(rng: np.random.Generator, n_mels: int, frames: int, freq_masks: int, freq_width: int,
                     time_masks: int, time_width: int) -> np.ndarray:
    """(n_mels, frames) bool, False inside ``freq_masks`` bands of 0..``freq_width`` mel bands and
    ``time_masks`` spans of 0..``time_width`` frames (widths and starts uniform; SpecAugment)."""
    keep = np.ones((n_mels, frames), bool)
    for _ in range(freq_masks):
        w = int(rng.integers(0, min(freq_width, n_mels) + 1))
        f0 = int(rng.integers(0, n_mels - w + 1))
        keep[f0:f0 + w, :] = False
    for _ in range(time_masks):
        w = int(rng.integers(0, min(time_width, frames) + 1))
        t0 = int(rng.integers(0, frames - w + 1))
        keep[:, t0:t0 + w] = False
    return keep


# ------------------------------------------------------------------------------------------------
# A run's augmentations
# ------------------------------------------------------------------------------------------------
class BatchAugmenter:
    """The augmentations of ``data.augment`` for a run (``seed``), applied to batches of table
    ``rows`` in ``epoch``. ``spec_shape``: (n_mels, frames) of the model's spectrogram (needed
    only for SpecAugment). An augmenter whose probabilities are all 0 is inactive and never called."""

    def __init__(self, cfg_augment: dict, seed: int, sample_rate: int, spec_shape: tuple[int, int] | None = None):
        self.cfg = cfg_augment
        self.seed = int(seed)
        self.sample_rate = int(sample_rate)
        self.spec_shape = spec_shape

    def _on(self, name: str) -> bool:
        return float(self.cfg[name]["p"]) > 0.0

    @property
    def image_active(self) -> bool:
        return self._on("crop") or self._on("colour_jitter")

    @property
    def audio_active(self) -> bool:
        return self._on("time_shift") or self._on("additive_noise")

    @property
    def spec_active(self) -> bool:
        return self._on("spec_augment")

    @property
    def active(self) -> bool:
        return self.image_active or self.audio_active or self.spec_active

    def _draws(self, name: str, rows: Sequence[int], epoch: int) -> tuple[np.ndarray, list[np.random.Generator]]:
        """Which rows ``name`` applies to, and each row's generator (positioned after that draw)."""
        rngs = [sample_rng(self.seed, epoch, r, name) for r in np.asarray(rows).ravel()]
        p = float(self.cfg[name]["p"])
        chosen = np.array([rng.random() < p for rng in rngs], bool)
        return chosen, rngs

    # -- the draws (one entry per row: None where the augmentation is not applied) --
    def crop_boxes(self, rows: Sequence[int], epoch: int, height: int, width: int) -> list[tuple | None]:
        """Crop boxes ``(top, left, h, w)`` in pixels of an ``height`` x ``width`` image."""
        c = self.cfg["crop"]
        chosen, rngs = self._draws("crop", rows, epoch)
        return [crop_box(rng, height, width, c["scale"], c["ratio"], bool(c["keep_centre"])) if on else None
                for rng, on in zip(rngs, chosen)]

    def jitter_factors(self, rows: Sequence[int], epoch: int) -> list[tuple | None]:
        """(brightness, contrast, saturation) factors."""
        j = self.cfg["colour_jitter"]
        chosen, rngs = self._draws("colour_jitter", rows, epoch)
        return [tuple(rng.uniform(max(0.0, 1.0 - float(j[k])), 1.0 + float(j[k]))
                      for k in ("brightness", "contrast", "saturation")) if on else None
                for rng, on in zip(rngs, chosen)]

    def time_shifts(self, rows: Sequence[int], epoch: int) -> list[int | None]:
        """Shifts in samples (positive = later)."""
        n = int(round(float(self.cfg["time_shift"]["max_s"]) * self.sample_rate))
        chosen, rngs = self._draws("time_shift", rows, epoch)
        return [int(rng.integers(-n, n + 1)) if on else None for rng, on in zip(rngs, chosen)]

    def noise_draws(self, rows: Sequence[int], epoch: int, channels: int, length: int) -> list[tuple | None]:
        """(SNR in dB, unit-power noise (channels, length) float32)."""
        an = self.cfg["additive_noise"]
        lo, hi = (float(v) for v in an["snr_db"])
        chosen, rngs = self._draws("additive_noise", rows, epoch)
        return [(rng.uniform(lo, hi), make_noise(rng, channels, length, an["kind"])) if on else None
                for rng, on in zip(rngs, chosen)]

    # -- images --
    def image(self, x: torch.Tensor, target: torch.Tensor, has_target: torch.Tensor, rows: Sequence[int],
              epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Crop and colour jitter of ``x`` (B, 3, H, W) in [0, 1] with its ``target`` masks
        (B, H, W) bool and ``has_target`` (B,) bool; returns new tensors (rows not augmented are
        copied unchanged)."""
        x, target, has_target = x.clone(), target.clone(), has_target.clone()
        if self._on("crop"):
            boxes = self.crop_boxes(rows, epoch, *x.shape[-2:])
            chosen = [i for i, b in enumerate(boxes) if b is not None]
            if chosen:
                idx = torch.tensor(chosen, device=x.device)
                had = target[idx].flatten(1).any(dim=1)
                xi, ti = crop_resize(x[idx], target[idx], np.array([boxes[i] for i in chosen]))
                x[idx], target[idx] = xi, ti
                # the whole target cut out: the sound is now off-screen
                has_target[idx] = has_target[idx] & ~(had & ~ti.flatten(1).any(dim=1))
        if self._on("colour_jitter"):
            factors = self.jitter_factors(rows, epoch)
            chosen = [i for i, f in enumerate(factors) if f is not None]
            if chosen:
                idx = torch.tensor(chosen, device=x.device)
                f = torch.tensor([factors[i] for i in chosen], dtype=torch.float32)
                x[idx] = colour_jitter(x[idx], f[:, 0], f[:, 1], f[:, 2])
        return x, target, has_target

    # -- waveforms --
    def audio(self, wave: torch.Tensor, rows: Sequence[int], epoch: int) -> torch.Tensor:
        """Time shift then additive noise of ``wave`` (B, 2, L); returns a new tensor."""
        wave = wave.clone()
        if self._on("time_shift"):
            shifts = self.time_shifts(rows, epoch)
            chosen = [i for i, s in enumerate(shifts) if s is not None]
            if chosen:
                idx = torch.tensor(chosen, device=wave.device)
                wave[idx] = time_shift(wave[idx], [shifts[i] for i in chosen], self.cfg["time_shift"]["mode"])
        if self._on("additive_noise"):
            draws = self.noise_draws(rows, epoch, *wave.shape[1:])
            chosen = [i for i, d in enumerate(draws) if d is not None]
            if chosen:
                idx = torch.tensor(chosen, device=wave.device)
                noise = torch.from_numpy(np.stack([draws[i][1] for i in chosen]))
                snr = torch.tensor([draws[i][0] for i in chosen], dtype=torch.float64)
                wave[idx] = add_noise(wave[idx], noise, snr)
        return wave

    # -- spectrograms --
    def spectrogram_keep(self, rows: Sequence[int], epoch: int) -> torch.Tensor | None:
        """(B, n_mels, T) bool SpecAugment masks (False = masked) of ``rows``, all True for rows
        not chosen; None when SpecAugment is off."""
        if not self._on("spec_augment"):
            return None
        if self.spec_shape is None:
            raise ValueError("SpecAugment needs the spectrogram shape (n_mels, frames)")
        s = self.cfg["spec_augment"]
        m, t = self.spec_shape
        chosen, rngs = self._draws("spec_augment", rows, epoch)
        keep = np.ones((len(rngs), m, t), bool)
        for i, (rng, on) in enumerate(zip(rngs, chosen)):
            if on:
                keep[i] = spectrogram_keep(rng, m, t, int(s["freq_masks"]), int(s["freq_width"]),
                                           int(s["time_masks"]), int(s["time_width"]))
        return torch.from_numpy(keep)
