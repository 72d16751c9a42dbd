"""Physics tests of the room renderer: free field, image sources, RT60, tails, mixing, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.signal import butter, correlate, correlation_lags, csd, sosfiltfilt, welch

from renderers.acoustic import make_acoustic_renderer
from renderers.acoustic.free_field import FreeFieldRenderer
from renderers.acoustic.room_renderer import RoomRenderer
from renderers.acoustic.room_kinds import build_room
from renderers.acoustic.rooms import eyring_absorption, eyring_rt60
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0
SPACING = 0.17


def noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def lowpass_noise(n: int, seed: int = 0, f_max: float = 0.25) -> np.ndarray:
    """Noise with no energy above f_max (cycles/sample): its correlation peak is smooth, so a
    parabola through the peak locates lags to a few hundredths of a sample."""
    spec = np.fft.rfft(noise(n, seed))
    spec[np.fft.rfftfreq(n) > f_max] = 0.0
    return np.fft.irfft(spec, n)


def lag_samples(late: np.ndarray, early: np.ndarray) -> float:
    xc = correlate(np.asarray(late, float), np.asarray(early, float), mode="full", method="fft")
    lags = correlation_lags(len(late), len(early), mode="full")
    i = int(np.argmax(xc))
    y0, y1, y2 = xc[i - 1], xc[i], xc[i + 1]
    return float(lags[i] + 0.5 * (y0 - y2) / (y0 - 2.0 * y1 + y2))


def scene(positions, head="spaced", room=None, duration=0.5, gains=None, seed=0, yaw=0.0, fs=FS) -> Scene:
    gains = gains or [0.0] * len(positions)
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                 listener=Listener(head=head, ear_spacing_m=SPACING, yaw_deg=yaw),
                 room=room or Room(speed_of_sound_m_s=C), audio=AudioSettings(fs, duration),
                 sources=[Source(id=k, category="noise", clip="noise", position_m=tuple(map(float, p)), gain_db=g)
                          for k, (p, g) in enumerate(zip(positions, gains))], render_seed=seed)


def shoebox(size=(6.0, 5.0, 3.0), listener=(2.0, 2.5, 1.5), **kw) -> Room:
    kw.setdefault("rt60_s", 0.5)
    return Room(type="shoebox", size_m=size, listener_position_m=listener, speed_of_sound_m_s=C, **kw)


def clips(sc: Scene, seed: int = 0):
    n = int(round(sc.audio.duration_s * sc.audio.sample_rate))
    return [noise(n, seed + k) for k in range(len(sc.sources))]


@pytest.fixture(scope="module")
def renderer() -> RoomRenderer:
    return make_acoustic_renderer(FS)


def response(renderer, sc, k=0):
    """Source k's response (C, L) from t = 0, uncut."""
    irs, lead = renderer.impulse_responses(sc, n=0)
    return irs[k][:, lead:]


def measure_rt60(h: np.ndarray) -> float:
    from pyroomacoustics.experimental import measure_rt60 as pra_rt60

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pra_rt60(h, FS, decay_db=30))


# ---------------------------------------------------------------------------------------------
# free field
@pytest.mark.parametrize("head", ["spaced", "mono"])
def test_free_field_room_equals_free_field_renderer(renderer, head):
    sc = scene([(1.2, -0.4, 0.3), (0.2, 0.1, 0.0), (3.0, 2.0, -0.5)], head=head, gains=[0.0, -6.0, 3.0])
    a = renderer.render(sc, clips(sc))
    b = FreeFieldRenderer(FS).render(sc, clips(sc))
    scale = np.max(np.abs(b.mixture))
    assert np.max(np.abs(a.mixture - b.mixture)) < 1e-6 * scale
    for x, y in zip(a.impulse_responses, b.impulse_responses):
        assert x.shape == y.shape and np.max(np.abs(x - y)) < 1e-6


