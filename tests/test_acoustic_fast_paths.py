"""The room renderer's fast paths against straightforward reference implementations.

The compiled HRIR accumulation (:func:`renderers.acoustic.kernels.accumulate_hrir`), the fused
lookup + accumulation of the ``hrtf`` head (:func:`~renderers.acoustic.kernels.accumulate_hrtf_points`)
and the FFT overlap-add of the clip (:func:`renderers.acoustic.free_field.convolve_clip_into`) are
written for speed (loop order, padding, aligned writes, fused passes). Each is compared here with
the direct algorithm written plainly in numpy, on random inputs: bit for bit where the fast path
promises the same floating-point operations in the same order, and a whole binaural render of
random shoebox rooms and head poses against one assembled from those references.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve

from renderers.acoustic.fractional_delay import DEFAULT_DESIGN, FractionalDelayDesign, sinc_taps
from renderers.acoustic.free_field import convolve_clip, convolve_clip_into
from renderers.acoustic.hrtf import load_hrtf
from renderers.acoustic.kernels import accumulate_hrir, accumulate_hrtf_points
from renderers.acoustic.room_renderer import RoomRenderer
from simulator.core.geometry import rotation_zyx
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------------------------------------
# references, written for clarity
def reference_accumulate_hrir(out, delays, amps, idx, wts, hrirs, design: FractionalDelayDesign) -> np.ndarray:
    """The direct algorithm: per arrival and ear, blend the three HRIRs, convolve them with the
    interpolator's taps one tap at a time, add the result scaled by each band's amplitude."""
    n_b, n_c, n_out = out.shape
    k = hrirs.shape[2]
    h_w = design.half_width
    taps = np.empty(2 * h_w)
    for a in range(delays.shape[0]):
        for e in range(n_c):
            h = wts[a, 0] * hrirs[idx[a, 0], e] + wts[a, 1] * hrirs[idx[a, 1], e] + wts[a, 2] * hrirs[idx[a, 2], e]
            start, single = sinc_taps(delays[a, e], h_w, design.window_table, design.oversampling, taps)
            if single:
                conv = h.copy()
            else:
                conv = np.zeros(k + 2 * h_w - 1)
                for i in range(2 * h_w):
                    conv[i:i + k] += taps[i] * h
            j0, j1 = max(0, -start), min(conv.shape[0], n_out - start)
            for b in range(n_b):
                g = amps[a, e, b]
                if g != 0.0 and j1 > j0:
                    out[b, e, start + j0:start + j1] += g * conv[j0:j1]
    return out


def reference_overlap_add(x: np.ndarray, ir: np.ndarray, lead: int, n: int) -> np.ndarray:
    """The block convolution assembled the plain way: a zeroed float64 output, every block's head
    added, then every block's tail (float32 FFTs of the blocks as in the renderer; one FFT of the
    whole clip when that is shorter than a block's)."""
    from scipy import fft as sfft

    c, length = ir.shape
    f = max(1024, 1 << int(np.ceil(np.log2(4 * length))))
    full = x.shape[0] + length - 1
    if f >= full:
        f = sfft.next_fast_len(full, real=True)
        y = sfft.irfft(sfft.rfft(x.astype(np.float32), f)[None, :] * sfft.rfft(ir.astype(np.float32), f, axis=-1),
                       f, axis=-1)
        return y[:, lead:lead + n].astype(np.float64)
    b = f - length + 1
    nb = -(-x.shape[0] // b)
    blocks = np.zeros(nb * b, np.float32)
    blocks[:x.shape[0]] = x
    y = sfft.irfft(sfft.rfft(blocks.reshape(nb, b), f, axis=-1)[None, :, :]
                   * sfft.rfft(ir.astype(np.float32), f, axis=-1)[:, None, :], f, axis=-1)
    out = np.zeros((c, (nb + 1) * b))
    out[:, :nb * b] += y[:, :, :b].reshape(c, -1)
    tails = np.zeros((c, nb, b), np.float32)
    tails[:, :, :f - b] = y[:, :, b:]
    out[:, b:] += tails.reshape(c, -1)
    return out[:, lead:lead + n]


def shoebox_lattice(src, size, order, alpha):
    """Image sources of a shoebox with one absorption for every wall, enumerated plainly:
    positions (K, 3) and pressure gains (K,)."""
    beta = np.sqrt(1.0 - alpha)
    pos, gains = [], []
    for i in range(-order, order + 1):
        for j in range(-order, order + 1):
            for k in range(-order, order + 1):
                m = (i, j, k)
                if sum(abs(v) for v in m) > order:
                    continue
                pos.append([v * size[ax] + (src[ax] if v % 2 == 0 else size[ax] - src[ax]) for ax, v in enumerate(m)])
                gains.append(beta ** sum(abs(v) for v in m))
    return np.array(pos), np.array(gains)


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_accumulate_hrir_is_the_direct_loop_bit_for_bit(seed):
    """Random arrivals: several bands, integer delays (one tap), arrivals partly before t = 0 and
    past the end, zero amplitudes, short and odd-sized HRIRs and interpolators."""
    rng = np.random.default_rng(seed)
    for _ in range(25):
        design = FractionalDelayDesign(half_width=int(rng.integers(1, 20)))
        n_a, n_b, k, n_out = int(rng.integers(1, 40)), int(rng.integers(1, 4)), int(rng.integers(1, 90)), \
            int(rng.integers(1, 400))
        delays = rng.uniform(-60.0, n_out + 60.0, (n_a, 2))
        ints = rng.random((n_a, 2)) < 0.2
        delays[ints] = np.round(delays[ints])
        amps = rng.standard_normal((n_a, 2, n_b))
        amps[rng.random(amps.shape) < 0.1] = 0.0
        idx = rng.integers(0, 7, (n_a, 3))
        wts = rng.dirichlet([1.0, 1.0, 1.0], n_a)
        hrirs = rng.standard_normal((7, 2, k))
        fast = accumulate_hrir(np.zeros((n_b, 2, n_out)), delays, amps, idx, wts, hrirs, design.half_width,
                               design.window_table, design.oversampling)
        ref = reference_accumulate_hrir(np.zeros((n_b, 2, n_out)), delays, amps, idx, wts, hrirs, design)
        assert same_bits(fast, ref)


@pytest.mark.parametrize("interpolation", ["barycentric", "nearest"])
def test_fused_hrtf_accumulation_is_lookup_ear_delays_and_the_direct_loop(interpolation):
    hrtf = load_hrtf(None, FS)
    rng = np.random.default_rng(3)
    n_a, n_b, lead = 300, 2, 40
    u = rng.standard_normal((n_a, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    t_centre = lead + rng.uniform(0.0, 1500.0, n_a)
    amp = rng.standard_normal((n_a, n_b))
    out_len = 1700
    fast = accumulate_hrtf_points(np.zeros((n_b, 2, out_len)), u, t_centre, amp, float(FS),
                                  float(hrtf.align_samples), *hrtf.lookup_tables(), interpolation == "nearest",
                                  hrtf.n_measured, hrtf.ear_delay_s, hrtf.aligned, DEFAULT_DESIGN.half_width,
                                  DEFAULT_DESIGN.window_table, DEFAULT_DESIGN.oversampling)
    idx, w = hrtf.lookup(u, interpolation)
    delays = t_centre[:, None] + hrtf.ear_delays(idx, w) * FS - hrtf.align_samples
    amps = np.broadcast_to(amp[:, None, :], (n_a, 2, n_b))
    ref = reference_accumulate_hrir(np.zeros((n_b, 2, out_len)), delays, amps, idx, w, hrtf.aligned, DEFAULT_DESIGN)
    assert same_bits(fast, ref)


@pytest.mark.parametrize("n, taps, lead", [(48000, 1879, 27), (48000, 2999, 27), (5000, 700, 0), (20000, 3, 2),
                                           (7919, 1500, 31), (100, 60, 5)])
def test_overlap_add_is_the_plain_block_sum_bit_for_bit(n, taps, lead):
    rng = np.random.default_rng(n + taps)
    x, ir, gain = rng.standard_normal(n), rng.standard_normal((2, taps)), 0.8
    ref = reference_overlap_add(x * gain, ir, lead, n)
    assert same_bits(convolve_clip(x * gain, ir, lead, n), ref)
    mix = rng.standard_normal((2, n))
    before = mix.copy()
    stem = convolve_clip_into(x, gain, ir, lead, n, mix)
    assert same_bits(stem, ref.astype(np.float32))
    assert same_bits(mix, before + ref)
    assert same_bits(convolve_clip_into(x, gain, ir, lead, n, None), stem)
    exact = np.pad(fftconvolve(x[None, :] * gain, ir, axes=-1), ((0, 0), (0, lead + n)))[:, lead:lead + n]
    assert np.max(np.abs(stem - exact)) < 1e-6 * np.max(np.abs(exact))


def test_overlap_add_past_the_end_of_the_convolution_is_zero():
    rng = np.random.default_rng(9)
    x, ir = rng.standard_normal(5000), rng.standard_normal((2, 700))
    for n, lead in ((9000, 3), (20000, 600)):
        y = convolve_clip(x, ir, lead, n)
        exact = np.pad(fftconvolve(x[None, :], ir, axes=-1), ((0, 0), (0, lead + n)))[:, lead:lead + n]
        assert y.shape == (2, n) and np.max(np.abs(y - exact)) < 1e-6 * np.max(np.abs(exact))


@pytest.mark.parametrize("seed", range(4))
def test_binaural_room_render_matches_a_plain_image_source_render(seed):
    """Random shoebox rooms, head poses, source positions, orders and interpolations: responses
    and stems of the renderer (image sources only) against a render assembled from a plainly
    enumerated lattice, the HRTF's lookup, the direct accumulation loop and a float64 FFT
    convolution."""
    rng = np.random.default_rng(100 + seed)
    hrtf = load_hrtf(None, FS)
    for _ in range(3):
        size = rng.uniform([3.0, 3.0, 2.4], [9.0, 8.0, 4.0])
        listener = rng.uniform(0.6, size - 0.6)
        src_room = rng.uniform(0.4, size - 0.4)
        if np.linalg.norm(src_room - listener) < 0.5:
            src_room = listener + np.array([0.6, 0.0, 0.0]) * np.sign(size / 2 - listener)
        yaw, pitch = float(rng.uniform(-180, 180)), float(rng.uniform(-40, 40))
        order, alpha = int(rng.integers(0, 7)), float(rng.uniform(0.1, 0.7))
        interpolation = str(rng.choice(["barycentric", "nearest"]))
        duration = float(rng.choice([0.5, 1.0]))
        room = Room(type="shoebox", size_m=tuple(size), listener_position_m=tuple(listener), materials={"all": alpha},
                    max_order=order, late="none", speed_of_sound_m_s=C)
        sc = Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                   listener=Listener(head="hrtf", yaw_deg=yaw, pitch_deg=pitch), room=room,
                   audio=AudioSettings(FS, duration),
                   sources=[Source(id=0, category="noise", clip="noise", position_m=tuple(src_room - listener),
                                   gain_db=-3.0)])
        n = int(round(duration * FS))
        clip = rng.standard_normal(n)
        out = RoomRenderer(FS, hrtf_interpolation=interpolation).render(sc, [clip])

        pos, gains = shoebox_lattice(src_room, size, order, alpha)
        rel = pos - listener
        r = np.linalg.norm(rel, axis=1)
        u = (rel @ rotation_zyx(yaw, pitch, 0.0)) / r[:, None]
        idx, w = hrtf.lookup(u, interpolation)
        lead = DEFAULT_DESIGN.half_width - 1 + hrtf.max_advance_samples
        delays = lead + (r * (FS / C))[:, None] + hrtf.ear_delays(idx, w) * FS - hrtf.align_samples
        amps = np.broadcast_to((gains / r)[:, None, None], (r.shape[0], 2, 1))
        length = int(np.floor((r.max() + 0.0) * FS / C)) + DEFAULT_DESIGN.half_width + 1 + hrtf.num_taps
        ref = reference_accumulate_hrir(np.zeros((1, 2, lead + length)), delays, amps, idx, w, hrtf.aligned,
                                        DEFAULT_DESIGN)[0]
        got = out.impulse_responses[0]
        assert got.shape == (2, length)
        scale = np.max(np.abs(ref))
        assert np.max(np.abs(got - ref[:, lead:])) < 1e-6 * scale  # float32 rounding of the response
        stem = np.pad(fftconvolve(clip[None, :] * 10 ** (-3 / 20), ref, axes=-1), ((0, 0), (0, n)))[:, lead:lead + n]
        assert np.max(np.abs(out.stems[0] - stem)) < 2e-6 * np.max(np.abs(stem))
        assert same_bits(out.mixture, out.stems[0])


def test_the_mixture_is_the_float64_sum_of_the_stems_with_several_sources():
    room = Room(type="shoebox", size_m=(6.0, 5.0, 3.0), listener_position_m=(2.0, 2.5, 1.5), materials={"all": 0.3},
                max_order=4, late="stochastic", speed_of_sound_m_s=C)
    sc = Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
               listener=Listener(head="hrtf", yaw_deg=20.0), room=room, audio=AudioSettings(FS, 0.5),
               sources=[Source(id=k, category="noise", clip="noise", position_m=p, gain_db=g)
                        for k, (p, g) in enumerate([((1.5, 0.5, 0.0), 0.0), ((-1.0, -1.5, 0.5), -6.0)])],
               render_seed=7)
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal(8000) for _ in range(2)]
    out = RoomRenderer(FS).render(sc, clips)
    irs, lead = RoomRenderer(FS).impulse_responses(sc)
    mix = np.zeros((2, 8000))
    stems = [convolve_clip_into(x, 10 ** (g / 20), ir, lead, 8000, mix) for x, g, ir in zip(clips, (0.0, -6.0), irs)]
    for a, b in zip(out.stems, stems):
        assert same_bits(a, b)
    assert same_bits(out.mixture, mix.astype(np.float32))
