"""Late reverberation: octave-band masks, diffuse-field binaural noise and the stochastic tail.

Statistical model (diffuse field, Eyring decay). Image sources at distance ``ct`` have amplitude
``1/(ct)``; there are ``4 pi (ct)^2 c dt / V`` of them in ``[t, t + dt]`` and each has met on average
``ct S / (4V)`` walls. So the squared impulse response of an omnidirectional receiver has the
expectation

    E[h(t)^2] = (4 pi c / (V fs)) * exp(-k_b t)     per sample, in band b,

with ``k_b = ln(10^6) / RT60_b`` (:mod:`.rooms`). The tail is Gaussian noise with that envelope
in every octave band (one white noise shaped per band by amplitude-complementary band masks, so
equal decays in all bands give exactly white noise), faded in with a raised cosine over
``[t_a, t_b]`` while the image sources are faded out (energy-complementary: amplitude weights
sqrt(w) and sqrt(1 - w)), where ``t_b`` is the time up to which the image sources of the chosen
order are complete. The renderer passes a per-band ``scale`` that matches the tail's level to the
image sources' energy just before the crossover (a shoebox's image sources are not diffuse and
typically lie 1-5 dB above the statistical level there); the decay rate is always the room's.

Binaural / two-ear tails keep the diffuse field's inter-ear statistics: two independent noises
n1, n2 are mixed per frequency by the Cholesky factor G of the diffuse field's 2x2 cross-spectral
matrix ``[[P_L, C], [conj(C), P_R]]`` (``L = G11 n1``, ``R = G21 n1 + G22 n2``):

* ``spaced`` (two omni ears d apart): P_L = P_R = 1, C = sin(kd) / (kd), k = 2 pi f / c
  (the coherence of an isotropic field);
* ``hrtf``: P_L, P_R, C are solid-angle-weighted sums over the measured HRTFs (their ear delays
  included), :meth:`renderers.acoustic.hrtf.HRTF.diffuse_field`, so the tail has the HRTF's
  diffuse-field spectrum and interaural coherence;
* ``mono``: one channel, P = 1.
"""
from __future__ import annotations

import numpy as np
from scipy import fft as sfft

__all__ = ["band_masks", "mono_mixing", "spaced_mixing", "hrtf_mixing", "fade_weights", "stochastic_tail",
           "diffuse_noise"]


def band_masks(n_fft: int, sample_rate: float, centres: np.ndarray) -> np.ndarray:
    """Zero-phase octave-band masks (B, n_fft // 2 + 1) on ``rfftfreq(n_fft, 1/fs)`` summing to 1.

    Band b is ``s_b - s_{b+1}`` with ``s_k`` a raised-cosine step in log2 frequency from band
    centre k - 1 to band centre k (s_0 = 1, s_B = 0), so neighbouring bands cross at the
    geometric mean of their centres and each mask is 1 at its own centre.
    """
    f = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    b = len(centres)
    if b == 1:
        return np.ones((1, f.shape[0]))
    logf = np.log2(np.maximum(f, 1e-3))
    steps = [np.ones_like(f)]
    for k in range(1, b):
        lo, hi = np.log2(centres[k - 1]), np.log2(centres[k])
        x = np.clip((logf - lo) / (hi - lo), 0.0, 1.0)
        steps.append(0.5 - 0.5 * np.cos(np.pi * x))
    steps.append(np.zeros_like(f))
    return np.array([steps[k] - steps[k + 1] for k in range(b)])


def mono_mixing(freqs_hz: np.ndarray) -> tuple[np.ndarray]:
    """One channel: the diffuse field as it is, (ones,)."""
    return (np.ones_like(np.asarray(freqs_hz, float)),)


def spaced_mixing(freqs_hz: np.ndarray, spacing_m: float, c: float) -> tuple[np.ndarray, ...]:
    """Two omni ears ``spacing_m`` apart: the isotropic field's coherence sin(kd) / (kd) (module doc)."""
    f = np.asarray(freqs_hz, float)
    coh = np.sinc(2.0 * f * spacing_m / c)  # sin(kd)/(kd) with np.sinc(x) = sin(pi x)/(pi x)
    return np.ones_like(f), coh.astype(complex), np.sqrt(np.maximum(1.0 - coh ** 2, 0.0))


