"""Encoding a finished Sample into named byte blobs, apart from where they are written.

:func:`encode_sample` turns a :class:`simulator.scene_renderer.Sample` into an
:class:`EncodedSample`: the files of the sample under their dataset-relative names (image PNG,
audio FLAC/WAV, optional depth, stems, impulse responses and negatives, and the record JSON last,
which lists the others), every setting taken from the Scene (``audio.format``, ``audio.bit_depth``,
``outputs``). A sink (simulator/sinks) writes the blobs; replay encodes the same way.

Names: ``samples/<index // 1000:04d>/<index:07d><suffix>``, suffixes ``.png``, ``.flac`` or
``.wav``, ``.depth.png``, ``.s<source id>.<ext>``, ``.rirs.npz``, ``.neg_<kind>.<ext>``, a clip's
``.mp4``, ``.frame_ids.png``, ``.frame_depth.png`` and ``.seld.csv``, and ``.json``.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Layout of a sample's files in a dataset (docs/dataset-format.md).
SAMPLE_LAYOUT = "samples/<index // 1000:04d>/<index:07d>.<ext>"


def sample_stem(index: int) -> str:
    """The dataset-relative name of sample ``index``'s files, without their suffix."""
    return f"samples/{index // 1000:04d}/{index:07d}"


@dataclass
class EncodedSample:
    """A sample as bytes: ``files`` maps each file kind (``image``, ``audio``, ``depth``,
    ``stem_s<id>``, ``rirs``, ``negative_<kind>``, ``record``) to its dataset-relative name;
    ``blobs`` maps names to bytes (the record last); ``record`` is the record as written."""

    index: int
    files: dict[str, str]
    blobs: dict[str, bytes]
    record: dict[str, Any]

    def manifest_entry(self) -> dict[str, Any]:
        """The sample's manifest line: index, id, labels, seed, files, sizes and SHA-256 digests."""
        r = self.record
        target = r["targets"]["audio"][0] if r["targets"]["audio"] else {}
        return {
            "index": self.index, "id": r["id"], "condition": r["condition"], "size_bin": r["size_bin"],
            "category": target.get("category"), "seed": r["seed"], "files": r["files"],
            "bytes": {rel: len(data) for rel, data in sorted(self.blobs.items())},
            "sha256": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(self.blobs.items())},
        }


def encode_sample(sample) -> EncodedSample:
    """Encode one sample's files (see the module docstring)."""
    from PIL import Image

    scene = sample.scene
    index = scene.index
    stem = sample_stem(index)
    fmt, bits, rate = scene.audio.format, scene.audio.bit_depth, scene.audio.sample_rate
    files: dict[str, str] = {}
    blobs: dict[str, bytes] = {}

    def add(kind: str, suffix: str, data: bytes) -> None:
        rel = f"{stem}{suffix}"
        files[kind] = rel
        blobs[rel] = data

    buf = io.BytesIO()
    Image.fromarray(sample.rgb).save(buf, format="PNG", compress_level=3)
    add("image", ".png", buf.getvalue())
    add("audio", f".{fmt}", encode_audio(sample.audio, rate, fmt, bits))
    if scene.outputs.depth:
        buf = io.BytesIO()
        mm = np.clip(np.round(sample.depth * 1000.0), 0, 65535).astype(np.uint16)
        Image.fromarray(mm).save(buf, format="PNG", compress_level=3)
        add("depth", ".depth.png", buf.getvalue())
    if scene.outputs.stems or scene.condition == "mixed":  # mixed samples always come with each source alone
        for src, stem_audio in zip(scene.sources, sample.stems):
            add(f"stem_s{src.id}", f".s{src.id}.{fmt}", encode_audio(stem_audio, rate, fmt, bits))
    if scene.outputs.rirs:
        buf = io.BytesIO()
        np.savez(buf, **{f"s{src.id}": ir for src, ir in zip(scene.sources, sample.impulse_responses)})
        add("rirs", ".rirs.npz", buf.getvalue())
    for name, signal in sample.negatives.items():
        add(f"negative_{name}", f".neg_{name}.{fmt}", encode_audio(signal, rate, fmt, bits))
    if sample.video is not None:  # a clip: MP4, id (and depth) frames, SELD rows (simulator/video.py)
        from .video import encode_clip

        for kind, (suffix, data) in encode_clip(sample.video, scene.video.fps).items():
            add(kind, suffix, data)
    record = dict(sample.record)
    for neg in record.get("negatives", []):
        neg["file"] = files[f"negative_{neg['kind']}"]
    record["id"] = f"{index:07d}"
    record["files"] = dict(sorted(files.items()))
    record["files"]["record"] = f"{stem}.json"
    add("record", ".json", (json.dumps(record, sort_keys=True, indent=1) + "\n").encode())
    return EncodedSample(index, files, blobs, record)


def encode_audio(audio: np.ndarray, sample_rate: int, fmt: str, bit_depth: int) -> bytes:
    """(channels, n) float -> FLAC (PCM_16/24) or WAV (float32) bytes."""
    import soundfile as sf

    data = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).T)
    if fmt != "flac":
        return encode_float_wav(data, sample_rate)
    buf = io.BytesIO()
    sf.write(buf, np.clip(data, -1.0, 1.0), sample_rate, format="FLAC", subtype=f"PCM_{bit_depth}")
    return buf.getvalue()


def encode_float_wav(frames: np.ndarray, sample_rate: int) -> bytes:
    """(n, channels) float32 -> a RIFF/WAVE file of 32-bit IEEE floats (format tag 3) with its
    ``fact`` chunk. Written here rather than by libsndfile, whose float WAVs carry a ``PEAK``
    chunk with the time of writing, so that the same audio always gives the same bytes."""
    n, channels = frames.shape
    payload = np.ascontiguousarray(frames, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, channels, sample_rate, sample_rate * channels * 4, channels * 4, 32)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, n)
            + b"data" + struct.pack("<I", len(payload)) + payload)
    return b"RIFF" + struct.pack("<I", len(body)) + body
