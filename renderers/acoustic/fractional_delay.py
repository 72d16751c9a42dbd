"""Band-limited fractional delays: Kaiser-windowed sinc FIR design and arrival accumulation.

A sound that arrives ``d`` samples after t = 0 (``d`` real, not an integer) with amplitude ``a``
is written into an impulse response as ``a * h_d[n]`` where ``h_d`` is a windowed-sinc
interpolator centred on ``d``:

    h_d[n] = sinc(n - d) * w(n - d),       n = floor(d) - H + 1, ..., floor(d) + H

* ``sinc(t) = sin(pi t) / (pi t)`` with cut-off at the Nyquist frequency (0.5 fs), so an integer
  delay gives exactly one tap (every other sample falls on a zero of the sinc).
* ``w(t) = I0(beta * sqrt(1 - (t / H)^2)) / I0(beta)`` is a Kaiser window of half-width ``H``
  (continuous in ``t``, so the window slides with the fractional part of the delay).
* Taps: ``2 H`` (default ``H = 16``: 32 taps), ``beta = 9.5``.
* Group delay: exactly ``d`` samples. The filter is centred on the arrival, not made causal by an
  extra latency: an arrival at ``d`` has taps from ``floor(d) - H + 1`` to ``floor(d) + H``.
  :func:`accumulate_arrivals` drops taps that fall outside the output array, so an arrival
  earlier than ``H - 1`` samples (closer than ``(H - 1) c / fs`` metres: 0.32 m at 16 kHz) loses
  its first taps unless the caller shifts every arrival by a lead of ``H - 1`` samples and removes
  that lead after convolving, as :func:`delay_signal` and the free-field renderer do (integer
  delays never need it).

Accuracy (``FractionalDelayDesign.max_error_db``; the complex response error
``max |H_d(f) - exp(-2 pi i f d)|`` over ``0 <= f <= f_max`` and all fractional parts ``d``):
with the defaults, -93 dB up to 0.35 fs, -89 dB up to 0.40 fs, -50 dB up to 0.42 fs; above that
the response rolls off (the transition band is 0.4 to 0.6 fs), reaching -6 dB at the Nyquist
frequency. Sample
rates of 16 kHz and up therefore delay everything below 6.4 kHz (16 kHz) or 19.2 kHz (48 kHz)
with errors well below audibility and below any localisation cue. The window is read from a table
(``oversampling`` = 256 points per sample, linear interpolation; error below 1e-7 of the peak),
the sinc is computed exactly.

:func:`accumulate_arrivals` is the kernel that renderers use to build impulse responses from any
number of arrivals (direct paths, image sources). It is a Numba ``@njit(cache=True)`` loop,
which measured faster than the vectorised numpy equivalent (:func:`accumulate_arrivals_numpy`,
kept as the reference, exact window) both for one arrival (2 us against 180 us per call) and for
5000 arrivals (0.7 ms against 20 ms) into an 8100-sample response on a 2-core machine; the two
agree to 1e-7 of the peak.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

__all__ = [
    "FractionalDelayDesign",
    "DEFAULT_DESIGN",
    "fractional_delay_taps",
    "sinc_taps",
    "accumulate_arrivals",
    "accumulate_arrivals_numpy",
    "delay_signal",
]


@dataclass(frozen=True)
class FractionalDelayDesign:
    """Kaiser-windowed sinc fractional-delay interpolator.

    ``half_width`` H: the filter has ``2 H`` taps. ``beta``: the Kaiser window's shape parameter.
    ``oversampling``: table points per sample for the window used by the Numba kernel.
    """

    half_width: int = 16
    beta: float = 9.5
    oversampling: int = 256
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if int(self.half_width) != self.half_width or self.half_width < 1:
            raise ValueError(f"half_width must be a positive integer, got {self.half_width!r}")
        if not self.beta >= 0:
            raise ValueError(f"beta must be >= 0, got {self.beta!r}")
        if int(self.oversampling) != self.oversampling or self.oversampling < 1:
            raise ValueError(f"oversampling must be a positive integer, got {self.oversampling!r}")
        # Window table over |t| in [0, H], plus one padding entry for the interpolation at |t| = H.
        u = np.arange(self.half_width * self.oversampling + 2, dtype=np.float64) / self.oversampling
        table = self.window(u)
        object.__setattr__(self, "_table", np.ascontiguousarray(table))

    @property
    def num_taps(self) -> int:
        return 2 * self.half_width

    def window(self, t: np.ndarray) -> np.ndarray:
        """Kaiser window at continuous offsets ``t`` (samples) from the centre; 0 for |t| > H."""
        t = np.asarray(t, dtype=np.float64)
        x = 1.0 - (t / self.half_width) ** 2
        return np.where(x >= 0.0, np.i0(self.beta * np.sqrt(np.clip(x, 0.0, None))) / np.i0(self.beta), 0.0)

    @property
    def window_table(self) -> np.ndarray:
        """The window sampled at ``|t| = j / oversampling`` (read-only use)."""
        return self._table

    def frequency_response(self, delay: float, freqs: np.ndarray) -> np.ndarray:
        """Complex response of the interpolator for ``delay`` at normalised frequencies (cycles/sample)."""
        start, taps = fractional_delay_taps(np.array([delay]), self)
        n = start[0] + np.arange(self.num_taps)
        return np.exp(-2j * np.pi * np.asarray(freqs, float)[:, None] * n[None, :]) @ taps[0]

    def max_error_db(self, f_max: float = 0.4, n_freqs: int = 401, n_fracs: int = 64) -> float:
        """Worst complex error ``20 log10 max |H_d(f) - exp(-2 pi i f d)|`` for f in [0, f_max]
        (cycles/sample) over ``n_fracs`` fractional parts of the delay."""
        freqs = np.linspace(0.0, f_max, n_freqs)
        worst = 0.0
        for frac in np.arange(n_fracs) / n_fracs:
            err = np.abs(self.frequency_response(frac, freqs) - np.exp(-2j * np.pi * freqs * frac))
            worst = max(worst, float(err.max()))
        return 20.0 * np.log10(max(worst, 1e-300))


DEFAULT_DESIGN = FractionalDelayDesign()


def fractional_delay_taps(delays: np.ndarray, design: FractionalDelayDesign = DEFAULT_DESIGN
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Interpolator taps for each delay (samples), vectorised.

    Returns ``(start, taps)``: ``start`` (M,) int64, the sample index of each filter's first tap
    (``floor(d) - H + 1``), and ``taps`` (M, 2H) float64. Integer delays give a single unit tap.
    Uses the exact Kaiser window (no table).
    """
    d = np.atleast_1d(np.asarray(delays, dtype=np.float64))
    if not np.all(np.isfinite(d)):
        raise ValueError("delays must be finite")
    h = design.half_width
    n0 = np.floor(d)
    frac = d - n0
    k = np.arange(-h + 1, h + 1, dtype=np.float64)
    t = k[None, :] - frac[:, None]
    taps = np.sinc(t) * design.window(t)
    return (n0.astype(np.int64) - h + 1), taps


