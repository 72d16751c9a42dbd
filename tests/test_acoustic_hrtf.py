"""Physics tests of the HRTF head: SOFA reading, interpolation, binaural cues (no snapshots)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import correlate, correlation_lags

from renderers.acoustic.hrtf import DEFAULT_SOFA, HRTF, load_hrtf, read_sofa
from renderers.acoustic.room_renderer import RoomRenderer
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source

FS = 16000
C = 343.0


def noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def lag_samples(late: np.ndarray, early: np.ndarray) -> float:
    """Sub-sample lag (parabolic peak) with late[n] ~ early[n - tau]."""
    xc = correlate(np.asarray(late, float), np.asarray(early, float), mode="full", method="fft")
    lags = correlation_lags(len(late), len(early), mode="full")
    i = int(np.argmax(xc))
    y0, y1, y2 = xc[i - 1], xc[i], xc[i + 1]
    return float(lags[i] + 0.5 * (y0 - y2) / (y0 - 2.0 * y1 + y2))


def direction(az_deg: float, el_deg: float = 0.0) -> np.ndarray:
    az, el = np.radians(az_deg), np.radians(el_deg)
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def scene(positions, head="hrtf", room=None, duration=0.5, yaw=0.0, pitch=0.0, sofa=None, fs=FS) -> Scene:
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                 listener=Listener(head=head, yaw_deg=yaw, pitch_deg=pitch, sofa=sofa),
                 room=room or Room(speed_of_sound_m_s=C), audio=AudioSettings(fs, duration),
                 sources=[Source(id=k, category="noise", clip="noise", position_m=tuple(map(float, p)))
                          for k, p in enumerate(positions)])


@pytest.fixture(scope="module")
def renderer() -> RoomRenderer:
    return RoomRenderer(FS)


def render(renderer, sc, seed=0):
    n = int(round(sc.audio.duration_s * sc.audio.sample_rate))
    return renderer.render(sc, [noise(n, seed + k) for k in range(len(sc.sources))]).mixture.astype(np.float64)


# ---------------------------------------------------------------------------------------------
# the bundled file and its preparation
def test_bundled_kemar_file_reads_and_is_licensed():
    data = read_sofa(DEFAULT_SOFA)
    assert data.sample_rate == 44100.0
    assert data.hrirs.shape == (710, 2, 512)
    np.testing.assert_allclose(np.linalg.norm(data.directions, axis=1), 1.0, atol=1e-12)
    front = np.argmax(data.directions @ [1.0, 0.0, 0.0])
    left = np.argmax(data.directions @ [0.0, 1.0, 0.0])
    assert np.allclose(data.directions[front], [1, 0, 0]) and np.allclose(data.directions[left], [0, 1, 0])
    # channel 0 is the LEFT ear: a source on the left is louder there
    assert np.sum(data.hrirs[left, 0] ** 2) > 5 * np.sum(data.hrirs[left, 1] ** 2)
    entries = json.loads((DEFAULT_SOFA.parent / "licenses.json").read_text())
    entry = next(e for e in entries if e["path"] == DEFAULT_SOFA.name)
    assert set(entry) >= {"path", "source", "license", "attribution", "notes"}
    assert "Gardner" in entry["attribution"]
    assert DEFAULT_SOFA.name in (DEFAULT_SOFA.parent / "LICENSES.md").read_text()


def test_hrtf_is_prepared_once_per_file_and_rate():
    a = load_hrtf(None, FS)
    assert load_hrtf("default", FS) is a
    assert load_hrtf(str(DEFAULT_SOFA), FS) is a
    b = load_hrtf(None, 48000)
    assert b is not a and b.sample_rate == 48000
    assert a.aligned.shape[1] == 2 and a.aligned.flags.c_contiguous
    # diffuse-field normalisation: mean diffuse power over 200 Hz - 5 kHz is 1
    f = np.linspace(200.0, 5000.0, 200)
    p_l, p_r, _ = a.diffuse_field(f)
    assert np.mean(0.5 * (p_l + p_r)) == pytest.approx(1.0, rel=0.05)


def test_lookup_is_exact_at_measured_directions_and_barycentric_elsewhere():
    h = load_hrtf(None, FS)
    m = h.n_measured
    idx, w = h.lookup(h.directions[:m])
    main = idx[np.arange(m), np.argmax(w, axis=1)]
    assert np.all(main == np.arange(m)) and np.all(np.max(w, axis=1) > 1 - 1e-9)
    u = np.random.default_rng(0).standard_normal((5000, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    idx, w = h.lookup(u)
    assert np.all(w >= 0) and np.allclose(w.sum(axis=1), 1.0)
    rebuilt = np.einsum("ak,akc->ac", w, h.directions[idx])
    rebuilt /= np.linalg.norm(rebuilt, axis=1, keepdims=True)
    assert np.max(np.linalg.norm(rebuilt - u, axis=1)) < 1e-9  # u lies in its triangle's cone
    near, wn = h.lookup(u, "nearest")
    assert np.all(near[:, 0] == np.argmax(u @ h.directions[:m].T, axis=1)) and np.all(wn[:, 0] == 1.0)


# ---------------------------------------------------------------------------------------------
# binaural cues of the KEMAR head in free field
def test_kemar_itd_grows_monotonically_to_the_side_with_a_plausible_maximum(renderer):
    itd_ms = []
    for az in range(0, 91, 10):
        out = render(renderer, scene([2.0 * direction(az)]))
        itd_ms.append(lag_samples(out[1], out[0]) / FS * 1e3)  # > 0: the left ear leads
    itd_ms = np.array(itd_ms)
    assert abs(itd_ms[0]) < 0.01
    assert np.all(np.diff(itd_ms) > 0.02), f"ITD not increasing with lateral angle: {np.round(itd_ms, 3)}"
    assert 0.65 <= itd_ms.max() <= 0.9, f"maximum ITD {itd_ms.max():.3f} ms"
    # the source's own side leads, behind as well as in front
    back = render(renderer, scene([2.0 * direction(-130.0, 20.0)]))
    assert lag_samples(back[1], back[0]) < -3.0


def test_kemar_ild_points_to_the_source_side(renderer):
    rng = np.random.default_rng(5)
    for _ in range(12):
        az = rng.uniform(10.0, 170.0) * rng.choice([-1.0, 1.0])
        el = rng.uniform(-35.0, 60.0)
        out = render(renderer, scene([1.5 * direction(az, el)]))
        ild = 10 * np.log10(np.mean(out[0] ** 2) / np.mean(out[1] ** 2))
        assert np.sign(ild) == np.sign(az), f"azimuth {az:.0f}, elevation {el:.0f}: ILD {ild:.2f} dB"
        assert abs(ild) > 0.5


def test_kemar_left_right_mirror_symmetry(renderer):
    # MIT KEMAR 'normal pinna' is a symmetric head; the triangulation is split symmetrically
    rng = np.random.default_rng(11)
    for _ in range(8):
        u = rng.standard_normal(3)
        u /= np.linalg.norm(u)
        a = render(renderer, scene([2.0 * u]))
        b = render(renderer, scene([2.0 * u * [1.0, -1.0, 1.0]]))
        scale = np.max(np.abs(a))
        assert np.max(np.abs(a[0] - b[1])) < 1e-5 * scale and np.max(np.abs(a[1] - b[0])) < 1e-5 * scale


def test_interpolated_hrtf_varies_smoothly_between_measured_directions(renderer):
    # ITD along a fine azimuth sweep through non-measured directions: no jumps
    itd = []
    for az in np.arange(20.0, 40.01, 1.0):
        out = render(renderer, scene([2.0 * direction(az, 15.0)]), seed=1)
        itd.append(lag_samples(out[1], out[0]))
    steps = np.diff(itd)
    assert np.all(steps > 0) and np.max(steps) < 0.5, np.round(steps, 3)


def test_direct_sound_follows_inverse_distance(renderer):
    u = direction(35.0, 10.0)
    levels = []
    for r in (0.5, 1.0, 2.0, 4.0):
        out = render(renderer, scene([r * u], duration=1.0))
        levels.append(10 * np.log10(np.mean(out[:, 800:] ** 2)))
    np.testing.assert_allclose(np.diff(levels), -20 * np.log10(2.0), atol=0.05)


@pytest.mark.parametrize("n, taps, lead", [(48000, 1900, 20), (100, 50, 3), (5000, 2000, 0), (16000, 30000, 40),
                                           (48000, 10, 5)])
def test_overlap_add_convolution_equals_the_direct_one(n, taps, lead):
    from renderers.acoustic.free_field import convolve_clip

    rng = np.random.default_rng(n + taps)
    x, ir = rng.standard_normal(n), rng.standard_normal((2, taps))
    ref = np.pad(np.array([np.convolve(x, h) for h in ir]), ((0, 0), (0, lead + n)))[:, lead:lead + n]
    y = convolve_clip(x, ir, lead, n)
    assert y.shape == (2, n) and y.dtype == np.float64
    assert np.max(np.abs(y - ref)) < 1e-6 * np.max(np.abs(ref))


def test_head_yaw_and_pitch_rotate_the_hrtf(renderer):
    # head turned 30 deg to the left: a source at azimuth 30 is straight ahead
    a = render(renderer, scene([2.0 * direction(30.0)], yaw=30.0))
    b = render(renderer, scene([2.0 * direction(0.0)]))
    assert np.max(np.abs(a - b)) < 1e-6 * np.max(np.abs(b))
    # head pitched down 30 deg: a source 30 deg below the horizon is straight ahead
    a = render(renderer, scene([2.0 * direction(0.0, -30.0)], pitch=30.0))
    assert np.max(np.abs(a - b)) < 1e-6 * np.max(np.abs(b))
    # yaw 90: a source straight ahead in the world is on the head's right
    a = render(renderer, scene([2.0 * direction(0.0)], yaw=90.0))
    assert np.mean(a[1] ** 2) > 3 * np.mean(a[0] ** 2)


# ---------------------------------------------------------------------------------------------
# any SimpleFreeFieldHRIR file
def write_sofa(path: Path, fs: float, dirs_deg: np.ndarray, irs: np.ndarray, receivers_y=(0.09, -0.09),
               convention="SimpleFreeFieldHRIR") -> Path:
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = np.bytes_("SOFA")
        f.attrs["SOFAConventions"] = np.bytes_(convention)
        f.create_dataset("Data.IR", data=irs)
        f.create_dataset("Data.SamplingRate", data=np.array([fs]))
        f["Data.SamplingRate"].attrs["Units"] = np.bytes_("hertz")
        f.create_dataset("Data.Delay", data=np.zeros((1, 2)))
        sp = f.create_dataset("SourcePosition", data=np.column_stack([dirs_deg, np.full(len(dirs_deg), 1.2)]))
        sp.attrs["Type"] = np.bytes_("spherical")
        sp.attrs["Units"] = np.bytes_("degree, degree, metre")
        rp = f.create_dataset("ReceiverPosition", data=np.array([[[0.0], [receivers_y[0]], [0.0]],
                                                                [[0.0], [receivers_y[1]], [0.0]]]))
        rp.attrs["Type"] = np.bytes_("cartesian")
        rp.attrs["Units"] = np.bytes_("metre")
        f.create_dataset("ListenerView", data=np.array([[1.0, 0.0, 0.0]]))
        f.create_dataset("ListenerUp", data=np.array([[0.0, 0.0, 1.0]]))
    return path


def spherical_head_set(fs=48000.0, step=10.0, a=0.0875, swap=False):
    """Synthetic HRIRs of a rigid-sphere-like head: each ear gets a band-limited impulse delayed
    by Woodworth's ear delay and scaled by a smooth head-shadow factor."""
    from renderers.acoustic.fractional_delay import fractional_delay_taps

    dirs = [(az, el) for el in np.arange(-80.0, 80.1, step) for az in np.arange(0.0, 360.0, step)]
    dirs += [(0.0, 90.0), (0.0, -90.0)]
    dirs = np.array(dirs)
    n = 256
    irs = np.zeros((len(dirs), 2, n))
    for m, (az, el) in enumerate(dirs):
        u = direction(az, el)
        for e, side in enumerate((1.0, -1.0)):
            cos_t = side * u[1]  # angle between the ear axis and the source
            theta = np.arccos(np.clip(cos_t, -1, 1))
            # Woodworth: lit ear -a cos(theta) / c; shadowed ear a (theta - pi/2) / c
            delay = -a * np.cos(theta) / C if theta < np.pi / 2 else a * (theta - np.pi / 2) / C
            start, taps = fractional_delay_taps(np.array([64 + delay * fs]))
            irs[m, e, start[0]:start[0] + taps.shape[1]] = taps[0] * (1.0 + 0.5 * cos_t)
    if swap:
        irs = irs[:, ::-1]
    return dirs, irs