def test_spaced_itd_is_the_path_difference_and_follows_woodworth_where_the_models_agree(renderer):
    """Two omni ears in free field: the exact ITD is the path difference (r_R - r_L) / c; it is
    tested to 0.1 sample (on noise band-limited to 0.25 fs, whose correlation peak a
    parabola fits well). Woodworth's far-field ITD (a / c)(theta + sin theta), a = spacing / 2,
    models a rigid sphere (the wave creeps around the head), so it exceeds the spaced ears' path
    difference (~ (2a / c) sin theta) by (a / c)(theta - sin theta): at 16 kHz and a = 8.5 cm that
    stays within 1 sample up to a lateral angle of about 66 degrees, where it is tested."""
    rng = np.random.default_rng(21)
    a = SPACING / 2
    for k in range(12):
        lateral = rng.uniform(-60.0, 60.0)
        r = rng.uniform(2.0, 5.0)
        el = rng.uniform(-15.0, 15.0)
        # a point at that lateral angle (asin(y / r)) and elevation-ish offset
        y = r * np.sin(np.radians(lateral))
        rest = np.sqrt(r ** 2 - y ** 2)
        p = np.array([rest * np.cos(np.radians(el)), y, rest * np.sin(np.radians(el))])
        sc = scene([p])
        out = renderer.render(sc, [lowpass_noise(8000, seed=k)]).mixture.astype(float)
        tau = lag_samples(out[1], out[0])  # > 0: the left ear leads
        r_l = np.linalg.norm(p - [0, a, 0])
        r_r = np.linalg.norm(p - [0, -a, 0])
        assert tau == pytest.approx((r_r - r_l) * FS / C, abs=0.1)
        theta = np.radians(lateral)
        woodworth = a / C * (theta + np.sin(theta)) * FS
        assert abs(tau - woodworth) < 1.0, f"lateral {lateral:.1f}: {tau:.2f} vs Woodworth {woodworth:.2f} samples"


def test_gcc_phat_recovers_the_lateral_angle_within_3_degrees(renderer):
    rng = np.random.default_rng(8)
    errors = []
    for k in range(10):
        az, el, r = rng.uniform(-60, 60), rng.uniform(-20, 20), rng.uniform(1.5, 4.0)
        p = r * np.array([np.cos(np.radians(el)) * np.cos(np.radians(az)),
                          np.cos(np.radians(el)) * np.sin(np.radians(az)), np.sin(np.radians(el))])
        sc = scene([p])
        left, right = renderer.render(sc, clips(sc, seed=100 + k)).mixture.astype(float)
        # GCC-PHAT, cross-spectrum interpolated 32 times
        n = left.shape[0]
        spec = np.fft.rfft(right, 2 * n) * np.conj(np.fft.rfft(left, 2 * n))
        spec /= np.maximum(np.abs(spec), 1e-12)
        up = 32
        cc = np.fft.irfft(spec, 2 * n * up)
        max_lag = int(np.ceil(SPACING / C * FS * up)) + up
        cc = np.concatenate([cc[-max_lag:], cc[:max_lag + 1]])
        tau = (np.argmax(cc) - max_lag) / (FS * up)  # seconds, > 0: left ear leads
        lateral_est = np.degrees(np.arcsin(np.clip(tau * C / SPACING, -1, 1)))
        lateral_true = np.degrees(np.arcsin(p[1] / np.linalg.norm(p)))
        errors.append(abs(lateral_est - lateral_true))
    assert max(errors) < 3.0, np.round(errors, 2)


