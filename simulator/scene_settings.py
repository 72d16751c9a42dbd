"""The Scene's render and output settings taken from a resolved spec (the same in every sample of
a dataset): what both samplers store so that a Scene alone renders and writes its sample."""
from __future__ import annotations

from typing import Any

from .core.scene import AssetSplit, AudioSettings, ImageManipulation, LibraryRef, Outputs, SplitFractions, Video


def audio_settings(r: dict[str, Any]) -> AudioSettings:
    """The spec's ``audio`` block: rate, duration, output level, noise level, file format."""
    a = r["audio"]
    return AudioSettings(sample_rate=a["sample_rate"], duration_s=a["duration"], level_db=float(a["level_db"]),
                         noise_rms_db=float(a["noise_rms_db"]), format=a["format"], bit_depth=a["bit_depth"])


def image_manipulation(r: dict[str, Any], kind: str | None) -> ImageManipulation | None:
    """An image replaced by ``kind`` (gray | noise) with the spec's ``image`` levels, or None."""
    if kind is None:
        return None
    return ImageManipulation(kind=kind, gray_level=r["image"]["gray_level"], noise_std=float(r["image"]["noise_std"]))


def asset_split(r: dict[str, Any]) -> AssetSplit | None:
    """The spec's ``library.split`` block, or None when it asks for no split (``use: null``)."""
    s = r["library"].get("split") or {}
    if s.get("use") is None:
        return None
    return AssetSplit(use=s["use"], fractions=SplitFractions(**{k: float(v) for k, v in s["fractions"].items()}),
                      salt=s["salt"], sounds=s["sounds"], meshes=s["meshes"], photos=s["photos"])


def library_ref(r: dict[str, Any]) -> LibraryRef:
    """The spec's ``library`` block (``default`` or resolved folders, and the split drawn from)."""
    return LibraryRef(sounds=r["library"]["sounds"], meshes=r["library"]["meshes"], split=asset_split(r))


def video(r: dict[str, Any]) -> Video | None:
    """The clip the spec's ``video`` block asks for (None: stills)."""
    v = r.get("video") or {}
    if v.get("fps") is None:
        return None
    duration = v["duration_s"] if v.get("duration_s") is not None else r["audio"]["duration"]
    return Video(fps=float(v["fps"]), duration_s=float(duration), depth=bool(v["depth"]))


def outputs(r: dict[str, Any]) -> Outputs:
    """The optional files of the spec's ``output`` block."""
    o = r["output"]
    return Outputs(depth=o["depth"], stems=o["stems"], rirs=o["rirs"])