def hrtf_mixing(freqs_hz: np.ndarray, hrtf) -> tuple[np.ndarray, ...]:
    """Binaural: the HRTF's diffuse-field powers and cross-spectrum (module doc)."""
    f = np.asarray(freqs_hz, float)
    p_l, p_r, cross = hrtf.diffuse_field(f)
    p_l = np.maximum(p_l, 1e-12)
    g11 = np.sqrt(p_l)
    g21 = np.conj(cross) / g11
    g22 = np.sqrt(np.maximum(p_r - np.abs(cross) ** 2 / p_l, 0.0))
    return g11, g21, g22


def fade_weights(times_s: np.ndarray, t_a: float, t_b: float) -> np.ndarray:
    """Raised-cosine fade-in weight w(t): 0 before t_a, 1 after t_b."""
    if t_b <= t_a:
        return (times_s >= t_b).astype(float)
    x = np.clip((times_s - t_a) / (t_b - t_a), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _mix(spectra: list[np.ndarray], mixing: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    if len(mixing) == 1:
        return [spectra[0] * mixing[0]]
    g11, g21, g22 = mixing
    return [g11 * spectra[0], g21 * spectra[0] + g22 * spectra[1]]


def stochastic_tail(length: int, lead: int, sample_rate: int, *, volume: float, c: float, decay: np.ndarray,
                    centres: np.ndarray, t_a: float, t_b: float, n_channels: int, mixing_fn, rng: np.random.Generator,
                    mask_cache: dict | None = None, scale: np.ndarray | None = None) -> np.ndarray:
    """The tail (C, length) on the impulse-response axis (index i is t = (i - lead) / fs).

    ``decay`` (B,) energy decay rates (1/s) of the bands centred at ``centres``; ``scale`` (B,)
    optional amplitude factors on the statistical level per band; ``mixing_fn(freqs)`` returns
    a head model's ``diffuse_mixing`` tuple (one of the ``*_mixing`` functions). Noise comes from ``rng`` only.
    """
    fs = float(sample_rate)
    start = max(0, int(np.floor(t_a * fs)) + lead)
    if start >= length:
        return np.zeros((n_channels, length))
    seg = length - start
    t = (np.arange(start, length) - lead) / fs
    w = fade_weights(t, t_a, t_b)
    level = np.sqrt(4.0 * np.pi * c / (volume * fs)) * (np.ones(decay.shape[0]) if scale is None
                                                          else np.asarray(scale, float))
    n_src = 1 if n_channels == 1 else 2
    noise = rng.standard_normal((n_src, seg))
    pad = min(2048, seg)
    n_fft = sfft.next_fast_len(seg + pad, real=True)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    b = decay.shape[0]
    if b == 1:
        env = level[0] * np.sqrt(w) * np.exp(-0.5 * decay[0] * t)
        spectra = [sfft.rfft(env * noise[i], n_fft) for i in range(n_src)]
    else:
        key = (n_fft, fs, tuple(np.round(centres, 6)))
        masks = None if mask_cache is None else mask_cache.get(key)
        if masks is None:
            masks = band_masks(n_fft, fs, centres)
            if mask_cache is not None:
                mask_cache[key] = masks
        spectra = []
        for i in range(n_src):
            acc = np.zeros(freqs.shape[0], dtype=complex)
            for k in range(b):
                env = level[k] * np.sqrt(w) * np.exp(-0.5 * decay[k] * t)
                acc += masks[k] * sfft.rfft(env * noise[i], n_fft)
            spectra.append(acc)
    out_spec = _mix(spectra, mixing_fn(freqs))
    out = np.zeros((n_channels, length))
    for ch in range(n_channels):
        out[ch, start:] = sfft.irfft(out_spec[ch], n_fft)[:seg]
    return out


def diffuse_noise(n: int, n_channels: int, sample_rate: int, mixing_fn, rng: np.random.Generator) -> np.ndarray:
    """Stationary diffuse background noise (C, n) with the head's diffuse-field coherence, unit
    mean power over the channels before the caller scales it."""
    if n == 0:
        return np.zeros((n_channels, 0))
    n_src = 1 if n_channels == 1 else 2
    noise = rng.standard_normal((n_src, n))
    n_fft = sfft.next_fast_len(n, real=True)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    spectra = [sfft.rfft(noise[i], n_fft) for i in range(n_src)]
    out_spec = _mix(spectra, mixing_fn(freqs))
    out = np.stack([sfft.irfft(s, n_fft)[:n] for s in out_spec])
    power = np.mean(out ** 2)
    return out / np.sqrt(power) if power > 0 else out