# ---------------------------------------------------------------------------------------------
# image sources
@pytest.mark.parametrize("size,listener,source,alpha,order", [
    ((6.0, 5.0, 3.0), (2.0, 2.5, 1.5), (1.5, 0.7, 0.1), 0.2, 6),
    ((4.0, 3.0, 2.5), (1.5, 1.2, 1.2), (1.7, -0.6, 0.4), 0.35, 10),
    ((9.0, 6.0, 3.2), (5.0, 2.0, 1.1), (-2.5, 1.0, 1.0), 0.1, 3),
])
def test_image_sources_match_pyroomacoustics(renderer, size, listener, source, alpha, order):
    """Our Numba image sources against pyroomacoustics' ISM for the same shoebox, order, wall
    absorption and omni receivers (the spaced head's ears). pyroomacoustics' default 15 Hz
    high-pass on RIRs is turned off for the comparison: ISM responses carry a large DC part
    that the filter reshapes. Both use the 1/r amplitude; pyroomacoustics delays everything by
    40 samples (half its 81-tap interpolator), removed by aligning on the correlation peak."""
    import pyroomacoustics as pra

    room = shoebox(size, listener, rt60_s=None, materials={"all": alpha}, max_order=order, late="none")
    ours = response(renderer, scene([source], room=room))
    old = pra.constants.get("rir_hpf_enable")
    pra.constants.set("rir_hpf_enable", False)
    try:
        pr = pra.ShoeBox(size, fs=FS, materials=pra.Material(alpha), max_order=order, air_absorption=False,
                         use_rand_ism=False)
        pr.add_source(np.add(listener, source))
        pr.add_microphone_array(np.array([np.add(listener, [0, SPACING / 2, 0]),
                                          np.add(listener, [0, -SPACING / 2, 0])]).T)
        pr.compute_rir()
    finally:
        pra.constants.set("rir_hpf_enable", old)
    for e in range(2):
        ref = np.asarray(pr.rir[e][0], float)
        n = min(ours.shape[1] + 40, ref.shape[0])
        a = np.zeros(n)
        a[40:] = ours[e, :n - 40]
        b = ref[:n]
        corr = np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)
        assert corr >= 0.99, f"ear {e}: normalised correlation {corr:.4f}"
        assert np.sum(a ** 2) / np.sum(b ** 2) == pytest.approx(1.0, rel=0.05)  # same 1/r level


def test_polyhedral_rooms_equal_the_shoebox(renderer, tmp_path):
    """A box given as an extruded floor plan or as a mesh file goes through pyroomacoustics' general
    image-source engine; it must give the shoebox lattice's responses."""
    import trimesh

    mats = {"all": 0.2, "floor": 0.5}
    kw = dict(listener_position_m=(2.0, 2.5, 1.5), materials=mats, max_order=4, late="none", speed_of_sound_m_s=C)
    box = Room(type="shoebox", size_m=(6.0, 5.0, 3.0), **kw)
    plan = Room(type="polyhedron", floor_plan=[(0, 0), (6, 0), (6, 5), (0, 5)], height_m=3.0, **kw)
    mesh = trimesh.creation.box(extents=(6.0, 5.0, 3.0))
    mesh.apply_translation((3.0, 2.5, 1.5))
    path = tmp_path / "box.stl"
    mesh.export(path)
    from_mesh = Room(type="polyhedron", mesh=str(path), **kw)
    for head in ("spaced", "hrtf"):
        ref = response(renderer, scene([(1.5, 0.7, 0.1)], head=head, room=box))
        for room in (plan, from_mesh):
            got = response(renderer, scene([(1.5, 0.7, 0.1)], head=head, room=room))
            assert got.shape == ref.shape  # pyroomacoustics computes its images in float32:
            assert np.max(np.abs(got - ref)) < 3e-4 * np.max(np.abs(ref))


def test_l_shaped_room_visibility_and_containment(renderer):
    plan = [(0, 0), (6, 0), (6, 3), (3, 3), (3, 6), (0, 6)]
    room = Room(type="polyhedron", floor_plan=plan, height_m=2.8, listener_position_m=(1.5, 1.5, 1.4), rt60_s=0.4,
                max_order=10, speed_of_sound_m_s=C)
    h = response(renderer, scene([(3.0, 0.5, 0.0)], head="hrtf", room=room))
    assert h.shape[0] == 2 and np.all(np.isfinite(h))
    assert measure_rt60(h[0]) == pytest.approx(0.4, rel=0.1)
    with pytest.raises(ValueError, match=r"scene.sources\[0\].position_m.*outside"):
        renderer.render(scene([(3.0, 3.0, 0.0)], room=room), [noise(8000)])  # in the notch


