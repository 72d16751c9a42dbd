"""Physics tests of the fractional delay and the free-field renderer (no snapshots)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate, correlation_lags

from renderers.acoustic.fractional_delay import (
    DEFAULT_DESIGN,
    accumulate_arrivals,
    accumulate_arrivals_numpy,
    delay_signal,
    fractional_delay_taps,
)
from renderers.acoustic.free_field import FreeFieldRenderer
from simulator.core.render import AudioRender
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0


# ---------------------------------------------------------------------------------------------
# helpers
def bandlimited_noise(n: int, f_max: float, seed: int) -> np.ndarray:
    """White noise with every FFT bin above ``f_max`` (cycles/sample) zeroed: exactly band-limited
    as a periodic signal of period n."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec[np.fft.rfftfreq(n) > f_max] = 0.0
    return np.fft.irfft(spec, n)


def fft_delay(x: np.ndarray, delay: float) -> np.ndarray:
    """Exact (circular) delay of a periodic band-limited signal by ``delay`` samples."""
    n = x.shape[0]
    return np.fft.irfft(np.fft.rfft(x) * np.exp(-2j * np.pi * np.fft.rfftfreq(n) * delay), n)


def rel_rms_db(a: np.ndarray, ref: np.ndarray) -> float:
    return 20.0 * np.log10(np.sqrt(np.mean((a - ref) ** 2)) / np.sqrt(np.mean(ref ** 2)))


def level_db(x: np.ndarray) -> float:
    return 10.0 * np.log10(np.mean(np.asarray(x, np.float64) ** 2))


def lag_samples(late: np.ndarray, early: np.ndarray) -> float:
    """Sub-sample lag tau maximising the cross-correlation, with ``late[n] ~ early[n - tau]``
    (positive when ``late`` lags), refined by a parabola through the peak and its neighbours."""
    late = np.asarray(late, np.float64)
    early = np.asarray(early, np.float64)
    xc = correlate(late, early, mode="full", method="fft")
    lags = correlation_lags(late.shape[0], early.shape[0], mode="full")
    i = int(np.argmax(xc))
    y0, y1, y2 = xc[i - 1], xc[i], xc[i + 1]
    return float(lags[i] + 0.5 * (y0 - y2) / (y0 - 2.0 * y1 + y2))


def make_scene(positions, gains=None, head="spaced", duration_s=0.5, yaw_deg=0.0, pitch_deg=0.0,
               room_type="free_field", sample_rate=FS) -> Scene:
    gains = [0.0] * len(positions) if gains is None else gains
    return Scene(
        index=0, seed=(0, 0, 0), condition="congruent",
        camera=Camera(width=64, height=64, hfov_deg=60.0),
        listener=Listener(head=head, ear_spacing_m=0.17, yaw_deg=yaw_deg, pitch_deg=pitch_deg),
        room=Room(type=room_type, speed_of_sound_m_s=C),
        audio=AudioSettings(sample_rate=sample_rate, duration_s=duration_s),
        sources=[Source(id=k, category="noise", clip="noise", position_m=tuple(map(float, p)), gain_db=g)
                 for k, (p, g) in enumerate(zip(positions, gains))],
    )


def clips_for(scene: Scene, seed: int = 0, f_max: float = 0.4) -> list[np.ndarray]:
    n = int(round(scene.audio.duration_s * scene.audio.sample_rate))
    return [bandlimited_noise(n, f_max, seed + k) for k in range(len(scene.sources))]


@pytest.fixture(scope="module")
def renderer() -> FreeFieldRenderer:
    return FreeFieldRenderer(FS)


def ear_distances(p, spacing=0.17):
    p = np.asarray(p, float)
    return (np.linalg.norm(p - [0.0, spacing / 2, 0.0]), np.linalg.norm(p - [0.0, -spacing / 2, 0.0]))


# ---------------------------------------------------------------------------------------------
# fractional delay
@pytest.mark.parametrize("impl", [accumulate_arrivals, accumulate_arrivals_numpy], ids=["numba", "numpy"])
@pytest.mark.parametrize("delay", [0.0, 3.25, 10.5, 17.8])
def test_fractional_delay_matches_exact_fft_delay(delay, impl):
    n = 4096
    x = bandlimited_noise(n, 0.4, seed=1)
    lead = DEFAULT_DESIGN.half_width - 1  # room for the interpolator's taps before the arrival
    h = np.zeros(lead + int(np.floor(delay)) + DEFAULT_DESIGN.half_width + 1)
    impl(h, np.array([delay + lead]), np.array([1.0]))
    y = np.convolve(x, h)[lead:lead + n]
    ref = fft_delay(x, delay)
    edge = 64  # away from the edges (filter half-width 16 + delay)
    err = rel_rms_db(y[edge:-edge], ref[edge:-edge])
    assert err < -40.0, f"delay {delay}: relative RMS error {err:.1f} dB"


