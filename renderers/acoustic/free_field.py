"""Free-field (anechoic) acoustic rendering for the ``spaced`` and ``mono`` heads.

Model (units: metres, seconds, Hz; frames as in :mod:`simulator.core.geometry`):

* Sources are points; ears are omnidirectional points. Head ``spaced``: two ears at
  ``(0, +s/2, 0)`` (channel 0, LEFT) and ``(0, -s/2, 0)`` (channel 1, RIGHT), with
  ``s = listener.ear_spacing_m``; the head itself does not shadow anything (no ILD beyond the 1/r
  difference between the ears). Head ``mono``: one ear at the origin (one channel).
* Each ear receives the source's dry clip scaled by ``10 ** (gain_db / 20)`` (the source level at
  1 m) and by spherical spreading ``1 m / r`` (r = distance from the source to that ear, metres),
  delayed by ``r / c`` seconds, *absolute*: a source r metres away is first heard r/c seconds
  after t = 0. The delay is a band-limited fractional-sample delay
  (:mod:`renderers.acoustic.fractional_delay`: 32-tap Kaiser-windowed sinc, error below -85 dB up
  to 0.4 fs), so inter-aural time differences are exact to well below one sample.
* ``c`` is ``scene.room.speed_of_sound_m_s``.
* Listener orientation: the world frame is the frame of the un-rotated head. A head rotated by
  ``R = rotation_zyx(yaw_deg, pitch_deg, 0)`` (:func:`simulator.core.geometry.rotation_zyx`) hears a
  world point ``p`` at ``R.T @ p`` in its own frame. So ``yaw_deg > 0`` turns the head to the left
  and a source straight ahead in the world then appears on the head's right (-y, louder and
  earlier in the right ear); ``pitch_deg > 0`` tips the nose down (right-hand rule about +y).

Outputs are float32 with channel 0 = left ear (+y), channel 1 = right ear (-y). The impulse
responses returned in :class:`AudioRender` are the source-to-ear responses without the source's
``gain_db`` (which is applied to the clip); ``stem = gain * clip (*) impulse_response`` truncated
to the clip's length ``n = round(duration_s * sample_rate)``, and the mixture is the sum of the
stems. The dry clip is taken as silent before t = 0. For a source closer than ``(H - 1) c / fs``
(0.32 m at 16 kHz) to an ear the interpolator has taps before t = 0; the render convolves with
them (so close sources are delayed as accurately as far ones) but the returned response, which
starts at t = 0, does not hold them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import fft as sfft

from simulator.core.geometry import rotation_zyx
from simulator.core.render import AudioRender
from simulator.core.scene import Listener, Scene

from .fractional_delay import DEFAULT_DESIGN, FractionalDelayDesign, accumulate_arrivals
from .heads import HEADS
from .heads.omni import MIN_EAR_DISTANCE_M
from .room_kinds import room_kind

__all__ = ["AudioRender", "FreeFieldRenderer", "to_head_frame", "MIN_EAR_DISTANCE_M"]


def to_head_frame(listener: Listener, position_m) -> np.ndarray:
    """World point(s) (..., 3) in the frame of the listener's rotated head (``R.T @ p``)."""
    p = np.asarray(position_m, dtype=np.float64)
    if p.shape[-1:] != (3,):
        raise ValueError(f"position must have 3 coordinates (x, y, z) in metres, got shape {p.shape}")
    yaw = float(listener.yaw_deg or 0.0)
    pitch = float(listener.pitch_deg or 0.0)
    if yaw == 0.0 and pitch == 0.0:
        return p.copy()
    rot = rotation_zyx(yaw, pitch, 0.0)
    return p @ rot  # row vectors: p @ R == (R.T @ p.T).T


