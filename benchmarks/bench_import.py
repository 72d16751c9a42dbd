"""Importing a large sound collection: rows/s of the importer and the index's load time.

    python benchmarks/bench_import.py [--files 100000] [--format fsd50k|esc50|csv] [--dir DIR] [--keep]

Generates a collection of ``--files`` small WAV files (0.1 s each, 16 kHz, one encoded clip
written under every name) in the layout of ``--format`` with its real metadata file (FSD50K:
``FSD50K.ground_truth/dev.csv`` with quoted multi-label rows and ``FSD50K.dev_audio/``; ESC-50:
``meta/esc50.csv`` and ``audio/``; csv: ``labels.csv`` with segments), a fifth of the rows with a
label the bundled category map does not know. Then, in this process:

* the import (``build_index``: read the metadata, map labels, check each file exists; no audio is
  decoded) in rows/s, and writing the index file;
* loading the index as the generator does (``load_sound_index``), in seconds;
* reading one clip of it (the first use of a clip decodes it, and only its segment).

The collection is written to a temporary folder (or ``--dir``) and removed afterwards unless
``--keep``.
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.assets.importers.index_format import write_index  # noqa: E402
from simulator.assets.importers.sound_index import build_index  # noqa: E402
from simulator.assets.sound_library import load_sound_index  # noqa: E402

#: (labels as the collection writes them); the last one is not in the bundled map.
LABELS = ['"Bark,Dog,Animal"', '"Meow,Cat,Animal"', '"Car_horn,Vehicle"', '"Piano,Music"', "Gurgling"]
ESC_LABELS = ["dog", "cat", "car_horn", "church_bells", "water_drops"]


def clip_bytes() -> bytes:
    buf = io.BytesIO()
    x = 0.2 * np.random.default_rng(0).standard_normal(1600).astype(np.float32)
    sf.write(buf, x, 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def make_collection(root: Path, fmt: str, n: int) -> Path:
    """Write the files and the metadata; returns the metadata file."""
    data = clip_bytes()
    if fmt == "fsd50k":
        audio, meta = root / "FSD50K.dev_audio", root / "FSD50K.ground_truth" / "dev.csv"
        names = [f"{i}.wav" for i in range(n)]
        lines = ["fname,labels,mids,split"] + [f'{i},{LABELS[i % 5]},"/m/x,/m/y",train' for i in range(n)]
    elif fmt == "esc50":
        audio, meta = root / "audio", root / "meta" / "esc50.csv"
        names = [f"{1 + i % 5}-{i}-A-{i % 5}.wav" for i in range(n)]
        lines = ["filename,fold,target,category,esc10,src_file,take"] + [
            f"{names[i]},{1 + i % 5},{i % 5},{ESC_LABELS[i % 5]},False,{i},A" for i in range(n)]
    else:
        audio, meta = root / "clips", root / "clips" / "labels.csv"
        names = [f"d{i // 1000:03d}/{i}.wav" for i in range(n)]
        lines = ["file,labels,start_s,end_s,licence"] + [
            f"{names[i]},{LABELS[i % 5]},0,0.1,CC0" for i in range(n)]
    audio.mkdir(parents=True, exist_ok=True)
    meta.parent.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = audio / name
        if "/" in name:
            path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--format", default="fsd50k", choices=("fsd50k", "esc50", "csv"))
    ap.add_argument("--dir", help="where to write the collection (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated collection")
    args = ap.parse_args(argv)
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="avsim-import-"))
    try:
        t0 = time.perf_counter()
        meta = make_collection(root, args.format, args.files)
        made = time.perf_counter() - t0
        print(f"collection: {args.files} files ({args.format} layout) written in {made:.1f} s under {root}")

        t0 = time.perf_counter()
        index = build_index(args.format, meta)
        built = time.perf_counter() - t0
        out = root / "collection.index.json"
        t0 = time.perf_counter()
        write_index(index, out)
        written = time.perf_counter() - t0
        rep = index["report"]
        print(f"import: {rep['rows']} rows -> {rep['clips']} clips in {built:.2f} s "
              f"({rep['rows'] / built:,.0f} rows/s, every file's existence checked); "
              f"unmapped labels: {dict(rep['unmapped'])}")
        print(f"index file: {out.stat().st_size / 1e6:.1f} MB written in {written:.2f} s")

        t0 = time.perf_counter()
        lib = load_sound_index(out, 32000)
        loaded = time.perf_counter() - t0
        n = sum(len(v) for v in lib.sounds.values())
        print(f"load: {n} clips in {len(lib.sounds)} categories in {loaded:.2f} s")
        key = next(iter(next(iter(lib.sounds.values()))))
        t0 = time.perf_counter()
        clip = lib.clip(key, 32000)
        print(f"first use of {key}: {clip.size} samples decoded in {1e3 * (time.perf_counter() - t0):.1f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
