"""Audio front ends (torch, computed on the fly on the model's device, always in float32).

* ``LogMel``: log-mel spectrogram of a mono waveform ``(B, L) -> (B, 1, n_mels, T)``.
* ``InterauralSpectrogram``: the two-channel front end of the ``stereo_ipd`` model,
  ``(B, 2, L) -> (B, 4, n_mels, T)`` with channels

  0. log-mel of the mean power of both ears (what the sound is),
  1. interaural level difference per mel band, ``log mel_L - log mel_R`` (dB-like, natural log),
  2. and 3. interaural phase difference per STFT bin as ``cos`` and ``sin`` of
     ``angle(X_L conj(X_R))``, weighted by the bin's share of the band's energy and pooled into
     mel bands.

  With the free-field spaced-ears renderer the interaural time difference is up to about
  0.5 ms (8 samples at 16 kHz), which shows as an IPD that grows linearly with frequency, unwrapped
  below about 1 kHz; the level difference is small. Swapping L and R negates channels 1 and 3
  and leaves 0 and 2 unchanged.

The mel filterbank is the HTK-formula triangular bank (slaney-style area normalisation off),
built in numpy so that no torchaudio is needed.

``mask_spectrogram`` applies SpecAugment masks (training/augment.py draws them) to a front end's
output: one (mel band x frame) mask per sample, the same for every feature channel.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

EPS = 1e-8


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters on the HTK mel scale."""
    fmax = sample_rate / 2 if fmax is None else fmax

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f, float) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (np.asarray(m, float) / 2595.0) - 1.0)

    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_mels, freqs.size))
    for m in range(n_mels):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    # a band narrower than one bin would be empty: give it its nearest bin
    for m in range(n_mels):
        if fb[m].sum() == 0:
            fb[m, int(np.argmin(np.abs(freqs - pts[m + 1])))] = 1.0
    return fb.astype(np.float32)


class _STFT(nn.Module):
    def __init__(self, sample_rate: int, n_fft: int, hop: int, n_mels: int, fmin: float, fmax: float | None):
        super().__init__()
        self.n_fft, self.hop = int(n_fft), int(hop)
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)
        self.register_buffer("fb", torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)),
                             persistent=False)

    def stft(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L) -> complex (B, F, T)."""
        return torch.stft(x.float(), self.n_fft, self.hop, window=self.window, center=True, return_complex=True)

    def mel(self, power: torch.Tensor) -> torch.Tensor:
        """(B, F, T) power -> (B, n_mels, T)."""
        return torch.einsum("mf,bft->bmt", self.fb, power)


class LogMel(_STFT):
    """(B, L) mono waveform -> (B, 1, n_mels, T) log-mel power."""

    out_channels = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            spec = self.stft(x)
            power = spec.real ** 2 + spec.imag ** 2
            return torch.log(self.mel(power) + EPS).unsqueeze(1)


class InterauralSpectrogram(_STFT):
    """(B, 2, L) stereo waveform (L, R) -> (B, 4, n_mels, T): mean log-mel, ILD, cos/sin IPD."""

    out_channels = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            b = x.shape[0]
            spec = self.stft(x.reshape(b * 2, -1).float())
            spec = spec.reshape(b, 2, *spec.shape[1:])
            left, right = spec[:, 0], spec[:, 1]
            pl = left.real ** 2 + left.imag ** 2
            pr = right.real ** 2 + right.imag ** 2
            ml, mr = self.mel(pl), self.mel(pr)
            logmean = torch.log(0.5 * (ml + mr) + EPS)
            ild = torch.log(ml + EPS) - torch.log(mr + EPS)
            cross = left * right.conj()
            mag = torch.sqrt(cross.real ** 2 + cross.imag ** 2) + EPS
            # energy-weighted mean of the unit phasor per mel band: cos/sin IPD where there is energy
            wsum = self.mel(mag) + EPS
            cos = self.mel(cross.real) / wsum
            sin = self.mel(cross.imag) / wsum
            return torch.stack([logmean, ild, cos, sin], dim=1)


def swap_channels(x: torch.Tensor) -> torch.Tensor:
    """(B, 2, L) -> the same audio with left and right exchanged (what a horizontal flip does)."""
    return x.flip(1)


def mask_spectrogram(spec: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """SpecAugment on a front end's output ``spec`` (N, C, n_mels, T) with ``keep`` (B, n_mels, T)
    bool, False where masked; N = k * B (the batch's audio then its negatives: waveform ``j`` takes
    mask ``j % B``). A masked bin takes the mean of its sample's channel over all bins, in every
    channel at once: the mean log-mel of the stereo features and the interaural channels are
    masked at the same bins, so masking never opposes one ear to the other (no false level or
    phase difference), and a constant spectrogram (silence) is left unchanged."""
    n, _c, m, t = spec.shape
    b = keep.shape[0]
    if keep.shape[1:] != (m, t) or n % b:
        raise ValueError(f"spectrogram masks of shape {tuple(keep.shape)} do not fit spectrograms of shape "
                         f"{tuple(spec.shape)} (need (B, {m}, {t}) with B dividing {n})")
    keep = keep.to(spec.device).repeat(n // b, 1, 1).unsqueeze(1)
    fill = spec.double().mean(dim=(2, 3), keepdim=True).to(spec.dtype)   # float64: a constant's mean is exact
    return torch.where(keep, spec, fill)
