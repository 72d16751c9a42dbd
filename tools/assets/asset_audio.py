"""Audio helpers for the default asset library builder.

Sources -> mono float64 at :data:`SAMPLE_RATE` -> :func:`finish_clip` (trim leading
silence, fit the length, normalise loudness, fade) -> :func:`write_flac`.

Loudness method: the RMS over *active* 20 ms frames (frames within 40 dB of the
loudest frame and above -70 dBFS) is set to :data:`TARGET_ACTIVE_RMS_DBFS`; if
the peak would then exceed :data:`PEAK_CEILING_DBFS`, the whole clip is turned
down until the peak sits at that ceiling (plain gain, no limiter, so the waveform
shape is untouched). Everything here is deterministic.
"""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 32000
RENDER_RATE = 48000  # SoundFonts are rendered here, then resampled 3:2
MIN_SECONDS = 3.0
MAX_SECONDS = 5.0
TARGET_ACTIVE_RMS_DBFS = -20.0
PEAK_CEILING_DBFS = -1.0
FRAME_SECONDS = 0.02


def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def resample(x: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling (Kaiser window), exact rational ratio."""
    if sr_in == sr_out:
        return np.asarray(x, np.float64)
    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(np.asarray(x, np.float64), sr_out // g, sr_in // g)


def to_mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    """One MIDI note: start time (s), key, velocity, held duration (s)."""
    t: float
    key: int
    vel: int = 110
    dur: float = 0.5


def render_sf2(sf2_path: str, bank: int, program: int, notes: list[Note],
               seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Render ``notes`` on one SoundFont preset with tinysoundfont; mono float64.

    The note list is rendered for ``seconds`` (plus a short tail) at
    :data:`RENDER_RATE` and resampled to ``sample_rate``.
    """
    import tinysoundfont

    if not Path(sf2_path).exists():
        raise FileNotFoundError(f"SoundFont {sf2_path} not found (see tools/assets/README.md)")
    synth = tinysoundfont.Synth(samplerate=RENDER_RATE)
    sfid = synth.sfload(sf2_path)
    synth.program_select(0, sfid, bank, program)
    events = []
    for n in notes:
        events.append((int(round(n.t * RENDER_RATE)), 1, n.key, n.vel))
        events.append((int(round((n.t + n.dur) * RENDER_RATE)), 0, n.key, 0))
    events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at equal times
    total = int(round(seconds * RENDER_RATE))
    chunks, pos = [], 0
    for at, on, key, vel in events:
        at = min(at, total)
        if at > pos:
            chunks.append(np.frombuffer(synth.generate(at - pos), dtype=np.float32).copy())
            pos = at
        if on:
            synth.noteon(0, key, vel)
        else:
            synth.noteoff(0, key)
    if total > pos:
        chunks.append(np.frombuffer(synth.generate(total - pos), dtype=np.float32).copy())
    stereo = np.concatenate(chunks).reshape(-1, 2)
    return resample(to_mono(stereo), RENDER_RATE, sample_rate)


def sf2_presets(sf2_path: str) -> list[tuple[int, int, str]]:
    """All (bank, program, name) presets of a SoundFont."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=RENDER_RATE)
    sfid = synth.sfload(sf2_path)
    out = []
    for bank in range(129):
        for prog in range(128):
            try:
                name = synth.sfpreset_name(sfid, bank, prog)
            except Exception:
                name = None
            if name:
                out.append((bank, prog, name))
    return out


_ESPEAK = {}


def _espeak():
    """Load libespeak-ng from the ``espeakng-loader`` wheel once (retrieval mode)."""
    if not _ESPEAK:
        import espeakng_loader as loader

        lib = ctypes.CDLL(loader.get_library_path())
        sr = lib.espeak_Initialize(0x01, 0, loader.get_data_path().encode(), 0)
        if sr <= 0:
            raise RuntimeError("espeak_Initialize failed")
        chunks: list[np.ndarray] = []
        cbtype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.c_void_p)

        def _cb(wav, n, _events):
            if n > 0:
                chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
            return 0

        cb = cbtype(_cb)
        lib.espeak_SetSynthCallback(cb)
        _ESPEAK.update(lib=lib, sr=sr, chunks=chunks, cb=cb)
    return _ESPEAK


def espeak_version() -> str:
    lib = _espeak()["lib"]
    lib.espeak_Info.restype = ctypes.c_char_p
    return lib.espeak_Info(None).decode()


def _tts_here(text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> tuple[np.ndarray, int]:
    """Synthesise in this process; returns (int16 samples, sample rate)."""
    st = _espeak()
    lib, chunks = st["lib"], st["chunks"]
    chunks.clear()
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise ValueError(f"espeak-ng has no voice {voice!r}")
    for param, value in ((1, rate), (3, pitch), (4, pitch_range)):  # RATE, PITCH, RANGE
        lib.espeak_SetParameter(param, int(value), 0)
    data = text.encode()
    lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 0, None, None)
    lib.espeak_Synchronize()
    return np.concatenate(chunks).astype(np.int16), int(st["sr"])


def tts_espeak(text: str, voice: str, rate: int = 165, pitch: int = 50, pitch_range: int = 50,
               sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Synthesise ``text`` with espeak-ng ``voice`` (e.g. ``"en-us+m3"``); mono float64.

    ``rate`` is words per minute, ``pitch`` and ``pitch_range`` are espeak's 0-100 scales.
    espeak-ng carries state from one utterance to the next inside a process, so each
    utterance is synthesised in a fresh Python process: the result then depends only
    on the arguments (except for voice variants with random breath noise, such as
    ``+f2`` and ``+f3``, which the builder detects and refuses).
    """
    args = json.dumps({"text": text, "voice": voice, "rate": rate, "pitch": pitch,
                       "pitch_range": pitch_range})
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--espeak", args],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed for voice {voice!r}: "
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    sr = int.from_bytes(proc.stdout[:4], "little")
    x = np.frombuffer(proc.stdout[4:], dtype="<i2").astype(np.float64) / 32768.0
    return resample(x, sr, sample_rate)


def load_file(path: str, start: float = 0.0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read an audio file (any libsndfile format) from ``start`` s; mono float64."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found (see tools/assets/README.md)")
    x, sr = sf.read(path, dtype="float64", always_2d=True)
    x = to_mono(x)[int(round(start * sr)):]
    return resample(x, sr, sample_rate)


# ---------------------------------------------------------------------------
# Finishing
# ---------------------------------------------------------------------------

def frame_rms_db(x: np.ndarray, sr: int = SAMPLE_RATE, frame: float = FRAME_SECONDS) -> np.ndarray:
    n = max(1, int(round(frame * sr)))
    m = len(x) // n
    if m == 0:
        return np.array([20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)])
    fr = x[: m * n].reshape(m, n)
    return 20.0 * np.log10(np.sqrt(np.mean(fr ** 2, axis=1)) + 1e-12)


