"""Reading generated datasets for training and evaluation.

Sources
    ``FolderSource``: a dataset folder written by ``simulate`` (``manifest.jsonl``, per-sample
    records, PNG images, FLAC/WAV audio with channels L, R, negative-audio files).
    ``ShardSource``: WebDataset tar shards of the same files: the dataset ``output.format:
    webdataset`` or ``simulate pack`` writes (dataset.json and manifest.jsonl beside
    ``shards/*.tar``; the manifest says which tar holds each sample, where its members start and
    their SHA-256), or shards alone (a folder of ``*.tar``, or one tar). A member is named
    ``<key>.<suffix>``, ``<key>`` being ``<dataset>/<index:07d>`` (``congruent/0000042``; the older
    naming, the sample's folder path ``samples/0000/0000042``, is read too) and ``<suffix>`` the rest
    of the folder file name (``json``, ``png``, ``flac``, ``neg_silence.flac``, ``s1.flac``, ...).
    Shards are read as streams (see :class:`ShardSource`); shards of several datasets in one folder
    are told apart by their keys (sample ids become the keys), and two shard sets with the same
    keys are refused. ``open_source`` picks the right source.

Samples for training (``SampleTable``)
    image ``uint8 (H, W, 3)``, audio ``float32 (2, L)`` (a one-channel dataset is duplicated to
    L = R), the audio target mask ``bool (H, W)`` (union of the record's audio targets: object
    masks, or the disk of an audio-only point target; empty for negatives), and the negative-audio
    files asked for (silence, noise, offscreen). With ``cache`` (the default) everything is decoded
    once into memory-mapped ``.npy`` files keyed by the dataset's manifest and the options, and
    shared by every later run.

Augmentation
    A horizontal flip mirrors the image and the masks, and swaps the left and right audio channels
    (the camera's principal point is the image centre, so a mirrored scene is a valid scene: its
    sources sit at the opposite azimuth). Which samples are flipped in an epoch is a function of
    (seed, epoch, sample index) only, so the data order and the augmentation are reproducible and a
    resumed run sees the same batches.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from simulator.core.masks import decode_rle as _decode
from simulator.record_files import (MAX_RECORD_BYTES, BadFile, inside, manifest_lines, parse_json, read_json,
                                    read_text)
from simulator.shard_format import split_member, tar_members

CACHE_VERSION = 2
IMAGE_MEAN = 0.5
IMAGE_STD = 0.25


class DataError(ValueError):
    """A dataset that cannot be read (the message names the file)."""


# ------------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One manifest line; ``sha256`` and ``sizes`` map file names (shard members) to what the
    manifest recorded."""

    index: int
    id: str
    condition: str
    size_bin: str | None
    category: str | None
    files: dict[str, str]
    sha256: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    shard: str | None = None                                 # shards: the tar holding the sample
    offsets: dict[str, int] = field(default_factory=dict)    # shards: where each member's bytes start


def read_manifest(manifest: Path) -> tuple[bytes, list[tuple[int, dict[str, Any]]]]:
    """A manifest's bytes and its (line number, entry) pairs; DataError naming the file if it
    cannot be read or a line is not an entry."""
    try:
        data = read_text(manifest, limit=2**40).encode()
        lines = list(manifest_lines(manifest))
    except BadFile as exc:
        raise DataError(f"{manifest}: cannot be read ({exc})") from None
    for _, _, problem in lines:
        if problem is not None:
            raise DataError(f"{manifest}: {problem}")
    return data, [(n, d) for n, d, _ in lines]


def read_info(root: Path) -> dict[str, Any]:
    """A dataset's dataset.json ({} if it has none); DataError naming the file if unreadable."""
    info = root / "dataset.json"
    try:
        return read_json(info) if info.is_file() else {}
    except BadFile as exc:
        raise DataError(f"{info}: cannot be read ({exc})") from None