def test_delay_signal_helper_and_documented_accuracy():
    x = bandlimited_noise(4096, 0.4, seed=2)
    y = delay_signal(x, 7.3)
    assert rel_rms_db(y[64:-64], fft_delay(x, 7.3)[64:-64]) < -80.0
    assert DEFAULT_DESIGN.max_error_db(0.4) < -85.0


@pytest.mark.parametrize("impl", [accumulate_arrivals, accumulate_arrivals_numpy], ids=["numba", "numpy"])
def test_integer_delay_is_a_single_tap(impl):
    h = impl(np.zeros(64), np.array([20.0]), np.array([0.7]))
    assert h[20] == pytest.approx(0.7, abs=1e-12)
    assert np.max(np.abs(np.delete(h, 20))) < 1e-9
    start, taps = fractional_delay_taps(np.array([5.0]))
    assert taps[0, 5 - start[0]] == pytest.approx(1.0)
    assert np.sum(np.abs(taps)) == pytest.approx(1.0, abs=1e-9)


def test_fractional_taps_sum_to_one_and_centre_on_delay():
    # unit DC gain and the centroid of a symmetric-window sinc near the delay
    for d in (3.1, 10.5, 17.8, 100.999):
        start, taps = fractional_delay_taps(np.array([d]))
        n = start[0] + np.arange(taps.shape[1])
        assert np.sum(taps) == pytest.approx(1.0, abs=1e-4)
        assert np.sum(n * taps[0]) / np.sum(taps[0]) == pytest.approx(d, abs=1e-2)


def test_numba_kernel_agrees_with_numpy_reference_for_many_arrivals():
    rng = np.random.default_rng(3)
    d = rng.uniform(-20.0, 3000.0, 5000)  # includes arrivals cut at both ends of the response
    a = rng.standard_normal(5000)
    out_nb = accumulate_arrivals(np.zeros(2900), d, a)
    out_np = accumulate_arrivals_numpy(np.zeros(2900), d, a)
    assert np.max(np.abs(out_nb - out_np)) < 1e-6 * np.max(np.abs(out_np))


