"""Generation from an imported sound collection (``library.sounds: INDEX.json``): records name each
clip's collection, file, segment and licence; a broken clip is skipped when first read; MP4 audio
is read through PyAV; an index that cannot be used stops the run with exit status 2."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.assets.clips import read_clip
from simulator.assets.importers.index_format import write_index
from simulator.assets.importers.sound_index import build_index
from simulator.assets.sound_library import SoundIndexError, load_sound_index

SR = 16000


def tone(seconds: float, freq: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_mp4(path: Path, pieces: list[tuple[float, float]], sr: int = 44100) -> None:
    """An MP4 with one AAC audio stream: ``pieces`` of (seconds, frequency Hz) one after another."""
    av = pytest.importorskip("av")
    x = np.concatenate([tone(s, f, sr) for s, f in pieces])
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=sr)
        stream.layout = "mono"
        for i in range(0, len(x), 1024):
            chunk = x[i:i + 1024][None, :]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt", layout="mono")
            frame.sample_rate = sr
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def dominant_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * sr / len(x))


def test_mp4_segments_are_read_through_pyav(tmp_path):
    path = tmp_path / "clip.mp4"
    write_mp4(path, [(1.0, 440.0), (1.0, 1000.0)])
    second = read_clip(path, 32000, start_s=1.1, end_s=1.9)
    assert abs(len(second) - 0.8 * 32000) <= 32           # the segment only, resampled
    assert abs(dominant_hz(second, 32000) - 1000.0) < 10
    first = read_clip(path, 32000, start_s=0.1, end_s=0.9)
    assert abs(dominant_hz(first, 32000) - 440.0) < 10


@pytest.fixture
def collection(tmp_path):
    root = tmp_path / "collection"
    (root / "dogs").mkdir(parents=True)
    (root / "cats").mkdir()
    sf.write(root / "dogs" / "bark.wav", tone(2.0, 300.0), SR)
    sf.write(root / "dogs" / "long.flac", np.concatenate([tone(2.0, 500.0), tone(2.0, 900.0)]), SR)
    (root / "dogs" / "broken.wav").write_text("not a RIFF file\n")
    sf.write(root / "cats" / "quiet.wav", np.zeros(SR, np.float32), SR)       # silent: unusable
    write_mp4(root / "cats" / "video.mp4", [(1.0, 700.0), (1.5, 1200.0)])
    meta = root / "labels.csv"
    meta.write_text("file,labels,start_s,end_s,licence\n"
                    'dogs/bark.wav,"Bark, Dog",,,CC0\n'
                    "dogs/long.flac,Dog,2,4,CC BY 4.0\n"
                    "dogs/broken.wav,Dog,,,CC0\n"
                    "cats/quiet.wav,Meow,,,CC0\n"
                    'cats/video.mp4,"Cat, Meow",1,2.5,\n')
    index = build_index("csv", meta, licence="CC BY-NC 4.0", collection="mine")
    assert index["report"]["clips"] == 5 and index["report"]["per_category"] == {"cat": 2, "dog": 3}
    out = tmp_path / "mine.index.json"
    write_index(index, out)
    return out


def test_generation_from_an_index_names_collection_file_segment_and_licence(collection, tmp_path):
    from conftest import CONGRUENT, read_records, simulate

    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=10", "--set", f"library.sounds={collection}",
                    "--set", "objects.categories=[dog, cat]", "--set", "output.dir=out", "--quiet", cwd=tmp_path)
    assert "wrote 10 samples" in proc.stdout
    expected = {"dogs/bark.wav": (0.0, None, "CC0"), "dogs/long.flac": (2.0, 4.0, "CC BY 4.0"),
                "cats/video.mp4": (1.0, 2.5, "CC BY-NC 4.0")}
    files: set[str] = set()
    for record in read_records(tmp_path / "out"):
        for src in record["sources"]:
            cs = src["clip_source"]
            assert cs["collection"] == "mine" and cs["file"] in expected, cs
            start, end, licence = expected[cs["file"]]
            assert (cs["start_s"], cs["end_s"], cs["licence"]) == (start, end, licence)
            assert src["clip"].startswith("mine:" + cs["file"])
            files.add(cs["file"])
    assert "dogs/broken.wav" not in files and "cats/quiet.wav" not in files
    assert "cats/video.mp4" in files                    # the only usable cat clip
    # the run says which clips it skipped and why (stderr warning), and completes
    assert "broken.wav" in proc.stderr or "quiet.wav" in proc.stderr


def test_index_load_decodes_nothing_and_bad_indexes_name_the_problem(collection, tmp_path):
    lib = load_sound_index(collection, 32000)
    assert sorted(lib.sounds) == ["cat", "dog"] and lib.meshes == {"cat": [], "dog": []}
    keys = {k for clips in lib.sounds.values() for k in clips}
    assert "mine:dogs/long.flac#2-4" in keys and "mine:cats/video.mp4#1-2.5" in keys
    data = json.loads(collection.read_text())
    cases = {
        "format": ({**data, "format": "something-else"}, "not an index"),
        "name": ({**data, "collection": "default"}, "reserved"),
        "root": ({**data, "root": str(tmp_path / "gone")}, "key root"),
        "escape": ({**data, "categories": {"dog": [{"file": "../x.wav"}]}}, "categories.dog[0]"),
        "segment": ({**data, "categories": {"dog": [{"file": "a.wav", "start_s": 3, "end_s": 1}]}}, "start_s/end_s"),
        "empty": ({**data, "categories": {}}, "no clip"),
    }
    for name, (content, needle) in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(json.dumps(content))
        with pytest.raises(SoundIndexError, match=needle.replace("[", r"\[").replace("]", r"\]")):
            load_sound_index(bad)


def test_a_run_with_a_bad_index_exits_2_naming_it_and_writes_nothing(tmp_path):
    from conftest import CONGRUENT, simulate

    bad = tmp_path / "broken.index.json"
    bad.write_text("{not json")
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set", f"library.sounds={bad}",
                    "--set", "output.dir=out", "--quiet", cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "broken.index.json" in proc.stderr
    assert not (tmp_path / "out").exists()
