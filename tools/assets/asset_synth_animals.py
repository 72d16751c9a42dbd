"""More animal calls for the default library (authored by this project, MIT).

Dogs (barks, growls, howls, whines), birds (blackbird-like song, warbler trills, dove
coos, cuckoo calls) and extra horse clips (walk, trot, gallop, snorts), built from the
building blocks of :mod:`asset_synth` (additive :func:`asset_synth.voiced` sources through
formants, noise bursts through resonators). Every generator is a pure function of its
arguments and an integer ``seed``; output is mono float64 at 32000 Hz, roughly unit peak,
``seconds`` long (the builder trims and normalises it). :data:`GENERATORS` maps recipe
names to functions.
"""
from __future__ import annotations

import numpy as np

from asset_synth import (SAMPLE_RATE, _call_env, _n, bandpass, burst, curve, hooves, lowpass,
                         norm, place, resonator, smooth_noise, snort, voiced, whinny)


# ---------------------------------------------------------------------------
# Dogs
# ---------------------------------------------------------------------------

def bark(rng, seconds: float = 0.2, pitch: float = 420.0, size: float = 1.0) -> np.ndarray:
    """One 'woof': a rough voiced burst (``pitch`` Hz falling) plus breath noise.
    ``size`` > 1 lowers the formants (bigger dog)."""
    s = seconds
    n = _n(s)
    f0 = curve([(0, pitch * 1.15), (0.25 * s, pitch * 1.05), (s, pitch * 0.7)], s)
    env = curve([(0, 0), (0.008, 1), (0.35 * s, 0.8), (s, 0)], s)
    form = [(700 / size, 300, 1.0), (1500 / size, 400, 0.7), (2800 / size, 700, 0.35)]
    x = voiced(f0, form, env, -3.0, max_harm=40, jitter=0.04, rng=rng)
    noise = bandpass(rng.standard_normal(n), 400 / size, 4500) * env
    return np.tanh(2.5 * (x + 0.45 * norm(noise)))


def growl(rng, seconds: float = 1.5, pitch: float = 95.0) -> np.ndarray:
    """A low growl: a low, irregularly pulsed voice (30-40 Hz flutter) with noise."""
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    f0 = pitch * (1 + 0.08 * smooth_noise(rng, n, 3.0))
    flutter = 0.55 + 0.45 * np.sin(2 * np.pi * np.cumsum(34 + 6 * smooth_noise(rng, n, 2.0)) / SAMPLE_RATE)
    env = _call_env(seconds, 0.15, 0.3) * flutter * (1 + 0.2 * np.sin(2 * np.pi * 0.8 * t))
    x = voiced(f0, [(450, 250, 1.0), (1100, 400, 0.6), (2300, 700, 0.3)], env, -2.0, max_harm=60,
               jitter=0.05, rng=rng)
    noise = bandpass(rng.standard_normal(n), 150, 2500) * env
    return norm(x + 0.35 * norm(noise))


def howl(rng, seconds: float = 2.6, pitch: float = 560.0) -> np.ndarray:
    """A howl: 'ooo' rising from low, held with a slow vibrato, falling away."""
    s = seconds
    n = _n(s)
    t = np.arange(n) / SAMPLE_RATE
    f0 = curve([(0, pitch * 0.7), (0.2 * s, pitch * 1.05), (0.75 * s, pitch), (s, pitch * 0.75)], s)
    f0 = f0 * (1 + 0.015 * np.sin(2 * np.pi * 5.5 * t))
    env = _call_env(s, 0.25 * s, 0.3 * s)
    x = voiced(f0, [(curve([(0, 450), (0.3 * s, 800), (s, 500)], s), 250, 1.0),
                    (1300, 400, 0.3)], env, -8.0, max_harm=12, jitter=0.01, rng=rng)
    return norm(x + 0.03 * bandpass(rng.standard_normal(n), 1000, 5000) * env)


def whine(rng, seconds: float = 0.7, pitch: float = 950.0) -> np.ndarray:
    """A whimper: a high nasal glide up and down."""
    s = seconds
    f0 = curve([(0, pitch * 0.85), (0.4 * s, pitch * 1.2), (s, pitch * 0.8)], s)
    env = _call_env(s, 0.08 * s, 0.4 * s)
    return voiced(f0, [(1800, 500, 1.0), (3200, 800, 0.5)], env, -6.0, max_harm=15,
                  jitter=0.02, rng=rng)


