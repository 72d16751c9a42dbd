"""Readers of sound collections' own metadata, as a registry (:data:`SOUND_FORMATS`).

Each reader turns a collection's label file into :class:`ClipRow` values: a file relative to the
collection's audio folder, the row's labels, an optional segment (seconds into the file) and the
clip's licence where the collection states one. Nothing is decoded here; files are only listed.

=========  =====================================  ===========================================
format     metadata (``--metadata``)              files (``--root``, default)
=========  =====================================  ===========================================
esc50      ``meta/esc50.csv`` (filename, fold,    ``audio/`` beside ``meta/``; licence
           target, category, ...)                 CC BY-NC 3.0 for the whole collection
fsd50k     ``FSD50K.ground_truth/dev.csv`` or     ``FSD50K.dev_audio/`` or ``FSD50K.eval_audio/``;
           ``eval.csv`` (fname, "labels", mids)   licences from ``FSD50K.metadata/
                                                  {dev,eval}_clips_info_FSD50K.json``
vggsound   ``vggsound.csv`` (no header: YouTube   ``video/`` beside it, ``{ytid}_{start:06d}.mp4``
           id, start s, label, split)             (10 s clips; ``--segment window`` for whole
                                                  videos: start to start + 10 s)
audioset   a segments CSV (``# `` comment lines;  ``--root``, ``{ytid}.wav`` by default; the
           YTID, start, end, "mid,mid")           segment start-end unless ``--segment file``;
                                                  labels as display names with
                                                  ``--labels class_labels_indices.csv``
csv        any CSV with a header: ``file`` and    ``--root`` (default: the CSV's folder)
           ``label`` or ``labels`` (comma-
           separated); optional ``start_s``,
           ``end_s``, ``licence``/``license``
=========  =====================================  ===========================================
"""
from __future__ import annotations

import csv
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

#: VGGSound's clips are 10 s windows of a YouTube video.
VGGSOUND_WINDOW_S = 10.0
ESC50_LICENCE = "CC BY-NC 3.0"


class MetadataError(ValueError):
    """A metadata file that does not have its format's layout: names the file and the line."""


@dataclass(frozen=True)
class ClipRow:
    """One clip of a collection: ``file`` relative to the audio folder (``/``-separated),
    ``labels`` as the collection writes them, a segment in seconds into the file (``end_s``
    None: to the end), the clip's licence (None: the collection's), and ``line`` in the metadata."""

    file: str
    labels: tuple[str, ...]
    start_s: float = 0.0
    end_s: float | None = None
    licence: str | None = None
    line: int = 0
    extra: dict = field(default_factory=dict, compare=False)


@dataclass
class ReadOptions:
    """What a reader may need besides the metadata file."""

    file_pattern: str | None = None      # vggsound / audioset: file name from {ytid}, {start}, {end}
    segment: str | None = None           # vggsound / audioset: "file" (the file is the clip) or "window"
    labels_file: Path | None = None      # audioset: class_labels_indices.csv (mid -> display name)
    clips_info: Path | None = None       # fsd50k: *_clips_info_FSD50K.json (licences)


@dataclass(frozen=True)
class SoundFormat:
    name: str
    default_root: Callable[[Path], Path]
    read: Callable[[Path, ReadOptions], Iterator[ClipRow]]
    collection_licence: str | None = None


def _open_csv(path: Path):
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise MetadataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _seconds(value: str, path: Path, line: int, column: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"{path}, line {line}: {column} {value!r} is not a number of seconds") from None
    if not (out >= 0.0) or out == float("inf"):
        raise MetadataError(f"{path}, line {line}: {column} {value!r} must be a finite number >= 0")
    return out


def _header(reader: csv.DictReader, path: Path, needed: tuple[str, ...]) -> None:
    names = reader.fieldnames or []
    missing = [c for c in needed if c not in names]
    if missing:
        raise MetadataError(f"{path}, line 1: no column {', '.join(map(repr, missing))} (has {names})")