@njit(cache=True, nogil=True)
def sinc_taps(d, half_width, table, oversampling, taps):  # pragma: no cover - compiled
    """Fill ``taps`` (2H) with the interpolator for delay ``d`` samples (window from ``table``);
    return (index of the first tap, single): ``single`` for an integer delay, whose only tap
    (1 at index ``floor(d)``) is not written. The one place the Numba kernels compute taps."""
    n0f = np.floor(d)
    frac = d - n0f
    n0 = int(n0f)
    if frac == 0.0:
        return n0, True
    # sinc(k - frac) = -(-1)^k sin(pi frac) / (pi (k - frac)); sin(pi frac) is taken as
    # sin(pi (1 - frac)) above 0.5 (1 - frac is exact there) so that delays a hair below an
    # integer keep full relative precision in their main tap.
    pi = np.pi
    if frac <= 0.5:
        s = np.sin(pi * frac) / pi
    else:
        s = np.sin(pi * (1.0 - frac)) / pi
    for i in range(2 * half_width):
        k = i - half_width + 1
        t = k - frac
        u = abs(t) * oversampling
        j = int(u)
        r = u - j
        w = table[j] + r * (table[j + 1] - table[j])
        v = s * w / t
        if k % 2 == 0:
            taps[i] = -v
        else:
            taps[i] = v
    return n0 - half_width + 1, False