class FreeFieldRenderer:
    """Free-field (anechoic) rendering: point sources, omni ears, 1/r spreading, propagation delay as a
    fractional-sample delay (absolute: a source r metres away arrives r/c seconds after t=0).

    ``sample_rate`` (Hz) must equal the rendered scenes' ``audio.sample_rate``. The renderer holds
    no state besides its settings and may be reused across scenes (one per worker).
    """

    def __init__(self, sample_rate: int, design: FractionalDelayDesign = DEFAULT_DESIGN):
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
        self.sample_rate = int(sample_rate)
        self.design = design

    # -- geometry -------------------------------------------------------------------------------
    def ear_positions(self, listener: Listener) -> np.ndarray:
        """Ear positions (C, 3) in the head frame, metres (the head model's omni ears: spaced ->
        left (0, +s/2, 0) and right (0, -s/2, 0); mono -> the origin)."""
        return _omni_head(listener).omni_ears(listener)

    def ear_distances(self, listener: Listener, position_m) -> np.ndarray:
        """Distances (C,) in metres from a world point to each ear (listener rotation applied)."""
        p = to_head_frame(listener, position_m)
        if p.shape != (3,) or not np.all(np.isfinite(p)):
            raise ValueError(f"source position must be 3 finite numbers (metres), got {position_m!r}")
        return np.linalg.norm(p[None, :] - self.ear_positions(listener), axis=-1)

    # -- responses ------------------------------------------------------------------------------
    def impulse_response(self, listener: Listener, position_m, speed_of_sound: float) -> np.ndarray:
        """Source-to-ear impulse responses (C, L) float64 for a source at ``position_m`` (world
        frame, metres) and speed of sound ``speed_of_sound`` (m/s); index 0 is t = 0.

        Ear e gets ``(1 / r_e) * h(r_e fs / c)`` with ``h`` the fractional-delay interpolator;
        ``L = floor(max_e r_e fs / c) + H + 1`` so the last tap of the latest arrival fits. For a
        source closer than ``(H - 1) c / fs`` to an ear the interpolator's taps before t = 0 are
        not part of this array; :meth:`render` keeps them (it convolves with a response that
        starts ``H - 1`` samples early and drops that lead from the output).
        """
        return self._responses(listener, position_m, speed_of_sound, lead=0)

    def _responses(self, listener: Listener, position_m, speed_of_sound: float, lead: int) -> np.ndarray:
        """Responses whose index 0 is t = -lead samples."""
        c = float(speed_of_sound)
        if not (np.isfinite(c) and c > 0.0):
            raise ValueError(f"room.speed_of_sound_m_s must be a positive number (m/s), got {speed_of_sound!r}")
        r = self.ear_distances(listener, position_m)
        if np.any(r < MIN_EAR_DISTANCE_M):
            raise ValueError(f"source at {tuple(np.asarray(position_m, float).tolist())} m is within "
                             f"{MIN_EAR_DISTANCE_M} m of an ear; free-field 1/r spreading is undefined there")
        delays = r * (self.sample_rate / c)
        length = lead + int(np.floor(delays.max())) + self.design.half_width + 1
        ir = np.zeros((r.shape[0], length))
        for e in range(r.shape[0]):
            accumulate_arrivals(ir[e], delays[e:e + 1] + lead, 1.0 / r[e:e + 1], self.design)
        return ir

    # -- rendering ------------------------------------------------------------------------------
    def render(self, scene: Scene, clips: Sequence[np.ndarray]) -> AudioRender:
        """Render every source of ``scene`` with its dry clip; see the module docstring.

        ``clips[k]``: source k's dry signal (1-D float, length ``n = round(duration_s *
        sample_rate)``) at ``scene.audio.sample_rate``.
        """
        if room_kind(scene.room).bounded:
            raise ValueError(f"room.type must be an unbounded room (free_field) for FreeFieldRenderer, got "
                             f"{scene.room.type!r}")
        _omni_head(scene.listener)
        xs = dry_clips(scene, clips, self.sample_rate)
        n = int(round(float(scene.audio.duration_s) * self.sample_rate))
        n_ch = self.ear_positions(scene.listener).shape[0]
        lead = self.design.half_width - 1  # keep the interpolator's taps before t = 0
        c = scene.room.speed_of_sound_m_s
        if not (isinstance(c, (int, float, np.floating, np.integer)) and np.isfinite(c) and c > 0):
            raise ValueError(f"room.speed_of_sound_m_s must be a positive number (m/s), got {c!r}")

        mix = np.zeros((n_ch, n))
        stems: list[np.ndarray] = []
        irs: list[np.ndarray] = []
        for k, (src, (x, gain)) in enumerate(zip(scene.sources, xs)):
            try:
                ir = self._responses(scene.listener, src.position_m, c, lead=lead)
            except ValueError as err:
                raise ValueError(f"scene.sources[{k}].position_m: {err}") from None
            if n > 0:
                stems.append(convolve_clip_into(x, gain, ir, lead, n, mix))
            else:
                stems.append(np.zeros((n_ch, 0), np.float32))
            irs.append(ir[:, lead:].astype(np.float32))
        return AudioRender(mixture=mix.astype(np.float32), stems=stems, impulse_responses=irs)