# ---------------------------------------------------------------------------------------------
# reverberation time
@pytest.mark.parametrize("size,listener", [((4.0, 3.0, 2.5), (1.5, 1.2, 1.2)), ((6.0, 5.0, 3.0), (2.0, 2.5, 1.5)),
                                           ((10.0, 7.0, 3.5), (3.0, 3.0, 1.6))])
@pytest.mark.parametrize("rt60", [0.3, 0.8])
def test_measured_rt60_matches_the_requested_one(renderer, size, listener, rt60):
    room = shoebox(size, listener, rt60_s=rt60, max_order=6)
    for head in ("mono", "hrtf"):
        h = response(renderer, scene([(1.5, 0.7, 0.1)], head=head, room=room))
        for ch in range(h.shape[0]):
            measured = measure_rt60(h[ch])
            assert measured == pytest.approx(rt60, rel=0.10), f"{head} channel {ch}: {measured:.3f} s"


def test_octave_band_materials_decay_per_band_as_predicted(renderer):
    mats = {"walls": "brickwork", "floor": "carpet_cotton", "ceiling": "plasterboard"}
    room = shoebox((7.0, 5.0, 3.0), (2.5, 2.0, 1.4), rt60_s=None, materials=mats, max_order=6)
    model = build_room(room, FS)
    assert not model.flat and model.n_bands == 7
    h = response(renderer, scene([(2.0, 1.0, 0.2)], head="mono", room=room))[0]
    for b, fc in enumerate(model.centres[1:6], start=1):
        # measured in a third-octave band around the centre: an octave-wide measuring filter
        # would mix in the neighbouring bands' (different) decays
        sos = butter(4, [fc / 2 ** (1 / 6), fc * 2 ** (1 / 6)], "bandpass", fs=FS, output="sos")
        measured = measure_rt60(sosfiltfilt(sos, h))
        assert measured == pytest.approx(model.rt60[b], rel=0.12), f"{fc:.0f} Hz: {measured:.3f} vs {model.rt60[b]:.3f}"
    assert model.rt60[0] > model.rt60[4]  # the carpet absorbs the highs


def test_rt60_inversion_round_trip_and_infeasible_requests():
    v, s = 90.0, 126.0
    for t in (0.2, 0.5, 1.5):
        alpha = eyring_absorption(t, v, s, C, np.zeros(1))
        assert eyring_rt60(alpha, v, s, C, np.zeros(1))[0] == pytest.approx(t, rel=1e-12)
    with pytest.raises(ValueError, match="room.rt60_s"):
        build_room(shoebox(rt60_s=0.02), FS)
    with pytest.raises(ValueError, match="room.rt60_s"):
        build_room(shoebox((30.0, 30.0, 10.0), (5.0, 5.0, 2.0), rt60_s=25.0, air_absorption=True), FS)
    with pytest.raises(ValueError, match="room.rt60_s"):
        build_room(shoebox(rt60_s=-1.0), FS)
    # octave-band materials that barely absorb: the reverberation time is checked, not exploded
    with pytest.raises(ValueError, match="room.materials"):
        build_room(shoebox((20.0, 15.0, 8.0), (5.0, 5.0, 2.0), rt60_s=None, materials={"all": 0.005}), FS)


def test_raytraced_late_part_is_binaural_and_decays_at_the_room_rate(renderer):
    room = shoebox((5.0, 4.5, 3.5), (2.0, 2.0, 1.6), rt60_s=None, max_order=3, late="raytrace",
                   materials={"all": {"absorption": 0.25, "scattering": 0.5}})
    model = build_room(room, FS)
    h = response(renderer, scene([(1.5, 0.8, 0.2)], head="hrtf", room=room))
    measured = measure_rt60(h[0])
    assert measured == pytest.approx(model.rt60[0], rel=0.15)
    late = h[:, int(0.08 * FS):int(0.3 * FS)]
    coh = np.dot(late[0], late[1]) / np.linalg.norm(late[0]) / np.linalg.norm(late[1])
    assert abs(coh) < 0.6  # two different ear signals, not a copy
    again = response(renderer, scene([(1.5, 0.8, 0.2)], head="hrtf", room=room))
    assert np.array_equal(h, again)  # rays seeded from render_seed


