"""An asset library: per category, sound clips and meshes with their real-world sizes.

A library is a folder with a ``library.json`` index::

    {"format": 1, "sample_rate": 32000,
     "categories": {"dog": {"sounds": ["sounds/dog/dog_01.flac", ...],
                            "meshes": [{"file": "meshes/dog/dog_01.glb", "size_m": [l, w, h]}]}}}

Meshes are in metres, +z up, bounding-box centre at the origin, front facing +x. Clips are mono
and loudness-normalised (see the library's README). Asset keys in a Scene are
``"<library>:<path relative to the library folder>"``, e.g. ``default:meshes/dog/dog_01.glb``.
Loaded meshes and resampled clips are cached per library object (one per worker process).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np


def default_library_root() -> Path:
    return Path(__file__).resolve().parent / "default"


@dataclass(frozen=True)
class MeshAsset:
    """A mesh of the library: its key, axis-aligned extents (x, y, z) in metres, and its
    silhouette table (:mod:`simulator.assets.silhouette`) when the index provides one."""

    key: str
    size_m: tuple[float, float, float]
    silhouette: dict | None = None

    @property
    def radius_m(self) -> float:
        """Radius of the bounding sphere of the bounding box, metres."""
        return 0.5 * float(np.linalg.norm(self.size_m))


class AssetLibrary:
    """Read-only view of one library folder."""

    def __init__(self, root: Path, name: str = "default"):
        self.root = Path(root)
        self.name = name
        index = json.loads((self.root / "library.json").read_text())
        if index.get("format") != 1:
            raise ValueError(f"{self.root / 'library.json'}: unsupported format {index.get('format')!r}")
        self.sample_rate = int(index["sample_rate"])
        self.sounds: dict[str, list[str]] = {}
        self.meshes: dict[str, list[MeshAsset]] = {}
        for category, entry in sorted(index["categories"].items()):
            self.sounds[category] = [f"{name}:{p}" for p in entry.get("sounds", [])]
            self.meshes[category] = [MeshAsset(f"{name}:{m['file']}", tuple(float(x) for x in m["size_m"]),
                                               m.get("silhouette"))
                                     for m in entry.get("meshes", [])]
        self._mesh_cache: dict[str, object] = {}
        self._clip_cache: dict[tuple[str, int], np.ndarray] = {}
        self._silhouette_cache: dict[str, dict[str, list[float]]] = {}

    @classmethod
    def default(cls) -> "AssetLibrary":
        return _default_library()

    @property
    def categories(self) -> list[str]:
        """Categories that have both a sound and a mesh (usable as audio-visual objects)."""
        return [c for c in self.sounds if self.sounds[c] and self.meshes.get(c)]

    def path(self, key: str) -> Path:
        lib, _, rel = key.partition(":")
        if lib != self.name:
            raise KeyError(f"asset {key!r} is not in library {self.name!r}")
        return self.root / rel

    def mesh_asset(self, key: str) -> MeshAsset:
        for assets in self.meshes.values():
            for a in assets:
                if a.key == key:
                    return a
        raise KeyError(f"no mesh {key!r} in library {self.name!r}")

    def silhouette(self, asset: MeshAsset) -> dict[str, list[float]]:
        """The mesh's silhouette table: from the index, else computed once and cached."""
        if asset.silhouette is not None:
            return asset.silhouette
        table = self._silhouette_cache.get(asset.key)
        if table is None:
            from .silhouette import silhouette_table

            mesh = self.load_mesh(asset.key)
            table = self._silhouette_cache[asset.key] = silhouette_table(mesh.vertices, mesh.faces)
        return table

    def load_mesh(self, key: str):
        """The mesh for ``key`` as a trimesh.Trimesh (cached)."""
        mesh = self._mesh_cache.get(key)
        if mesh is None:
            import trimesh

            mesh = trimesh.load(self.path(key), force="mesh")
            self._mesh_cache[key] = mesh
        return mesh

    def clip(self, key: str, sample_rate: int) -> np.ndarray:
        """Clip ``key`` as mono float32 at ``sample_rate`` (polyphase resampling; cached)."""
        cached = self._clip_cache.get((key, sample_rate))
        if cached is None:
            import soundfile as sf
            from scipy.signal import resample_poly

            data, sr = sf.read(self.path(key), dtype="float64", always_2d=True)
            mono = data.mean(axis=1)
            if sr != sample_rate:
                ratio = Fraction(sample_rate, sr).limit_denominator(1000)
                mono = resample_poly(mono, ratio.numerator, ratio.denominator)
            cached = mono.astype(np.float32)
            cached.setflags(write=False)
            self._clip_cache[(key, sample_rate)] = cached
        return cached


@lru_cache(maxsize=1)
def _default_library() -> AssetLibrary:
    return AssetLibrary(default_library_root(), "default")


def loop_excerpt(clip: np.ndarray, offset: int, n: int) -> np.ndarray:
    """``n`` samples of ``clip`` starting at ``offset``, looping the clip as often as needed."""
    if clip.size == 0:
        return np.zeros(n, dtype=np.float32)
    idx = (offset + np.arange(n)) % clip.size
    return clip[idx]
