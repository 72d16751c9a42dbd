"""Physics tests of the moving-source renderer (renderers/acoustic/moving.py): static agreement,
GCC-PHAT lateral angle along an arc, Doppler, audio-video sync, a turning head's ITD, a
reverberant room's decay."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import hilbert

from renderers.acoustic.moving import render_moving
from renderers.acoustic.room_renderer import RoomRenderer
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0
SPACING = 0.17
DT = 0.01  # control interval, seconds


@pytest.fixture(scope="module")
def renderer() -> RoomRenderer:
    return RoomRenderer(FS)


def shoebox(**kw) -> Room:
    return Room(type="shoebox", size_m=(6.0, 5.0, 3.0), listener_position_m=(2.0, 2.5, 1.5), speed_of_sound_m_s=C,
                rt60_s=0.5, **kw)


def static_scene(p, head: str, room: Room, n: int) -> Scene:
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                 listener=Listener(head=head, ear_spacing_m=SPACING), room=room, audio=AudioSettings(FS, n / FS),
                 sources=[Source(id=0, category="noise", clip="noise", position_m=tuple(map(float, p)))], render_seed=5)


def controls(n: int) -> np.ndarray:
    """Control times covering n samples."""
    return np.arange(int(np.ceil(n / FS / DT)) + 2) * DT


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def gcc_phat_lag(left: np.ndarray, right: np.ndarray, max_lag_s: float, up: int = 32) -> float:
    """Seconds by which the right channel trails the left (GCC-PHAT, cross-spectrum interpolated)."""
    n = left.shape[0]
    spec = np.fft.rfft(right, 2 * n) * np.conj(np.fft.rfft(left, 2 * n))
    spec /= np.maximum(np.abs(spec), 1e-12)
    cc = np.fft.irfft(spec, 2 * n * up)
    m = int(np.ceil(max_lag_s * FS * up)) + up
    cc = np.concatenate([cc[-m:], cc[:m + 1]])
    return (np.argmax(cc) - m) / (FS * up)


@pytest.mark.parametrize("head,room", [("spaced", Room(speed_of_sound_m_s=C)), ("hrtf", shoebox()),
                                       ("mono", shoebox(air_absorption=True, max_order=4))])
def test_static_trajectory_equals_the_static_renderer(renderer, head, room):
    """Tolerance: correlation > 0.999 and level within 0.1 dB per channel (measured: >= 0.9997,
    <= 0.04 dB; free field 1 - 1e-10)."""
    n = 8000
    x = np.random.default_rng(1).standard_normal(n)
    p = np.array([1.8, 0.9, 0.2])
    sc = static_scene(p, head, room, n)
    ref = renderer.render(sc, [x]).stems[0].astype(float)
    t = controls(n)
    y = render_moving(x, FS, np.tile(p, (t.size, 1)), np.zeros((t.size, 3)), np.zeros(t.size), DT, room=room,
                      listener=sc.listener, renderer=renderer, render_seed=5)
    assert y.shape == ref.shape
    for e in range(y.shape[0]):
        assert corr(y[e], ref[e]) > 0.999
        assert abs(10 * np.log10(np.sum(y[e] ** 2) / np.sum(ref[e] ** 2))) < 0.1


def test_arc_gcc_phat_lateral_angle_follows_the_trajectory(renderer):
    """Spaced head, free field: a source on an arc (2 m, azimuth -60 -> +60 degrees in 2 s);
    GCC-PHAT per 100 ms window gives the annotated lateral angle at the window's centre within 3 degrees."""
    n = 2 * FS
    t = controls(n)
    az = np.radians(-60.0 + 60.0 * t)  # 60 degrees / s
    src = 2.0 * np.stack([np.cos(az), np.sin(az), np.zeros_like(az)], axis=-1)
    x = np.random.default_rng(2).standard_normal(n)
    y = render_moving(x, FS, src, np.zeros_like(src), np.zeros(t.size), DT, room=Room(speed_of_sound_m_s=C),
                      listener=Listener(head="spaced", ear_spacing_m=SPACING), renderer=renderer)
    win = FS // 10
    errors = []
    for w0 in range(0, n - win + 1, win):
        tau = gcc_phat_lag(y[0, w0:w0 + win], y[1, w0:w0 + win], SPACING / C)
        est = np.degrees(np.arcsin(np.clip(tau * C / SPACING, -1, 1)))
        tc = (w0 + win / 2) / FS
        true = -60.0 + 60.0 * tc  # lateral angle = azimuth for a horizontal source
        errors.append(abs(est - true))
    assert len(errors) == 20
    assert max(errors) < 3.0, np.round(errors, 2)


