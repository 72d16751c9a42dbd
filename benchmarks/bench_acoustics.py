"""Binaural room rendering: this project's RoomRenderer against pyroomacoustics, side by side.

    python benchmarks/bench_acoustics.py [--repeats 5] [--order 6] [--fs 16000] [--duration 3]

Same room (shoebox 6 x 5 x 3 m, every wall absorbing ``alpha`` of the energy), same listener and
source, same HRTF (the bundled MIT KEMAR SOFA file, resampled once with scipy's resample_poly
for both), same image-source order, sample rate and clip (3 s of noise):

* ours: ``RoomRenderer.render`` with ``listener.head = 'hrtf'`` and ``room.late = 'none'``
  (image sources only, like pyroomacoustics without ray tracing), with the default barycentric
  HRTF interpolation and with ``hrtf_interpolation='nearest'`` (pyroomacoustics' choice), and,
  for information, the default ``late = 'stochastic'``;
* pyroomacoustics 0.10: ``ShoeBox`` + ``MeasuredDirectivityFile(interp_order=None)`` for the
  two ears at the head centre (nearest measured direction per image source), ``simulate()``.
  Its database download is never triggered: the SOFA file is read by our h5py reader through
  ``file_reader_callback``. Building the ears' directivities for a head orientation
  (``get_mic_directivity``) is timed apart: a dataset with a random head yaw per sample pays it
  every sample ("cold"), one with a fixed head once ("warm").

Cue check (the two renderers must agree): ITD (cross-correlation lag, sub-sample) and ILD
(energy ratio) of the direct path within 1 sample and 1 dB, and the normalised correlation of
each ear's whole response (after delaying ours by the sub-sample lag of the cross-correlation
peak: pyroomacoustics' responses carry its 40-sample filter latency and the HRIR file's own
latency; both low-passed at 0.4 fs, where the two fractional-delay interpolators agree): >= 0.99
with the same (nearest) interpolation, >= 0.85 with ours (barycentric blends of three measured
HRIRs differ from the nearest one's). Prints the times and ratios; exits 1 if the cues disagree.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, correlate, correlation_lags, resample_poly, sosfiltfilt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from renderers.acoustic.hrtf import DEFAULT_SOFA, read_sofa  # noqa: E402
from renderers.acoustic.room_renderer import RoomRenderer  # noqa: E402
from simulator.scene import AudioSettings, Camera, Listener, Room, Scene, Source  # noqa: E402

SIZE = (6.0, 5.0, 3.0)
LISTENER = (2.0, 2.5, 1.5)
SOURCE = (1.8, 0.9, 0.2)  # head frame: 2.0 m away, 26.6 degrees to the left
ALPHA = 0.25


def lag(late: np.ndarray, early: np.ndarray) -> float:
    xc = correlate(late, early, mode="full", method="fft")
    lags = correlation_lags(late.shape[0], early.shape[0], mode="full")
    i = int(np.argmax(xc))
    y0, y1, y2 = xc[i - 1], xc[i], xc[i + 1]
    return float(lags[i] + 0.5 * (y0 - y2) / (y0 - 2.0 * y1 + y2))


def make_scene(fs: int, order: int, duration: float, late: str) -> Scene:
    room = Room(type="shoebox", size_m=SIZE, listener_position_m=LISTENER, materials={"all": ALPHA},
                max_order=order, late=late)
    return Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                 listener=Listener(head="hrtf"), room=room, audio=AudioSettings(fs, duration),
                 sources=[Source(id=0, category="noise", clip="noise", position_m=SOURCE)], render_seed=1)


def pra_setup(fs: int):
    import pyroomacoustics as pra
    from pyroomacoustics.directivities import MeasuredDirectivityFile, Rotation3D

    pra.constants.set("rir_hpf_enable", False)  # compare the raw responses

    def reader(path, fs):
        data = read_sofa(path)
        ir = resample_poly(data.hrirs, int(fs), int(data.sample_rate), axis=-1)
        u = data.directions
        src = np.array([np.arctan2(u[:, 1], u[:, 0]), np.arccos(np.clip(u[:, 2], -1, 1)), np.ones(u.shape[0])])
        rec = np.array([[0.0, 0.09, 0.0], [0.0, -0.09, 0.0]]).T
        return ir, fs, src, rec, None, ["left", "right"]

    hrtf = MeasuredDirectivityFile(str(DEFAULT_SOFA), fs=fs, interp_order=None, file_reader_callback=reader,
                                   mic_labels=["left", "right"])
    # identity orientation = the SOFA frame = the room axes (head looking along +x)
    return pra, hrtf, lambda: Rotation3D([0.0, 0.0, 0.0], "zyx")


def pra_render(pra, dirs, fs: int, order: int, clip: np.ndarray):
    room = pra.ShoeBox(list(SIZE), fs=fs, materials=pra.Material(ALPHA), max_order=order, air_absorption=False,
                       use_rand_ism=False)
    room.add_source(np.add(LISTENER, SOURCE), signal=clip)
    room.add_microphone(list(LISTENER), directivity=dirs[0])
    room.add_microphone(list(LISTENER), directivity=dirs[1])
    room.simulate()
    return room


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--order", type=int, default=6)
    ap.add_argument("--fs", type=int, default=16000)
    ap.add_argument("--duration", type=float, default=3.0)
    args = ap.parse_args(argv)
    fs, order = args.fs, args.order
    clip = np.random.default_rng(0).standard_normal(int(round(args.duration * fs)))

    # -- ours ---------------------------------------------------------------------------------
    def timed(renderer, scene):
        renderer.render(scene, [clip])  # warm: HRTF prepared, Numba kernels loaded
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = renderer.render(scene, [clip])
            times.append(time.perf_counter() - t)
        return out, times

    t = time.perf_counter()
    bary = RoomRenderer(fs)
    bary.render(make_scene(fs, order, args.duration, "none"), [clip])
    t_first = time.perf_counter() - t
    ours, ours_t = timed(bary, make_scene(fs, order, args.duration, "none"))
    _, stoch_t = timed(bary, make_scene(fs, order, args.duration, "stochastic"))
    ours_nn, nn_t = timed(RoomRenderer(fs, hrtf_interpolation="nearest"), make_scene(fs, order, args.duration, "none"))

    # -- pyroomacoustics ------------------------------------------------------------------------
    t = time.perf_counter()
    pra, hrtf_file, orientation = pra_setup(fs)
    t_file = time.perf_counter() - t
    dir_t, sim_t = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        dirs = (hrtf_file.get_mic_directivity("left", orientation=orientation()),
                hrtf_file.get_mic_directivity("right", orientation=orientation()))
        dir_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        room = pra_render(pra, dirs, fs, order, clip)
        sim_t.append(time.perf_counter() - t)

    # -- cues -----------------------------------------------------------------------------------
    ir_pra = np.array([np.asarray(room.rir[0][0], float), np.asarray(room.rir[1][0], float)])
    r_direct = float(np.linalg.norm(SOURCE))
    t_dir = int(round(r_direct / 343.0 * fs))
    w0, w1 = max(0, t_dir - int(0.001 * fs)), t_dir + int(0.0035 * fs)  # the direct sound, no reflection yet
    sos = butter(8, 0.4 * fs, "low", fs=fs, output="sos")

    def compare(ir_ours):
        shift = lag(ir_pra[0], ir_ours[0])  # pyroomacoustics' latency relative to ours, samples

        def cues(ir, offset):
            o = int(round(offset))
            seg = ir[:, w0 + o:w1 + o]
            return lag(seg[1], seg[0]) / fs * 1e3, 10 * np.log10(np.sum(seg[0] ** 2) / np.sum(seg[1] ** 2))

        n_fft = max(ir_ours.shape[1], ir_pra.shape[1]) + 256
        freqs = np.fft.rfftfreq(n_fft)
        corrs = []
        for e in range(2):
            # delay ours by the (fractional) latency difference, band-limited; compare below 0.4 fs
            a = np.fft.irfft(np.fft.rfft(ir_ours[e], n_fft) * np.exp(-2j * np.pi * freqs * shift), n_fft)
            b = np.zeros(n_fft)
            b[:ir_pra.shape[1]] = ir_pra[e]
            a, b = sosfiltfilt(sos, a), sosfiltfilt(sos, b)
            corrs.append(float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)))
        return cues(ir_ours, 0), cues(ir_pra, shift), corrs, shift

    (itd_o, ild_o), (itd_p, ild_p), corr_bary, shift = compare(ours.impulse_responses[0].astype(np.float64))
    _, _, corr_nn, _ = compare(ours_nn.impulse_responses[0].astype(np.float64))

    def ms(ts):
        return 1e3 * float(np.median(ts)), 1e3 * float(np.min(ts))

    ours_ms, ours_min = ms(ours_t)
    nn_ms, nn_min = ms(nn_t)
    stoch_ms, stoch_min = ms(stoch_t)
    warm_ms, warm_min = ms(sim_t)
    dir_ms, dir_min = ms(dir_t)
    cold_ms, cold_min = warm_ms + dir_ms, warm_min + dir_min
    print(f"binaural room rendering: shoebox {SIZE} m, alpha {ALPHA}, order {order}, {fs} Hz, "
          f"{args.duration:g} s clip, MIT KEMAR HRTF, {args.repeats} repeats (median / min)")
    print(f"  ours, ISM only, barycentric HRTF               {ours_ms:8.1f} / {ours_min:7.1f} ms"
          f"   (first call in the process {1e3 * t_first:.0f} ms)")
    print(f"  ours, ISM only, nearest HRTF (as pra)          {nn_ms:8.1f} / {nn_min:7.1f} ms")
    print(f"  ours, ISM + stochastic binaural tail (default) {stoch_ms:8.1f} / {stoch_min:7.1f} ms")
    print(f"  pyroomacoustics simulate(), ears reused        {warm_ms:8.1f} / {warm_min:7.1f} ms")
    print(f"  pyroomacoustics ears for the head pose         {dir_ms:8.1f} / {dir_min:7.1f} ms"
          f"   (MeasuredDirectivityFile: {1e3 * t_file:.0f} ms once)")
    print(f"  pyroomacoustics per sample with a new pose     {cold_ms:8.1f} / {cold_min:7.1f} ms")
    print(f"  speed-up (pra / ours, ISM only, barycentric; median, min): {warm_ms / ours_ms:.1f}x, "
          f"{warm_min / ours_min:.1f}x with the ears reused; {cold_ms / ours_ms:.0f}x, {cold_min / ours_min:.0f}x "
          "when each sample has its own head pose")
    print(f"  direct path ITD: ours {itd_o:.3f} ms, pra {itd_p:.3f} ms (difference "
          f"{abs(itd_o - itd_p) * fs / 1e3:.2f} samples)")
    print(f"  direct path ILD: ours {ild_o:.2f} dB, pra {ild_p:.2f} dB")
    print(f"  response correlation below 0.4 fs (ours delayed by {shift:.2f} samples):")
    print(f"    nearest HRTF (same interpolation as pra): left {corr_nn[0]:.4f}, right {corr_nn[1]:.4f}")
    print(f"    barycentric HRTF (ours, default):         left {corr_bary[0]:.3f}, right {corr_bary[1]:.3f}")
    ok = (abs(itd_o - itd_p) * fs / 1e3 < 1.0 and abs(ild_o - ild_p) < 1.0 and min(corr_nn) > 0.99
          and min(corr_bary) > 0.85)
    print("  cues agree" if ok else "  CUES DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