def _omni_head(listener: Listener):
    """The listener's head model, which must have omni ears (``spaced``, ``mono``)."""
    omni = [name for name, model in HEADS.items() if model.omni]
    model = HEADS.get(listener.head) if listener.head in HEADS else None
    if model is None or not model.omni:
        raise ValueError(f"listener.head must be one of {tuple(omni)} for FreeFieldRenderer, got {listener.head!r} "
                         "(other heads are rendered by the room renderer)")
    return model


def dry_clips(scene: Scene, clips: Sequence[np.ndarray], sample_rate: int) -> list[tuple[np.ndarray, float]]:
    """Each source's clip (float64, 1-D, ``round(duration_s * fs)`` samples) and its linear gain
    ``10 ** (gain_db / 20)``, after checking the Scene's rate and duration, one clip per source,
    clip shapes, finite samples and gains (ValueError naming the field otherwise)."""
    if int(scene.audio.sample_rate) != sample_rate:
        raise ValueError(f"audio.sample_rate is {scene.audio.sample_rate} Hz but this renderer was "
                         f"built for {sample_rate} Hz")
    n = int(round(float(scene.audio.duration_s) * sample_rate))
    if n < 0:
        raise ValueError(f"audio.duration_s must be >= 0, got {scene.audio.duration_s!r}")
    if len(clips) != len(scene.sources):
        raise ValueError(f"got {len(clips)} clip(s) for {len(scene.sources)} source(s) in scene.sources")
    out = []
    for k, (src, clip) in enumerate(zip(scene.sources, clips)):
        x = np.asarray(clip, dtype=np.float64)
        if x.ndim != 1 or x.shape[0] != n:
            raise ValueError(f"clip for scene.sources[{k}] (id {src.id}) must be 1-D with {n} samples "
                             f"(duration_s * sample_rate), got shape {x.shape}")
        if not np.isfinite(np.sum(x)) and not np.all(np.isfinite(x)):  # a finite sum: every sample is finite
            raise ValueError(f"clip for scene.sources[{k}] (id {src.id}) has non-finite samples")
        g = src.gain_db
        if not (isinstance(g, (int, float, np.integer, np.floating)) and np.isfinite(g)):
            raise ValueError(f"scene.sources[{k}].gain_db must be finite, got {g!r}")
        out.append((x, 10.0 ** (float(g) / 20.0)))
    return out


def dry_signals(scene: Scene, clips: Sequence[np.ndarray], sample_rate: int) -> list[np.ndarray]:
    """Each source's clip times its gain (float64, 1-D, ``round(duration_s * fs)`` samples),
    checked as in :func:`dry_clips`."""
    return [x * g for x, g in dry_clips(scene, clips, sample_rate)]