def test_accumulate_rejects_bad_input():
    with pytest.raises(ValueError):
        accumulate_arrivals(np.zeros(10), np.array([np.nan]), np.array([1.0]))
    with pytest.raises(ValueError):
        accumulate_arrivals(np.zeros(10), np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(TypeError):
        accumulate_arrivals(np.zeros(10, dtype=np.float32), np.array([1.0]), np.array([1.0]))


# ---------------------------------------------------------------------------------------------
# inter-aural cues
def test_itd_matches_path_difference_and_sign_gives_side(renderer):
    rng = np.random.default_rng(1234)
    positions = np.column_stack([rng.uniform(0.5, 5.0, 16), rng.uniform(-4.0, 4.0, 16), rng.uniform(-1.0, 1.0, 16)])
    positions[0] = (2.0, 0.0, 0.0)  # straight ahead: zero ITD
    for k, p in enumerate(positions):
        scene = make_scene([p])
        out = renderer.render(scene, clips_for(scene, seed=k, f_max=0.25))
        left, right = out.mixture
        tau = lag_samples(right, left)  # > 0: right lags, the left ear hears it first
        r_left, r_right = ear_distances(p)
        expected = (r_right - r_left) * FS / C
        assert abs(tau - expected) < 0.5, f"source {p}: lag {tau:.3f}, expected {expected:.3f}"
        if abs(expected) > 0.5:
            assert np.sign(tau) == np.sign(p[1]), f"source {p} on side {np.sign(p[1])} but lag {tau:.3f}"


def test_ild_sign_and_value(renderer):
    cases = {"left": (1.0, 1.0, 0.0), "right": (1.0, -1.0, 0.0), "ahead": (2.0, 0.0, 0.0)}
    ild = {}
    for name, p in cases.items():
        scene = make_scene([p], duration_s=1.0)
        out = renderer.render(scene, clips_for(scene))
        ild[name] = level_db(out.mixture[0, 200:]) - level_db(out.mixture[1, 200:])
        r_left, r_right = ear_distances(p)
        assert ild[name] == pytest.approx(20 * np.log10(r_right / r_left), abs=0.05)
    assert ild["left"] > 0.0
    assert ild["right"] < 0.0
    assert abs(ild["ahead"]) < 0.01


def test_mirroring_y_swaps_channels(renderer):
    rng = np.random.default_rng(7)
    for _ in range(4):
        p = rng.uniform([0.3, -3.0, -1.0], [4.0, 3.0, 1.0])
        q = p * np.array([1.0, -1.0, 1.0])
        scene_p, scene_q = make_scene([p]), make_scene([q])
        clip = clips_for(scene_p)  # same dry signal for both
        a = renderer.render(scene_p, clip).mixture
        b = renderer.render(scene_q, clip).mixture
        scale = np.max(np.abs(a))
        assert np.max(np.abs(a[0] - b[1])) < 1e-6 * scale
        assert np.max(np.abs(a[1] - b[0])) < 1e-6 * scale
        assert np.max(np.abs(a[0] - a[1])) > 1e-3 * scale  # the channels do differ off-axis


def test_head_yaw_turns_sources_the_other_way(renderer):
    # head turned 90 deg to the left: a source straight ahead in the world is on the head's right
    ahead = make_scene([(2.0, 0.0, 0.0)], yaw_deg=90.0)
    right = make_scene([(0.0, -2.0, 0.0)])
    clip = clips_for(ahead)
    a = renderer.render(ahead, clip).mixture
    b = renderer.render(right, clip).mixture
    assert np.max(np.abs(a - b)) < 1e-5 * np.max(np.abs(b))
    assert level_db(a[1]) > level_db(a[0]) + 0.5
    # pitch down by 90 deg: the nose points at -z, so a source below the head is straight ahead
    below = make_scene([(0.0, 0.0, -2.0)], pitch_deg=90.0)
    front = make_scene([(2.0, 0.0, 0.0)])
    a = renderer.render(below, clip).mixture
    b = renderer.render(front, clip).mixture
    assert np.max(np.abs(a - b)) < 1e-5 * np.max(np.abs(b))


# ---------------------------------------------------------------------------------------------
# distance
def test_inverse_distance_law_and_propagation_delay(renderer):
    direction = np.array([0.8, 0.6, 0.0])
    levels, lags = [], []
    for r in (1.0, 2.0, 4.0):
        scene = make_scene([direction * r], head="mono", duration_s=1.0)
        clip = clips_for(scene, f_max=0.25)
        out = renderer.render(scene, clip)
        levels.append(level_db(out.mixture[0, 400:]))
        lags.append(lag_samples(out.mixture[0], clip[0]))
        assert lags[-1] == pytest.approx(r * FS / C, abs=0.05)  # absolute: r/c after t = 0
    assert levels[0] - levels[1] == pytest.approx(20 * np.log10(2.0), abs=0.1)
    assert levels[1] - levels[2] == pytest.approx(20 * np.log10(2.0), abs=0.1)
    assert lags[1] - lags[0] == pytest.approx(FS / C, abs=0.05)  # one more metre
    assert lags[2] - lags[1] == pytest.approx(2 * FS / C, abs=0.05)


def test_impulse_response_peak_amplitude_and_time(renderer):
    # a source at an exactly integer-sample distance: one tap of 1/r at r fs / c
    ir = renderer.impulse_response(Listener(head="mono"), (2.0, 0.0, 0.0), 320.0)  # 100 samples
    assert ir.shape[0] == 1
    assert np.argmax(np.abs(ir[0])) == 100
    assert ir[0, 100] == pytest.approx(0.5, rel=1e-12)
    assert np.sum(np.abs(ir)) == pytest.approx(0.5, rel=1e-12)
    # a hair off an integer (rounding): still one dominant tap of the right amplitude
    r = 343.0 * 100 / FS
    ir = renderer.impulse_response(Listener(head="mono"), (r, 0.0, 0.0), C)
    assert np.argmax(np.abs(ir[0])) == 100
    assert ir[0, 100] == pytest.approx(1.0 / r, rel=1e-6)


def test_render_uses_the_returned_impulse_responses(renderer):
    p = (1.2, -0.4, 0.3)
    scene = make_scene([p])
    out = renderer.render(scene, clips_for(scene))
    ir = renderer.impulse_response(scene.listener, p, C)
    assert out.impulse_responses[0].shape == ir.shape
    np.testing.assert_allclose(out.impulse_responses[0], ir, atol=1e-7)


@pytest.mark.parametrize("r", [0.05, 0.1, 0.25])
def test_close_sources_are_delayed_accurately(renderer, r):
    # closer than (H - 1) c / fs = 0.32 m: the interpolator needs taps before t = 0
    scene = make_scene([(r, 0.0, 0.0)], head="mono")
    clip = clips_for(scene)
    out = renderer.render(scene, clip).mixture[0].astype(np.float64)
    ref = fft_delay(clip[0], r * FS / C) / r
    assert rel_rms_db(out[64:-64], ref[64:-64]) < -60.0


# ---------------------------------------------------------------------------------------------
# mixing and output format
def test_stems_sum_to_mixture_and_mixing_is_linear(renderer):
    pa, pb = (1.5, 0.7, 0.2), (3.0, -2.0, -0.4)
    both = make_scene([pa, pb], gains=[0.0, -3.0])
    clips = clips_for(both)
    out = renderer.render(both, clips)
    assert isinstance(out, AudioRender)
    n = int(round(both.audio.duration_s * FS))
    assert out.mixture.shape == (2, n) and out.mixture.dtype == np.float32
    assert len(out.stems) == 2 and len(out.impulse_responses) == 2
    for s, ir in zip(out.stems, out.impulse_responses):
        assert s.shape == (2, n) and s.dtype == np.float32
        assert ir.ndim == 2 and ir.shape[0] == 2 and ir.dtype == np.float32
    scale = np.max(np.abs(out.mixture))
    assert np.max(np.abs(out.stems[0] + out.stems[1] - out.mixture)) < 1e-6 * scale
    only_a = renderer.render(make_scene([pa], gains=[0.0]), clips[:1]).mixture
    only_b = renderer.render(make_scene([pb], gains=[-3.0]), clips[1:]).mixture
    assert np.max(np.abs(only_a + only_b - out.mixture)) < 1e-6 * scale
    assert np.max(np.abs(only_a - out.stems[0])) < 1e-6 * scale
    # stem = gain * clip convolved with the returned response, truncated to n
    expected = np.stack([np.convolve(clips[1], h)[:n] for h in out.impulse_responses[1].astype(float)])
    assert np.max(np.abs(10 ** (-3 / 20) * expected - out.stems[1])) < 1e-5 * scale


def test_mono_head_gives_one_channel(renderer):
    scene = make_scene([(1.0, 1.0, 0.0)], head="mono")
    out = renderer.render(scene, clips_for(scene))
    assert out.mixture.shape == (1, int(round(0.5 * FS)))
    assert out.impulse_responses[0].shape[0] == 1
    assert renderer.ear_positions(scene.listener).shape == (1, 3)


def test_ear_positions(renderer):
    ears = renderer.ear_positions(Listener(head="spaced", ear_spacing_m=0.2))
    np.testing.assert_allclose(ears, [[0.0, 0.1, 0.0], [0.0, -0.1, 0.0]])


def test_gain_plus_6_db_doubles_amplitude(renderer):
    p = (2.0, 0.5, 0.0)
    base = make_scene([p], gains=[0.0])
    loud = make_scene([p], gains=[6.0])
    clip = clips_for(base)
    a = renderer.render(base, clip).mixture.astype(np.float64)
    b = renderer.render(loud, clip).mixture.astype(np.float64)
    ratio = np.sum(a * b) / np.sum(a * a)  # least-squares amplitude ratio
    assert ratio == pytest.approx(10 ** (6 / 20), rel=1e-5)
    assert ratio == pytest.approx(2.0, rel=5e-3)
    assert np.max(np.abs(b - ratio * a)) < 1e-5 * np.max(np.abs(b))


def test_no_sources_gives_silence(renderer):
    scene = make_scene([], duration_s=0.25)
    out = renderer.render(scene, [])
    assert out.mixture.shape == (2, 4000) and not np.any(out.mixture)
    assert out.stems == [] and out.impulse_responses == []


# ---------------------------------------------------------------------------------------------
# errors name the field
def test_rejects_hrtf_head(renderer):
    scene = make_scene([(1.0, 0.0, 0.0)], head="hrtf")
    with pytest.raises(ValueError, match="listener.head"):
        renderer.render(scene, clips_for(scene))


def test_rejects_other_rooms(renderer):
    scene = make_scene([(1.0, 0.0, 0.0)], room_type="shoebox")
    with pytest.raises(ValueError, match="room.type"):
        renderer.render(scene, clips_for(scene))


def test_rejects_mismatched_inputs(renderer):
    scene = make_scene([(1.0, 0.0, 0.0)])
    with pytest.raises(ValueError, match="samples"):
        renderer.render(scene, [np.zeros(100)])
    with pytest.raises(ValueError, match="clip"):
        renderer.render(scene, [])
    other_rate = make_scene([(1.0, 0.0, 0.0)], sample_rate=48000)
    with pytest.raises(ValueError, match="audio.sample_rate"):
        renderer.render(other_rate, clips_for(other_rate))
    at_ear = make_scene([(0.0, 0.085, 0.0)])
    with pytest.raises(ValueError, match="position_m"):
        renderer.render(at_ear, clips_for(at_ear))
