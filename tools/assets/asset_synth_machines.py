"""More machine sounds for the default library (authored by this project, MIT).

Cars, telephones, and more kinds of motorbikes, trains, boats, car horns, sirens and alarm
clocks than :mod:`asset_synth` has, from its building blocks (firing-pulse engines through
exhaust resonances, additive tones, noise through resonators, Doppler passes). Every
generator is a pure function of its arguments and an integer ``seed``; output is mono
float64 at 32000 Hz, roughly unit peak, ``seconds`` long (the builder trims and normalises
it). Engine speeds are in rpm, frequencies in Hz, times in seconds. :data:`GENERATORS`
maps recipe names to functions.
"""
from __future__ import annotations

import numpy as np

from asset_synth import (SAMPLE_RATE, _n, bandpass, burst, curve, doppler, fade, highpass, lowpass,
                         norm, place, pulse_engine, resonator, sea, smooth_noise, voiced)


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------

def engine(rng, seconds: float, rpm_points, fires_per_rev: float, resonances, pattern=(1.0,),
           noise: float = 0.3, rasp_hz: float = 4000.0) -> np.ndarray:
    """An engine following the rpm curve ``rpm_points`` [(t, rpm)]; ``fires_per_rev`` firings
    per revolution (cylinders / 2 for a four-stroke, cylinders for a two-stroke)."""
    ff = curve(rpm_points, seconds) * fires_per_rev / 60.0
    return norm(pulse_engine(ff, rng, resonances, pattern, noise, rasp_hz))


def starter(rng, seconds: float, rate_hz: float = 9.0) -> np.ndarray:
    """Starter motor cranking: a whirr (motor whine) chugging at the compression rate."""
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    whirr = voiced(np.full(n, 190.0) * (1 + 0.05 * np.sin(2 * np.pi * rate_hz * t)),
                   [(900, 600, 1.0), (2500, 1200, 0.5)], np.ones(n), -3.0, max_harm=30)
    chug = 0.6 + 0.4 * np.sin(2 * np.pi * rate_hz * t) ** 2
    return norm(whirr * chug + 0.2 * norm(bandpass(rng.standard_normal(n), 500, 3000)) * chug)


CAR_RES = [(110, 70, 1.0), (320, 180, 0.5), (1100, 600, 0.2)]


