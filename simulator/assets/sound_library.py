"""A sound library from an imported collection's index (``simulate assets import sounds``;
:mod:`simulator.assets.importers.sound_index`): the clips stay where the collection keeps them.

Keys are ``<collection>:<file>`` for a whole file and ``<collection>:<file>#<start>-<end>`` for
a segment (seconds, ``%g``; an open end is empty), e.g. ``audioset:--PJHxphWEs.wav#30-40``.
Loading the index decodes nothing: a clip is read (its segment only, video files through PyAV)
and loudness-normalised like user clips when a sample first uses it, so indexes of 200,000
clips load in about a second. Records name each clip's collection, file, segment and licence
(``sources[].clip_source``).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .clips import MAX_CLIP_SECONDS
from .importers.index_format import INDEX_FORMAT, check_collection_name, relative_inside
from .library import AssetLibrary, SourceLibrary
from .scan_report import LibraryReport


class SoundIndexError(ValueError):
    """An index file that cannot be used (names the file and the entry)."""


def segment_key(file: str, start_s: float, end_s: float | None) -> str:
    """The key path of a clip: the file, or ``file#start-end`` for a segment."""
    if start_s == 0.0 and end_s is None:
        return file
    return f"{file}#{start_s:g}-{'' if end_s is None else format(end_s, 'g')}"


def is_sound_index(path: str | Path) -> bool:
    """Does ``library.sounds`` name an index file (rather than a folder)?"""
    return Path(path).suffix.lower() == ".json"


def load_sound_index(path: str | Path, sample_rate: int = 32000) -> AssetLibrary:
    """The library (sounds only) of an index file; SoundIndexError for one that cannot be used."""
    path = Path(path)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SoundIndexError(f"{path}: not a readable index ({exc})") from None
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        raise SoundIndexError(f"{path}: not an index written by `simulate assets import sounds` "
                              f"(format {index.get('format') if isinstance(index, dict) else None!r})")
    collection, root = index.get("collection"), Path(str(index.get("root", "")))
    why = check_collection_name(collection) if isinstance(collection, str) else "not a string"
    if why is not None:
        raise SoundIndexError(f"{path}: key collection: {why}")
    if not root.is_dir():
        raise SoundIndexError(f"{path}: key root: the collection's folder {root} does not exist")
    clips: dict[str, dict] = {}
    categories: dict[str, dict] = {}
    number = (int, float)
    for category, entries in (index.get("categories") or {}).items():
        keys: list[str] = []
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            file = e.get("file") if isinstance(e, dict) else None
            if not isinstance(file, str) or not relative_inside(file):
                raise SoundIndexError(f"{path}: categories.{category}[{i}]: file must be a relative path "
                                      "inside the root")
            start, end = e.get("start_s", 0.0), e.get("end_s")
            if not (isinstance(start, number) and 0 <= start < math.inf) or \
                    (end is not None and not (isinstance(end, number) and start < end < math.inf)):
                raise SoundIndexError(f"{path}: categories.{category}[{i}]: start_s/end_s must be seconds "
                                      "with end after start")
            key = segment_key(file, float(start), None if end is None else float(end))
            if key in clips:
                continue          # the same clip listed twice: once is enough
            clips[key] = {"collection": collection, "file": file, "start_s": float(start),
                          "end_s": None if end is None else float(end), "licence": e.get("licence")}
            keys.append(key)
        if keys:
            categories[category] = {"sounds": keys, "meshes": []}
    if not clips:
        raise SoundIndexError(f"{path}: the index holds no clip")
    report = LibraryReport(sounds_found=len(clips), sounds_used=len(clips))
    source = SourceLibrary(collection, root, normalize=True, max_clip_s=MAX_CLIP_SECONDS, clips=clips)
    return AssetLibrary.from_index({"format": 1, "sample_rate": int(sample_rate), "categories": categories},
                                   [source], report)