# ---------------------------------------------------------------------------------------------
# late tail statistics
def tail_coherence(h: np.ndarray, rt60: float, start_s: float = 0.1):
    seg = h[:, int(start_s * FS):]
    t = np.arange(seg.shape[1]) / FS
    seg = seg * np.exp(0.5 * np.log(1e6) / rt60 * t)  # undo the decay
    f, sxy = csd(seg[0], seg[1], fs=FS, nperseg=256)
    _, sxx = welch(seg[0], fs=FS, nperseg=256)
    _, syy = welch(seg[1], fs=FS, nperseg=256)
    return f, np.real(sxy) / np.sqrt(sxx * syy)


def test_stochastic_tail_has_the_diffuse_field_interaural_coherence(renderer):
    room = shoebox((7.0, 6.0, 3.0), (3.0, 3.0, 1.5), rt60_s=1.0, max_order=2)
    sel = None
    for head in ("spaced", "hrtf"):
        h = response(renderer, scene([(2.0, 1.0, 0.0)], head=head, room=room, duration=1.2))
        f, coh = tail_coherence(h, 1.0)
        sel = (f > 100) & (f < 6000)
        if head == "spaced":
            ref = np.sinc(2 * f * SPACING / C)  # sin(kd) / (kd)
        else:
            p_l, p_r, cross = renderer.hrtf(Listener(head="hrtf")).diffuse_field(f)
            ref = np.real(cross) / np.sqrt(p_l * p_r)
        assert np.mean(np.abs(coh - ref)[sel]) < 0.1, head
        assert coh[sel][0] > 0.8  # low frequencies are coherent, highs are not
        assert np.mean(np.abs(coh[f > 3000])) < 0.2


@pytest.mark.parametrize("size,listener,source,order,rt60", [
    ((6.0, 5.0, 3.0), (2.0, 2.5, 1.5), (1.5, 0.7, 0.1), 6, 0.6),
    ((10.0, 7.0, 3.5), (3.0, 3.0, 1.6), (2.0, 1.0, 0.0), 8, 0.9),
])
def test_tail_continues_the_image_sources_without_a_step(renderer, size, listener, source, order, rt60):
    """The energy just after the crossover time t_b (tail only) equals the image sources' energy
    just before it (image sources only), carried forward by the room's decay, within 1.5 dB;
    and the whole response decays at the requested rate."""
    from renderers.acoustic.ism import shoebox_completeness_distance

    room = shoebox(size, listener, rt60_s=rt60, max_order=order)
    model = build_room(room, FS)
    t_b = shoebox_completeness_distance(model, model.listener + source, model.listener, order) / C
    b, d, gap = int(t_b * FS), int(0.015 * FS), int(0.01 * FS)
    ism_only = shoebox(size, listener, rt60_s=rt60, max_order=order, late="none")
    for head in ("mono", "hrtf"):
        ism = response(renderer, scene([source], head=head, room=ism_only))
        before = np.sum(ism[:, b - gap - d:b - gap] ** 2) * np.exp(-np.log(1e6) / rt60 * (d + gap) / FS)
        for seed in (0, 1):
            hybrid = response(renderer, scene([source], head=head, room=room, seed=seed))
            after = np.sum(hybrid[:, b:b + d] ** 2)
            assert 10 * np.log10(after / before) == pytest.approx(0.0, abs=1.5), (head, seed)
    frames = np.add.reduceat(hybrid[0, b:b + int(0.4 * FS)] ** 2, np.arange(0, int(0.4 * FS), 160))
    slope = np.polyfit(np.arange(frames.shape[0]) * 0.01, 10 * np.log10(frames), 1)[0]
    assert slope == pytest.approx(-60.0 / rt60, rel=0.1)