@njit(cache=True, nogil=True)
def _accumulate_kernel(out, delays, amplitudes, half_width, table, oversampling):  # pragma: no cover - compiled
    n_out = out.shape[0]
    for i in range(delays.shape[0]):
        if not (np.isfinite(delays[i]) and np.isfinite(amplitudes[i])):
            raise ValueError("delays and amplitudes must be finite")
    taps = np.empty(2 * half_width)
    for i in range(delays.shape[0]):
        a = amplitudes[i]
        start, single = sinc_taps(delays[i], half_width, table, oversampling, taps)
        if single:
            if 0 <= start < n_out:
                out[start] += a
            continue
        for j in range(max(0, -start), min(2 * half_width, n_out - start)):
            out[start + j] += a * taps[j]


def accumulate_arrivals(out: np.ndarray, delays: np.ndarray, amplitudes: np.ndarray,
                        design: FractionalDelayDesign = DEFAULT_DESIGN) -> np.ndarray:
    """Add arrivals into the impulse response ``out`` in place and return it.

    ``out``: 1-D float64 C-contiguous array (the response, sample 0 = t 0). ``delays``: arrival
    times in samples (float, any number, any order). ``amplitudes``: one per delay. Each arrival
    adds ``amplitude * h_delay`` (module docstring); taps outside ``[0, len(out))`` are dropped.
    """
    if not (type(out) is np.ndarray and out.ndim == 1 and out.dtype == np.float64
            and out.flags.c_contiguous and out.flags.writeable):
        raise TypeError("out must be a writeable, C-contiguous 1-D float64 array")
    d = np.ascontiguousarray(delays, dtype=np.float64).reshape(-1)
    a = np.ascontiguousarray(amplitudes, dtype=np.float64).reshape(-1)
    if d.shape != a.shape:
        raise ValueError(f"delays and amplitudes must have the same length, got {d.shape} and {a.shape}")
    _accumulate_kernel(out, d, a, design.half_width, design.window_table, design.oversampling)
    return out


def accumulate_arrivals_numpy(out: np.ndarray, delays: np.ndarray, amplitudes: np.ndarray,
                              design: FractionalDelayDesign = DEFAULT_DESIGN) -> np.ndarray:
    """Vectorised numpy reference for :func:`accumulate_arrivals` (exact window, slower)."""
    d = np.atleast_1d(np.asarray(delays, dtype=np.float64))
    a = np.atleast_1d(np.asarray(amplitudes, dtype=np.float64))
    if d.shape != a.shape:
        raise ValueError(f"delays and amplitudes must have the same shape, got {d.shape} and {a.shape}")
    start, taps = fractional_delay_taps(d, design)
    idx = start[:, None] + np.arange(design.num_taps)[None, :]
    vals = taps * a[:, None]
    keep = (idx >= 0) & (idx < out.shape[0])
    out += np.bincount(idx[keep], weights=vals[keep], minlength=out.shape[0])[: out.shape[0]]
    return out


def delay_signal(x: np.ndarray, delay: float, design: FractionalDelayDesign = DEFAULT_DESIGN) -> np.ndarray:
    """Delay a 1-D signal by ``delay`` samples (>= 0) with the interpolator; same length as ``x``.

    The whole interpolator is applied, including its taps before the arrival (read from later
    samples of ``x``), so small delays are as accurate as large ones. The signal is taken as zero
    outside ``x``: the first ``delay + H`` and the last ``H`` output samples carry edge effects.
    """
    from scipy.signal import oaconvolve

    if not (np.isfinite(delay) and delay >= 0):
        raise ValueError(f"delay must be a finite number >= 0, got {delay}")
    x = np.asarray(x, dtype=np.float64)
    lead = design.half_width - 1  # the interpolator's taps before the arrival are kept
    h = np.zeros(lead + int(np.floor(delay)) + design.half_width + 1)
    accumulate_arrivals(h, np.array([delay + lead]), np.array([1.0]), design)
    return oaconvolve(x, h)[lead: lead + x.shape[0]]
