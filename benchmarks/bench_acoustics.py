"""Binaural room rendering: this project's RoomRenderer against pyroomacoustics, side by side.

    python benchmarks/bench_acoustics.py [--repeats 10] [--orders 6 10] [--fs 16000] [--duration 3]

Same room (shoebox 6 x 5 x 3 m, every wall absorbing ``alpha`` of the energy), same listener and
source, same HRTF (the bundled MIT KEMAR SOFA file, resampled once with scipy's resample_poly
for both), same image-source order, sample rate and clip (3 s of noise, the main job's length):

* ours: ``RoomRenderer`` with ``listener.head = 'hrtf'`` and ``room.late = 'none'`` (image
  sources only, like pyroomacoustics without ray tracing): the responses alone
  (``impulse_responses``) and the render of the clip (``render``), with the default barycentric
  HRTF interpolation; for information also with the room model rebuilt every call, with
  ``hrtf_interpolation='nearest'`` (pyroomacoustics' choice) and with the default
  ``late = 'stochastic'``;
* pyroomacoustics 0.10: ``ShoeBox`` + ``MeasuredDirectivityFile(interp_order=None)`` for the
  two ears at the head centre (nearest measured direction per image source): ``compute_rir()``
  for the responses, ``simulate()`` for the render (responses + convolution). Its database
  download is never triggered: the SOFA file is read by our h5py reader through
  ``file_reader_callback``. Building the ears' directivities for a head orientation
  (``get_mic_directivity``) is timed apart: a dataset with a random head yaw per sample pays it
  every sample, one with a fixed head once.

The two are timed alternately in one loop (median and minimum over the repeats), so that the
machine's speed changes affect both alike; one loop per image-source order (``--orders``,
default 6 and 10), each with its table, speed-ups and cue check, then a one-line summary.

Cue check (the two renderers must agree): ITD (cross-correlation lag, sub-sample) and ILD
(energy ratio) of the direct path within 1 sample and 1 dB, and the normalised correlation of
each ear's whole response (after delaying ours by the sub-sample lag of the cross-correlation
peak: pyroomacoustics' responses carry its 40-sample filter latency and the HRIR file's own
latency; both low-passed at 0.4 fs, where the two fractional-delay interpolators agree): >= 0.99
with the same (nearest) interpolation, >= 0.85 with ours (barycentric blends of three measured
HRIRs differ from the nearest one's). Prints the times and ratios; exits 1 if the cues disagree
at any order.
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
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source  # noqa: E402

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
    if clip is None:
        room.compute_rir()  # the responses only
    else:
        room.simulate()  # the responses, then the convolution with the clip
    return room


def run_order(order: int, args: argparse.Namespace, clip: np.ndarray, pra, hrtf_file, orientation, dirs,
              first: bool) -> tuple[dict[str, float], bool]:
    """Time both renderers at one image-source order (alternately, ``args.repeats`` times), print
    the table, the speed-ups and the cue check; return the median speed-ups (pra / ours) and
    whether the cues agree. ``first``: the process's first render happens here."""
    fs = args.fs
    # Both renderers are timed in the same loop, alternating, so that the machine's drift hits
    # both alike. Per repeat:
    #   response: the binaural room impulse responses only (ours: impulse_responses; pra: build
    #             the ShoeBox with source and ears, compute_rir)
    #   render:   the same plus the convolution with the clip (ours: render; pra: ShoeBox + simulate)
    #   ours with the room model rebuilt every call (a dataset whose samples each have their own
    #   room), and pra's ears rebuilt for a head pose (a dataset with a head pose per sample).
    scene = make_scene(fs, order, args.duration, "none")
    t = time.perf_counter()
    bary = RoomRenderer(fs)
    bary.render(scene, [clip])  # HRTF prepared, Numba kernels loaded
    t_first = time.perf_counter() - t
    nearest = RoomRenderer(fs, hrtf_interpolation="nearest")
    stoch_scene = make_scene(fs, order, args.duration, "stochastic")
    nearest.render(scene, [clip])
    bary.render(stoch_scene, [clip])
    pra_render(pra, dirs, fs, order, clip)

    times: dict[str, list[float]] = {}

    def clock(name, fn):
        t0 = time.perf_counter()
        out = fn()
        times.setdefault(name, []).append(time.perf_counter() - t0)
        return out

    def rebuilt_room():
        bary._rooms.clear()  # as if every call had a new room: its model and the head-in-room check redone
        bary._checked.clear()
        return bary.render(scene, [clip])

    for _ in range(args.repeats):
        clock("ours response", lambda: bary.impulse_responses(scene))
        clock("pra response", lambda: pra_render(pra, dirs, fs, order, None))
        ours = clock("ours render", lambda: bary.render(scene, [clip]))
        room = clock("pra render", lambda: pra_render(pra, dirs, fs, order, clip))
        clock("ours render, room rebuilt", rebuilt_room)
        ours_nn = clock("ours render, nearest HRTF", lambda: nearest.render(scene, [clip]))
        clock("ours render, stochastic tail", lambda: bary.render(stoch_scene, [clip]))
        clock("pra ears", lambda: (hrtf_file.get_mic_directivity("left", orientation=orientation()),
                                   hrtf_file.get_mic_directivity("right", orientation=orientation())))

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

    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    low = {k: 1e3 * float(np.min(v)) for k, v in times.items()}
    cold = med["pra render"] + med["pra ears"]
    print(f"binaural room rendering: shoebox {SIZE} m, alpha {ALPHA}, order {order}, {fs} Hz, "
          f"{args.duration:g} s clip, MIT KEMAR HRTF, image sources only, {args.repeats} interleaved repeats "
          "(median / min ms)")
    rows = [("ours response (impulse_responses)", "ours response"),
            ("pra response (ShoeBox + compute_rir)", "pra response"),
            ("ours render (response + convolution)", "ours render"),
            ("pra render (ShoeBox + simulate)", "pra render"),
            ("ours render, room model rebuilt per call", "ours render, room rebuilt"),
            ("ours render, nearest HRTF (as pra)", "ours render, nearest HRTF"),
            ("ours render, + stochastic binaural tail", "ours render, stochastic tail"),
            ("pra ears for a new head pose (2 x get_mic_directivity)", "pra ears")]
    for label, key in rows:
        print(f"  {label:<56s}{med[key]:8.2f} / {low[key]:7.2f}")
    print(f"  (ours: first render at this order {1e3 * t_first:.0f} ms"
          + (", loading the HRTF and the compiled kernels)" if first else ")"))
    ratios = {"response": med["pra response"] / med["ours response"],
              "render": med["pra render"] / med["ours render"],
              "render, room rebuilt": med["pra render"] / med["ours render, room rebuilt"],
              "new head pose": cold / med["ours render"]}
    print("  speed-up, pra / ours (medians), same head pose throughout (pra's ears reused):")
    print(f"    room response                 {ratios['response']:6.1f}x")
    print(f"    render                        {ratios['render']:6.1f}x"
          f"   ({ratios['render, room rebuilt']:.1f}x with our room model rebuilt per call)")
    print(f"  speed-up when every sample has its own head pose (pra rebuilds its ears): "
          f"{ratios['new head pose']:.0f}x")
    print(f"  direct path ITD: ours {itd_o:.3f} ms, pra {itd_p:.3f} ms (difference "
          f"{abs(itd_o - itd_p) * fs / 1e3:.2f} samples)")
    print(f"  direct path ILD: ours {ild_o:.2f} dB, pra {ild_p:.2f} dB")
    print(f"  response correlation below 0.4 fs (ours delayed by {shift:.2f} samples):")
    print(f"    nearest HRTF (same interpolation as pra): left {corr_nn[0]:.4f}, right {corr_nn[1]:.4f}")
    print(f"    barycentric HRTF (ours, default):         left {corr_bary[0]:.3f}, right {corr_bary[1]:.3f}")
    ok = (abs(itd_o - itd_p) * fs / 1e3 < 1.0 and abs(ild_o - ild_p) < 1.0 and min(corr_nn) > 0.99
          and min(corr_bary) > 0.85)
    print("  cues agree" if ok else "  CUES DISAGREE")
    return ratios, ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--orders", type=int, nargs="+", default=[6, 10],
                    help="image-source orders, each timed and checked in turn (default: 6 10)")
    ap.add_argument("--order", type=int, default=None, help="one order only (same as --orders N)")
    ap.add_argument("--fs", type=int, default=16000)
    ap.add_argument("--duration", type=float, default=3.0)
    args = ap.parse_args(argv)
    orders = [args.order] if args.order is not None else list(args.orders)
    clip = np.random.default_rng(0).standard_normal(int(round(args.duration * args.fs)))
    t = time.perf_counter()
    pra, hrtf_file, orientation = pra_setup(args.fs)
    t_file = time.perf_counter() - t
    dirs = (hrtf_file.get_mic_directivity("left", orientation=orientation()),
            hrtf_file.get_mic_directivity("right", orientation=orientation()))
    print(f"(pra MeasuredDirectivityFile {1e3 * t_file:.0f} ms once)")
    results = []
    for i, order in enumerate(orders):
        results.append((order, *run_order(order, args, clip, pra, hrtf_file, orientation, dirs, i == 0)))
    print("summary, fixed head pose, pra / ours (medians): "
          + "; ".join(f"order {o}: render {r['render']:.1f}x, responses {r['response']:.1f}x" for o, r, _ in results)
          + ("; cues agree" if all(ok for _, _, ok in results) else "; CUES DISAGREE"))
    return 0 if all(ok for _, _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
