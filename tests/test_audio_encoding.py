"""Audio encoding of sample files: exact round trips, and the same bytes for the same audio."""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
import scipy.io.wavfile
import soundfile as sf

from simulator.encode import encode_audio


@pytest.mark.parametrize("channels", [1, 2])
def test_float_wav_round_trips_exactly_and_is_reproducible(channels):
    x = np.random.default_rng(3).standard_normal((channels, 4001)).astype(np.float32)
    first = encode_audio(x, 16000, "wav", 16)
    time.sleep(1.1)  # libsndfile's float WAVs stamp the time of writing into a PEAK chunk
    assert encode_audio(x, 16000, "wav", 16) == first
    assert b"PEAK" not in first[:64]
    y, sr = sf.read(io.BytesIO(first), dtype="float32", always_2d=True)
    assert sr == 16000 and np.array_equal(y.T, x)
    info = sf.info(io.BytesIO(first))
    assert info.subtype == "FLOAT" and info.channels == channels and info.frames == 4001
    rate, z = scipy.io.wavfile.read(io.BytesIO(first))
    assert rate == 16000 and np.array_equal(z.reshape(4001, channels).T, x)


@pytest.mark.parametrize("bits", [16, 24])
def test_flac_is_reproducible_and_quantised(bits):
    x = np.random.default_rng(4).uniform(-1.2, 1.2, (2, 3000)).astype(np.float32)
    data = encode_audio(x, 22050, "flac", bits)
    assert encode_audio(x, 22050, "flac", bits) == data
    y, sr = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    assert sr == 22050 and sf.info(io.BytesIO(data)).subtype == f"PCM_{bits}"
    assert np.max(np.abs(y.T - np.clip(x, -1, 1))) <= 2.0 ** -(bits - 1)