def active_rms_db(x: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """RMS (dBFS) over active frames: within 40 dB of the loudest, above -70 dBFS."""
    db = frame_rms_db(x, sr)
    active = db[(db > db.max() - 40.0) & (db > -70.0)]
    if active.size == 0:
        return -np.inf
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0))))


def trim_leading_silence(x: np.ndarray, sr: int = SAMPLE_RATE, threshold_db: float = -40.0,
                         preroll: float = 0.005) -> np.ndarray:
    """Drop everything before the first 5 ms frame within ``threshold_db`` of the peak frame."""
    db = frame_rms_db(x, sr, 0.005)
    above = np.nonzero(db > db.max() + threshold_db)[0]
    if above.size == 0:
        return x
    start = max(0, above[0] * int(round(0.005 * sr)) - int(round(preroll * sr)))
    return x[start:]


def finish_clip(x: np.ndarray, target_seconds: float = 4.0, sr: int = SAMPLE_RATE,
                fade_out: float = 0.08) -> np.ndarray:
    """Trim, fit to ``target_seconds`` (clamped to [3, 5] s), normalise and fade.

    Longer material is cut at the target length with a ``fade_out`` (s) raised-cosine
    fade; shorter material keeps its natural decay and is padded with silence up to
    the minimum length only.
    """
    x = np.asarray(x, np.float64)
    x = x - np.mean(x)  # DC
    x = trim_leading_silence(x, sr)
    target = int(round(min(max(target_seconds, MIN_SECONDS), MAX_SECONDS) * sr))
    if len(x) > target:
        x = x[:target].copy()
        n = int(round(fade_out * sr))
        x[-n:] *= 0.5 * (1.0 + np.cos(np.linspace(0.0, np.pi, n)))
    else:
        # natural ending: fade the last 10 ms so a cut-off tail does not click
        n = min(len(x), int(round(0.01 * sr)))
        x[-n:] *= np.linspace(1.0, 0.0, n)
        minimum = int(round(MIN_SECONDS * sr)) + 1
        if len(x) < minimum:
            x = np.concatenate([x, np.zeros(minimum - len(x))])
    n_in = int(round(0.002 * sr))
    x[:n_in] *= np.linspace(0.0, 1.0, n_in)
    gain = db_to_amp(TARGET_ACTIVE_RMS_DBFS - active_rms_db(x, sr))
    x = x * gain
    ceiling = db_to_amp(PEAK_CEILING_DBFS)
    peak = float(np.max(np.abs(x)))
    if peak > ceiling:
        x = x * (ceiling / peak)
    return x


def write_flac(x: np.ndarray, path: Path, sr: int = SAMPLE_RATE) -> dict:
    """Write mono PCM_16 FLAC atomically; return measured stats of what was stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    q = np.clip(np.round(np.asarray(x) * 32767.0), -32767, 32767).astype(np.int16)
    tmp = path.with_name(path.name + ".tmp")
    sf.write(str(tmp), q, sr, format="FLAC", subtype="PCM_16")
    os.replace(tmp, path)
    y, _ = sf.read(str(path), dtype="float64")
    return {
        "seconds": round(len(y) / sr, 3),
        "peak_dbfs": round(20 * np.log10(np.max(np.abs(y)) + 1e-12), 2),
        "active_rms_dbfs": round(active_rms_db(y, sr), 2),
    }


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--espeak":
    _req = json.loads(sys.argv[2])
    _x, _sr = _tts_here(_req["text"], _req["voice"], _req["rate"], _req["pitch"], _req["pitch_range"])
    sys.stdout.buffer.write(int(_sr).to_bytes(4, "little") + _x.astype("<i2").tobytes())