def _split_labels(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


# -- ESC-50 ------------------------------------------------------------------------------------------

def read_esc50(path: Path, options: ReadOptions) -> Iterator[ClipRow]:
    with _open_csv(path) as f:
        reader = csv.DictReader(f)
        _header(reader, path, ("filename", "category"))
        for row in reader:
            yield ClipRow(row["filename"], (row["category"],), line=reader.line_num,
                          extra={"fold": row.get("fold")})


# -- FSD50K ------------------------------------------------------------------------------------------

def _fsd50k_root(path: Path) -> Path:
    part = "eval" if path.stem == "eval" else "dev"
    return path.parent.parent / f"FSD50K.{part}_audio"


def read_fsd50k(path: Path, options: ReadOptions) -> Iterator[ClipRow]:
    info_path = options.clips_info
    if info_path is None:
        guess = path.parent.parent / "FSD50K.metadata" / f"{'eval' if path.stem == 'eval' else 'dev'}_clips_info_FSD50K.json"
        info_path = guess if guess.is_file() else None
    info = {}
    if info_path is not None:
        try:
            info = json.loads(Path(info_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MetadataError(f"{info_path}: not a readable JSON file ({exc})") from None
        if not isinstance(info, dict):
            raise MetadataError(f"{info_path}: expected an object of fname -> clip info")
    with _open_csv(path) as f:
        reader = csv.DictReader(f)
        _header(reader, path, ("fname", "labels"))
        for row in reader:
            fname = row["fname"].strip()
            clip_info = info.get(fname) or {}
            licence = clip_info.get("license") if isinstance(clip_info, dict) else None
            yield ClipRow(f"{fname}.wav", _split_labels(row["labels"]), licence=licence, line=reader.line_num,
                          extra={"split": row.get("split"), "uploader": clip_info.get("uploader")
                                 if isinstance(clip_info, dict) else None})


# -- VGGSound ----------------------------------------------------------------------------------------

def read_vggsound(path: Path, options: ReadOptions) -> Iterator[ClipRow]:
    pattern = options.file_pattern or "{ytid}_{start:06d}.mp4"
    window = (options.segment or "file") == "window"
    with _open_csv(path) as f:
        reader = csv.reader(f)
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                raise MetadataError(f"{path}, line {line}: expected YouTube id, start seconds, label[, split]")
            ytid, start_text, label = row[0].strip(), row[1].strip(), row[2].strip()
            start = int(_seconds(start_text, path, line, "start"))
            name = _format_name(pattern, path, line, ytid=ytid, start=start, end=start + int(VGGSOUND_WINDOW_S))
            seg = (float(start), float(start) + VGGSOUND_WINDOW_S) if window else (0.0, None)
            yield ClipRow(name, (label,), seg[0], seg[1], line=line,
                          extra={"ytid": ytid, "split": row[3].strip() if len(row) > 3 else None})


def _format_name(pattern: str, path: Path, line: int, **fields) -> str:
    try:
        return pattern.format(**fields)
    except (KeyError, ValueError, IndexError) as exc:
        raise MetadataError(f"{path}, line {line}: --file-pattern {pattern!r} cannot be filled ({exc!r}); "
                            f"fields: {', '.join(fields)}") from None


# -- AudioSet ----------------------------------------------------------------------------------------

def _audioset_names(labels_file: Path | None) -> dict[str, str]:
    if labels_file is None:
        return {}
    with _open_csv(Path(labels_file)) as f:
        reader = csv.DictReader(f)
        _header(reader, Path(labels_file), ("mid", "display_name"))
        return {row["mid"].strip(): row["display_name"].strip() for row in reader}


def read_audioset(path: Path, options: ReadOptions) -> Iterator[ClipRow]:
    names = _audioset_names(options.labels_file)
    pattern = options.file_pattern or "{ytid}.wav"
    window = (options.segment or "window") == "window"
    with _open_csv(path) as f:
        reader = csv.reader(f, skipinitialspace=True)
        for row in reader:
            line = reader.line_num
            if not row or row[0].lstrip().startswith("#") or not "".join(row).strip():
                continue
            if len(row) < 4:
                raise MetadataError(f"{path}, line {line}: expected YTID, start_seconds, end_seconds, "
                                    f"\"labels\" (got {len(row)} fields)")
            ytid = row[0].strip()
            start = _seconds(row[1].strip(), path, line, "start_seconds")
            end = _seconds(row[2].strip(), path, line, "end_seconds")
            if end <= start:
                raise MetadataError(f"{path}, line {line}: end_seconds {end} is not after start_seconds {start}")
            mids = _split_labels(",".join(row[3:]))
            name = _format_name(pattern, path, line, ytid=ytid, start=start, end=end)
            seg = (start, end) if window else (0.0, None)
            yield ClipRow(name, tuple(names.get(m, m) for m in mids), seg[0], seg[1], line=line,
                          extra={"ytid": ytid})


# -- generic CSV -------------------------------------------------------------------------------------

def read_csv(path: Path, options: ReadOptions) -> Iterator[ClipRow]:
    with _open_csv(path) as f:
        reader = csv.DictReader(f)
        names = reader.fieldnames or []
        if "file" not in names or not ({"label", "labels"} & set(names)):
            raise MetadataError(f"{path}, line 1: needs a 'file' column and a 'label' or 'labels' column "
                                f"(has {names})")
        for row in reader:
            line = reader.line_num
            labels = _split_labels(row["labels"]) if row.get("labels") else (row.get("label") or "").strip()
            labels = labels if isinstance(labels, tuple) else ((labels,) if labels else ())
            start = _seconds(row["start_s"], path, line, "start_s") if row.get("start_s") else 0.0
            end = _seconds(row["end_s"], path, line, "end_s") if row.get("end_s") else None
            if end is not None and end <= start:
                raise MetadataError(f"{path}, line {line}: end_s {end} is not after start_s {start}")
            licence = (row.get("licence") or row.get("license") or "").strip() or None
            file = (row.get("file") or "").strip()
            # "./a.wav" and "a//b.wav" name files inside the root; "../a.wav" stays outside
            yield ClipRow(posixpath.normpath(file) if file else "", labels, start, end, licence, line)


SOUND_FORMATS: dict[str, SoundFormat] = {f.name: f for f in (
    SoundFormat("esc50", lambda m: m.parent.parent / "audio", read_esc50, ESC50_LICENCE),
    SoundFormat("fsd50k", _fsd50k_root, read_fsd50k),
    SoundFormat("vggsound", lambda m: m.parent / "video", read_vggsound),
    SoundFormat("audioset", lambda m: m.parent, read_audioset),
    SoundFormat("csv", lambda m: m.parent, read_csv),
)}
