"""``hrtf``: binaural through a measured HRTF (``listener.sofa``; the bundled MIT KEMAR by
default). Each arrival is filtered by the interpolated HRIR pair of its direction of arrival in the
head frame and delayed by its ear delays (renderers/acoustic/hrtf.py)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from simulator.core.scene import Listener

from ..late import hrtf_mixing
from .base import HeadModel, PreparedHead

#: A source closer than this to the head centre (metres) is inside the ``hrtf`` head.
MIN_HRTF_DISTANCE_M = 0.1
#: Half the distance between the KEMAR's ear microphones: the ``hrtf`` head's ears must be in the room.
HRTF_EAR_OFFSET_M = 0.09


class HrtfHead(HeadModel):
    name = "hrtf"
    channels = 2

    def prepare(self, listener: Listener, rotation: np.ndarray, half_width: int,
                load_hrtf: Callable[[Listener], Any]) -> PreparedHead:
        hrtf = load_hrtf(listener)
        return PreparedHead(self, 2, np.zeros((2, 3)), rotation, hrtf, half_width - 1 + hrtf.max_advance_samples, 0.0)

    def points(self, head: PreparedHead) -> np.ndarray:
        return np.array([[0.0, HRTF_EAR_OFFSET_M, 0.0], [0.0, -HRTF_EAR_OFFSET_M, 0.0]])

    def check_source(self, p: np.ndarray, head: PreparedHead, where: str) -> None:
        r0 = float(np.linalg.norm(p))
        if r0 < MIN_HRTF_DISTANCE_M:
            raise ValueError(f"{where} {tuple(p.tolist())} is {r0:.3f} m from the head centre, inside the "
                             f"'hrtf' head (minimum {MIN_HRTF_DISTANCE_M} m)")

    def receivers(self, head: PreparedHead, listener_room: np.ndarray) -> np.ndarray:
        return listener_room[None, :]

    def taps_after(self, head: PreparedHead, half_width: int) -> int:
        return half_width + 1 + head.hrtf.num_taps

    def accumulate(self, out, head, sample_rate, c, air, listener_room, positions, gains, visible, lead, design,
                   interpolation) -> None:
        if positions.shape[0] == 0:
            return
        fs = sample_rate
        rel = positions - listener_room
        r = np.linalg.norm(rel, axis=1)
        u = (rel @ head.rotation) / r[:, None]
        amp = gains / r[:, None]
        if np.any(air):
            amp = amp * np.exp(-0.5 * air[None, :] * r[:, None])
        if visible is not None:
            amp = amp * visible[0][:, None]
        _accumulate_points(out, head, fs, u, lead + r * (fs / c), amp, design, interpolation)

    def accumulate_directional(self, out, head, sample_rate, c, times, dirs_world, amps_band, lead, design,
                               interpolation) -> None:
        if times.shape[0] == 0:
            return
        fs = sample_rate
        u = dirs_world @ head.rotation
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        _accumulate_points(out, head, fs, u, lead + times * fs, amps_band, design, interpolation)

    def diffuse_mixing(self, head, freqs_hz, c):
        return hrtf_mixing(freqs_hz, head.hrtf)

    def diffuse_power(self, head: PreparedHead, sample_rate: int) -> float:
        p_l, p_r, _ = head.hrtf.diffuse_field(np.fft.rfftfreq(1024, 1.0 / sample_rate))
        return float(np.mean(0.5 * (p_l + p_r)))


def _accumulate_points(out: np.ndarray, head: PreparedHead, fs: int, u: np.ndarray, t_centre: np.ndarray,
                       amp: np.ndarray, design, interpolation: str) -> None:
    """``out`` (B, 2, L) += arrivals from head-frame unit directions ``u`` (A, 3) that reach the
    head centre at ``t_centre`` (A,) samples of ``out`` with amplitudes ``amp`` (A, B), through
    the interpolated HRIRs and ear delays (one compiled call: lookup, delays, accumulation)."""
    from ..hrtf import INTERPOLATIONS
    from ..kernels import accumulate_hrtf_points  # Numba loads when sound is rendered, not when a spec is read

    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"HRTF interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    hrtf = head.hrtf
    f64 = np.float64
    accumulate_hrtf_points(out, np.ascontiguousarray(u, dtype=f64), np.ascontiguousarray(t_centre, dtype=f64),
                           np.ascontiguousarray(amp, dtype=f64), float(fs), float(hrtf.align_samples),
                           *hrtf.lookup_tables(), interpolation == "nearest", hrtf.n_measured, hrtf.ear_delay_s,
                           hrtf.aligned, design.half_width, design.window_table, design.oversampling)