class FolderSource:
    """A dataset folder made by ``simulate``."""

    kind = "folder"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        manifest = self.root / "manifest.jsonl"
        if not manifest.is_file():
            raise DataError(f"{self.root}: not a dataset folder (no manifest.jsonl)")
        self.manifest_bytes, lines = read_manifest(manifest)
        self.entries = []
        for n, d in lines:
            try:
                self.entries.append(_entry(d))
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{manifest}: line {n} is not a sample entry ({type(exc).__name__}: {exc})") from None
        self.info = read_info(self.root)

    def path(self, entry: Entry, kind: str) -> Path:
        """The file of ``kind`` of a sample (DataError if the manifest names none or one outside the dataset)."""
        rel = entry.files.get(kind)
        if rel is None:
            raise DataError(f"{self.root}: sample {entry.id} has no '{kind}' file")
        if not inside(self.root, rel):
            raise DataError(f"{self.root}/manifest.jsonl: sample {entry.id} names {rel!r}, not a file of the dataset")
        return self.root / rel

    def read_bytes(self, entry: Entry, kind: str) -> bytes:
        path = self.path(entry, kind)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None

    def record(self, entry: Entry) -> dict:
        return parse_record(self.read_bytes(entry, "record"), self.path(entry, "record"))

    def verify(self, entry: Entry, kind: str, data: bytes) -> None:
        """The bytes read are those the manifest recorded (DataError naming a changed file)."""
        rel = entry.files.get(kind)
        want = entry.sha256.get(rel)
        if want is not None and hashlib.sha256(data).hexdigest() != want:
            raise DataError(f"{self.root / rel}: changed since the dataset was written (its SHA-256 differs from "
                            "the manifest's); regenerate the sample or the dataset")

    def signature(self, entries: list[Entry], kinds: Sequence[str]) -> str:
        """Size and modification time of every file of ``kinds`` of ``entries`` (a cache key part:
        a deleted, replaced or edited file gives another key, never a stale cache)."""
        digest = hashlib.sha256()
        for e in entries:
            for kind in kinds:
                path = self.path(e, kind)
                try:
                    st = path.stat()
                except OSError as exc:
                    raise DataError(f"{path}: {exc.strerror or exc}") from None
                digest.update(f"{e.files[kind]}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.manifest_bytes).hexdigest()


class ShardSource:
    """WebDataset tar shards (see the module docstring): a shard dataset's folder (dataset.json and
    manifest.jsonl beside ``shards/*.tar``, as ``output.format: webdataset`` and ``simulate pack``
    write it), a folder of ``*.tar`` files, or one tar.

    Reading streams: with a manifest no tar is opened before the first sample is read (the manifest
    says where each member's bytes are and their SHA-256); a folder of tars is read once, in name
    order, headers and records only, which gives the samples and where their members are. Samples
    are then read by seeking in one tar at a time, so reading them in order (the cache build) reads
    each tar once from start to end. Two shard sets with the same sample key are refused (DataError
    naming both tars)."""

    kind = "shards"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._fh = None
        self._fh_path: str | None = None
        if self.root.is_dir() and (self.root / "manifest.jsonl").is_file():
            self._from_manifest()
        else:
            self._from_tars()
        if not self.entries:
            raise DataError(f"{self.root}: the shards hold no samples")

    # -- opening --
    def _from_manifest(self) -> None:
        manifest = self.root / "manifest.jsonl"
        self.manifest_bytes, lines = read_manifest(manifest)
        self.entries = []
        for n, d in lines:
            try:
                e = _entry(d)
                e.shard, e.offsets = str(d["shard"]), {str(k): int(v) for k, v in dict(d["offsets"]).items()}
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{manifest}: line {n} is not a shard sample entry ({type(exc).__name__}: {exc})") \
                    from None
            if not inside(self.root, e.shard):
                raise DataError(f"{manifest}: line {n} names the shard {e.shard!r}, not a file of the dataset")
            e.shard = str(self.root / e.shard)
            self.entries.append(e)
        self._fingerprint = hashlib.sha256(self.manifest_bytes).hexdigest()
        self.info = read_info(self.root)

    def _from_tars(self) -> None:
        root = self.root
        tars = sorted(root.glob("*.tar")) if root.is_dir() else [root]
        if not tars or not all(t.is_file() for t in tars):
            raise DataError(f"{root}: no .tar shards")
        where: dict[str, tuple[Path, dict[str, tuple[int, int]]]] = {}  # key -> (tar, {suffix: (offset, size)})
        records: list[tuple[str, dict]] = []
        digest = hashlib.sha256()
        for tpath in tars:
            try:
                with open(tpath, "rb") as fh:
                    for name, offset, size in tar_members(tpath):
                        split = split_member(name)
                        if split is None:
                            continue
                        key, suffix = split
                        tar, members = where.setdefault(key, (tpath, {}))
                        if tar != tpath:
                            raise DataError(f"{tar} and {tpath} both hold sample {key}: two shard sets with the "
                                            f"same sample keys in {root}; keep one of them (or make the datasets "
                                            "with different names)")
                        if suffix in members:
                            raise DataError(f"{tpath}: holds {name} twice")
                        members[suffix] = (offset, size)
                        digest.update(f"{tpath.name}:{name}:{size}\n".encode())
                        if suffix == "json" and size <= MAX_RECORD_BYTES:
                            fh.seek(offset)
                            records.append((key, parse_record(fh.read(size), f"{tpath}:{name}")))
            except (OSError, tarfile.TarError) as exc:
                raise DataError(f"{tpath}: not a readable tar ({exc})") from None
        recs = [(key, rec) for key, rec in records if "index" in rec and isinstance(rec.get("files"), dict)]
        several = len({_dataset_of(key) for key, _ in recs}) > 1
        self.entries = []
        for key, rec in recs:
            tar, members = where[key]
            try:
                files = {str(kind): _member(key, str(rel)) for kind, rel in rec["files"].items()}
                e = _entry({**rec, "files": files, "category": _record_category(rec)})
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{tar}:{key}.json: not a sample record ({type(exc).__name__}: {exc})") from None
            suffixes = {f"{key}.{s}": v for s, v in members.items()}
            e.shard = str(tar)
            e.offsets = {m: suffixes[m][0] for m in files.values() if m in suffixes}
            e.sizes = {m: suffixes[m][1] for m in files.values() if m in suffixes}
            if several:
                e.id = key
            self.entries.append(e)
        self._fingerprint = digest.hexdigest()
        self.info = {}

    # -- reading --
    def _member(self, entry: Entry, kind: str) -> str:
        rel = entry.files.get(kind)
        if rel is None:
            raise DataError(f"{self.root}: sample {entry.id} has no '{kind}' file")
        if rel not in entry.offsets:
            raise DataError(f"{entry.shard}: shard member {rel} missing")
        return rel

    def read_bytes(self, entry: Entry, kind: str) -> bytes:
        name = self._member(entry, kind)
        try:
            if self._fh_path != entry.shard:
                self._close()
                self._fh, self._fh_path = open(entry.shard, "rb"), entry.shard
            self._fh.seek(entry.offsets[name])
            data = self._fh.read(entry.sizes[name])
        except OSError as exc:
            raise DataError(f"{entry.shard}: member {name} cannot be read ({exc.strerror or exc})") from None
        if len(data) != entry.sizes[name]:
            raise DataError(f"{entry.shard}: member {name} is cut (the tar is shorter than its manifest says)")
        return data

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh, self._fh_path = None, None

    def path(self, entry: Entry, kind: str) -> str:
        """Where a sample's file is, for messages: ``<tar>:<member>``."""
        return f"{entry.shard}:{self._member(entry, kind)}"

    def record(self, entry: Entry) -> dict:
        return parse_record(self.read_bytes(entry, "record"), self.path(entry, "record"))

    def verify(self, entry: Entry, kind: str, data: bytes) -> None:
        """The bytes read are those the manifest recorded (shards with a manifest; a bare folder of
        tars has no digests: its members' sizes and the tars' times key the cache)."""
        name = entry.files.get(kind)
        want = entry.sha256.get(name)
        if want is not None and hashlib.sha256(data).hexdigest() != want:
            raise DataError(f"{entry.shard}: member {name} changed since the dataset was written (its SHA-256 "
                            "differs from the manifest's); regenerate the dataset")

    def signature(self, entries: list[Entry], kinds: Sequence[str]) -> str:
        """Size and modification time of every tar ``entries`` are in (a cache key part)."""
        digest = hashlib.sha256()
        for shard in dict.fromkeys(e.shard for e in entries):
            try:
                st = os.stat(shard)
            except OSError as exc:
                raise DataError(f"{shard}: {exc.strerror or exc}") from None
            digest.update(f"{Path(shard).name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fh"], state["_fh_path"] = None, None
        return state


def _member(key: str, rel: str) -> str:
    """The member of a record's file ``rel`` in the sample of ``key`` (``<key>.<suffix>``)."""
    base = rel.rsplit("/", 1)[-1]
    if "." not in base:
        raise ValueError(f"file name {rel!r} has no suffix")
    return f"{key}.{base.split('.', 1)[1]}"


def _dataset_of(key: str) -> str:
    """The dataset part of a sample key: ``congruent`` of ``congruent/0000042``; ``samples`` for
    the older naming ``samples/0000/0000042`` (one dataset)."""
    if re.fullmatch(r"samples/\d{4}/\d{7}", key):
        return "samples"
    return key.rsplit("/", 1)[0] if "/" in key else ""


def parse_record(data: bytes, where) -> dict:
    """A sample record from its bytes (DataError naming ``where`` if it is not one)."""
    try:
        rec = parse_json(data)
    except BadFile as exc:
        raise DataError(f"{where}: not a sample record ({exc})") from None
    if not isinstance(rec, dict):
        raise DataError(f"{where}: not a sample record (not a JSON object)")
    return rec


def _record_category(rec: dict) -> str | None:
    aud = (rec.get("targets") or {}).get("audio") or []
    if aud:
        return aud[0].get("category")
    srcs = rec.get("sources") or []
    return srcs[0].get("category") if srcs else None


def _entry(d: dict) -> Entry:
    files = {str(k): str(v) for k, v in dict(d["files"]).items()}
    sha = {str(k): str(v) for k, v in dict(d.get("sha256") or {}).items()}
    sizes = {str(k): int(v) for k, v in dict(d.get("bytes") or {}).items()}
    return Entry(int(d["index"]), str(d["id"]), str(d["condition"]), d.get("size_bin"), d.get("category"), files,
                 sha, sizes)


def open_source(path: str | Path) -> FolderSource | ShardSource:
    """A dataset folder (manifest.jsonl beside ``samples/``), a shard dataset (manifest.jsonl beside
    ``shards/``, ``output.format: webdataset``), or shards alone (``*.tar`` files, or one tar)."""
    p = Path(path)
    if (p / "manifest.jsonl").is_file():
        return ShardSource(p) if _is_shard_dataset(p) else FolderSource(p)
    if (p.is_dir() and any(p.glob("*.tar"))) or (p.is_file() and p.suffix == ".tar"):
        return ShardSource(p)
    raise DataError(f"{p}: neither a dataset folder (manifest.jsonl) nor shards (*.tar)")


def _is_shard_dataset(root: Path) -> bool:
    """dataset.json says ``output.format: webdataset`` (or, without a readable one, the folder has
    ``shards/`` and no ``samples/``)."""
    try:
        info = read_json(root / "dataset.json")
        return ((info.get("spec") or {}).get("output") or {}).get("format") == "webdataset"
    except (BadFile, AttributeError):
        return (root / "shards").is_dir() and not (root / "samples").is_dir()


# ------------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------------
def decode_image(data: bytes, size: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB, resized to ``size`` (H, W) when given (:func:`resize_image`)."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
    return img if size is None else resize_image(img, size)


def resize_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 resized bilinearly to ``size`` (H, W); the same array when already that size."""
    from PIL import Image

    if image.shape[:2] == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize((int(size[1]), int(size[0])), Image.BILINEAR), dtype=np.uint8)


def decode_audio(data: bytes, length: int | None = None, sample_rate: int | None = None) -> np.ndarray:
    """(C, L) float32 in [-1, 1]; zero-padded or cut to ``length`` samples. With ``sample_rate``
    the file must be at that rate (DataError otherwise: samples are never resampled silently)."""
    import soundfile as sf

    x, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    if sample_rate is not None and int(sr) != int(sample_rate):
        raise DataError(f"audio at {sr} Hz where {sample_rate} Hz is expected (the dataset's or the model's rate)")
    x = np.ascontiguousarray(x.T)
    return x if length is None else fit_length(x, length)


def decode_file(source, e: Entry, kind: str, decode, what: str):
    """Read a sample's file, check it against the manifest and decode it; DataError naming the
    file when it is missing, changed, cut or not what it should be."""
    data = source.read_bytes(e, kind)
    source.verify(e, kind, data)
    try:
        return decode(data)
    except DataError as exc:
        where = str(source.path(e, kind))
        raise (exc if str(exc).startswith(where) else DataError(f"{where}: {exc}")) from None
    except Exception as exc:  # noqa: BLE001 - PIL and libsndfile raise many kinds for broken files
        raise DataError(f"{source.path(e, kind)}: not a readable {what} ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:160]})") from None


def fit_length(x: np.ndarray, length: int) -> np.ndarray:
    """(C, L) audio zero-padded or cut to ``length`` samples."""
    if x.shape[1] < length:
        return np.pad(x, ((0, 0), (0, length - x.shape[1])))
    return x[:, :length]


def audio_info(data: bytes) -> tuple[int, int, int]:
    """(sample rate, channels, frames) of an audio file."""
    import soundfile as sf

    info = sf.info(io.BytesIO(data))
    return int(info.samplerate), int(info.channels), int(info.frames)


def decode_rle(rle: dict) -> np.ndarray:
    """COCO RLE (counts as str) -> bool (H, W) mask (as simulator.annotate.decode_rle)."""
    return _decode(rle)


def resize_mask(mask: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or mask.shape == tuple(size):
        return mask
    from PIL import Image

    img = Image.fromarray(mask.astype(np.uint8) * 255).resize((int(size[1]), int(size[0])), Image.NEAREST)
    return np.asarray(img) > 127


def object_masks(record: dict) -> dict[int, np.ndarray]:
    """{object id: visible mask} of a record."""
    return {int(o["id"]): decode_rle(o["mask"]) for o in record.get("objects", []) if o.get("mask")}


def target_masks(record: dict, masks: dict[int, np.ndarray] | None = None) -> list[np.ndarray]:
    """One mask per audio target: its object's visible mask, or the disk of a point target."""
    masks = object_masks(record) if masks is None else masks
    h, w = record["camera"]["height"], record["camera"]["width"]
    out = []
    for t in (record.get("targets") or {}).get("audio") or []:
        if t.get("disk") and t["disk"].get("mask"):
            out.append(decode_rle(t["disk"]["mask"]))
        elif t.get("object_id") is not None and int(t["object_id"]) in masks:
            out.append(masks[int(t["object_id"])])
        else:
            out.append(np.zeros((h, w), bool))
    return out


def is_negative(record: dict) -> bool:
    """True for samples whose own audio has no target in the image (vision_only, offscreen)."""
    t = record.get("targets") or {}
    return bool(t.get("negative")) or not (t.get("audio") or [])


# ------------------------------------------------------------------------------------------------
# The training table
# ------------------------------------------------------------------------------------------------
@dataclass
class TableSpec:
    """What a ``SampleTable`` holds: image size, audio length, negatives."""

    image_size: tuple[int, int]
    length: int
    sample_rate: int
    negatives: tuple[str, ...] = ()

    def key(self, fingerprint: str) -> str:
        blob = json.dumps([CACHE_VERSION, fingerprint, list(self.image_size), self.length, self.sample_rate,
                           list(self.negatives)]).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class SampleTable:
    """Decoded training arrays for the entries of a source (in ``entries`` order)."""

    source: Any
    entries: list[Entry]
    spec: TableSpec
    images: Any = None            # (N, H, W, 3) uint8
    audio: Any = None             # (N, C, L) int16 or float32
    targets: Any = None           # (N, H, W) uint8 (0/1)
    has_target: Any = None        # (N,) bool
    negatives: dict[str, Any] = field(default_factory=dict)
    audio_scale: float = 1.0      # int16 -> float

    @property
    def n(self) -> int:
        return len(self.entries)

    # -- decoding one sample (the uncached path and the cache builder) --
    def kinds(self) -> list[str]:
        """The file kinds a row is decoded from."""
        return ["record", "image", "audio", *(f"negative_{k}" for k in self.spec.negatives)]

    def _file(self, e: Entry, kind: str, decode, what: str):
        return decode_file(self.source, e, kind, decode, what)

    def decode(self, i: int) -> dict[str, np.ndarray]:
        e = self.entries[i]
        where = self.source.path(e, "record")
        rec = self._file(e, "record", lambda b: parse_record(b, where), "record")
        size, length, rate = self.spec.image_size, self.spec.length, self.spec.sample_rate
        image = self._file(e, "image", lambda b: decode_image(b, size), "image")
        audio = self._file(e, "audio", lambda b: decode_audio(b, length, rate), "audio file")
        try:
            masks = target_masks(rec)
            h, w = int(rec["camera"]["height"]), int(rec["camera"]["width"])
            negative = is_negative(rec)
            tgt = np.logical_or.reduce(masks) if masks and not negative else np.zeros((h, w), bool)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"{self.source.path(e, 'record')}: not a sample record ({type(exc).__name__}: "
                            f"{exc})") from None
        out = {"image": image, "audio": audio, "target": resize_mask(tgt, size),
               "has_target": np.bool_(bool(masks) and not negative)}
        for kind in self.spec.negatives:
            key = f"negative_{kind}"
            if key in e.files:
                out[kind] = self._file(e, key, lambda b: decode_audio(b, length, rate), "audio file")
            else:
                raise DataError(f"sample {e.id} has no {kind} negative audio: generate the dataset with "
                                f"negatives.{kind}: true, or remove '{kind}' from data.negatives")
        return out

    # -- the cache --
    def build_cache(self, cache_dir: Path, progress: bool = False) -> None:
        """Decode every row once into memory-mapped arrays under ``cache_dir``, keyed by the
        manifest, the table's options and every used file's size and modification time (a file
        deleted or changed since gives a new key, and the rebuild checks its content against the
        manifest's SHA-256)."""
        key = self.spec.key(self.source.fingerprint + self.source.signature(self.entries, self.kinds()))
        final = cache_dir / key
        if not (final / "meta.json").is_file():
            created = [p for p in (cache_dir, *cache_dir.parents) if not p.exists()]
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache_dir))
            try:
                self._write_cache(tmp, progress)
                try:
                    os.replace(tmp, final)
                except OSError:  # another process won the race: ours is removed below
                    pass
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                for folder in created:  # a failed build leaves no folder it made behind
                    try:
                        folder.rmdir()
                    except OSError:
                        break
                raise
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        self._open_cache(final)

    def _write_cache(self, d: Path, progress: bool) -> None:
        n = self.n
        h, w = self.spec.image_size
        first = self.decode(0)
        c = first["audio"].shape[0]
        audio_dtype = np.int16 if self._pcm16() else np.float32
        mm = np.lib.format.open_memmap
        images = mm(d / "images.npy", "w+", np.uint8, (n, h, w, 3))
        audio = mm(d / "audio.npy", "w+", audio_dtype, (n, c, self.spec.length))
        targets = mm(d / "targets.npy", "w+", np.uint8, (n, h, w))
        has_target = np.zeros(n, bool)
        negs = {k: mm(d / f"neg_{k}.npy", "w+", audio_dtype, (n, c, self.spec.length)) for k in self.spec.negatives}
        it: Iterator[int] = iter(range(n))
        if progress:
            try:
                from tqdm import tqdm
                import sys
                it = iter(tqdm(range(n), desc="decoding dataset into the cache", leave=False,
                               disable=not sys.stderr.isatty()))
            except ImportError:
                pass
        for i in it:
            s = first if i == 0 else self.decode(i)
            images[i] = s["image"]
            audio[i] = _to_store(s["audio"], audio_dtype)
            targets[i] = s["target"]
            has_target[i] = s["has_target"]
            for k in self.spec.negatives:
                negs[k][i] = _to_store(s[k], audio_dtype)
        for arr in (images, audio, targets, *negs.values()):
            arr.flush()
        np.save(d / "has_target.npy", has_target)
        (d / "meta.json").write_text(json.dumps({"ids": [e.id for e in self.entries], "audio_dtype":
                                                 np.dtype(audio_dtype).name, "version": CACHE_VERSION}))

    def _pcm16(self) -> bool:
        import soundfile as sf

        info = decode_file(self.source, self.entries[0], "audio", lambda b: sf.info(io.BytesIO(b)), "audio file")
        return info.subtype == "PCM_16"

    def _open_cache(self, d: Path) -> None:
        meta = json.loads((d / "meta.json").read_text())
        if meta["ids"] != [e.id for e in self.entries]:
            raise DataError(f"{d}: cache does not match the dataset (delete it)")
        self.images = np.load(d / "images.npy", mmap_mode="r")
        self.audio = np.load(d / "audio.npy", mmap_mode="r")
        self.targets = np.load(d / "targets.npy", mmap_mode="r")
        self.has_target = np.load(d / "has_target.npy")
        self.negatives = {k: np.load(d / f"neg_{k}.npy", mmap_mode="r") for k in self.spec.negatives}
        self.audio_scale = 1.0 / 32768.0 if meta["audio_dtype"] == "int16" else 1.0

    @property
    def cached(self) -> bool:
        return self.images is not None

    # -- batches --
    def batch(self, rows: Sequence[int], flips: Sequence[bool]) -> dict[str, np.ndarray]:
        """Arrays for table rows ``rows``; ``flips[i]`` mirrors row i (and swaps its channels)."""
        rows = list(rows)
        if self.cached:
            order = np.argsort(rows, kind="stable")       # sorted reads from the memmaps
            srt = np.asarray(rows)[order]
            inv = np.empty_like(order)
            inv[order] = np.arange(len(order))
            image = np.asarray(self.images[srt])[inv]
            audio = np.asarray(self.audio[srt], dtype=np.float32)[inv] * self.audio_scale
            target = np.asarray(self.targets[srt])[inv].astype(bool)
            has_target = self.has_target[srt][inv]
            negs = {k: np.asarray(v[srt], dtype=np.float32)[inv] * self.audio_scale for k, v in self.negatives.items()}
        else:
            samples = [self.decode(r) for r in rows]
            image = np.stack([s["image"] for s in samples])
            audio = np.stack([s["audio"] for s in samples]).astype(np.float32)
            target = np.stack([s["target"] for s in samples])
            has_target = np.array([bool(s["has_target"]) for s in samples])
            negs = {k: np.stack([s[k] for s in samples]).astype(np.float32) for k in self.spec.negatives}
        audio = to_stereo(audio)
        negs = {k: to_stereo(v) for k, v in negs.items()}
        flips = np.asarray(flips, bool)
        if flips.any():  # every array above is this batch's own (fancy indexing, stacking): flip in place
            image[flips] = image[flips][:, :, ::-1]
            target[flips] = target[flips][:, :, ::-1]
            audio[flips] = audio[flips][:, ::-1]
            for k in negs:
                negs[k][flips] = negs[k][flips][:, ::-1]
        return {"image": image, "audio": audio, "target": target, "has_target": has_target,
                "rows": np.asarray(rows), "flipped": flips, **{f"neg_{k}": v for k, v in negs.items()}}