@pytest.mark.parametrize("swap", [False, True], ids=["left-first", "right-first"])
def test_any_simple_free_field_sofa_file(tmp_path, swap):
    dirs, irs = spherical_head_set(swap=swap)
    path = write_sofa(tmp_path / "sphere.sofa", 48000.0, dirs, irs,
                      receivers_y=(-0.09, 0.09) if swap else (0.09, -0.09))
    h = HRTF(read_sofa(path), FS)
    assert h.n_measured == len(dirs)
    r = RoomRenderer(FS)
    a = 0.0875
    for az in (7.0, 23.0, 41.0, 66.0, 85.0):  # between the 10-degree grid points
        out = render(r, scene([2.0 * direction(az, 5.0)], sofa=str(path)))
        itd = lag_samples(out[1], out[0]) / FS
        lateral = np.arcsin(direction(az, 5.0)[1])
        expected = a / C * (lateral + np.sin(lateral))  # Woodworth, as built into the file
        assert itd == pytest.approx(expected, abs=1.5e-5), f"azimuth {az}: ITD {itd * 1e6:.1f} us"
        assert np.mean(out[0] ** 2) > np.mean(out[1] ** 2)


def test_bad_sofa_files_name_listener_sofa(tmp_path, renderer):
    with pytest.raises(ValueError, match="listener.sofa"):
        renderer.render(scene([(1.0, 0.0, 0.0)], sofa=str(tmp_path / "missing.sofa")), [noise(8000)])
    not_hdf = tmp_path / "text.sofa"
    not_hdf.write_text("hello")
    with pytest.raises(ValueError, match="listener.sofa"):
        read_sofa(not_hdf)
    dirs, irs = spherical_head_set(step=30.0)
    other = write_sofa(tmp_path / "fir.sofa", 48000.0, dirs, irs, convention="GeneralFIR")
    with pytest.raises(ValueError, match="listener.sofa.*SimpleFreeFieldHRIR"):
        read_sofa(other)
    with pytest.raises(ValueError, match="inside the 'hrtf' head"):
        renderer.render(scene([(0.05, 0.0, 0.0)]), [noise(8000)])