def dog(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Dog calls. ``kind``: ``growl_bark`` (growl breaking into barks), ``howl``,
    ``whine`` (whimpering), ``big_barks`` (large dog, slow deep barks),
    ``yips`` (small dog, fast high yips)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    if kind == "growl_bark":
        place(out, growl(rng, 2.0, 90.0), 0.0, 0.8)
        for t0 in (2.1, 2.45, 3.2, 3.55):
            place(out, bark(rng, 0.22, 380.0 * rng.uniform(0.95, 1.05), 1.1), t0)
    elif kind == "howl":
        place(out, howl(rng, 2.6, 560.0), 0.0)
        place(out, howl(rng, 1.6, 600.0), 2.8, 0.8)
    elif kind == "whine":
        for t0, d, p in ((0.0, 0.7, 950), (0.9, 0.5, 1100), (1.6, 0.9, 900), (2.9, 0.6, 1050),
                         (3.7, 0.7, 980)):
            place(out, whine(rng, d, p), t0, rng.uniform(0.7, 1.0))
    elif kind == "big_barks":
        for t0 in (0.0, 0.9, 1.8, 3.1):
            place(out, bark(rng, 0.32, 210.0 * rng.uniform(0.95, 1.05), 1.5), t0)
    elif kind == "yips":
        for t0 in np.arange(0.0, seconds - 0.3, 0.27):
            if rng.random() < 0.8:
                place(out, bark(rng, 0.11, 900.0 * rng.uniform(0.93, 1.07), 0.7), t0 + rng.normal(0, 0.02))
    else:
        raise ValueError(kind)
    return out


# ---------------------------------------------------------------------------
# Birds
# ---------------------------------------------------------------------------

def whistle(rng, seconds: float, f_points, harm2: float = 0.15) -> np.ndarray:
    """A whistled note: a sine following the piecewise-linear pitch ``f_points`` [(t, Hz)]
    (t in fractions of ``seconds``), a weak second harmonic, a smooth envelope."""
    s = seconds
    f0 = curve([(p * s, f) for p, f in f_points], s)
    ph = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    env = curve([(0, 0), (0.15 * s, 1), (0.7 * s, 0.8), (s, 0)], s)
    return env * (np.sin(ph) + harm2 * np.sin(2 * ph + rng.uniform(0, 6.28)))


def bird(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Bird song. ``kind``: ``blackbird`` (fluty warbled phrases, 1.5-3 kHz),
    ``trill`` (warbler: fast repeated chirps, 4-6 kHz), ``dove`` (low 'coo-COO-coo'),
    ``cuckoo`` (two falling notes, repeated)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    if kind == "blackbird":
        t0 = 0.0
        for phrase in range(2):
            for _ in range(int(rng.integers(5, 8))):
                d = rng.uniform(0.08, 0.22)
                a, b = rng.uniform(1500, 2900, 2)
                pts = [(0, a), (0.5, (a + b) / 2 * rng.uniform(0.9, 1.1)), (1, b)]
                place(out, whistle(rng, d, pts), t0, rng.uniform(0.6, 1.0))
                t0 += d + rng.uniform(0.01, 0.06)
            # a squeaky twitter ends the phrase
            for _ in range(4):
                place(out, whistle(rng, 0.035, [(0, 6000), (1, 4200)], 0.05), t0, 0.4)
                t0 += 0.05
            t0 += rng.uniform(0.5, 0.8)
    elif kind == "trill":
        t0 = 0.1
        while t0 < seconds - 1.4:
            n_ch = int(rng.integers(12, 20))
            f = rng.uniform(4200, 5600)
            for k in range(n_ch):
                place(out, whistle(rng, 0.04, [(0, f * 1.25), (1, f * 0.8)], 0.1), t0 + k * 0.055,
                      0.5 + 0.5 * k / n_ch)
            t0 += n_ch * 0.055 + rng.uniform(0.6, 1.0)
    elif kind == "dove":
        for t0 in (0.0, 2.3):
            for dt, d, f, g in ((0.0, 0.35, 520, 0.7), (0.45, 0.7, 560, 1.0), (1.25, 0.3, 500, 0.7),
                                (1.6, 0.3, 500, 0.6)):
                f0 = curve([(0, f * 0.92), (0.3 * d, f), (d, f * 0.9)], d)
                env = _call_env(d, 0.06, 0.4 * d)
                coo = voiced(f0, [(600, 300, 1.0), (1100, 300, 0.15)], env, -12.0, max_harm=6)
                place(out, coo, t0 + dt, g)
    elif kind == "cuckoo":
        for t0 in np.arange(0.0, seconds - 0.6, 1.1):
            for dt, d, f in ((0.0, 0.22, 700.0), (0.3, 0.32, 580.0)):
                f0 = curve([(0, f * 1.03), (d, f * 0.97)], d)
                env = _call_env(d, 0.03, 0.3 * d)
                place(out, voiced(f0, [(f, 300, 1.0), (2 * f, 400, 0.1)], env, -15.0, max_harm=4),
                      t0 + dt)
    else:
        raise ValueError(kind)
    return out


# ---------------------------------------------------------------------------
# Horses (more kinds than asset_synth.horse_clip)
# ---------------------------------------------------------------------------

def horse(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Horses. ``kind``: ``walk`` (four-beat walk on a hard road), ``trot`` (two-beat trot on
    cobbles), ``gallop_whinny`` (gallop on turf, a whinny on top), ``snorts`` (snorting and
    blowing through the nose), ``whinny_long`` (a long, high whinny answered by a lower one)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    if kind == "walk":
        place(out, hooves(seed, seconds, 1.1, (0.0, 0.27, 0.55, 0.82), 1400), 0.0)
    elif kind == "trot":
        place(out, hooves(seed, seconds, 0.62, (0.0, 0.31), 1900), 0.0)
        place(out, hooves(seed + 7, seconds, 0.62, (0.02, 0.33), 2400), 0.0, 0.5)
    elif kind == "gallop_whinny":
        place(out, hooves(seed, seconds, 0.4, (0.0, 0.07, 0.15, 0.21), 500), 0.0)
        place(out, whinny(seed + 1, 1.3, 1050, 0.45), 1.6, 0.6)
    elif kind == "snorts":
        for t0, d in ((0.0, 0.5), (0.9, 0.35), (1.5, 0.7), (2.9, 0.45), (3.6, 0.6)):
            place(out, snort(seed + int(t0 * 10), d), t0, rng.uniform(0.6, 1.0))
        blow = lowpass(rng.standard_normal(_n(1.0)), 700) * curve([(0, 0), (0.1, 1), (1.0, 0)], 1.0)
        place(out, norm(blow), 2.2, 0.5)
    elif kind == "whinny_long":
        place(out, whinny(seed, 2.0, 1150, 0.38, 11.0), 0.0)
        place(out, whinny(seed + 1, 1.4, 760, 0.5, 14.0), 2.5, 0.7)
    else:
        raise ValueError(kind)
    return out


GENERATORS = {"dog": dog, "bird": bird, "horse": horse}
