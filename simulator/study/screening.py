"""Headphone screening tests (a registry: ``--screening NAME``).

``antiphase``: the test of Woods, Siegel, Traer and McDermott, *Headphone screening to facilitate
web-based auditory experiments* (Attention, Perception, & Psychophysics 79, 2017). Each trial
plays three 200 Hz pure tones in succession; the listener says which one was the quietest. Two
tones are at the reference level, the target is 6 dB below it, and one of the two loud tones is
in antiphase (the right channel is the left one inverted). Over headphones the target is plainly
the quietest; over loudspeakers the two channels of the antiphase tone cancel in the air (more
than 20 dB at 200 Hz in the paper's measurements), so the antiphase tone sounds quietest and the
listener answers wrongly. Six trials, one per order of the three tones (soft in-phase ``S``,
loud in-phase ``I``, loud antiphase ``O``), in a seeded random order per participant; each
sound may be played once; pass with at least 5 of 6 correct, as in the paper. Before the trials
the listener sets a comfortable volume with a calibration noise at the level of the loud tones.

Stimuli are made here (numpy) and served as 16-bit stereo WAV files: tones 1000 ms long with
100 ms raised-cosine on and off ramps, 500 ms of silence between them, 44.1 kHz; the loud tones
have a peak amplitude of :data:`LOUD_PEAK` of full scale, the target 6 dB less. Channel 0 is the
left ear (docs/conventions.md).

``none``: no screening (e.g. a lab with known headphones); the outcome is recorded as not tested.
"""
from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass
from itertools import permutations
from typing import Any, Callable

import numpy as np

SAMPLE_RATE = 44100
TONE_HZ = 200.0
TONE_S = 1.0
RAMP_S = 0.1
GAP_S = 0.5
TARGET_DB = -6.0
LOUD_PEAK = 0.3
PASS_CORRECT = 5
CALIBRATION_S = 3.0


def participant_rng(seed: int, participant: str, salt: int) -> np.random.Generator:
    """A Generator seeded by (seed, participant id, salt): the same participant always gets the
    same draws, whatever else happens on the server."""
    digest = hashlib.sha256(participant.encode("utf-8")).digest()
    return np.random.default_rng([int(seed), int.from_bytes(digest[:8], "little"), int(salt)])


def tone(level_db: float, antiphase: bool) -> np.ndarray:
    """One screening tone, (2, n) float64 in [-1, 1]: 200 Hz, 1 s, 100 ms raised-cosine ramps,
    ``level_db`` relative to :data:`LOUD_PEAK`; ``antiphase``: the right channel inverted."""
    n = int(round(TONE_S * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    x = LOUD_PEAK * 10 ** (level_db / 20) * np.sin(2 * np.pi * TONE_HZ * t)
    r = int(round(RAMP_S * SAMPLE_RATE))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
    x[:r] *= ramp
    x[-r:] *= ramp[::-1]
    return np.stack([x, -x if antiphase else x])


#: The three tones of a trial by letter: S soft in-phase (the answer), I loud in-phase, O loud antiphase.
TONES: dict[str, tuple[float, bool]] = {"S": (TARGET_DB, False), "I": (0.0, False), "O": (0.0, True)}


def triplet(order: str) -> np.ndarray:
    """The (2, n) signal of a trial whose tones come in ``order`` (e.g. ``"ISO"``), gaps between."""
    gap = np.zeros((2, int(round(GAP_S * SAMPLE_RATE))))
    parts: list[np.ndarray] = []
    for k, letter in enumerate(order):
        if k:
            parts.append(gap)
        parts.append(tone(*TONES[letter]))
    return np.concatenate(parts, axis=1)


def calibration_noise(seed: int = 0) -> np.ndarray:
    """(2, n) diotic white noise, :data:`CALIBRATION_S` long, with the RMS of the loud tones
    (volume setting before the test), 100 ms ramps."""
    rng = np.random.default_rng([int(seed), 2017])
    n = int(round(CALIBRATION_S * SAMPLE_RATE))
    x = rng.standard_normal(n)
    x *= (LOUD_PEAK / np.sqrt(2)) / np.sqrt(np.mean(x ** 2))
    x = np.clip(x, -0.99, 0.99)
    r = int(round(RAMP_S * SAMPLE_RATE))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
    x[:r] *= ramp
    x[-r:] *= ramp[::-1]
    return np.stack([x, x])


def wav_bytes(signal: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A (channels, n) float signal in [-1, 1] as a 16-bit PCM WAV file."""
    pcm = np.clip(np.round(signal.T * 32767), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(signal.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


@dataclass(frozen=True)
class Screening:
    """A screening test: its trials for a participant, their stimuli and the scoring."""

    name: str
    description: str
    trial_orders: Callable[[int, str], list[str]]
    pass_correct: int

    def trials(self, seed: int, participant: str) -> list[str]:
        return self.trial_orders(seed, participant)

    def answer(self, order: str) -> int:
        """The correct answer of a trial: the 1-based position of the quietest tone."""
        return order.index("S") + 1

    def outcome(self, orders: list[str], answers: list[int], rts_ms: list[float]) -> dict[str, Any]:
        """The recorded outcome: per trial the order, the answer, whether it was right; passed."""
        rows = [{"order": o, "answer": int(a), "correct": int(a) == self.answer(o), "rt_ms": float(rt)}
                for o, a, rt in zip(orders, answers, rts_ms)]
        correct = sum(r["correct"] for r in rows)
        return {"test": self.name, "trials": rows, "correct": correct, "of": len(orders),
                "passed": correct >= self.pass_correct}


def _antiphase_orders(seed: int, participant: str) -> list[str]:
    orders = ["".join(p) for p in permutations("SIO")]
    rng = participant_rng(seed, participant, 6)
    return [orders[i] for i in rng.permutation(len(orders))]


SCREENINGS: dict[str, Screening] = {
    "antiphase": Screening("antiphase", "which of three 200 Hz tones is quietest, one of the loud ones in antiphase "
                           "(Woods et al. 2017): 6 trials, pass with 5 correct", _antiphase_orders, PASS_CORRECT),
    "none": Screening("none", "no headphone screening", lambda seed, participant: [], 0),
}
