"""Time-varying binaural rendering of a moving source heard by a moving, turning listener.

:func:`render_moving` renders one source's dry clip along a trajectory. Frames and units as in
docs/conventions.md and docs/acoustics.md: world frame = head frame of the un-rotated head at
rest (+x ahead, +y left, +z up), metres, seconds, degrees; room coordinates =
``room.listener_position_m`` + world point (axes parallel), so a trajectory whose listener stays
at the world origin and whose source stays at ``p`` is the static scene with the source at ``p``.

The trajectory is given at control times ``k * control_dt_s`` (k = 0 .. K-1): source and head
centre positions (K, 3) and head yaw (K,) in degrees; between control times every quantity is
interpolated linearly, before the first and after the last it holds. Head pitch is
``listener.pitch_deg`` throughout (``listener.yaw_deg`` is replaced by the yaw trajectory).

Model, per path (the direct sound and every image source of the static renderer's set):

* **Propagation delay** (per output sample, continuous): a sound heard at time t left the
  (image) source at the emission time ``t_e`` solving ``t - t_e = |X(t) - I(t_e)| / c`` (X the
  receiver at reception, I the image of the source at emission; solved by fixed-point iteration,
  a contraction with factor ``|v| / c``). The output reads the clip at ``t_e``, so the Doppler
  shift ``f c / (c - v_r)`` (moving source, v_r its radial velocity towards the receiver at
  emission) and ``f (c + v_o) / c`` (moving receiver) follow from the path length. The delay
  ``t - t_e`` and the gains are computed on a grid every :data:`DELAY_GRID` output samples
  (1 ms at 16 kHz) and interpolated linearly in between.
* **Interpolator**: the clip is read through the static renderer's 32-tap Kaiser-windowed sinc
  (:mod:`.fractional_delay`): the clip's band-limited reconstruction by that kernel is tabulated
  at ``oversampling`` (16) phases per sample, exactly, and read between those points by cubic
  Lagrange interpolation (error below -90 dB of full scale up to 0.4 fs; tested against the static
  interpolator). A static path therefore gives the static renderer's fractional delay.
* **Gains**: ``1 / r`` (r the retarded path length, metres), the image's wall gains
  ``sqrt(1 - alpha)`` per octave band and ``exp(-m r / 2)`` for air absorption per band (the
  clip is split into the room's octave bands by the static renderer's zero-phase masks, which
  sum to one, before the delay). With a late model, each path is faded out by
  ``sqrt(1 - w(t - t_e))``, the static renderer's crossover weight evaluated at its current
  propagation time, and the paths kept are those within ``t_b c`` of the head at some time.
* **Heads**: ``spaced`` / ``mono``: every ear is an omni receiver at its own position (it moves
  and turns with the head), with its own delay and ``1 / r``. ``hrtf``: the path is solved to
  the head centre; its direction of arrival in the head frame is looked up in the HRTF (the
  static renderer's barycentric or nearest interpolation) at block boundaries every
  ``block_s`` (16 ms); each ear's delay adds the looked-up ear delay (interpolated linearly
  between block boundaries, so the ITD changes continuously), and the HRIR weights are
  cross-faded linearly across each block (a triangular cross-fade of overlapping 2-block
  outputs). The weighted, delayed signal of every path is accumulated per measured HRTF
  direction and ear, and each of those channels is convolved once with its aligned HRIR
  (FFT, in chunks). Weighting before filtering equals filtering before weighting for a
  static path (so a static trajectory gives the static render); for a moving one the weights'
  change within one HRIR (4.5 ms) is neglected.
* **Late part**: with ``room.late`` other than ``none``, the static renderer's late part (its
  tail after the crossover, level-matched to its image sources as usual) for the source and
  head at the trajectory's mean position and circular-mean yaw, convolved with the clip. It
  does not follow the motion (a diffuse tail changes little with position).

Supported rooms: ``free_field`` and ``shoebox`` (image positions are affine in the source's
position, ``I = A s + b``, with a fixed image set). Polyhedra (whose image visibility changes
with the position) and occlusion are not rendered here.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit
from scipy import fft as sfft
from scipy.signal import oaconvolve

from simulator.core.geometry import rotation_zyx
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

from .fractional_delay import DEFAULT_DESIGN, FractionalDelayDesign
from .heads.hrtf import MIN_HRTF_DISTANCE_M
from .heads.omni import MIN_EAR_DISTANCE_M
from .late import band_masks, fade_weights
from .room_kinds import room_kind
from .room_renderer import LATE_MODELS, RoomRenderer, crossover_times

__all__ = ["render_moving", "DELAY_GRID", "MOVING_ROOM_TYPES", "fine_grid", "read_fine"]

#: Output samples between the points where path delays and gains are solved (linear in between).
DELAY_GRID = 16
#: Room types whose image sources :func:`render_moving` can move.
MOVING_ROOM_TYPES = ("free_field", "shoebox")
#: Output samples per chunk of the HRTF head's per-direction convolution.
_CHUNK = 4096


def render_moving(clip: np.ndarray, fs: int, source_m: np.ndarray, listener_m: np.ndarray,
                  head_yaw_deg: np.ndarray, control_dt_s: float, *, room: Room, listener: Listener,
                  gain_db: float = 0.0, render_seed: int = 0, source_index: int = 0,
                  renderer: RoomRenderer | None = None, block_s: float = 0.016,
                  oversampling: int = 16) -> np.ndarray:
    """Render one source's dry mono ``clip`` (n samples at ``fs`` Hz, its level at 1 m; t = 0 is
    its first sample, silent before) moving along a trajectory, heard by a moving, turning head;
    returns the (C, n) float64 signal at the ears (channel 0 LEFT; C = 1 for ``mono``).

    ``source_m``, ``listener_m``: (K, 3) world-frame positions (metres) of the source and the head
    centre at times ``k * control_dt_s`` (seconds); ``head_yaw_deg`` (K,): the head's yaw
    (degrees, > 0 turns left) then. ``room``, ``listener``: the Scene's ``Room`` and ``Listener``
    as :class:`RoomRenderer` takes them (head model, ear spacing, SOFA, pitch; the static
    listener's yaw is not used). ``gain_db``: the source's gain; ``render_seed`` and
    ``source_index`` seed the late tail as the static renderer does for source ``source_index``.
    ``renderer``: a :class:`RoomRenderer` at ``fs`` to reuse (its caches, HRTF interpolation and
    interpolator design). ``block_s``: the HRTF update interval (seconds). See the module
    docstring for the model; ValueError names the argument or field that is wrong.
    """
    renderer = renderer if renderer is not None else RoomRenderer(fs)
    if renderer.sample_rate != int(fs):
        raise ValueError(f"renderer is built for {renderer.sample_rate} Hz, not fs = {fs}")
    fs = int(fs)
    x = np.asarray(clip, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"clip must be 1-D with finite samples, got shape {x.shape}")
    n = x.shape[0]
    src, lis, yaw = _trajectory(source_m, listener_m, head_yaw_deg, control_dt_s, n, fs)
    dt = float(control_dt_s)
    if not (np.isfinite(gain_db)):
        raise ValueError(f"gain_db must be finite, got {gain_db!r}")
    if not (np.isfinite(block_s) and block_s > 0):
        raise ValueError(f"block_s must be a positive number of seconds, got {block_s!r}")
    kind = room_kind(room)
    if kind.name not in MOVING_ROOM_TYPES:
        raise ValueError(f"room.type must be one of {MOVING_ROOM_TYPES} for moving sources, got {room.type!r}")
    if room.occlusion:
        raise ValueError("room.occlusion is not rendered for moving sources")
    design = renderer.design

    # -- the static scene at the mean pose: room model, head, crossover, late part ---------------
    model0 = renderer.room_model(room)
    base = model0.listener  # room coordinates of the world origin
    lis_mean, src_mean = lis.mean(axis=0), src.mean(axis=0)
    yaw_mean = float(np.degrees(np.arctan2(np.mean(np.sin(np.radians(yaw))), np.mean(np.cos(np.radians(yaw))))))
    if np.all(yaw == yaw[0]):
        yaw_mean = float(yaw[0])
    room_mean = dataclasses.replace(room, listener_position_m=tuple((base + lis_mean).tolist())) \
        if model0.bounded else room
    sources = [Source(id=j, category="moving", clip="moving", position_m=tuple((src_mean - lis_mean).tolist()),
                      gain_db=float(gain_db)) for j in range(int(source_index) + 1)]
    scene = Scene(index=0, seed=(0, 0, 0), condition="moving", camera=Camera(1, 1, 60.0),
                  listener=dataclasses.replace(listener, yaw_deg=yaw_mean), room=room_mean,
                  audio=AudioSettings(fs, n / fs if n else 1.0 / fs), sources=sources, render_seed=int(render_seed))
    model, head = renderer._setup(scene)
    c = model.speed_of_sound
    omni = head.model.omni
    for k in range(src.shape[0]):  # every control pose must be valid
        rel = src[k] - lis[k]
        if model.bounded and not (model.contains(base + src[k]) and model.contains(base + lis[k])):
            raise ValueError(f"source_m[{k}] or listener_m[{k}] is outside the {model.type} room")
        rot = rotation_zyx(float(yaw[k]), float(listener.pitch_deg or 0.0), 0.0)
        if omni:
            r_e = np.linalg.norm(rel[None, :] - head.ears_head @ rot.T, axis=1)
            if np.any(r_e < MIN_EAR_DISTANCE_M):
                raise ValueError(f"source_m[{k}] is within {MIN_EAR_DISTANCE_M} m of an ear")
        elif np.linalg.norm(rel) < MIN_HRTF_DISTANCE_M:
            raise ValueError(f"source_m[{k}] is within {MIN_HRTF_DISTANCE_M} m of the head centre")

    late = room.late if model.bounded else "none"
    if late not in LATE_MODELS:
        raise ValueError(f"room.late must be one of {LATE_MODELS}, got {room.late!r}")
    order = int(room.max_order)
    src_room = base + src_mean
    ims = kind.image_sources(model, src_room, head.model.receivers(head, model.listener), order, fs,
                             renderer.polyhedron_max_images)
    a_map, b_map = _affine_images(kind, model, src_room, ims.positions, order, fs, renderer.polyhedron_max_images)
    wall = ims.gains
    if late == "none":
        t_a = t_b = np.inf
        keep = np.ones(wall.shape[0], bool)
    else:
        t_direct = (float(np.linalg.norm(src_mean - lis_mean)) + 0.5 * head.spacing) / c
        t_a, t_b = crossover_times(kind, model, src_room, ims, order, t_direct)
        keep = _within(a_map, b_map, base + src, base + lis, dt, t_b * c + head.spacing + 1e-9)
    a_map, b_map, wall = a_map[keep], b_map[keep], wall[keep]

    # -- the clip in octave bands, tabulated on the fine grid -------------------------------------
    gain = 10.0 ** (float(gain_db) / 20.0)
    bands = _split_bands(x * gain, fs, model.centres) if model.n_bands > 1 else (x * gain)[None, :]
    xf, off = fine_grid(bands, int(oversampling), design)

    # -- paths along the trajectory ---------------------------------------------------------------
    n_grid = n // DELAY_GRID + 2
    t_grid = np.arange(n_grid) * (DELAY_GRID / fs)
    pitch = float(listener.pitch_deg or 0.0)
    lis_g = base + _interp_rows(t_grid, dt, lis)
    out = np.zeros((head.n_channels, n + (head.hrtf.num_taps if not omni else 0)))
    if wall.shape[0] == 0 or n == 0:
        return _add_late(out[:, :n], renderer, scene, model, head, int(source_index), n, x * gain, late)
    if omni:
        rots = _rotations(np.interp(t_grid, np.arange(yaw.shape[0]) * dt, yaw), pitch)
        rcv = lis_g[:, None, :] + np.einsum("tij,ej->tei", rots, head.ears_head)  # (T, C, 3)
        r, _ = _retarded_paths(t_grid, np.ascontiguousarray(rcv), a_map, b_map, dt, base + src, c, False)
        delay = r * (fs / c)  # (P, C, T) samples
        g = _path_gains(r, wall, model.air, c, t_a, t_b)  # (P, C, T, B)
        _read_omni(out, xf, float(oversampling), float(off), DELAY_GRID, delay, g)
    else:
        _render_hrtf(out, renderer, head, xf, float(oversampling), float(off), t_grid, lis_g, yaw, pitch, dt,
                     base + src, a_map, b_map, wall, model.air, c, t_a, t_b, n, fs, block_s)
    return _add_late(out[:, :n], renderer, scene, model, head, int(source_index), n, x * gain, late)


# ------------------------------------------------------------------------------------------------
# trajectory and geometry
def _trajectory(source_m, listener_m, head_yaw_deg, control_dt_s, n: int, fs: int):
    src = np.asarray(source_m, dtype=np.float64)
    lis = np.asarray(listener_m, dtype=np.float64)
    yaw = np.asarray(head_yaw_deg, dtype=np.float64)
    if src.ndim != 2 or src.shape[1] != 3 or src.shape[0] < 1:
        raise ValueError(f"source_m must be (K, 3) metres, got shape {src.shape}")
    if lis.shape != src.shape:
        raise ValueError(f"listener_m must have source_m's shape {src.shape}, got {lis.shape}")
    if yaw.shape != (src.shape[0],):
        raise ValueError(f"head_yaw_deg must be ({src.shape[0]},) degrees, got shape {yaw.shape}")
    if not (np.all(np.isfinite(src)) and np.all(np.isfinite(lis)) and np.all(np.isfinite(yaw))):
        raise ValueError("source_m, listener_m and head_yaw_deg must be finite")
    dt = control_dt_s
    if not (isinstance(dt, (int, float, np.integer, np.floating)) and np.isfinite(dt) and dt > 0):
        raise ValueError(f"control_dt_s must be a positive number of seconds, got {dt!r}")
    if n > 1 and (src.shape[0] - 1) * float(dt) < (n - 1) / fs - 1e-9:
        raise ValueError(f"the trajectory ({src.shape[0]} control points every {dt} s) must cover the clip "
                         f"({(n - 1) / fs:.6f} s)")
    return src, lis, yaw


def _interp_rows(t: np.ndarray, dt: float, rows: np.ndarray) -> np.ndarray:
    """Rows (K, D) at times k dt, linearly interpolated (held outside) at times ``t`` -> (T, D)."""
    knots = np.arange(rows.shape[0]) * dt
    return np.stack([np.interp(t, knots, rows[:, j]) for j in range(rows.shape[1])], axis=-1)


def _rotations(yaw_deg: np.ndarray, pitch_deg: float) -> np.ndarray:
    """Head rotations (T, 3, 3), head frame -> world, for yaws (T,) degrees and one pitch."""
    return np.stack([rotation_zyx(float(y), pitch_deg, 0.0) for y in yaw_deg])


def _affine_images(kind, model, src_room: np.ndarray, positions: np.ndarray, order: int, fs: int,
                   max_images: int) -> tuple[np.ndarray, np.ndarray]:
    """Each image's position as ``A s + b`` of the source's room position s: ``A`` (P, 3) (the
    diagonal, +-1) and ``b`` (P, 3), found by moving the source (the shoebox lattice and free field
    are affine in s with a fixed image set)."""
    step = np.array([0.013, 0.017, 0.011])
    other = kind.image_sources(model, src_room + step, np.asarray(model.listener)[None, :], order, fs, max_images)
    if other.positions.shape != positions.shape:
        raise ValueError(f"room.type {model.type!r}: the image set changes with the source position")
    a = np.rint((other.positions - positions) / step[None, :])
    if not np.all(np.abs(a) == 1.0):
        raise ValueError(f"room.type {model.type!r}: image positions are not affine in the source position")
    return np.ascontiguousarray(a), np.ascontiguousarray(positions - a * src_room[None, :])


def _within(a: np.ndarray, b: np.ndarray, src: np.ndarray, lis: np.ndarray, dt: float, reach: float) -> np.ndarray:
    """Paths (P,) whose image comes within ``reach`` metres of the head centre at some time of the
    trajectory (control points and 8 points per control interval; no retardation)."""
    k = src.shape[0]
    t = np.linspace(0.0, (k - 1) * dt, 8 * (k - 1) + 1) if k > 1 else np.zeros(1)
    s, l_ = _interp_rows(t, dt, src), _interp_rows(t, dt, lis)
    keep = np.zeros(a.shape[0], bool)
    for i in range(t.shape[0]):
        keep |= np.linalg.norm(a * s[i][None, :] + b - l_[i][None, :], axis=1) <= reach
    return keep


@njit(cache=True, nogil=True)
def _retarded_paths(t, rcv, a, b, dt, src, c, want_dirs):  # pragma: no cover - compiled
    """Retarded path lengths r (P, R, T) (metres) from image p at its emission time to receiver
    ``rcv[t, e]`` (T, R, 3) at reception time ``t[i]`` (s), for images ``a * s(t_e) + b`` of the
    piecewise-linear source trajectory ``src`` (K, 3) (knots every ``dt`` s, held outside), and
    with ``want_dirs`` the unit vectors (P, R, T, 3) from the receiver towards the image."""
    n_p, n_r, n_t = a.shape[0], rcv.shape[1], t.shape[0]
    k = src.shape[0]
    r_out = np.empty((n_p, n_r, n_t))
    dirs = np.empty((n_p, n_r, n_t, 3)) if want_dirs else np.empty((0, 0, 0, 3))
    img = np.empty(3)
    for p in range(n_p):
        for e in range(n_r):
            for i in range(n_t):
                te = t[i]
                r = 0.0
                for it in range(50):
                    u = te / dt
                    if u <= 0.0 or k == 1:
                        j, f = 0, 0.0
                    elif u >= k - 1:
                        j, f = k - 2, 1.0
                    else:
                        j = int(u)
                        f = u - j
                    for q in range(3):
                        s = src[j, q] if k == 1 else src[j, q] + f * (src[j + 1, q] - src[j, q])
                        img[q] = a[p, q] * s + b[p, q]
                    dx, dy, dz = img[0] - rcv[i, e, 0], img[1] - rcv[i, e, 1], img[2] - rcv[i, e, 2]
                    r_new = np.sqrt(dx * dx + dy * dy + dz * dz)
                    te_new = t[i] - r_new / c
                    done = abs(te_new - te) < 1e-13
                    te = te_new
                    r = r_new
                    if done:
                        break
                r_out[p, e, i] = r
                if want_dirs:
                    dirs[p, e, i, 0] = dx / r
                    dirs[p, e, i, 1] = dy / r
                    dirs[p, e, i, 2] = dz / r
    return r_out, dirs


def _path_gains(r: np.ndarray, wall: np.ndarray, air: np.ndarray, c: float, t_a: float, t_b: float) -> np.ndarray:
    """Amplitudes (P, R, T, B): wall gains (P, B) / r, air absorption per band and the crossover
    fade-out ``sqrt(1 - w(r / c))`` (r (P, R, T) retarded path lengths, metres)."""
    g = wall[:, None, None, :] / r[..., None]
    if np.any(air):
        g = g * np.exp(-0.5 * air[None, None, None, :] * r[..., None])
    if np.isfinite(t_b):
        g = g * np.sqrt(1.0 - fade_weights(r / c, t_a, t_b))[..., None]
    return np.ascontiguousarray(g)


# ------------------------------------------------------------------------------------------------
# the interpolator
def _split_bands(x: np.ndarray, fs: int, centres: np.ndarray) -> np.ndarray:
    """The signal (n,) in the zero-phase octave bands of the static renderer (B, n); they sum to x."""
    n = x.shape[0]
    n_fft = sfft.next_fast_len(n + 4096, real=True)
    masks = band_masks(n_fft, fs, centres)
    return sfft.irfft(masks * sfft.rfft(x, n_fft)[None, :], n_fft, axis=-1)[:, :n]


def fine_grid(x: np.ndarray, oversampling: int, design: FractionalDelayDesign = DEFAULT_DESIGN
              ) -> tuple[np.ndarray, int]:
    """The band-limited reconstruction of the signals ``x`` (B, n) by the windowed-sinc
    interpolator of ``design`` (``x(t) = sum_k x[k] sinc(t - k) w(t - k)``, as the static
    renderer's fractional delays read them) at ``oversampling`` points per sample, exactly: returns
    (B, N) and the offset ``off`` such that entry ``i`` is the signal at time ``(i - off) /
    oversampling`` samples; zero beyond the kernel's reach (``H`` samples) outside ``x``."""
    m = int(oversampling)
    h = design.half_width
    pad = h + 4
    b, n = x.shape
    out = np.zeros((b, (n + 2 * pad) * m))
    xp = np.zeros((b, n + 2 * pad))
    xp[:, pad:pad + n] = x
    taps = np.arange(-h, h + 1, dtype=np.float64)
    for q in range(m):
        phi = q / m
        tt = taps + phi
        g = np.sinc(tt) * design.window(tt)  # x(k + phi) = sum_m x[k - m] g[m]
        for band in range(b):
            conv = np.convolve(xp[band], g)  # conv[i] = sum_m xp[i - m - h] g[m]
            # x at clip time k + phi, k = -pad .. n + pad - 1: conv[k + pad + h]
            out[band, q::m] = conv[h:h + n + 2 * pad]
    return out, pad * m


@njit(cache=True, nogil=True, inline="always")
def _read(xf, band, pos):  # pragma: no cover - compiled
    """Cubic Lagrange interpolation of ``xf[band]`` at fractional index ``pos`` (0 outside)."""
    j = int(np.floor(pos))
    if j < 1 or j + 2 >= xf.shape[1]:
        return 0.0
    mu = pos - j
    wm1 = -mu * (mu - 1.0) * (mu - 2.0) / 6.0
    w0 = (mu + 1.0) * (mu - 1.0) * (mu - 2.0) / 2.0
    w1 = -(mu + 1.0) * mu * (mu - 2.0) / 2.0
    w2 = (mu + 1.0) * mu * (mu - 1.0) / 6.0
    return wm1 * xf[band, j - 1] + w0 * xf[band, j] + w1 * xf[band, j + 1] + w2 * xf[band, j + 2]


@njit(cache=True, nogil=True)
def read_fine(xf, oversampling, off, times):  # pragma: no cover - compiled
    """The signals of :func:`fine_grid` (B, N) at ``times`` (M,) in samples -> (B, M)."""
    out = np.zeros((xf.shape[0], times.shape[0]))
    for band in range(xf.shape[0]):
        for i in range(times.shape[0]):
            out[band, i] = _read(xf, band, times[i] * oversampling + off)
    return out


@njit(cache=True, nogil=True)
def _read_omni(out, xf, ov, off, step, delay, gain):  # pragma: no cover - compiled
    """out (C, n) += per path p and ear e the clip bands ``xf`` read at ``t - delay(t)`` times
    ``gain(t)`` summed over bands; ``delay`` (P, C, T) samples and ``gain`` (P, C, T, B) on the
    grid of every ``step`` output samples, linear in between."""
    n = out.shape[1]
    n_b = xf.shape[0]
    for p in range(delay.shape[0]):
        for e in range(out.shape[0]):
            for t in range(n):
                i = t // step
                a = (t - i * step) / step
                d = delay[p, e, i] + a * (delay[p, e, i + 1] - delay[p, e, i])
                pos = (t - d) * ov + off
                acc = 0.0
                for band in range(n_b):
                    g = gain[p, e, i, band] + a * (gain[p, e, i + 1, band] - gain[p, e, i, band])
                    acc += g * _read(xf, band, pos)
                out[e, t] += acc


@njit(cache=True, nogil=True)
def _read_hrtf(u, c0, xf, ov, off, step, delay, gain, blk, ear, loc, wts):  # pragma: no cover - compiled
    """u (M, 2, m) += samples t = c0 .. c0 + m - 1 of every path, per active HRTF direction and
    ear: the clip bands read at ``t - delay(t) - ear_e(t)`` times ``gain(t)``, weighted by the
    HRTF weights of the block boundaries before and after t, cross-faded linearly. ``delay``
    (P, T) and ``gain`` (P, T, B) every ``step`` samples; ``ear`` (P, NB, 2) ear delays in samples
    (alignment included), ``loc`` (P, NB, 3) channels of ``u`` and ``wts`` (P, NB, 3) weights
    every ``blk`` samples."""
    m = u.shape[2]
    n_b = xf.shape[0]
    for p in range(delay.shape[0]):
        for e in range(2):
            for tt in range(m):
                t = c0 + tt
                i = t // step
                a = (t - i * step) / step
                ib = t // blk
                ab = (t - ib * blk) / blk
                d = delay[p, i] + a * (delay[p, i + 1] - delay[p, i])
                d += ear[p, ib, e] + ab * (ear[p, ib + 1, e] - ear[p, ib, e])
                pos = (t - d) * ov + off
                v = 0.0
                for band in range(n_b):
                    g = gain[p, i, band] + a * (gain[p, i + 1, band] - gain[p, i, band])
                    v += g * _read(xf, band, pos)
                if v == 0.0:
                    continue
                for q in range(3):
                    u[loc[p, ib, q], e, tt] += (1.0 - ab) * wts[p, ib, q] * v
                    u[loc[p, ib + 1, q], e, tt] += ab * wts[p, ib + 1, q] * v


def _render_hrtf(out: np.ndarray, renderer: RoomRenderer, head, xf: np.ndarray, ov: float, off: float,
                 t_grid: np.ndarray, lis_g: np.ndarray, yaw: np.ndarray, pitch: float, dt: float,
                 src_room: np.ndarray, a_map: np.ndarray, b_map: np.ndarray, wall: np.ndarray, air: np.ndarray,
                 c: float, t_a: float, t_b: float, n: int, fs: int, block_s: float) -> None:
    """The ``hrtf`` head's image-source part into ``out`` (2, n + HRIR taps)."""
    hrtf = head.hrtf
    r, _ = _retarded_paths(t_grid, np.ascontiguousarray(lis_g[:, None, :]), a_map, b_map, dt, src_room, c, False)
    delay = np.ascontiguousarray(r[:, 0, :] * (fs / c))  # (P, T) samples to the head centre
    gain = np.ascontiguousarray(_path_gains(r, wall, air, c, t_a, t_b)[:, 0])  # (P, T, B)
    # HRTF lookups at the block boundaries
    blk = max(1, int(round(block_s * fs)))
    n_blk = n // blk + 2
    t_blk = np.arange(n_blk) * (blk / fs)
    knots = np.arange(yaw.shape[0]) * dt
    lis_b = np.stack([np.interp(t_blk, t_grid, lis_g[:, j]) for j in range(3)], axis=-1)
    _, dirs = _retarded_paths(t_blk, np.ascontiguousarray(lis_b[:, None, :]), a_map, b_map, dt, src_room, c, True)
    rots = _rotations(np.interp(t_blk, knots, yaw), pitch)  # (NB, 3, 3) head -> world
    u_head = np.einsum("tji,ptj->pti", rots, dirs[:, 0])  # R.T u per block
    u_head /= np.linalg.norm(u_head, axis=-1, keepdims=True)
    idx, w = hrtf.lookup(u_head.reshape(-1, 3), renderer.hrtf_interpolation)
    ear = (hrtf.ear_delays(idx, w) * fs - hrtf.align_samples).reshape(a_map.shape[0], n_blk, 2)
    active, loc = np.unique(idx, return_inverse=True)
    loc = loc.reshape(a_map.shape[0], n_blk, 3).astype(np.int64)
    w = w.reshape(a_map.shape[0], n_blk, 3)
    h = hrtf.aligned[active]  # (M, 2, K)
    k_taps = h.shape[-1]
    f = sfft.next_fast_len(_CHUNK + k_taps - 1, real=True)
    h_spec = sfft.rfft(h, f, axis=-1)
    ear = np.ascontiguousarray(ear)
    for c0 in range(0, n, _CHUNK):
        m = min(_CHUNK, n - c0)
        u = np.zeros((active.shape[0], 2, m))
        _read_hrtf(u, c0, xf, ov, off, DELAY_GRID, delay, gain, blk, ear, loc, np.ascontiguousarray(w))
        y = sfft.irfft(np.einsum("mef,mef->ef", sfft.rfft(u, f, axis=-1), h_spec), f, axis=-1)
        out[:, c0:c0 + m + k_taps - 1] += y[:, :m + k_taps - 1]


def _add_late(early: np.ndarray, renderer: RoomRenderer, scene: Scene, model, head, k: int, n: int,
              x: np.ndarray, late: str) -> np.ndarray:
    """``early`` (C, n) plus the static late part at the mean pose convolved with the gained clip ``x``."""
    if late == "none" or n == 0:
        return np.ascontiguousarray(early)
    ir = renderer._source_response(scene, model, head, k, n, late_only=True)
    lead = head.lead
    tail = oaconvolve(x[None, :], ir, axes=-1)[:, lead:lead + n]
    return early + tail
