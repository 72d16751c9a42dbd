"""A source's clip offset is drawn only where the excerpt the sample plays is active
(simulator/sampler.py ``Sampler._source``, simulator/assets/library.py ``active_offsets``): the
excerpt of ``audio.duration`` seconds, looped as simulator/audio.py ``_clips`` loops it, has an RMS
of at least ``ACTIVE_EXCERPT_DB`` relative to the clip's loudest 50 ms."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import soundfile as sf

from simulator.assets.library import (ACTIVE_EXCERPT_DB, ACTIVE_FRAME_S, ActiveOffsets, AssetLibrary,
                                      active_offsets, loop_excerpt)
from simulator.assets.scan_report import UserLibraryWarning
from simulator.audio import _clips
from simulator.sampler import PlacementError, Sampler
from simulator.spec.loader import load_spec_text

SR = 32000


def reference_floor(clip: np.ndarray, sample_rate: int) -> float:
    """The lowest RMS an active excerpt may have, computed independently of the library."""
    frame = min(int(round(ACTIVE_FRAME_S * sample_rate)), clip.size)
    energy = np.convolve(clip.astype(np.float64) ** 2, np.ones(frame), mode="valid")
    return float(np.sqrt(energy.max() / frame)) * 10.0 ** (ACTIVE_EXCERPT_DB / 20.0)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))


def burst_clip(seconds: float = 4.0, burst_s: float = 0.5) -> np.ndarray:
    """Noise for ``burst_s`` seconds, then digital silence to ``seconds``."""
    x = np.zeros(int(seconds * SR), np.float32)
    k = int(burst_s * SR)
    x[:k] = 0.3 * np.random.default_rng(7).standard_normal(k).astype(np.float32)
    return x


def spec(duration: float = 3.0):
    return load_spec_text(f"samples: 10\naudio: {{duration: {duration}}}\n", "test", library=AssetLibrary.default())[0]


@pytest.fixture
def synthetic(tmp_path):
    """A sounds library (dog: a 0.5 s burst then 3.5 s of zeros; cow: that and a silent clip; cat:
    only the silent clip) with the default meshes."""
    root = tmp_path / "lib"
    for rel, x in {"sounds/dog/burst.wav": burst_clip(), "sounds/cow/burst.wav": burst_clip(),
                   "sounds/cow/silent.wav": np.zeros(4 * SR, np.float32),
                   "sounds/cat/silent.wav": np.zeros(4 * SR, np.float32)}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, x, SR, subtype="FLOAT")
    (root / "library.json").write_text(json.dumps({"format": 1, "sample_rate": SR, "categories": {
        "dog": {"sounds": ["sounds/dog/burst.wav"]},
        "cow": {"sounds": ["sounds/cow/burst.wav", "sounds/cow/silent.wav"]},
        "cat": {"sounds": ["sounds/cat/silent.wav"]}}}))
    return AssetLibrary.combine(AssetLibrary(root, "synth"), AssetLibrary.default())


def excerpt(library: AssetLibrary, source, duration: float) -> np.ndarray:
    """The dry excerpt the renderer uses, at the library's rate."""
    return _clips([source], library.clip, library.sample_rate, int(round(duration * library.sample_rate)))[0]


def test_a_clip_with_long_silence_never_gives_a_silent_excerpt(synthetic):
    sampler, rng = Sampler(spec(1.0), synthetic), np.random.default_rng(0)
    floor = reference_floor(synthetic.clip("synth:sounds/dog/burst.wav", SR), SR)
    offsets = []
    for _ in range(400):
        src = sampler._source(1, "dog", rng)
        x = excerpt(synthetic, src, 1.0)
        assert np.any(x != 0) and rms(x) >= floor, src.clip_offset_s
        offsets.append(src.clip_offset_s)
    offsets = np.asarray(offsets)
    # the 1 s excerpt is active from 3.0 s (wrapping onto the burst) through the clip's end and up
    # to the burst's end: offsets cover that whole set, none fall in the silent middle
    assert offsets.min() < 0.1 and offsets.max() > 3.9 and np.any((offsets > 3.05) & (offsets < 3.5))
    assert not np.any((offsets > 0.55) & (offsets < 2.95))


def test_the_old_uniform_draw_fails_the_same_check(synthetic):
    """The check above can fail: the offset uniform over the whole clip often plays silence."""
    rng, floor = np.random.default_rng(0), reference_floor(synthetic.clip("synth:sounds/dog/burst.wav", SR), SR)
    clip = synthetic.clip("synth:sounds/dog/burst.wav", SR)
    silent = sum(rms(loop_excerpt(clip, int(round(rng.uniform(0.0, clip.size / SR) * SR)), SR)) < floor
                 for _ in range(100))
    assert silent > 30