# ---------------------------------------------------------------------------------------------
# mixing, noise, determinism, air
def test_stems_sum_to_the_mixture_and_use_the_returned_responses(renderer):
    room = shoebox(max_order=4)
    sc = scene([(1.5, 0.7, 0.1), (-1.0, -1.5, 0.3)], head="hrtf", room=room, gains=[0.0, -6.0], duration=1.0)
    cl = clips(sc)
    out = renderer.render(sc, cl)
    n = FS
    assert out.mixture.shape == (2, n) and out.mixture.dtype == np.float32
    assert np.max(np.abs(out.stems[0] + out.stems[1] - out.mixture)) < 1e-5 * np.max(np.abs(out.mixture))
    ir = out.impulse_responses[1].astype(float)
    assert ir.shape[0] == 2 and ir.shape[1] <= n
    expected = 10 ** (-6 / 20) * np.stack([np.convolve(cl[1], ir[e])[:n] for e in range(2)])
    # the response is returned from t = 0: the few interpolator taps before it are not in it
    assert np.sqrt(np.mean((expected - out.stems[1]) ** 2)) < 1e-3 * np.sqrt(np.mean(out.stems[1] ** 2))


def test_background_noise_at_the_requested_snr_is_diffuse_and_seeded(renderer):
    room = shoebox(noise_snr_db=10.0, max_order=3)
    sc = scene([(1.5, 0.7, 0.1)], room=room, seed=3, duration=1.0)
    out = renderer.render(sc, clips(sc))
    clean = np.sum(out.stems, axis=0)
    added = out.mixture.astype(float) - clean
    snr = 10 * np.log10(np.mean(clean.astype(float) ** 2) / np.mean(added ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)
    again = renderer.render(sc, clips(sc))
    assert np.array_equal(out.mixture, again.mixture)
    other = renderer.render(scene([(1.5, 0.7, 0.1)], room=room, seed=4, duration=1.0), clips(sc))
    assert not np.array_equal(out.mixture, other.mixture)
    coh = np.dot(added[0], added[1]) / np.linalg.norm(added[0]) / np.linalg.norm(added[1])
    assert abs(coh) < 0.3  # two ears 17 cm apart in a diffuse field: mostly incoherent broadband


def test_render_seed_changes_only_the_stochastic_tail(renderer):
    room = shoebox(rt60_s=0.6, max_order=6)
    a = response(renderer, scene([(1.5, 0.7, 0.1)], head="hrtf", room=room, seed=1))
    b = response(renderer, scene([(1.5, 0.7, 0.1)], head="hrtf", room=room, seed=1))
    c = response(renderer, scene([(1.5, 0.7, 0.1)], head="hrtf", room=room, seed=2))
    assert np.array_equal(a, b)
    early = int(0.015 * FS)
    assert np.max(np.abs(a[:, :early] - c[:, :early])) < 1e-9 * np.max(np.abs(a))
    assert np.max(np.abs(a[:, int(0.1 * FS):] - c[:, int(0.1 * FS):])) > 1e-3 * np.max(np.abs(a))


def test_air_absorption_attenuates_high_frequencies_over_distance(renderer):
    r = 40.0
    for air in (False, True):
        sc = scene([(r, 0.0, 0.0)], head="mono", room=Room(speed_of_sound_m_s=C, air_absorption=air), duration=1.0)
        h = response(renderer, sc)[0]
        spec = np.abs(np.fft.rfft(h, 8192)) * r
        f = np.fft.rfftfreq(8192, 1 / FS)
        if not air:
            assert np.allclose(spec[(f > 100) & (f < 6000)], 1.0, atol=1e-3)
        else:
            # amplitude exp(-m r / 2) with m = 1.9e-3 / m at 2 kHz and 5.8e-3 / m at 4 kHz
            assert spec[np.argmin(np.abs(f - 2000))] == pytest.approx(np.exp(-0.5 * 1.9e-3 * r), rel=0.01)
            assert spec[np.argmin(np.abs(f - 4000))] == pytest.approx(np.exp(-0.5 * 5.8e-3 * r), rel=0.01)


def test_head_yaw_in_a_room_rotates_only_the_head(renderer):
    room = shoebox(max_order=3, late="none")
    for yaw, expected in ((0.0, 0.0), (90.0, SPACING * FS / C), (-90.0, -SPACING * FS / C)):
        h = response(renderer, scene([(2.0, 0.0, 0.0)], head="spaced", room=room, yaw=yaw))
        direct = h[:, :int(2.3 / C * FS)]  # before any reflection arrives
        # yaw 90: the left ear points to -x in the room, so the source ahead reaches the right ear first
        assert lag_samples(direct[0], direct[1]) == pytest.approx(expected, abs=0.1)


# ---------------------------------------------------------------------------------------------
# errors name the field
def test_errors_name_the_offending_field(renderer):
    n = 8000
    cases = [
        (scene([(10.0, 0.0, 0.0)], room=shoebox()), r"scene.sources\[0\].position_m"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(listener=(7.0, 2.0, 1.0))), "room.listener_position_m"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(listener=(2.0, 0.05, 1.0))), "room.listener_position_m"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(rt60_s=0.01)), "room.rt60_s"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(rt60_s=None)), "room.rt60_s"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(materials={"all": 0.3})), "mutually exclusive"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(rt60_s=None, materials={"roof": 0.3})), "room.materials.roof"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(rt60_s=None, materials={"all": "unobtainium"})), "room.materials.all"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(rt60_s=None, materials={"all": 1.5})), "room.materials.all"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(late="fancy")), "room.late"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(max_order=-1)), "room.max_order"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(size=(4.0, 3.0))), "room.size_m"),
        (scene([(1.0, 0.0, 0.0)], room=Room(type="polyhedron", listener_position_m=(1, 1, 1), rt60_s=0.4)),
         "room.mesh"),
        (scene([(1.0, 0.0, 0.0)], room=Room(type="polyhedron", floor_plan=[(0, 0), (4, 4), (4, 0), (0, 4)],
                                           height_m=3.0, listener_position_m=(1, 1, 1), rt60_s=0.4)),
         "room.floor_plan"),
        (scene([(1.0, 0.0, 0.0)], room=Room(type="cave")), "room.type"),
        (scene([(1.0, 0.0, 0.0)], head="binaural"), "listener.head"),
        (scene([(1.0, 0.0, 0.0)], room=shoebox(noise_snr_db=float("nan"))), "room.noise_snr_db"),
    ]
    for sc, match in cases:
        with pytest.raises(ValueError, match=match):
            renderer.render(sc, [noise(n)])
    with pytest.raises(ValueError, match="room.mesh"):
        renderer.render(scene([(1.0, 0.0, 0.0)], room=Room(type="polyhedron", mesh="/nonexistent.stl",
                                                           listener_position_m=(1, 1, 1), rt60_s=0.4)), [noise(n)])
    with pytest.raises(ValueError, match="audio.sample_rate"):
        renderer.render(scene([(1.0, 0.0, 0.0)], fs=48000), [noise(24000)])


def test_hot_path_cost_is_in_budget(renderer):
    """3 s at 16 kHz, binaural (KEMAR), reverberant shoebox, order 6, stochastic tail: the
    budget is ~20 ms on one core; asserted loosely (shared CI machines) at 100 ms."""
    import time

    room = shoebox((6.5, 5.0, 3.0), (2.5, 2.0, 1.5), rt60_s=0.6, max_order=6)
    sc = scene([(1.5, 0.7, 0.1)], head="hrtf", room=room, duration=3.0)
    cl = clips(sc)
    renderer.render(sc, cl)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        renderer.render(sc, cl)
        times.append(time.perf_counter() - t)
    assert min(times) < 0.1, f"{1e3 * min(times):.1f} ms"