def car(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """A four-cylinder petrol car. ``kind``: ``start_idle`` (starter, catch, rev flare,
    idle), ``rev`` (revving in neutral), ``pass_by`` (passing at 60 km/h with tyre noise),
    ``accelerate`` (pulling away through three gears)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    if kind == "start_idle":
        out = np.zeros(n)
        place(out, starter(rng, 1.0), 0.0, 0.7)
        eng = engine(rng, seconds - 0.9, [(0, 600), (0.3, 2200), (1.2, 1000), (seconds, 800)], 2,
                     CAR_RES, noise=0.2, rasp_hz=2500)
        place(out, eng, 0.9)
        return out
    if kind == "rev":
        return engine(rng, seconds, [(0, 800), (0.8, 850), (1.2, 4200), (1.9, 1100), (2.6, 1000),
                                     (3.0, 5200), (3.8, 1200), (seconds, 900)], 2, CAR_RES, noise=0.3)
    if kind == "pass_by":
        eng = engine(rng, seconds, [(0, 2400), (seconds, 2500)], 2, CAR_RES, noise=0.25)
        tyres = norm(bandpass(rng.standard_normal(n), 300, 2500))
        return doppler(norm(eng + 0.8 * tyres), 2.0, 16.7, 5.0)
    if kind == "accelerate":
        rpm = [(0, 900), (0.2, 1200), (1.2, 4500), (1.4, 2600), (2.6, 4800), (2.8, 3000), (seconds, 4700)]
        return engine(rng, seconds, rpm, 2, CAR_RES, noise=0.3, rasp_hz=3500)
    raise ValueError(kind)


MOTORBIKES = {  # kind: (rpm curve, firings per rev, resonances, pattern, noise, rasp Hz, Doppler)
    "gear_shifts": ([(0, 4000), (1.0, 10000), (1.1, 6500), (2.1, 10500), (2.2, 7500), (3.3, 11000),
                     (3.4, 8500), (4.6, 11500)], 2, [(230, 180, 0.6), (900, 600, 0.6), (2300, 1200, 0.4)],
                    (1.0,), 0.35, 6000, None),
    "chopper_cruise": ([(0, 2100), (2.0, 2300), (3.0, 2150), (4.6, 2400)], 1,
                       [(60, 35, 1.0), (160, 80, 0.7), (500, 300, 0.25)], (1.0, 0.5), 0.3, 2200, None),
    "moped": ([(0, 5500), (0.8, 7800), (2.5, 8200), (3.2, 6500), (4.6, 8000)], 1,
              [(1600, 700, 1.0), (3200, 1200, 0.5)], (1.0,), 0.6, 8000, None),
    "decel": ([(0, 10500), (0.8, 7000), (0.9, 9500), (1.8, 6000), (1.9, 8500), (2.9, 4500), (3.0, 7000),
               (4.6, 2200)], 2, [(220, 180, 0.6), (850, 600, 0.6), (2100, 1200, 0.3)], (1.0,), 0.5, 5000, None),
    "thumper": ([(0, 1300), (1.8, 1350), (2.2, 3800), (2.8, 1500), (4.6, 1300)], 0.5,
                [(80, 40, 1.0), (250, 150, 0.6), (900, 500, 0.2)], (1.0,), 0.3, 2500, None),
    "race_pass": ([(0, 13000), (4.6, 13800)], 2, [(300, 250, 0.6), (1100, 700, 0.6), (2600, 1300, 0.3)],
                  (1.0,), 0.4, 7000, (2.0, 55.0, 10.0)),
}


def motorbike(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Motorcycles. ``kind``: ``start_idle`` (starter, then a V-twin idle), or one of
    :data:`MOTORBIKES` (``gear_shifts``, ``chopper_cruise``, ``moped``, ``decel``,
    ``thumper``, ``race_pass``)."""
    rng = np.random.default_rng(seed)
    if kind == "start_idle":
        out = np.zeros(_n(seconds))
        place(out, starter(rng, 0.8, 7.0), 0.0, 0.6)
        eng = engine(rng, seconds - 0.7, [(0, 700), (0.3, 2500), (1.0, 1100), (seconds, 950)], 1,
                     [(70, 40, 1.0), (180, 90, 0.6), (600, 400, 0.25)], (1.0, 0.55), 0.25, 2500)
        place(out, eng, 0.7)
        return out
    rpm, fpr, res, pattern, noise, rasp, dop = MOTORBIKES[kind]
    x = engine(rng, seconds, rpm, fpr, res, pattern, noise, rasp)
    return norm(doppler(x, *dop)) if dop else x


# ---------------------------------------------------------------------------
# Trains and boats
# ---------------------------------------------------------------------------

def rail_clatter(rng, seconds: float, car_s: float = 1.45, bogie_s: float = 0.26,
                 ring_hz: float = 1800.0) -> np.ndarray:
    """Wheel sets crossing rail joints: four knocks per car, every ``car_s`` seconds."""
    out = np.zeros(_n(seconds))
    t0 = 0.05
    while t0 < seconds:
        for dt in (0.0, bogie_s, car_s - bogie_s - 0.25, car_s - 0.25):
            hit = burst(rng, 0.12, 0.012)
            hit = resonator(hit, ring_hz * rng.uniform(0.9, 1.1), 500) + resonator(hit, 300, 150)
            place(out, norm(hit), t0 + dt, rng.uniform(0.7, 1.0))
        t0 += car_s
    return out


def horn_tone(rng, seconds: float, freqs, formants=((700, 600, 1.0), (1800, 1200, 0.5)),
              attack: float = 0.05) -> np.ndarray:
    """Air horn chord: one additive tone per frequency in ``freqs``, steady envelope."""
    d = seconds
    env = curve([(0, 0), (attack, 1), (d - 0.08, 0.95), (d, 0)], d)
    return norm(sum(voiced(np.full(_n(d), f * rng.uniform(0.997, 1.003)), list(formants), env, -2.5,
                           max_harm=25) for f in freqs))


def train(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Trains. ``kind``: ``electric`` (traction motors whining up over clatter), ``brakes``
    (slowing with squealing brakes), ``horn_pass`` (a two-tone horn passing, Doppler),
    ``level_crossing`` (crossing bell, the train arriving), ``freight`` (slow, heavy wagons)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    rumble = norm(lowpass(rng.standard_normal(n), 220, 4) * (1 + 0.2 * smooth_noise(rng, n, 2.0)))
    if kind == "electric":
        whine = voiced(curve([(0, 180), (seconds, 520)], seconds), [(900, 700, 1.0)], np.ones(n), -6.0,
                       max_harm=12)
        return 0.5 * rumble + 0.6 * norm(rail_clatter(rng, seconds, 1.25, 0.22, 2100)) + 0.45 * whine
    if kind == "brakes":
        slow = curve([(0, 1.0), (seconds, 0.35)], seconds)
        sq = voiced(curve([(0, 2900), (seconds, 2600)], seconds) * (1 + 0.01 * smooth_noise(rng, n, 6.0)),
                    [(2900, 500, 1.0), (5800, 900, 0.3)], np.clip(0.4 + smooth_noise(rng, n, 1.5), 0, 1.5),
                    -6.0, max_harm=3)
        return slow * (0.7 * rumble + 0.5 * norm(rail_clatter(rng, seconds, 2.2, 0.35, 1500))) + 0.35 * sq
    if kind == "horn_pass":
        out = 0.5 * rumble + 0.5 * norm(rail_clatter(rng, seconds, 1.0, 0.2, 1900))
        place(out, horn_tone(rng, 2.6, (277.2, 349.2)), 0.2, 1.0)
        return doppler(out, 2.2, 33.0, 15.0)
    if kind == "level_crossing":
        out = np.zeros(n)
        tt = np.arange(_n(0.45)) / SAMPLE_RATE
        ding = sum(a * np.sin(2 * np.pi * 1250 * m * tt) * np.exp(-tt * m / 0.2)
                   for m, a in ((1.0, 1.0), (2.4, 0.4), (4.1, 0.2)))
        for t0 in np.arange(0.0, seconds, 0.5):
            place(out, ding, t0, 0.5)
        approach = curve([(0, 0.05), (2.5, 0.4), (seconds, 1.0)], seconds)
        place(out, approach * (0.7 * rumble + norm(rail_clatter(rng, seconds, 1.3, 0.24, 1700))), 0.0, 0.9)
        return out
    if kind == "freight":
        clank = rail_clatter(rng, seconds, 2.4, 0.45, 1100)
        for t0 in np.sort(rng.uniform(0.2, seconds - 0.3, 3)):  # couplings banging
            place(clank, norm(resonator(burst(rng, 0.3, 0.03), 600, 200)), t0, 0.8)
        return rumble + 0.8 * norm(clank)
    raise ValueError(kind)


def boat(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Boats. ``kind``: ``jetski`` (personal watercraft racing past), ``sailing`` (wind,
    sail flapping, water on the hull), ``tugboat`` (slow heavy diesel and a deep horn),
    ``ship_bell`` (a ship's bell struck in pairs over water), ``inboard_idle`` (marine
    diesel burbling at idle), ``danger_blasts`` (five short blasts of a ship's horn),
    ``kayak`` (paddle strokes and drips)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    water = sea(seed + 1, seconds)
    if kind == "jetski":
        eng = engine(rng, seconds, [(0, 6500), (1.5, 7500), (seconds, 7200)], 2,
                     [(500, 300, 1.0), (1500, 800, 0.6)], noise=0.5, rasp_hz=6000)
        spray = norm(bandpass(rng.standard_normal(n), 800, 8000))
        return doppler(norm(eng + 0.5 * spray), 2.0, 20.0, 8.0) + 0.3 * water
    if kind == "sailing":
        wind = norm(bandpass(rng.standard_normal(n), 200, 1500)) * (0.6 + 0.4 * smooth_noise(rng, n, 0.5))
        out = 0.5 * wind + 0.6 * water
        for t0 in np.sort(rng.uniform(0.0, seconds - 0.4, 5)):  # sail luffing
            flap = lowpass(burst(rng, 0.25, 0.05), 1200) * (1 + np.sign(np.sin(
                2 * np.pi * 14 * np.arange(_n(0.25)) / SAMPLE_RATE)))
            place(out, norm(flap), t0, 0.9)
        return out
    if kind == "tugboat":
        eng = engine(rng, seconds, [(0, 420), (seconds, 450)], 4, [(45, 25, 1.0), (120, 60, 0.6)],
                     noise=0.15, rasp_hz=1200)
        out = 0.6 * eng + 0.2 * water
        place(out, horn_tone(rng, 1.8, (110.0,), ((350, 300, 1.0), (900, 600, 0.4))), 1.2, 1.0)
        return out
    if kind == "ship_bell":
        out = 0.3 * water
        d = 1.2
        tt = np.arange(_n(d)) / SAMPLE_RATE
        for t0 in (0.0, 0.45, 1.7, 2.15):
            strike = sum(a * np.sin(2 * np.pi * 880 * m * tt + rng.uniform(0, 6.28)) * np.exp(-tt / (0.9 / m))
                         for m, a in ((0.5, 0.5), (1.0, 1.0), (1.19, 0.5), (1.5, 0.35), (2.0, 0.3), (2.74, 0.2)))
            place(out, norm(strike), t0, 1.0)
        return out
    if kind == "inboard_idle":
        eng = engine(rng, seconds, [(0, 750), (seconds, 780)], 3, [(70, 40, 1.0), (190, 100, 0.5)],
                     noise=0.2, rasp_hz=1500)
        gurgle = bandpass(rng.standard_normal(n), 150, 1200) * np.clip(0.5 + smooth_noise(rng, n, 8.0), 0, None)
        return norm(eng) + 0.4 * norm(gurgle) + 0.25 * water
    if kind == "danger_blasts":
        out = 0.2 * water
        for k in range(5):
            place(out, horn_tone(rng, 0.55, (147.0, 185.0), ((450, 400, 1.0), (1200, 700, 0.4))), k * 0.85)
        return out
    if kind == "kayak":
        out = 0.4 * water
        for k, t0 in enumerate(np.arange(0.0, seconds, 0.95)):
            place(out, norm(bandpass(burst(rng, 0.4, 0.09), 250, 5000)), t0 + rng.normal(0, 0.02), 0.9)
            for j in range(3):
                place(out, norm(bandpass(burst(rng, 0.05, 0.01), 2000, 7000)), t0 + 0.5 + 0.08 * j, 0.25)
        return out
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# Horns, sirens, telephones, alarm clocks
# ---------------------------------------------------------------------------

def honk(rng, d: float, freqs, bright: float = 1.0, drive: float = 1.5) -> np.ndarray:
    """An electric car horn note: buzzy tones through the horn's flare resonances."""
    env = curve([(0, 0), (0.015, 1), (max(0.02, d - 0.03), 1), (d, 0)], d)
    x = sum(voiced(np.full(_n(d), f * rng.uniform(0.995, 1.005)),
                   [(2200 * bright, 900, 1.0), (3400 * bright, 900, 0.7), (800, 500, 0.4)], env, -1.0,
                   max_harm=30) for f in freqs)
    return np.tanh(drive * norm(x))


def car_horn(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Car horns. ``kind``: ``single_long``, ``triple_honk``, ``bus_horn`` (low, three
    tones), ``van_horn`` (medium pair, rhythmic), ``pass_by`` (honking while passing,
    Doppler), ``melody`` (a five-note musical horn), ``weak`` (a failing horn sagging in
    pitch)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    if kind == "single_long":
        place(out, honk(rng, 3.2, (392.0, 494.0)), 0.0)
    elif kind == "triple_honk":
        for t0 in (0.0, 0.35, 0.7, 2.2, 2.55, 2.9):
            place(out, honk(rng, 0.22, (349.0, 440.0)), t0)
    elif kind == "bus_horn":
        for t0, d in ((0.0, 1.2), (1.8, 2.0)):
            place(out, honk(rng, d, (220.0, 277.0, 330.0), 0.7, 1.2), t0)
    elif kind == "van_horn":
        for t0, d in ((0.0, 0.5), (0.7, 0.5), (1.4, 1.0), (3.0, 0.3), (3.5, 0.3)):
            place(out, honk(rng, d, (330.0, 415.0), 0.9), t0)
    elif kind == "pass_by":
        x = np.zeros(_n(seconds))
        place(x, honk(rng, 1.0, (415.0, 520.0)), 0.6)
        place(x, honk(rng, 1.6, (415.0, 520.0)), 1.8)
        out = doppler(x, 2.2, 20.0, 6.0)
    elif kind == "melody":
        t0 = 0.0
        for f, d in ((392.0, 0.18), (392.0, 0.18), (392.0, 0.18), (523.3, 0.5), (659.3, 0.5),
                     (392.0, 0.18), (392.0, 0.18), (392.0, 0.18), (523.3, 0.5), (659.3, 0.8)):
            place(out, honk(rng, d, (f,), 1.1), t0)
            t0 += d + 0.06
    elif kind == "weak":
        for t0, d in ((0.0, 1.0), (1.4, 1.8)):
            f0 = curve([(0, 300), (d, 240)], d) * (1 + 0.03 * smooth_noise(rng, _n(d), 8.0))
            env = curve([(0, 0), (0.03, 1), (d - 0.05, 0.6), (d, 0)], d)
            x = voiced(f0, [(1800, 900, 1.0), (700, 500, 0.5)], env, -2.0, max_harm=30)
            place(out, np.tanh(1.2 * norm(x)), t0)
    else:
        raise ValueError(kind)
    return out


def siren(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Electronic sirens. ``kind``: ``hyperyelp`` (very fast sweeps), ``wail_fast``
    (2 s sweeps), ``wail_pass`` (a wailing vehicle passing, Doppler), ``hilo_wide``
    (two tones a fourth apart, 0.5 s each), ``wail_to_yelp`` (wail switching to yelp)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    t = np.arange(n) / SAMPLE_RATE
    if kind == "hyperyelp":
        f0 = 800 + 700 * ((t * 9.0) % 1.0)
    elif kind == "wail_fast":
        f0 = 900 + 500 * np.sin(2 * np.pi * t / 2.0 - np.pi / 2)
    elif kind == "wail_pass":
        f0 = 950 + 450 * np.sin(2 * np.pi * t / 3.0 - np.pi / 2)
    elif kind == "hilo_wide":
        f0 = lowpass(np.where((t % 1.0) < 0.5, 660.0, 880.0), 80, 1)
    elif kind == "wail_to_yelp":
        f0 = np.where(t < 2.3, 950 + 450 * np.sin(2 * np.pi * t / 4.6 - np.pi / 2),
                      750 + 750 * ((t * 3.5) % 1.0))
        f0 = lowpass(f0, 200, 1)
    else:
        raise ValueError(kind)
    x = voiced(f0, [(1500, 1200, 1.0), (3000, 1500, 0.5)], np.ones(n), -4.0, max_harm=20, odd_only=True)
    x = fade(norm(x), 0.05, 0.05)
    if kind == "wail_pass":
        x = norm(doppler(x, 2.3, 18.0, 10.0)) + 0.1 * norm(bandpass(rng.standard_normal(n), 200, 1500))
    return x


def bell_ringer(rng, seconds: float, rate_hz: float = 20.0, f: float = 1900.0) -> np.ndarray:
    """Electromechanical telephone bell: a clapper striking two bells ``rate_hz`` times/s."""
    out = np.zeros(_n(seconds))
    d = 0.3
    tt = np.arange(_n(d)) / SAMPLE_RATE
    for k, t0 in enumerate(np.arange(0.0, seconds, 1.0 / rate_hz)):
        ff = f * (1.0 if k % 2 == 0 else 1.06)
        hit = sum(a * np.sin(2 * np.pi * ff * m * tt + rng.uniform(0, 6.28)) * np.exp(-tt * m / 0.12)
                  for m, a in ((1.0, 1.0), (2.6, 0.5), (4.4, 0.25)))
        place(out, hit, t0, rng.uniform(0.8, 1.0))
    return norm(out)


def telephone(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Telephones ringing. ``kind``: ``bell_double`` (bell ringer, British double ring),
    ``bell_long`` (bell ringer, one long North American ring), ``trill`` (electronic
    desk phone warble), ``ringtone`` (mobile phone playing a marimba-like tune)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))
    if kind == "bell_double":
        for t0 in (0.0, 0.6, 2.6, 3.2):
            place(out, bell_ringer(rng, 0.4, 20.0, 1800.0), t0)
    elif kind == "bell_long":
        place(out, bell_ringer(rng, 2.0, 18.0, 2100.0), 0.0)
        place(out, bell_ringer(rng, 1.0, 18.0, 2100.0), 3.5)
    elif kind == "trill":
        for t0 in (0.0, 2.4):
            d = 1.4
            tt = np.arange(_n(d)) / SAMPLE_RATE
            f0 = np.where((tt * 16.0) % 1.0 < 0.5, 1050.0, 1320.0)
            env = curve([(0, 0), (0.01, 1), (d - 0.01, 1), (d, 0)], d)
            place(out, voiced(f0, [(1200, 2000, 1.0)], env, -6.0, max_harm=9, odd_only=True), t0)
    elif kind == "ringtone":
        t0 = 0.0
        notes = (659.3, 784.0, 1046.5, 784.0, 880.0, 1174.7, 1046.5, None, 659.3, 784.0, 1046.5, 1318.5)
        for f in notes:
            if f is not None:
                d = 0.45
                tt = np.arange(_n(d)) / SAMPLE_RATE
                tone = (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(2 * np.pi * 4 * f * tt) * np.exp(-tt / 0.02))
                place(out, tone * np.exp(-tt / 0.12), t0)
            t0 += 0.3
    else:
        raise ValueError(kind)
    return out


def alarm_clock(seed: int, kind: str, seconds: float = 4.6) -> np.ndarray:
    """Alarm clocks. ``kind``: ``buzzer`` (harsh buzz pulses), ``escalating`` (beeps getting
    faster), ``single_bell`` (one bell, fast hammer), ``chime_melody`` (a rising chime
    tune), ``triple_tone`` (three-pitch beep groups), ``tick_buzz`` (ticking, then the
    buzzer), ``slow_beep`` (low, slow beeps)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(_n(seconds))

    def beep(d, f, harm=7):
        env = curve([(0, 0), (0.004, 1), (d - 0.004, 1), (d, 0)], d)
        return voiced(np.full(_n(d), f), [(f, 3 * f, 1.0)], env, -8.0, max_harm=harm, odd_only=True)

    def buzz(d):
        env = curve([(0, 0), (0.005, 1), (d - 0.005, 1), (d, 0)], d)
        x = voiced(np.full(_n(d), 220.0), [(1200, 1500, 1.0), (2800, 1500, 0.6)], env, 0.0, max_harm=60)
        return np.tanh(3.0 * x)

    if kind == "buzzer":
        for t0 in np.arange(0.0, seconds - 0.3, 0.8):
            place(out, buzz(0.5), t0)
    elif kind == "escalating":
        t0, gap = 0.0, 0.6
        while t0 < seconds - 0.1:
            place(out, beep(0.08, 3200.0), t0)
            t0 += gap
            gap = max(0.12, gap * 0.85)
    elif kind == "single_bell":
        d = 0.5
        tt = np.arange(_n(d)) / SAMPLE_RATE
        for k, t0 in enumerate(np.arange(0.0, seconds - 0.4, 1 / 22.0)):
            hit = sum(a * np.sin(2 * np.pi * 1400 * m * tt + rng.uniform(0, 6.28)) * np.exp(-tt * m / 0.3)
                      for m, a in ((1.0, 1.0), (2.76, 0.5), (5.4, 0.25)))
            place(out, hit, t0, rng.uniform(0.7, 1.0))
    elif kind == "chime_melody":
        t0 = 0.0
        for f in (523.3, 659.3, 784.0, 1046.5, 784.0, 1046.5, 1318.5, 1046.5, 523.3, 659.3, 784.0, 1046.5):
            d = 0.6
            tt = np.arange(_n(d)) / SAMPLE_RATE
            place(out, (np.sin(2 * np.pi * f * tt) + 0.25 * np.sin(2 * np.pi * 3 * f * tt)) * np.exp(-tt / 0.25), t0)
            t0 += 0.32
    elif kind == "triple_tone":
        t0 = 0.0
        while t0 < seconds:
            for k, f in enumerate((2000.0, 2500.0, 3000.0)):
                place(out, beep(0.1, f), t0 + k * 0.15)
            t0 += 0.9
    elif kind == "tick_buzz":
        for t0 in np.arange(0.0, 2.0, 0.5):
            place(out, norm(resonator(burst(rng, 0.03, 0.002), 2800, 700)), t0, 0.45)
            place(out, norm(resonator(burst(rng, 0.03, 0.002), 2300, 700)), t0 + 0.25, 0.35)
        for t0 in np.arange(2.1, seconds - 0.2, 0.45):
            place(out, buzz(0.3), t0)
    elif kind == "slow_beep":
        for t0 in np.arange(0.0, seconds, 1.0):
            place(out, beep(0.45, 880.0, 11), t0)
    else:
        raise ValueError(kind)
    return out


GENERATORS = {"car": car, "motorbike": motorbike, "train": train, "boat": boat, "car_horn": car_horn,
              "siren": siren, "telephone": telephone, "alarm_clock": alarm_clock}
