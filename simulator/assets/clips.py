"""Sound clips as the libraries serve them: mono float32 at a requested rate, loudness-normalised
like the default library (active-frame RMS -20 dBFS, peak at most -1 dBFS), and the checks that
decide whether a user's file is usable."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

MIN_CLIP_SECONDS = 0.1
MAX_CLIP_SECONDS = 30.0
SILENCE_PEAK = 10 ** (-80 / 20)  # a clip whose peak is below -80 dBFS counts as silent
TARGET_ACTIVE_RMS_DBFS = -20.0
PEAK_CEILING_DBFS = -1.0


def _active_rms_db(x: np.ndarray, sr: int) -> float:
    n = max(1, int(round(0.02 * sr)))
    m = len(x) // n
    frames = x[: m * n].reshape(m, n) if m else x.reshape(1, -1)
    db = 20.0 * np.log10(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-12)
    active = db[(db > db.max() - 40.0) & (db > -70.0)]
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0)))) if active.size else -np.inf


def normalize_loudness(x: np.ndarray, sr: int) -> np.ndarray:
    """The default library's loudness rule: active-frame RMS at -20 dBFS, then turned down if
    the peak would exceed -1 dBFS (plain gain)."""
    level = _active_rms_db(x, sr)
    if not np.isfinite(level):
        return x
    y = x * 10 ** ((TARGET_ACTIVE_RMS_DBFS - level) / 20.0)
    peak = float(np.max(np.abs(y)))
    ceiling = 10 ** (PEAK_CEILING_DBFS / 20.0)
    return y * (ceiling / peak) if peak > ceiling else y


def read_clip(path: Path, sample_rate: int, normalize: bool = False,
              max_seconds: float | None = None) -> np.ndarray:
    """A sound file as mono float32 at ``sample_rate``: channels averaged, polyphase
    resampling, optionally cut to ``max_seconds`` and loudness-normalised. Raises on
    unreadable files (soundfile's errors)."""
    import soundfile as sf
    from scipy.signal import resample_poly

    data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    if max_seconds is not None:
        data = data[: int(round(max_seconds * sr))]
    mono = data.mean(axis=1)
    if sr != sample_rate and mono.size:
        ratio = Fraction(sample_rate, sr).limit_denominator(1000)
        mono = resample_poly(mono, ratio.numerator, ratio.denominator)
    if normalize and mono.size:
        mono = normalize_loudness(mono, sample_rate)
    return mono.astype(np.float32)


def check_clip(path: Path, sample_rate: int) -> tuple[float | None, str | None]:
    """(duration_s, None) for a usable clip, or (None, reason) for one to skip. Only the first
    MAX_CLIP_SECONDS are decoded (all a sample uses), so a long file costs no more than that."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure means "skip"
        return None, f"unreadable: {short_reason(exc)}"
    if info.frames == 0:
        return None, "empty (0 frames)"
    if not 0 < info.samplerate <= 768000 or not 0 < info.channels <= 64:
        return None, f"unusable format: {info.samplerate} Hz, {info.channels} channels"
    used = int(MAX_CLIP_SECONDS * info.samplerate)  # only the part a sample can use is read
    try:
        data, sr = sf.read(str(path), frames=used, dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001
        return None, f"unreadable (corrupt or truncated data): {short_reason(exc)}"
    if len(data) == 0:
        return None, "empty (0 frames)"
    expected = min(info.frames, used) if 0 < info.frames < 2**62 else 0
    if len(data) < expected:
        return None, f"truncated: decoded {len(data)} of {info.frames} frames"
    if not np.all(np.isfinite(data)):
        return None, "not finite (NaN or infinite samples)"
    seconds = len(data) / sr
    if seconds < MIN_CLIP_SECONDS:
        return None, f"too short ({seconds:.3f} s < {MIN_CLIP_SECONDS} s)"
    if float(np.max(np.abs(data.mean(axis=1)))) < SILENCE_PEAK:
        return None, "silent (peak below -80 dBFS after mixing to mono)"
    return min(seconds, MAX_CLIP_SECONDS), None


def short_reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:157] + "...") if len(text) > 160 else text or type(exc).__name__
