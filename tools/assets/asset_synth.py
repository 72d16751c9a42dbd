"""Procedural sound synthesis for the default asset library (authored by this project, MIT).

Used where no permissively licensed recording or SoundFont preset exists for a category
(animal calls, engines, horns, sirens, alarms, typing). Every generator is a pure function
of its arguments and an integer ``seed`` (numpy ``default_rng``): the same call gives the
same samples. Output: mono float64 at :data:`SAMPLE_RATE`, roughly unit peak (the builder
trims and normalises it with :func:`asset_audio.finish_clip`).

Building blocks:

* :func:`voiced`: additive synthesis of a harmonic source with a time-varying
  fundamental ``f0(t)`` and a time-varying formant envelope (each harmonic's amplitude is
  the sum of Lorentzian resonances at its instantaneous frequency, times a spectral tilt).
  This makes the vowel-like animal calls (meow, moo, baa, neigh, trumpet) and horns.
* :func:`pulse_engine`: a firing-pulse train at the instantaneous firing frequency of an
  engine, filtered by exhaust resonances, for motorbikes and outboard motors.
* noise bursts through resonators for clicks, hoof beats, splashes, chuffs.

:data:`GENERATORS` maps recipe names (used by ``build_default_library.py``) to functions.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

SAMPLE_RATE = 32000


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------

def _n(seconds: float, sr: int = SAMPLE_RATE) -> int:
    return int(round(seconds * sr))


def curve(points, seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Piecewise-linear curve through ``points`` [(t, value), ...] sampled over ``seconds``."""
    t = np.arange(_n(seconds, sr)) / sr
    pts = np.asarray(points, float)
    return np.interp(t, pts[:, 0], pts[:, 1])


def place(out: np.ndarray, x: np.ndarray, at_s: float, gain: float = 1.0, sr: int = SAMPLE_RATE) -> None:
    """Add ``x`` into ``out`` starting at ``at_s`` seconds (clipped at the end)."""
    i = _n(at_s, sr)
    if i < 0:
        x, i = x[-i:], 0
    if i >= len(out):
        return
    m = min(len(x), len(out) - i)
    out[i:i + m] += gain * x[:m]