def convolve_clip(x: np.ndarray, ir: np.ndarray, lead: int, n: int) -> np.ndarray:
    """Samples ``lead .. lead + n`` of the linear convolution ``x (*) ir`` per channel (x (N,),
    ir (C, L)) as float64 (C, n), computed in single precision (relative error ~3e-7, below a
    24-bit output's step) by FFT overlap-add (:func:`convolve_clip_into`, whose numbers these are)."""
    mix = np.zeros((ir.shape[0], n))
    convolve_clip_into(x, 1.0, ir, lead, n, mix)
    return mix


def convolve_clip_into(x: np.ndarray, gain: float, ir: np.ndarray, lead: int, n: int,
                       mix: np.ndarray | None) -> np.ndarray:
    """The stem ``gain x (*) ir``, samples ``lead .. lead + n`` per channel (x (N,) float64, ir
    (C, L)), added to ``mix`` ((C, n) float64, in place; None: not added anywhere) and returned
    as float32 (C, n). How both acoustic renderers apply a response to a clip.

    Computed in single precision (relative error ~3e-7, below a 24-bit output's step) by FFT
    overlap-add: blocks of ``B = F - L + 1`` samples of ``float32(gain x)`` with an FFT of
    ``F = max(1024, next power of two >= 4 L)`` (one FFT of the whole clip when that is shorter).
    The blocks' spectra are taken in one batched real FFT, the C responses' in another; their
    products fill one preallocated (C, blocks, F/2 + 1) array, inverted in one batched call; only
    the ``n`` requested samples are assembled, each block's head plus the previous block's tail
    in float64 (:func:`.kernels.overlap_add`), straight into ``mix`` and the float32 stem."""
    c, length = ir.shape
    n_x = x.shape[0]
    full = n_x + length - 1
    f = max(1024, 1 << int(np.ceil(np.log2(4 * length))))
    if f >= full:
        f = sfft.next_fast_len(full, real=True)
        y = sfft.irfft(sfft.rfft((x * gain).astype(np.float32), f)[None, :]
                       * sfft.rfft(ir.astype(np.float32), f, axis=-1), f, axis=-1)
        stem = y[:, lead:lead + n].astype(np.float64)
        if mix is not None:
            mix += stem
        return stem.astype(np.float32)
    from .kernels import overlap_add  # Numba loads when sound is rendered, not when a spec is read

    b = f - length + 1
    nb = -(-n_x // b)
    # block j: float32(gain x[j B:(j + 1) B]) (the product, then rounded), zero-padded to F samples
    blocks = np.empty((nb, f), np.float32)
    full_rows = n_x // b
    np.multiply(x[:full_rows * b].reshape(full_rows, b), gain, out=blocks[:full_rows, :b], casting="unsafe")
    blocks[:full_rows, b:] = 0.0
    if full_rows < nb:
        rest = n_x - full_rows * b
        np.multiply(x[full_rows * b:], gain, out=blocks[full_rows, :rest], casting="unsafe")
        blocks[full_rows, rest:] = 0.0
    padded_ir = np.empty((c, f), np.float32)
    padded_ir[:, :length] = ir
    padded_ir[:, length:] = 0.0
    spec_x = sfft.rfft(blocks, axis=-1)  # (nb, F/2 + 1)
    spec_h = sfft.rfft(padded_ir, axis=-1)  # (C, F/2 + 1)
    spec = np.empty((c, nb, spec_x.shape[-1]), np.complex64)
    np.multiply(spec_x[None, :, :], spec_h[:, None, :], out=spec)
    y = sfft.irfft(spec, f, axis=-1)  # (C, nb, F): block j's output starts at j B
    stem = np.empty((c, n), np.float32)
    overlap_add(y, b, lead, n, np.empty((c, 0)) if mix is None else mix, stem, mix is not None)
    return stem