def emission_time(t: float, src_of, rcv: np.ndarray) -> float:
    """Solve t - te = |rcv - src(te)| / c by bisection (independent of the renderer's iteration)."""
    lo, hi = t - 1.0, t
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t - mid > np.linalg.norm(rcv - src_of(mid)) / C:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def test_doppler_of_a_passing_tone(renderer):
    """1 kHz tone passing 3 m from a mono receiver at 20 m/s: the instantaneous frequency while
    approaching and receding is f c / (c - v_r) (v_r at emission time) within 1 % (and 0.1 %)."""
    f0, v, n = 1000.0, 20.0, 2 * FS
    t = controls(n)
    src = np.stack([-20.0 + v * t, np.full_like(t, 3.0), np.zeros_like(t)], axis=-1)
    x = np.sin(2 * np.pi * f0 * np.arange(n) / FS)
    y = render_moving(x, FS, src, np.zeros_like(src), np.zeros(t.size), DT, room=Room(speed_of_sound_m_s=C),
                      listener=Listener(head="mono"), renderer=renderer)[0]
    phase = np.unwrap(np.angle(hilbert(y)))
    inst = np.gradient(phase) * FS / (2 * np.pi)
    src_of = lambda te: np.array([-20.0 + v * te, 3.0, 0.0])  # noqa: E731
    checked = {"approaching": 0, "receding": 0}
    for tc in np.arange(0.2, 1.85, 0.1):
        if 0.9 < tc < 1.15:  # closest approach near t = 1 s + 9 ms: the frequency sweeps fast
            continue
        i = int(tc * FS)
        measured = float(np.mean(inst[i - 200:i + 200]))
        te = emission_time(tc, src_of, np.zeros(3))
        s = src_of(te)
        v_r = -float(np.dot(s, [v, 0.0, 0.0])) / np.linalg.norm(s)  # towards the listener
        expected = f0 * C / (C - v_r)
        assert abs(measured / expected - 1) < 0.01
        assert abs(measured / expected - 1) < 0.001, (tc, measured, expected)
        checked["approaching" if v_r > 0 else "receding"] += 1
    assert checked["approaching"] >= 5 and checked["receding"] >= 5
    assert max(inst[int(0.3 * FS)], 0) > 1.05 * f0 and inst[int(1.7 * FS)] < 0.95 * f0


def arrival_time(y: np.ndarray) -> float:
    """Seconds of the peak of a band-limited impulse (parabola through the largest sample)."""
    i = int(np.argmax(np.abs(y)))
    y0, y1, y2 = np.abs(y[i - 1:i + 2])
    return (i + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)) / FS


@pytest.mark.parametrize("moving_listener", [False, True])
def test_impulse_at_frame_time_arrives_r_over_c_later(renderer, moving_listener):
    """An impulse emitted at frame k's time k / fps (fps 10) from a moving source arrives at the
    head centre (mono) r / c later, r from the source's position at emission to the head at
    arrival: within one sample (and 0.25 sample, the peak-picking parabola's own error)."""
    n, fps = FS, 10
    t = controls(n)
    src = np.stack([1.0 + 10.0 * t, 2.0 - 5.0 * t, 0.3 * t], axis=-1)  # 11.5 m/s
    lis = np.stack([0.5 * t, -1.0 * t, 0 * t], axis=-1) if moving_listener else np.zeros_like(src)
    for k in (2, 5, 7):
        t0 = k / fps
        x = np.zeros(n)
        x[int(round(t0 * FS))] = 1.0
        y = render_moving(x, FS, src, lis, np.zeros(t.size), DT, room=Room(speed_of_sound_m_s=C),
                          listener=Listener(head="mono"), renderer=renderer)[0]
        s0 = np.interp(t0, t, src[:, 0]), np.interp(t0, t, src[:, 1]), np.interp(t0, t, src[:, 2])
        ta = t0
        for _ in range(50):  # arrival: ta - t0 = |L(ta) - S(t0)| / c
            lp = np.array([np.interp(ta, t, lis[:, j]) for j in range(3)])
            ta = t0 + np.linalg.norm(lp - np.array(s0)) / C
        got = arrival_time(y)
        assert abs(got - ta) * FS < 1.0
        assert abs(got - ta) * FS < 0.25, (k, got, ta)  # the parabola itself errs by ~0.1 sample