def bandpass(x: np.ndarray, lo: float, hi: float, order: int = 2, sr: int = SAMPLE_RATE) -> np.ndarray:
    sos = butter(order, [lo, min(hi, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    return sosfilt(sos, x)


def lowpass(x: np.ndarray, f: float, order: int = 2, sr: int = SAMPLE_RATE) -> np.ndarray:
    return sosfilt(butter(order, f, btype="lowpass", fs=sr, output="sos"), x)


def highpass(x: np.ndarray, f: float, order: int = 2, sr: int = SAMPLE_RATE) -> np.ndarray:
    return sosfilt(butter(order, f, btype="highpass", fs=sr, output="sos"), x)


def resonator(x: np.ndarray, f: float, bw: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Two-pole resonator (centre ``f`` Hz, bandwidth ``bw`` Hz), unit gain at ``f``."""
    r = np.exp(-np.pi * bw / sr)
    theta = 2 * np.pi * f / sr
    a = [1.0, -2 * r * np.cos(theta), r * r]
    b = [(1 - r * r) * np.sin(theta)]
    return lfilter(b, a, x)


def smooth_noise(rng, n: int, rate_hz: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Slowly varying random curve (unit std): white noise low-passed at ``rate_hz``."""
    w = rng.standard_normal(n + sr)
    y = lowpass(w, rate_hz, 2, sr)[sr:]
    return y / (np.std(y) + 1e-12)


def voiced(f0: np.ndarray, formants, amp: np.ndarray, tilt_db_oct: float = -6.0,
           max_harm: int = 60, jitter: float = 0.0, rng=None, sr: int = SAMPLE_RATE,
           odd_only: bool = False) -> np.ndarray:
    """Additive harmonic source with formant envelope.

    ``f0`` (Hz) and ``amp`` are per-sample arrays; ``formants`` is a list of
    ``(freq, bandwidth, gain)`` where each entry may be a scalar or a per-sample array.
    ``tilt_db_oct`` is the source's spectral slope per octave of harmonic number.
    ``jitter`` adds a slow random pitch wobble (fraction of f0).
    """
    f0 = np.asarray(f0, float)
    n = len(f0)
    if jitter and rng is not None:
        f0 = f0 * (1.0 + jitter * smooth_noise(rng, n, 12.0, sr))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    out = np.zeros(n)
    for k in range(1, max_harm + 1):
        if odd_only and k % 2 == 0:
            continue
        fk = k * f0
        if np.min(fk) > 0.45 * sr:
            break
        env = np.zeros(n)
        for F, B, G in formants:
            env += G / (1.0 + ((fk - F) / (0.5 * np.asarray(B, float))) ** 2)
        tilt = 10 ** (tilt_db_oct * np.log2(k) / 20.0)
        alias = fk < 0.45 * sr
        out += alias * env * tilt * np.sin(k * phase)
    out *= amp
    return out / (np.max(np.abs(out)) + 1e-12)


def burst(rng, seconds: float, decay_s: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """White noise with an exponential decay (a transient excitation)."""
    n = _n(seconds, sr)
    return rng.standard_normal(n) * np.exp(-np.arange(n) / (decay_s * sr))


def pulse_train(ff: np.ndarray, pattern=(1.0,), sr: int = SAMPLE_RATE) -> np.ndarray:
    """Unit impulses at the instants where the firing phase (cumulative ``ff``) crosses an
    integer; ``pattern`` gives cyclic pulse amplitudes (uneven firing)."""
    phase = np.cumsum(ff) / sr
    idx = np.nonzero(np.diff(np.floor(phase)) > 0)[0] + 1
    x = np.zeros(len(ff))
    amps = np.resize(np.asarray(pattern, float), len(idx))
    x[idx] = amps
    return x


def pulse_engine(ff: np.ndarray, rng, resonances, pattern=(1.0,), noise: float = 0.2,
                 rasp_hz: float = 3000.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Engine: firing pulses at ``ff(t)`` Hz (with small random amplitude variation) through
    exhaust ``resonances`` [(f, bw, gain)], plus pulse-synchronous noise (rasp)."""
    pulses = pulse_train(ff, pattern, sr)
    nz = pulses != 0
    pulses[nz] *= 1.0 + 0.15 * rng.standard_normal(int(nz.sum()))
    body = sum(g * resonator(pulses, f, bw, sr) for f, bw, g in resonances)
    # each firing also releases a short noisy puff
    puff_env = lfilter([1.0], [1.0, -np.exp(-1.0 / (0.004 * sr))], np.abs(pulses))
    rasp = highpass(rng.standard_normal(len(ff)), rasp_hz * 0.3) * puff_env
    rasp = lowpass(rasp, rasp_hz)
    x = body / (np.max(np.abs(body)) + 1e-12) + noise * rasp / (np.max(np.abs(rasp)) + 1e-12)
    return x


def doppler(x: np.ndarray, closest_s: float, speed_m_s: float, distance_m: float,
            sr: int = SAMPLE_RATE, c: float = 343.0) -> np.ndarray:
    """A source moving past at ``speed_m_s`` (closest approach ``distance_m`` at
    ``closest_s``): time-varying delay (pitch shift) and 1/r level."""
    n = len(x)
    t = np.arange(n) / sr
    pos = (t - closest_s) * speed_m_s
    r = np.hypot(pos, distance_m)
    delay = r / c
    src_t = t - (delay - delay.min())
    y = np.interp(src_t * sr, np.arange(n), x, left=0.0, right=0.0)
    return y * (distance_m / r)


def fade(x: np.ndarray, in_s: float = 0.01, out_s: float = 0.01, sr: int = SAMPLE_RATE) -> np.ndarray:
    x = x.copy()
    a, b = _n(in_s, sr), _n(out_s, sr)
    if a:
        x[:a] *= np.linspace(0, 1, a)
    if b:
        x[-b:] *= np.linspace(1, 0, b)
    return x


def norm(x: np.ndarray) -> np.ndarray:
    return x / (np.max(np.abs(x)) + 1e-12)


# ---------------------------------------------------------------------------
# Animals
# ---------------------------------------------------------------------------

def _call_env(seconds, attack, release, sr=SAMPLE_RATE):
    return curve([(0, 0), (attack, 1), (max(attack, seconds - release), 0.8), (seconds, 0)], seconds, sr)


def meow(seed: int, seconds: float = 0.9, pitch: float = 560.0, rise: float = 1.35,
         fall: float = 0.8, brightness: float = 1.0) -> np.ndarray:
    """One cat meow: 'm-i-a-ow' formant glide over an arched pitch contour."""
    rng = np.random.default_rng(seed)
    s = seconds
    f0 = curve([(0, pitch * 0.9), (0.35 * s, pitch * rise), (0.7 * s, pitch * rise * 0.95),
                (s, pitch * fall)], s)
    F1 = curve([(0, 350), (0.15 * s, 700), (0.45 * s, 1100), (0.8 * s, 900), (s, 600)], s)
    F2 = curve([(0, 1800), (0.15 * s, 2300), (0.45 * s, 1900), (0.8 * s, 1300), (s, 1000)], s)
    F3 = 3400.0 * brightness
    amp = _call_env(s, 0.08 * s, 0.3 * s) * curve([(0, 0.5), (0.3 * s, 1), (s, 0.7)], s)
    x = voiced(f0, [(F1, 250, 1.0), (F2, 350, 0.7), (F3, 600, 0.35)], amp, -4.0, jitter=0.01, rng=rng)
    breath = bandpass(rng.standard_normal(len(x)), 2000, 7000) * amp * 0.04
    return x + breath


def purr(seed: int, seconds: float = 2.5, rate: float = 25.0) -> np.ndarray:
    """Cat purring: low noisy pulses at ``rate`` Hz, alternating in- and out-breath."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    pulses = pulse_train(np.full(n, rate) * (1 + 0.03 * smooth_noise(rng, n, 3.0)))
    body = resonator(pulses, 120, 60) + 0.6 * resonator(pulses, 260, 120)
    noise = lowpass(rng.standard_normal(n), 900) * (0.5 + 0.5 * np.sin(2 * np.pi * rate * t) ** 2)
    breath = 0.6 + 0.4 * np.sin(2 * np.pi * t / 1.2)
    return norm((norm(body) + 0.5 * norm(noise)) * breath)


def cat_clip(seed: int, calls, purr_s: float = 0.0, seconds: float = 4.6) -> np.ndarray:
    """Meows at given times: ``calls`` = [(t, duration, pitch, rise, fall), ...]."""
    out = np.zeros(_n(seconds))
    if purr_s:
        place(out, purr(seed + 99, purr_s), 0.0, 0.35)
    for i, (t, d, p, r, f) in enumerate(calls):
        place(out, meow(seed + i, d, p, r, f), t)
    return out


def moo(seed: int, seconds: float = 1.8, pitch: float = 130.0, contour=(1.0, 1.15, 1.05, 0.8),
        open_at: float = 0.3) -> np.ndarray:
    """Cow moo: nasal 'mmm' opening to 'ooo-ah' with a slow arched pitch."""
    rng = np.random.default_rng(seed)
    s = seconds
    f0 = curve([(0, pitch * contour[0]), (0.3 * s, pitch * contour[1]), (0.7 * s, pitch * contour[2]),
                (s, pitch * contour[3])], s)
    F1 = curve([(0, 250), (open_at * s, 280), (open_at * s + 0.25, 600), (0.85 * s, 700), (s, 450)], s)
    F2 = curve([(0, 900), (open_at * s, 900), (open_at * s + 0.25, 1100), (s, 900)], s)
    amp = _call_env(s, 0.15, 0.35) * curve([(0, 0.5), (open_at * s + 0.2, 1.0), (s, 0.8)], s)
    x = voiced(f0, [(F1, 180, 1.0), (F2, 250, 0.5), (2400, 500, 0.15)], amp, -3.0, jitter=0.015,
               rng=rng)
    breath = lowpass(rng.standard_normal(len(x)), 1500) * amp * 0.05
    return x + breath


def cow_clip(seed: int, calls, seconds: float = 4.6) -> np.ndarray:
    """``calls`` = [(t, duration, pitch), ...]."""
    out = np.zeros(_n(seconds))
    for i, (t, d, p) in enumerate(calls):
        place(out, moo(seed + i, d, p), t)
    return out


def bleat(seed: int, seconds: float = 0.8, pitch: float = 330.0, quaver_hz: float = 9.0,
          depth: float = 0.09) -> np.ndarray:
    """Sheep 'baa': open vowel, strong pitch and amplitude quaver, falling at the end."""
    rng = np.random.default_rng(seed)
    s = seconds
    n = _n(s)
    t = np.arange(n) / SAMPLE_RATE
    qu = np.sin(2 * np.pi * quaver_hz * t + rng.uniform(0, 6.28))
    f0 = curve([(0, pitch * 0.9), (0.2 * s, pitch * 1.05), (0.75 * s, pitch), (s, pitch * 0.85)], s)
    f0 = f0 * (1 + depth * qu)
    amp = _call_env(s, 0.05, 0.25 * s) * (1 + 0.45 * qu)
    F1 = curve([(0, 400), (0.1 * s, 900), (s, 800)], s)
    x = voiced(f0, [(F1, 220, 1.0), (1500, 300, 0.6), (2700, 500, 0.3)], amp, -3.5, jitter=0.02,
               rng=rng)
    breath = bandpass(rng.standard_normal(n), 1000, 5000) * np.abs(amp) * 0.08
    return x + breath


def sheep_clip(seed: int, calls, seconds: float = 4.6) -> np.ndarray:
    """``calls`` = [(t, duration, pitch, quaver_hz), ...]."""
    out = np.zeros(_n(seconds))
    for i, (t, d, p, q) in enumerate(calls):
        place(out, bleat(seed + i, d, p, q), t)
    return out


def whinny(seed: int, seconds: float = 1.4, pitch: float = 950.0, end: float = 0.45,
           vib_hz: float = 13.0) -> np.ndarray:
    """Horse whinny: high, strongly vibrating cry sliding down, breathy."""
    rng = np.random.default_rng(seed)
    s = seconds
    n = _n(s)
    t = np.arange(n) / SAMPLE_RATE
    vib_rate = curve([(0, vib_hz * 0.7), (0.3 * s, vib_hz), (s, vib_hz * 1.3)], s)
    vib = np.sin(2 * np.pi * np.cumsum(vib_rate) / SAMPLE_RATE)
    f0 = curve([(0, pitch * 0.85), (0.12 * s, pitch), (0.5 * s, pitch * 0.8), (s, pitch * end)], s)
    f0 = f0 * (1 + curve([(0, 0.02), (0.3 * s, 0.08), (s, 0.12)], s) * vib)
    amp = _call_env(s, 0.04, 0.35 * s) * (1 + 0.3 * vib)
    x = voiced(f0, [(1300, 500, 1.0), (2600, 700, 0.5), (4000, 900, 0.2)], amp, -5.0, jitter=0.02,
               rng=rng)
    breath = bandpass(rng.standard_normal(n), 1500, 6000) * amp * 0.12
    return x + breath


def snort(seed: int, seconds: float = 0.45) -> np.ndarray:
    """Horse snort: a fluttering burst of nasal air noise."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    flutter = 0.5 + 0.5 * np.sin(2 * np.pi * 38 * t) ** 2
    env = curve([(0, 0), (0.03, 1), (seconds * 0.5, 0.6), (seconds, 0)], seconds)
    x = bandpass(rng.standard_normal(n), 200, 2500) * flutter * env
    return norm(x)


def nicker(seed: int, seconds: float = 1.0, pitch: float = 110.0) -> np.ndarray:
    """Horse nicker: low pulsed 'huh-huh-huh' voice."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    f0 = curve([(0, pitch * 1.1), (seconds, pitch * 0.85)], seconds)
    am = np.clip(np.sin(2 * np.pi * 9.0 * t), 0, None) ** 1.5 * _call_env(seconds, 0.05, 0.3)
    return voiced(f0, [(500, 200, 1.0), (1200, 300, 0.4)], am, -4.0, jitter=0.03, rng=rng)


def hooves(seed: int, seconds: float, stride_s: float = 0.42, pattern=(0.0, 0.09, 0.2),
           surface: float = 900.0) -> np.ndarray:
    """Galloping/cantering hoof beats: groups of hits per stride on a ``surface`` resonance."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    t0 = 0.0
    while t0 < seconds:
        for k, dt in enumerate(pattern):
            hit = burst(rng, 0.08, 0.006)
            hit = resonator(hit, surface * rng.uniform(0.85, 1.15), 300) + 0.6 * resonator(hit, 180, 80)
            place(out, norm(hit), t0 + dt + rng.normal(0, 0.006), rng.uniform(0.6, 1.0))
        t0 += stride_s * rng.uniform(0.97, 1.03)
    return out


def horse_clip(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    out = np.zeros(_n(seconds))
    if kind == "whinny":
        place(out, whinny(seed, 1.5, 1000, 0.42), 0.0)
        place(out, snort(seed + 1), 2.1, 0.6)
        place(out, whinny(seed + 2, 1.1, 880, 0.5, 15.0), 2.9, 0.8)
    elif kind == "canter":
        place(out, hooves(seed, seconds, 0.55, (0.0, 0.12, 0.24), 700), 0.0)
        place(out, snort(seed + 3, 0.4), 2.4, 0.5)
    elif kind == "nicker":
        place(out, nicker(seed, 1.0), 0.0)
        place(out, snort(seed + 1, 0.5), 1.3, 0.7)
        place(out, nicker(seed + 2, 0.8, 125), 2.2)
        place(out, whinny(seed + 3, 0.9, 800, 0.55), 3.2, 0.6)
    else:
        raise ValueError(kind)
    return out


def trumpet(seed: int, seconds: float = 1.4, pitch: float = 420.0, peak: float = 1.6,
            rough_hz: float = 45.0) -> np.ndarray:
    """Elephant trumpet: a loud, rough, brassy blare with a rising-then-falling pitch."""
    rng = np.random.default_rng(seed)
    s = seconds
    n = _n(s)
    t = np.arange(n) / SAMPLE_RATE
    f0 = curve([(0, pitch * 0.7), (0.15 * s, pitch * peak), (0.6 * s, pitch * peak * 0.92),
                (s, pitch * 0.8)], s)
    rough = 1 + 0.5 * np.sin(2 * np.pi * rough_hz * t) * curve([(0, 0.2), (0.2 * s, 1), (s, 0.6)], s)
    amp = _call_env(s, 0.06, 0.3 * s) * rough
    x = voiced(f0, [(900, 500, 1.0), (1700, 600, 0.9), (2900, 900, 0.6), (4500, 1500, 0.3)], amp, -2.0,
               jitter=0.03, rng=rng)
    # blowing noise through the trunk
    breath = bandpass(rng.standard_normal(n), 600, 6000) * np.abs(amp) * 0.18
    return np.tanh(2.0 * (x + breath)) / np.tanh(2.0)


def rumble(seed: int, seconds: float = 2.0, pitch: float = 28.0) -> np.ndarray:
    """Elephant rumble: very low, audible as a growl through its harmonics."""
    rng = np.random.default_rng(seed)
    f0 = curve([(0, pitch), (seconds * 0.5, pitch * 1.2), (seconds, pitch * 0.9)], seconds)
    amp = _call_env(seconds, 0.3, 0.6)
    return voiced(f0, [(150, 120, 1.0), (450, 250, 0.6)], amp, -2.0, jitter=0.03, rng=rng)


def elephant_clip(seed: int, calls, rumble_at=None, seconds: float = 4.6) -> np.ndarray:
    """``calls`` = [(t, duration, pitch, peak), ...]; optional rumble (t, duration)."""
    out = np.zeros(_n(seconds))
    if rumble_at:
        place(out, rumble(seed + 50, rumble_at[1]), rumble_at[0], 0.6)
    for i, (t, d, p, pk) in enumerate(calls):
        place(out, trumpet(seed + i, d, p, pk), t)
    return out


# ---------------------------------------------------------------------------
# Vehicles
# ---------------------------------------------------------------------------

def motorbike(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Motorcycle engines. ``kind``: ``vtwin_idle``, ``sport_rev``, ``dirt_2stroke``,
    ``scooter``, ``pass_by``."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    if kind == "vtwin_idle":  # big V-twin: uneven 'potato' firing, blips of the throttle
        rpm = curve([(0, 900), (1.4, 950), (1.6, 2600), (2.1, 1300), (2.6, 950), (3.4, 3000),
                     (3.9, 1400), (seconds, 1000)], seconds)
        ff = rpm / 60.0  # two cylinders, one firing each per two revolutions -> rpm/60
        x = pulse_engine(ff, rng, [(70, 40, 1.0), (180, 90, 0.6), (600, 400, 0.25)],
                         pattern=(1.0, 0.55), noise=0.25, rasp_hz=2500)
    elif kind == "sport_rev":  # inline four revving hard
        rpm = curve([(0, 1500), (0.6, 1500), (1.3, 9500), (1.7, 4000), (2.2, 12000), (2.7, 5000),
                     (3.4, 11000), (seconds, 3500)], seconds)
        ff = rpm * 4 / 120.0
        x = pulse_engine(ff, rng, [(220, 180, 0.6), (900, 600, 0.6), (2200, 1200, 0.4)],
                         noise=0.35, rasp_hz=6000)
    elif kind == "dirt_2stroke":  # single two-stroke: ring-ding-ding
        rpm = curve([(0, 2500), (0.5, 7500), (1.0, 5000), (1.4, 9000), (2.0, 6000), (2.6, 9500),
                     (3.3, 4000), (seconds, 7000)], seconds)
        ff = rpm / 60.0
        x = pulse_engine(ff, rng, [(1300, 500, 1.0), (2600, 900, 0.6), (300, 200, 0.4)], noise=0.5,
                         rasp_hz=7000)
    elif kind == "scooter":  # small four-stroke scooter pulling away
        rpm = curve([(0, 1800), (0.8, 1900), (1.8, 6500), (seconds, 7200)], seconds)
        ff = rpm / 120.0
        x = pulse_engine(ff, rng, [(400, 250, 1.0), (1100, 600, 0.5)], noise=0.4, rasp_hz=5000)
        hiss = norm(bandpass(rng.standard_normal(n), 2500, 6000))
        x += 0.15 * hiss * curve([(0, 0.3), (2, 1), (seconds, 1)], seconds)
    elif kind == "pass_by":  # a bike passing at speed (Doppler)
        rpm = curve([(0, 7000), (seconds, 7600)], seconds)
        ff = rpm * 4 / 120.0
        x = pulse_engine(ff, rng, [(250, 200, 0.6), (900, 600, 0.6), (2000, 1000, 0.3)], noise=0.4,
                         rasp_hz=6000)
        x = doppler(x, 2.2, 35.0, 8.0)
    else:
        raise ValueError(kind)
    return norm(x)


def train(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Trains. ``kind``: ``clatter`` (wheels over rail joints), ``diesel_horn``,
    ``steam`` (chuffs and whistle)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    rumble_ = lowpass(rng.standard_normal(n), 250, 4) * (1 + 0.2 * smooth_noise(rng, n, 2.0))
    if kind == "clatter":
        out = 0.5 * norm(rumble_)
        car_s, bogie_s = 1.45, 0.26  # time per car and between axles at this speed
        t0 = 0.05
        while t0 < seconds:
            for dt in (0.0, bogie_s, car_s - bogie_s - 0.25, car_s - 0.25):
                hit = burst(rng, 0.12, 0.012)
                hit = resonator(hit, 1800 * rng.uniform(0.9, 1.1), 500) + resonator(hit, 300, 150)
                place(out, norm(hit), t0 + dt, rng.uniform(0.7, 1.0))
            t0 += car_s
        squeal = voiced(curve([(0, 3150), (seconds, 3250)], seconds), [(3200, 400, 1.0)],
                        0.08 * np.clip(smooth_noise(rng, n, 1.5), 0, None), 0, max_harm=2)
        return out + squeal
    if kind == "diesel_horn":
        chord = (311.1, 370.0, 466.2)  # Eb4, F#4, Bb4 (a common three-chime horn)
        out = 0.3 * norm(rumble_)
        for t0, d in ((0.0, 1.3), (1.6, 0.45), (2.25, 1.9)):
            s = d
            env = curve([(0, 0), (0.05, 1), (s - 0.1, 0.95), (s, 0)], s)
            tone = sum(voiced(np.full(_n(s), f * rng.uniform(0.997, 1.003)),
                              [(700, 600, 1.0), (1800, 1200, 0.5)], env, -2.5, max_harm=25)
                       for f in chord)
            place(out, norm(tone), t0, 1.0)
        return out
    if kind == "steam":
        out = 0.25 * norm(rumble_)
        rate = curve([(0, 1.6), (seconds, 3.2)], seconds)  # chuffs per second, accelerating
        idx = np.nonzero(np.diff(np.floor(np.cumsum(rate) / SAMPLE_RATE)) > 0)[0]
        for k, i in enumerate(idx):
            ch = bandpass(burst(rng, 0.35, 0.09), 250, 3500)
            place(out, norm(ch), i / SAMPLE_RATE, 0.9 if k % 2 == 0 else 0.7)
        s = 1.6
        env = curve([(0, 0), (0.15, 1), (s - 0.3, 0.9), (s, 0)], s)
        wh = sum(voiced(np.full(_n(s), f), [(f * 2, 900, 1.0)], env, -9.0, max_harm=6)
                 for f in (440.0, 554.4, 659.3))
        wh = norm(wh) + 0.25 * norm(bandpass(rng.standard_normal(_n(s)), 1500, 4000)) * env
        place(out, norm(wh), 2.6, 0.9)
        return out
    raise ValueError(kind)


def sea(seed: int, seconds: float) -> np.ndarray:
    """Water lapping: low-passed noise with slow swells and small splashes."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    swell = 0.55 + 0.45 * np.clip(smooth_noise(rng, n, 0.8), -1, 1)
    x = bandpass(rng.standard_normal(n), 150, 2500) * swell
    for t0 in np.sort(rng.uniform(0, seconds, 6)):
        place(x, bandpass(burst(rng, 0.3, 0.07), 400, 5000), t0, 2.0)
    return norm(x)


def boat(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Boats. ``kind``: ``foghorn``, ``outboard``, ``speedboat``, ``rowing``, ``ferry``."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    if kind == "foghorn":  # big ship's horn, very low and rich
        out = 0.25 * sea(seed + 1, seconds)
        for t0, d in ((0.0, 2.4), (3.0, 1.6)):
            env = curve([(0, 0), (0.12, 1), (d - 0.25, 1), (d, 0)], d)
            f0 = np.full(_n(d), 92.5) * (1 + 0.002 * smooth_noise(rng, _n(d), 4.0))
            tone = voiced(f0, [(400, 400, 1.0), (1100, 700, 0.5)], env, -1.5, max_harm=50)
            place(out, tone, t0, 1.0)
        return out
    if kind == "ferry":  # two-tone horn over a diesel throb
        ff = np.full(n, 14.0) * (1 + 0.01 * smooth_noise(rng, n, 1.0))
        eng = pulse_engine(ff, rng, [(55, 30, 1.0), (140, 80, 0.5)], noise=0.1, rasp_hz=1500)
        out = 0.4 * eng + 0.15 * sea(seed + 1, seconds)
        for t0, d, f in ((0.4, 1.2, 165.0), (1.7, 1.6, 131.0)):
            env = curve([(0, 0), (0.08, 1), (d - 0.15, 1), (d, 0)], d)
            place(out, voiced(np.full(_n(d), f), [(500, 500, 1.0), (1300, 800, 0.4)], env, -2.0,
                              max_harm=40), t0, 0.9)
        return out
    if kind == "outboard":  # small outboard motor idling and opening up
        rpm = curve([(0, 1100), (1.5, 1200), (2.3, 4800), (seconds, 5200)], seconds)
        ff = rpm / 60.0
        eng = pulse_engine(ff, rng, [(350, 250, 1.0), (900, 500, 0.6), (2400, 1200, 0.3)], noise=0.4,
                           rasp_hz=5000)
        water = rng.standard_normal(n)
        wobble = 0.5 + 0.5 * np.clip(smooth_noise(rng, n, 6.0), -1, 1)
        gurgle = bandpass(water, 300, 2500) * wobble
        return norm(eng) + 0.35 * norm(gurgle) + 0.2 * sea(seed + 1, seconds)
    if kind == "speedboat":  # passing speedboat: engine with Doppler plus hull slap and wake
        rpm = np.full(n, 5200.0)
        eng = pulse_engine(rpm * 6 / 120.0, rng, [(300, 250, 0.8), (1000, 600, 0.5)], noise=0.3,
                           rasp_hz=4000)
        x = doppler(norm(eng), 2.0, 22.0, 12.0)
        wake = sea(seed + 1, seconds) * curve([(0, 0.2), (2.0, 0.5), (3.0, 1.0), (seconds, 0.8)], seconds)
        return norm(x) + 0.6 * wake
    if kind == "rowing":  # oar strokes: dip splash, pull, oarlock creak
        out = 0.35 * sea(seed + 1, seconds)
        for k, t0 in enumerate(np.arange(0.0, seconds, 1.45)):
            splash = bandpass(burst(rng, 0.5, 0.12), 300, 6000)
            place(out, norm(splash), t0 + rng.normal(0, 0.02), 0.9)
            d = 0.22
            f0 = curve([(0, 700), (d, 950)], d) * rng.uniform(0.9, 1.1)
            creak = voiced(f0, [(1500, 900, 1.0)], curve([(0, 0), (0.02, 1), (d, 0)], d), -3.0,
                           max_harm=12) * (1 + 0.6 * np.sign(np.sin(2 * np.pi * 55 * np.arange(_n(d)) / SAMPLE_RATE)))
            place(out, norm(creak), t0 + 0.55, 0.45)
            drip = bandpass(burst(rng, 0.2, 0.03), 1500, 6000)
            place(out, norm(drip), t0 + 1.05, 0.3)
        return out
    raise ValueError(kind)


def car_horn(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Car horns. ``kind``: ``two_tone_long``, ``double_honk``, ``small_beeps``,
    ``truck_air``, ``impatient``."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))

    def honk(d, freqs, bright=1.0):
        env = curve([(0, 0), (0.015, 1), (d - 0.03, 1), (d, 0)], d)
        x = 0
        for f in freqs:
            f0 = np.full(_n(d), f * rng.uniform(0.995, 1.005))
            # a horn diaphragm: buzzy (odd-rich) source through the horn's flare resonances
            x = x + voiced(f0, [(2200 * bright, 900, 1.0), (3400 * bright, 900, 0.7), (800, 500, 0.4)],
                           env, -1.0, max_harm=30)
        return np.tanh(1.5 * norm(x))

    if kind == "two_tone_long":
        place(out, honk(1.6, (415.0, 520.0)), 0.0)
        place(out, honk(0.9, (415.0, 520.0)), 2.4)
    elif kind == "double_honk":
        for t0 in (0.0, 0.45, 2.0, 2.45):
            place(out, honk(0.28, (370.0, 466.0)), t0)
    elif kind == "small_beeps":
        for t0 in (0.0, 0.3, 1.4, 1.7, 2.0, 3.3):
            place(out, honk(0.18, (500.0,), 1.2), t0)
    elif kind == "truck_air":
        for t0, d in ((0.0, 1.4), (1.9, 2.2)):
            env = curve([(0, 0), (0.05, 1), (d - 0.1, 1), (d, 0)], d)
            x = sum(voiced(np.full(_n(d), f), [(600, 500, 1.0), (1500, 800, 0.6)], env, -2.0, max_harm=40)
                    for f in (185.0, 233.0, 277.0))
            x = norm(x) + 0.1 * norm(bandpass(rng.standard_normal(_n(d)), 1000, 5000)) * env
            place(out, norm(x), t0)
    elif kind == "impatient":
        t0 = 0.0
        for d in (0.15, 0.15, 0.15, 0.6, 0.15, 0.15, 1.1):
            place(out, honk(d, (440.0, 554.0)), t0)
            t0 += d + 0.12
    else:
        raise ValueError(kind)
    return out


def siren(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Emergency sirens. ``kind``: ``wail``, ``yelp``, ``hilo`` (European two-tone),
    ``mechanical`` (rotor siren spinning up and down)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    if kind == "wail":
        f0 = 950 + 450 * np.sin(2 * np.pi * t / 4.0 - np.pi / 2)
    elif kind == "yelp":
        saw = (t * 3.2) % 1.0
        f0 = 700 + 800 * saw
    elif kind == "hilo":
        f0 = np.where((t % 1.3) < 0.65, 440.0, 587.0)
        f0 = lowpass(f0, 60, 1)
    elif kind == "mechanical":
        f0 = curve([(0, 200), (1.8, 620), (2.8, 640), (seconds, 380)], seconds)
    else:
        raise ValueError(kind)
    amp = np.ones(n)
    x = voiced(f0, [(1500, 1200, 1.0), (3000, 1500, 0.5)], amp, -4.0, max_harm=20,
               odd_only=kind != "mechanical")
    if kind == "mechanical":
        x = x + 0.3 * norm(bandpass(rng.standard_normal(n), 400, 3000))
    return fade(norm(x), 0.05, 0.05)


# ---------------------------------------------------------------------------
# Household
# ---------------------------------------------------------------------------

def alarm_clock(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Alarm clocks. ``kind``: ``digital_quad`` (beep x4 groups), ``digital_fast``,
    ``twin_bell`` (mechanical hammer between two bells), ``tick_ring``, ``radio_beep``."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))

    def beep(d, f):
        env = curve([(0, 0), (0.004, 1), (d - 0.004, 1), (d, 0)], d)
        return voiced(np.full(_n(d), f), [(f, 3 * f, 1.0)], env, -8.0, max_harm=7, odd_only=True)

    def bell_hit(scale=1.0, decay=0.35):
        modes = [(1.0, 1.0), (2.32, 0.6), (4.25, 0.4), (6.63, 0.25)]
        d = 0.6
        tt = np.arange(_n(d)) / SAMPLE_RATE
        x = sum(a * np.sin(2 * np.pi * 1650 * scale * m * tt + rng.uniform(0, 6.28)) * np.exp(-tt * m / decay)
                for m, a in modes)
        click = burst(rng, 0.01, 0.001)
        x[:len(click)] += 0.3 * click
        return x

    if kind == "digital_quad":
        t0 = 0.0
        while t0 < seconds:
            for k in range(4):
                place(out, beep(0.07, 4000.0), t0 + k * 0.14)
            t0 += 1.0
    elif kind == "digital_fast":
        for k, t0 in enumerate(np.arange(0, seconds, 0.25)):
            place(out, beep(0.12, 2730.0), t0)
    elif kind == "twin_bell":
        for k, t0 in enumerate(np.arange(0.0, seconds - 0.3, 1 / 16.0)):
            place(out, bell_hit(1.0 if k % 2 == 0 else 1.12), t0, rng.uniform(0.7, 1.0))
    elif kind == "tick_ring":
        for t0 in np.arange(0.0, 1.6, 0.5):
            place(out, norm(resonator(burst(rng, 0.03, 0.002), 3500, 800)), t0, 0.5)
        for k, t0 in enumerate(np.arange(1.8, seconds - 0.3, 1 / 20.0)):
            place(out, bell_hit(0.85, 0.25), t0, rng.uniform(0.7, 1.0))
    elif kind == "radio_beep":
        t0 = 0.0
        while t0 < seconds:
            place(out, beep(0.25, 1000.0), t0)
            place(out, beep(0.25, 1000.0), t0 + 0.4)
            t0 += 1.3
    else:
        raise ValueError(kind)
    return out


def typing(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Computer keyboard typing. ``kind``: ``mechanical`` (clicky switches, fast),
    ``laptop`` (soft scissor keys), ``office`` (rubber dome, medium, with space bar),
    ``hunt_peck`` (slow, irregular), ``burst`` (bursts of words and Enter); switch types
    ``linear``, ``membrane_quiet``, ``clicky_slow``, ``thock``, ``low_profile``,
    ``numpad_entry`` and ``steady_medium`` differ in pace (mean interval, s), click
    resonances (Hz, bandwidth Hz), key-release level and space-bar frequency."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    params = {  # (mean interval, click resonances, release gain, space every ~n)
        "mechanical": (0.095, [(4200, 1200), (2300, 700)], 0.6, 6),
        "laptop": (0.11, [(2800, 1500), (1200, 600)], 0.25, 5),
        "office": (0.13, [(1900, 900), (3500, 1500)], 0.4, 5),
        "hunt_peck": (0.33, [(2600, 1000), (1400, 600)], 0.35, 4),
        "burst": (0.085, [(3300, 1200), (1700, 700)], 0.45, 5),
        "linear": (0.1, [(1500, 700), (2700, 1200)], 0.3, 6),  # smooth switches, deeper
        "membrane_quiet": (0.12, [(2200, 1800), (900, 500)], 0.15, 5),
        "clicky_slow": (0.2, [(4800, 1000), (2600, 800)], 0.7, 5),
        "thock": (0.11, [(1100, 400), (2000, 900)], 0.35, 6),  # heavy keycaps, low pitched
        "low_profile": (0.075, [(3600, 1600), (1900, 900)], 0.2, 5),
        "numpad_entry": (0.16, [(2500, 900), (4100, 1300)], 0.4, 7),
        "steady_medium": (0.14, [(3000, 1100), (1500, 600)], 0.5, 5),
    }
    mean, res, rel, space_every = params[kind]

    def click(gain, low=False):
        ex = burst(rng, 0.05, 0.0015 if not low else 0.003)
        y = sum(resonator(ex, f * rng.uniform(0.92, 1.08), bw) for f, bw in res)
        if low:
            y = y + 1.5 * resonator(ex, 450, 200)
        return gain * norm(y)

    t0 = 0.02
    k = 0
    while t0 < seconds - 0.1:
        space = k % space_every == space_every - 1 and rng.random() < 0.8
        place(out, click(rng.uniform(0.6, 1.0), low=space), t0)
        place(out, click(rel * rng.uniform(0.6, 1.0)), t0 + rng.uniform(0.06, 0.1))
        gap = rng.gamma(4.0, mean / 4.0)
        if kind == "burst" and k % 14 == 13:
            gap += 0.6  # pause between phrases
        if kind == "hunt_peck" and rng.random() < 0.2:
            gap += 0.5
        t0 += max(gap, 0.045)
        k += 1
    return out


GENERATORS = {
    "cat": cat_clip,
    "cow": cow_clip,
    "sheep": sheep_clip,
    "horse": horse_clip,
    "elephant": elephant_clip,
    "motorbike": motorbike,
    "train": train,
    "boat": boat,
    "car_horn": car_horn,
    "siren": siren,
    "alarm_clock": alarm_clock,
    "typing": typing,
}