def to_stereo(x: np.ndarray) -> np.ndarray:
    """(..., C, L) -> (..., 2, L): a one-channel recording is duplicated to both ears, extra
    channels are dropped."""
    if x.shape[-2] == 2:
        return x
    if x.shape[-2] == 1:
        return np.repeat(x, 2, axis=-2)
    return x[..., :2, :]


def _to_store(x: np.ndarray, dtype) -> np.ndarray:
    if dtype == np.int16:
        return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    return x.astype(np.float32)


def flip_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mirror along an axis (images: the width axis)."""
    return np.flip(x, axis=axis)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The permutation of table rows for ``epoch`` (a function of seed and epoch only)."""
    return np.random.default_rng([int(seed), int(epoch), 0x0D0E]).permutation(n)


def epoch_flips(n: int, seed: int, epoch: int, p: float) -> np.ndarray:
    """Which table rows are flipped in ``epoch`` (a function of seed, epoch and row only)."""
    if p <= 0:
        return np.zeros(n, bool)
    return np.random.default_rng([int(seed), int(epoch), 0xF11F]).random(n) < p


def held_out(entry_id: str, fraction: float) -> bool:
    """Deterministic split by the sample id's hash."""
    if fraction <= 0:
        return False
    h = int(hashlib.sha256(entry_id.encode()).hexdigest()[:8], 16) / 2**32
    return h < fraction