def test_turning_head_moves_the_itd_from_the_side_to_the_centre(renderer):
    """KEMAR head turning left by 90 degrees in 2 s towards a fixed source on its left (2 m):
    the GCC-PHAT ITD per 100 ms window goes from the left side (> 0.5 ms, left ear leading) to
    the centre, equal within 20 us to the static renderer's with the head at the window
    centre's yaw (measured the same way)."""
    n = 2 * FS
    t = controls(n)
    yaw = np.clip(45.0 * t, 0.0, 90.0)
    src = np.tile([0.0, 2.0, 0.0], (t.size, 1))
    x = np.random.default_rng(4).standard_normal(n)
    room = Room(speed_of_sound_m_s=C)
    y = render_moving(x, FS, src, np.zeros_like(src), yaw, DT, room=room, listener=Listener(head="hrtf"),
                      renderer=renderer)
    win = FS // 10
    itds, expected = [], []
    for w0 in range(0, n - win + 1, win):
        itds.append(gcc_phat_lag(y[0, w0:w0 + win], y[1, w0:w0 + win], 0.001))
        sc = static_scene(src[0], "hrtf", room, n)
        sc.listener.yaw_deg = 45.0 * (w0 + win / 2) / FS
        ref = renderer.render(sc, [x]).stems[0].astype(float)
        expected.append(gcc_phat_lag(ref[0, w0:w0 + win], ref[1, w0:w0 + win], 0.001))
    itds, expected = np.array(itds), np.array(expected)
    assert itds[0] > 0.5e-3 and abs(itds[-1]) < 0.05e-3
    assert np.all(np.diff(itds) < 1e-5)  # monotone (to within the GCC's 2 us steps)
    assert np.max(np.abs(itds - expected)) < 20e-6, np.round(1e6 * (itds - expected), 1)


def decay_slope_db_s(y: np.ndarray, start: int) -> float:
    """Decay rate (dB/s, negative) of the energy envelope from ``start``: straight-line fit over
    the 5 to 25 dB drop of the backward-integrated energy."""
    e = np.cumsum((np.sum(y[:, start:] ** 2, axis=0))[::-1])[::-1]
    db = 10 * np.log10(e / e[0])
    sel = (db < -5) & (db > -25)
    tt = np.arange(db.size)[sel] / FS
    return float(np.polyfit(tt, db[sel], 1)[0])


def test_reverberant_moving_source_is_finite_and_decays_like_the_static_one(renderer):
    """KEMAR in the shoebox (RT60 0.5 s): a 0.6 s noise burst from a source moving at 1.5 m/s;
    finite output, the decay after the burst within 10 % of the static render's (source at the
    trajectory's mean position), energy within 1.5 dB."""
    n = int(1.4 * FS)
    t = controls(n)
    src = np.stack([1.5 - 1.5 * t, 0.8 + 0.5 * t, 0.2 + 0 * t], axis=-1)
    src = np.where(t[:, None] > 0.6, src[np.searchsorted(t, 0.6)], src)  # stops when the burst ends
    x = np.random.default_rng(6).standard_normal(n)
    x[int(0.6 * FS):] = 0.0
    room = shoebox()
    y = render_moving(x, FS, src, np.zeros_like(src), np.zeros(t.size), DT, room=room,
                      listener=Listener(head="hrtf"), renderer=renderer, render_seed=5)
    assert np.all(np.isfinite(y))
    mean = src[t <= 1.4].mean(axis=0)
    ref = renderer.render(static_scene(mean, "hrtf", room, n), [x]).stems[0].astype(float)
    start = int(0.62 * FS)
    s_mov, s_ref = decay_slope_db_s(y, start), decay_slope_db_s(ref, start)
    assert abs(s_mov / s_ref - 1) < 0.10, (s_mov, s_ref)
    assert abs(10 * np.log10(np.sum(y ** 2) / np.sum(ref ** 2))) < 1.5
