"""Moving-source rendering speed: one source moving through the default shoebox, KEMAR head.

    python benchmarks/bench_moving.py [--repeats 5] [--duration 2] [--fs 16000] [--order 10]

Room: shoebox 6 x 5 x 3 m, head at (2, 2.5, 1.5), RT60 0.5 s, the Room defaults otherwise
(image-source order 10, stochastic late tail); ``listener.head = 'hrtf'`` (MIT KEMAR). The source
moves on a straight line at 1.5 m/s from 2 m ahead of the head, passing on its left, (control points every
10 ms) while the head turns 20 degrees left. Times ``render_moving`` and, in the same loop,
``RoomRenderer.render`` of the same clip with the source at the trajectory's mean position
(medians over ``--repeats``, after one warm-up call each; wall-clock on a possibly shared
machine). Prints the real-time factor (render time / clip duration) of both and their ratio.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from renderers.acoustic.moving import render_moving  # noqa: E402
from renderers.acoustic.room_renderer import RoomRenderer  # noqa: E402
from simulator.core.scene import AudioSettings, Camera, Listener, Room, Scene, Source  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--fs", type=int, default=16000)
    ap.add_argument("--order", type=int, default=10)
    args = ap.parse_args()
    fs, dur = args.fs, args.duration
    n = int(round(dur * fs))
    dt = 0.01
    t = np.arange(int(np.ceil(dur / dt)) + 2) * dt
    src = np.stack([2.0 - 1.2 * t, 0.3 + 0.9 * t, 0.2 + 0.0 * t], axis=-1)  # 1.5 m/s
    lis = np.zeros_like(src)
    yaw = 10.0 * t
    room = Room(type="shoebox", size_m=(6.0, 5.0, 3.0), listener_position_m=(2.0, 2.5, 1.5), rt60_s=0.5,
                max_order=args.order)
    listener = Listener(head="hrtf")
    x = np.random.default_rng(0).standard_normal(n)
    renderer = RoomRenderer(fs)
    mean = src[t <= dur].mean(axis=0)
    scene = Scene(index=0, seed=(0, 0, 0), condition="congruent", camera=Camera(64, 64, 60.0),
                  listener=Listener(head="hrtf", yaw_deg=float(yaw[t <= dur].mean())), room=room,
                  audio=AudioSettings(fs, dur), sources=[Source(id=0, category="noise", clip="noise",
                                                                position_m=tuple(mean.tolist()))], render_seed=1)

    def moving():
        return render_moving(x, fs, src, lis, yaw, dt, room=room, listener=listener, renderer=renderer, render_seed=1)

    def static():
        return renderer.render(scene, [x])

    y = moving()  # warm-up (Numba kernels load from the cache or compile)
    static()
    assert np.all(np.isfinite(y))
    t_mov, t_sta = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        moving()
        t_mov.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        static()
        t_sta.append(time.perf_counter() - t0)
    m, s = float(np.median(t_mov)), float(np.median(t_sta))
    print(f"moving source, {dur:g} s at {fs} Hz, shoebox 6x5x3 m RT60 0.5 s order {args.order}, hrtf head: "
          f"render {m * 1e3:.0f} ms, real-time factor {m / dur:.3f}; static render of the same clip "
          f"{s * 1e3:.1f} ms, real-time factor {s / dur:.4f}; moving / static {m / s:.0f}x "
          f"(medians of {args.repeats})")


if __name__ == "__main__":
    main()