def dataset_geometry(source) -> tuple[tuple[int, int], int, float]:
    """((H, W), sample rate, duration) from the first sample of a dataset."""
    e = source.entries[0]
    rec = source.record(e)
    sr, _c, frames = decode_file(source, e, "audio", audio_info, "audio file")
    try:
        return (int(rec["camera"]["height"]), int(rec["camera"]["width"])), sr, frames / sr
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{source.path(e, 'record')}: not a sample record ({type(exc).__name__}: {exc})") from None


def make_table(source, cfg_data: dict, entries: list[Entry] | None = None, progress: bool = False,
               build_cache: bool | None = None) -> SampleTable:
    """A ``SampleTable`` over ``entries`` (default: all, filtered by ``data.conditions`` and
    ``data.max_samples``), cached when ``data.cache``."""
    if not source.entries:
        raise DataError(f"{source.root}: the dataset has no samples")
    (h, w), sr, dur = dataset_geometry(source)
    size = tuple(cfg_data["image_size"]) if cfg_data.get("image_size") else (h, w)
    duration = float(cfg_data.get("duration_s") or dur)
    spec = TableSpec((int(size[0]), int(size[1])), int(round(duration * sr)), sr, tuple(cfg_data.get("negatives") or ()))
    if entries is None:
        entries = select_entries(source, cfg_data)
    table = SampleTable(source, entries, spec)
    use_cache = cfg_data.get("cache", True) if build_cache is None else build_cache
    if use_cache:
        cache_dir = Path(cfg_data.get("cache_dir") or (Path(source.root) / ".training_cache"))
        if source.kind == "shards" and not cfg_data.get("cache_dir"):
            cache_dir = (Path(source.root) if Path(source.root).is_dir() else Path(source.root).parent) / ".training_cache"
        # a table over a subset caches under the key of that subset
        table.build_cache(cache_dir / _subset_key(entries), progress=progress)
    return table


def _subset_key(entries: list[Entry]) -> str:
    return hashlib.sha256(",".join(e.id for e in entries).encode()).hexdigest()[:12]


def select_entries(source, cfg_data: dict) -> list[Entry]:
    entries = list(source.entries)
    conds = cfg_data.get("conditions")
    if conds:
        entries = [e for e in entries if e.condition in set(conds)]
    if cfg_data.get("max_samples"):
        entries = entries[: int(cfg_data["max_samples"])]
    if not entries:
        raise DataError(f"{source.root}: no samples left after data.conditions / data.max_samples")
    return entries