def test_a_silent_clip_is_left_out_and_a_category_of_only_silent_clips_is_an_error(synthetic):
    sampler, rng = Sampler(spec(3.0), synthetic), np.random.default_rng(1)
    assert synthetic.active_offsets("synth:sounds/cow/silent.wav", 3 * SR).count == 0
    with pytest.warns(UserLibraryWarning, match=r"skipped clip synth:sounds/cow/silent.wav: no 3 s excerpt"):
        for _ in range(20):
            assert sampler._source(1, "cow", rng).clip == "synth:sounds/cow/burst.wav"
    with pytest.warns(UserLibraryWarning), \
            pytest.raises(PlacementError, match=r"every clip of category 'cat' is broken or silent \(clip "
                                                r"synth:sounds/cat/silent.wav: no 3 s excerpt"):
        sampler._source(1, "cat", rng)
    with pytest.raises(ValueError, match="no active excerpt"):
        active_offsets(np.zeros(SR, np.float32), SR, SR).offset_s(0.0, SR)
    assert active_offsets(np.zeros(0, np.float32), SR, SR).count == 0


def test_a_fully_active_clip_keeps_the_uniform_draw_and_the_number_of_draws():
    """Every excerpt active: the same offset, and the generator left where the whole-clip draw left it."""
    library, s = AssetLibrary.default(), spec(3.0)
    sampler = Sampler(s, library)
    key = "default:sounds/dog/dog_01.flac"
    size = library.clip(key, library.sample_rate).size
    assert library.active_offsets(key, 3 * SR).count == size
    for seed in range(20):
        new, old = np.random.default_rng(seed), np.random.default_rng(seed)
        src = sampler._source(1, "dog", new)
        clip = library.sounds["dog"][int(old.integers(len(library.sounds["dog"])))]
        offset = float(old.uniform(0.0, library.clip(clip, SR).size / SR))
        gain = float(s.sample("source.gain_db", old))
        assert new.bit_generator.state == old.bit_generator.state
        assert src.clip == clip and src.gain_db == gain
        if library.active_offsets(clip, 3 * SR).count == library.clip(clip, SR).size:
            assert src.clip_offset_s == offset


@pytest.mark.parametrize("duration, category", [(3.0, "car"), (1.0, None)])
def test_the_default_library_gives_no_inactive_excerpt(duration, category):
    """~200 draws of the default spec (car at 3 s: car_06 is 0.5 s of sound, then 3.5 s near
    -90 dBFS; every category at 1 s, where clips such as sheep_06 and car_07 end in digital
    silence): every excerpt is above the floor, while the old uniform draw gives some below it."""
    library = AssetLibrary.default()
    s = spec(duration)
    sampler, rng, old_rng = Sampler(s, library), np.random.default_rng(11), np.random.default_rng(11)
    cats = [category] if category else list(s.resolved["objects"]["categories"])
    n, old_failures = int(round(duration * SR)), 0
    for k in range(240 if category else 200):
        cat = cats[k % len(cats)]
        src = sampler._source(1, cat, rng)
        clip = library.clip(src.clip, SR)
        assert rms(excerpt(library, src, duration)) >= reference_floor(clip, SR), (src.clip, src.clip_offset_s)
        key = library.sounds[cat][int(old_rng.integers(len(library.sounds[cat])))]
        old = library.clip(key, SR)
        offset = int(round(float(old_rng.uniform(0.0, old.size / SR)) * SR))
        old_failures += rms(loop_excerpt(old, offset, n)) < reference_floor(old, SR)
    assert old_failures > 0


def test_offsets_map_into_the_kept_cells():
    a = ActiveOffsets(100, np.array([10, 60]), np.array([20, 65]))
    assert a.count == 15
    for x in np.linspace(0.0, 15.0, 301, endpoint=False):
        o = a.offset_s(x / SR, SR) * SR
        cell = int(np.floor(o + 1e-9))
        assert (10 <= cell < 20) or (60 <= cell < 65)
        assert abs((o - cell) - (x - np.floor(x))) < 1e-6   # the position inside the cell is kept
    # uniform in, uniform over the kept cells out
    got = np.floor(np.array([a.offset_s(x, SR) for x in np.random.default_rng(0).uniform(0, 15 / SR, 15000)]) * SR)
    counts = np.bincount(got.astype(int), minlength=100)
    assert counts[:10].sum() == counts[20:60].sum() == counts[65:].sum() == 0
    assert counts[10:20].min() > 800 and counts[60:65].min() > 800


def test_the_profile_is_cached_on_the_library_and_not_pickled():
    library = AssetLibrary.default()
    key = "default:sounds/car/car_06.flac"
    first = library.active_offsets(key, 3 * SR)
    assert library.active_offsets(key, 3 * SR) is first
    assert 0 < first.count < first.size
    assert pickle.loads(pickle.dumps(library))._active_cache == {}
