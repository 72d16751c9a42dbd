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


#: Files read for their audio track with PyAV (the ``video`` extra) rather than libsndfile.
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4a", ".mkv", ".webm", ".mov", ".avi", ".aac"})


def _read_frames(path: Path, start_s: float, end_s: float | None) -> tuple[np.ndarray, int]:
    """(frames x channels float64, rate) of ``path`` from ``start_s`` to ``end_s`` seconds (None:
    the end). Sound files through libsndfile (only the segment is read); video and AAC files
    through PyAV, their first audio stream."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        import soundfile as sf

        sr = sf.info(str(path)).samplerate
        stop = None if end_s is None else int(round(end_s * sr))
        data, sr = sf.read(str(path), dtype="float64", always_2d=True, start=int(round(start_s * sr)), stop=stop)
        return data, int(sr)
    try:
        import av
    except ImportError:
        raise RuntimeError(f"{path}: reading audio from {path.suffix} files needs PyAV "
                           "(pip install 'avsim[video]')") from None
    chunks, sr = [], None
    with av.open(str(path)) as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise ValueError(f"{path}: no audio stream")
        for frame in container.decode(stream):
            sr = frame.sample_rate
            x = frame.to_ndarray()
            if np.issubdtype(x.dtype, np.integer):   # s16, s32 ...: full scale to +-1
                x = x.astype(np.float64) / float(np.iinfo(x.dtype).max + 1)
            x = x.astype(np.float64)
            if frame.format.is_planar:             # (channels, n)
                chunks.append(x.T)
            else:                                  # packed: (1, n * channels)
                chunks.append(x.reshape(-1, len(frame.layout.channels)))
    if sr is None:
        raise ValueError(f"{path}: the audio stream has no samples")
    data = np.concatenate(chunks, axis=0)
    a = int(round(start_s * sr))
    b = None if end_s is None else int(round(end_s * sr))
    return data[a:b], int(sr)


def read_clip(path: Path, sample_rate: int, normalize: bool = False,
              max_seconds: float | None = None, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
    """A sound file (or the segment ``start_s``-``end_s`` seconds of it; video files: their audio
    track) as mono float32 at ``sample_rate``: channels averaged, polyphase resampling,
    optionally cut to ``max_seconds`` and loudness-normalised. Raises on unreadable files."""
    from scipy.signal import resample_poly

    data, sr = _read_frames(path, start_s, end_s)
    if max_seconds is not None:
        data = data[: int(round(max_seconds * sr))]
    mono = data.mean(axis=1)
    if sr != sample_rate and mono.size:
        ratio = Fraction(sample_rate, sr).limit_denominator(1000)
        mono = resample_poly(mono, ratio.numerator, ratio.denominator)
    if normalize and mono.size:
        mono = normalize_loudness(mono, sample_rate)
    return mono.astype(np.float32)


class BrokenClip(ValueError):
    """A clip of an imported collection that turns out unusable when first read (the message
    names the key and why); the sampler draws another clip of the category instead."""


def clip_problem(clip: np.ndarray, sample_rate: int) -> str | None:
    """Why a decoded clip cannot be used (too short, silent, not finite), or None."""
    if clip.size < MIN_CLIP_SECONDS * sample_rate:
        return f"shorter than {MIN_CLIP_SECONDS} s"
    if not np.all(np.isfinite(clip)):
        return "not finite"
    if float(np.abs(clip).max()) < SILENCE_PEAK:
        return "silent"
    return None


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
