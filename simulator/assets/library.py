"""An asset library: per category, sound clips and meshes with their real-world sizes.

A library is a folder with a ``library.json`` index::

    {"format": 1, "sample_rate": 32000,
     "categories": {"dog": {"sounds": ["sounds/dog/dog_01.flac", ...],
                            "meshes": [{"file": "meshes/dog/dog_01.glb", "size_m": [l, w, h],
                                        "silhouette": {"area_m2": [...], "front_m": [...]}}]}}}

Meshes are in metres, +z up, bounding-box centre at the origin, front facing +x. Clips are mono
and loudness-normalised (see docs/assets.md). Asset keys in a Scene are
``"<library>:<path relative to the library folder>"``, e.g. ``default:meshes/dog/dog_01.glb``.
Loaded meshes and resampled clips are cached per library object (one per worker process).

User folders (category-named subfolders of sound files or of meshes with a ``sizes.yaml``) are
read by :mod:`simulator.assets.user` into the same class; :func:`simulator.assets.user.open_library`
builds the library
a spec's ``library.sounds`` / ``library.meshes`` ask for, sounds and meshes possibly from two
different libraries (:meth:`AssetLibrary.combine`).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

from .clips import BrokenClip, clip_problem, normalize_loudness, read_clip, short_reason
from .cutouts import is_cutout, load_cutout_mesh
from .library_names import DEFAULT_LIBRARY
from .scan_report import LibraryReport
from .silhouette import silhouette_table


class AssetKeyError(KeyError):
    """An asset key that names no library of this object or a path outside its folder."""

    def __str__(self) -> str:
        return str(self.args[0])


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


@dataclass(frozen=True)
class SourceLibrary:
    """One folder behind a library's keys: its name (the key prefix), root, and how its files
    are prepared on load. ``mesh_transforms`` maps a mesh's path (relative to ``root``) to the
    4x4 transform into the project frame (user meshes: rotation, real-world scale, centring);
    ``normalize`` loudness-normalises clips on load (user clips); ``max_clip_s`` keeps only
    the first seconds of longer clips."""

    name: str
    root: Path
    mesh_transforms: dict | None = None
    normalize: bool = False
    max_clip_s: float | None = None
    #: An imported collection's clips (:mod:`simulator.assets.sound_library`): key path -> the
    #: file (relative to ``root``), segment (``start_s``, ``end_s``), ``licence``, ``collection``.
    clips: dict | None = None
    #: An imported collection's meshes (:class:`simulator.assets.mesh_library.ImportedMeshes`):
    #: the index's entries, each mesh prepared (loaded, checked, sized) on first use.
    meshes: object | None = None


class AssetLibrary:
    """Read-only view of one library folder (or of the sounds of one and the meshes of another,
    see :meth:`combine`). ``report`` holds what a user folder scan used and skipped
    (:class:`simulator.assets.scan_report.LibraryReport`); ``None`` for the embedded library.
    ``split``: the held-out share this view keeps (:meth:`restricted`, :mod:`simulator.assets.split`);
    ``None`` for a whole library."""

    split = None

    def __init__(self, root: Path, name: str = DEFAULT_LIBRARY):
        root = Path(root)
        index = json.loads((root / "library.json").read_text())
        if index.get("format") != 1:
            raise ValueError(f"{root / 'library.json'}: unsupported format {index.get('format')!r}")
        self._setup(index, [SourceLibrary(name, root)])

    # -- construction --------------------------------------------------------------------------
    def _setup(self, index: dict, sources: list[SourceLibrary], report=None) -> None:
        self._sources = {s.name: s for s in sources}
        self.name = sources[0].name
        self.root = sources[0].root
        self.sample_rate = int(index["sample_rate"])
        self.sounds: dict[str, list[str]] = {}
        self.meshes: dict[str, list[MeshAsset]] = {}
        for category, entry in sorted(index["categories"].items()):
            self.sounds[category] = [f"{self.name}:{p}" for p in entry.get("sounds", [])]
            self.meshes[category] = [m if isinstance(m, MeshAsset) else  # an imported mesh, not loaded yet
                                     MeshAsset(f"{self.name}:{m['file']}", tuple(float(x) for x in m["size_m"]),
                                               m.get("silhouette"))
                                     for m in entry.get("meshes", [])]
        self.report = report
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._mesh_cache: dict[str, object] = {}
        self._clip_cache: dict[tuple[str, int], np.ndarray] = {}
        self._silhouette_cache: dict[str, dict[str, list[float]]] = {}
        self._broken: dict[str, str] = {}   # imported clips found unusable on first use: key -> why
        self._active_cache: dict[tuple[str, int], ActiveOffsets] = {}   # (key, excerpt samples) -> offsets

    @classmethod
    def from_index(cls, index: dict, sources: list[SourceLibrary], report=None) -> "AssetLibrary":
        """A library from an in-memory index (same shape as ``library.json``); keys are prefixed
        with the first source's name."""
        lib = cls.__new__(cls)
        lib._setup(index, sources, report)
        return lib

    @classmethod
    def default(cls) -> "AssetLibrary":
        return _default_library()

    @classmethod
    def combine(cls, sounds: "AssetLibrary", meshes: "AssetLibrary") -> "AssetLibrary":
        """The sounds of ``sounds`` and the meshes of ``meshes`` (the other half of each is
        dropped). Clips are served at ``sounds.sample_rate``."""
        lib = cls.__new__(cls)
        lib._sources = {**sounds._sources, **meshes._sources}
        lib.name, lib.root = sounds.name, sounds.root
        lib.sample_rate = sounds.sample_rate
        cats = sorted(set(sounds.sounds) | set(meshes.meshes))
        lib.sounds = {c: list(sounds.sounds.get(c, [])) for c in cats}
        lib.meshes = {c: list(meshes.meshes.get(c, [])) for c in cats}
        reports = [r for r in (sounds.report, meshes.report) if r is not None]
        if not reports:
            lib.report = None
        else:
            lib.report = LibraryReport.merge(reports)
        lib._reset_caches()
        return lib

    def restricted(self, keys, split=None) -> "AssetLibrary":
        """A view holding only the clips and meshes whose keys are in ``keys`` (every key still
        resolves, so Scenes of the whole library render with it); ``split`` is recorded as the
        view's :attr:`split`."""
        keep = set(keys)
        lib = copy.copy(self)
        lib.sounds = {c: [k for k in clips if k in keep] for c, clips in self.sounds.items()}
        lib.meshes = {c: [m for m in assets if m.key in keep] for c, assets in self.meshes.items()}
        lib.split = split
        lib._reset_caches()
        return lib

    def __getstate__(self):  # pickled to worker processes without the caches
        state = self.__dict__.copy()
        for k in ("_mesh_cache", "_clip_cache", "_silhouette_cache", "_broken", "_active_cache"):
            state[k] = {}
        return state

    # -- queries ---------------------------------------------------------------------------------
    @property
    def categories(self) -> list[str]:
        """Categories that have both a sound and a mesh (usable as audio-visual objects)."""
        return [c for c in self.sounds if self.sounds[c] and self.meshes.get(c)]

    @property
    def library_names(self) -> list[str]:
        """Names of the libraries whose keys this object resolves."""
        return list(self._sources)

    def _source(self, key: str) -> tuple[SourceLibrary, str]:
        """The library and relative path of an asset key. Keys come from Scenes, which may come
        from elsewhere: a key must name one of this object's libraries and a relative path that
        stays inside that library's folder (no ``..``, no absolute path, no link out of it);
        AssetKeyError otherwise."""
        if not isinstance(key, str):
            raise AssetKeyError(f"asset key must be a string, got {type(key).__name__}")
        lib, sep, rel = key.partition(":")
        source = self._sources.get(lib)
        if not sep or source is None:
            raise AssetKeyError(f"asset {key!r} is not in library {' or '.join(map(repr, self._sources))}")
        if source.clips is not None:   # an imported collection: its keys are the index's
            if rel not in source.clips:
                raise AssetKeyError(f"asset {key!r} is not a clip of collection {lib!r}")
            return source, rel
        if source.meshes is not None:   # an imported mesh collection: its keys are the index's
            if rel not in source.meshes.entries:
                raise AssetKeyError(f"asset {key!r} is not a mesh of collection {lib!r}")
            return source, rel
        parts = PurePosixPath(rel).parts
        if not rel or rel.startswith("/") or "\\" in rel or any(p in ("..", ".") for p in parts) or "\x00" in rel:
            raise AssetKeyError(f"asset {key!r}: the path must be relative and stay inside the library")
        root = source.root.resolve()
        if not (root / rel).resolve().is_relative_to(root):
            raise AssetKeyError(f"asset {key!r} leads out of library {lib!r} (a link)")
        return source, rel

    def path(self, key: str) -> Path:
        source, rel = self._source(key)
        return source.root / (source.clips[rel]["file"] if source.clips is not None else rel)

    def clip_info(self, key: str) -> dict | None:
        """Collection, file, segment and licence of an imported clip (None for other keys)."""
        source, rel = self._source(key)
        if source.clips is None:
            return None
        c = source.clips[rel]
        return {"collection": c["collection"], "file": c["file"], "start_s": c["start_s"], "end_s": c["end_s"],
                "licence": c["licence"]}

    def mesh_info(self, key: str) -> dict | None:
        """Collection, file, licence and label of an imported mesh (None for other keys)."""
        source, rel = self._source(key)
        return source.meshes.info(rel) if source.meshes is not None else None

    def resolve_mesh(self, asset: MeshAsset) -> MeshAsset:
        """``asset`` with its real extents and silhouette table: an imported mesh is prepared
        (loaded, checked, sized; once per process) and BrokenMesh raised when it cannot be used;
        other meshes are returned as they are."""
        source, rel = self._source(asset.key)
        return source.meshes.asset(rel) if source.meshes is not None else asset

    def probe_meshes(self, category: str) -> list[MeshAsset]:
        """The meshes of ``category`` whose silhouettes answer the plan's feasibility questions:
        all of them, except that of an imported collection only its first
        :data:`simulator.assets.mesh_library.FEASIBILITY_PROBE` (the others are not loaded to
        plan; the answer never depends on which meshes earlier samples happened to load)."""
        return [m for m in self.meshes.get(category, [])
                if getattr(m, "store", None) is None or m.rank < m.store.probe]

    def mesh_asset(self, key: str) -> MeshAsset:
        for assets in self.meshes.values():
            for a in assets:
                if a.key == key:
                    return a
        raise KeyError(f"no mesh {key!r} in library {self.name!r}")

    def silhouette(self, asset: MeshAsset) -> dict[str, list[float]]:
        """The mesh's silhouette table: from the index, else computed once and cached. An imported
        mesh not prepared yet is prepared only among its category's first
        :data:`simulator.assets.mesh_library.FEASIBILITY_PROBE` (else, and when broken, the table
        covers nothing: :meth:`resolve_mesh` prepares any mesh)."""
        if asset.silhouette is not None:
            return asset.silhouette
        store = getattr(asset, "store", None)
        if store is not None:   # an imported mesh (called per mesh and yaw by feasibility: kept short)
            return store.silhouette(asset.rel, prepare=asset.rank < store.probe)
        table = self._silhouette_cache.get(asset.key)
        if table is None:
            mesh = self.load_mesh(asset.key)
            table = self._silhouette_cache[asset.key] = silhouette_table(mesh.vertices, mesh.faces)
        return table

    def load_mesh(self, key: str):
        """The mesh for ``key`` as a trimesh.Trimesh in the project frame (cached)."""
        mesh = self._mesh_cache.get(key)
        if mesh is None:
            import trimesh

            source, rel = self._source(key)
            if source.meshes is not None:   # an imported mesh: prepared on first use (BrokenMesh)
                return source.meshes.mesh(rel)
            path = source.root / rel
            mesh = load_cutout_mesh(path) if is_cutout(path) else trimesh.load(path, force="mesh")
            transform = (source.mesh_transforms or {}).get(rel)
            if transform is not None:
                mesh.apply_transform(np.asarray(transform, float))
            self._mesh_cache[key] = mesh
        return mesh

    def clip(self, key: str, sample_rate: int) -> np.ndarray:
        """Clip ``key`` as mono float32 at ``sample_rate`` (polyphase resampling; cached)."""
        cached = self._clip_cache.get((key, sample_rate))
        if cached is None:
            source, rel = self._source(key)
            if source.clips is not None:
                cached = self._read_imported(key, source, rel, sample_rate)
            else:
                cached = read_clip(source.root / rel, sample_rate, normalize=source.normalize,
                                   max_seconds=source.max_clip_s)
            cached.setflags(write=False)
            self._clip_cache[(key, sample_rate)] = cached
        return cached

    def active_offsets(self, key: str, n: int) -> "ActiveOffsets":
        """Where an excerpt of ``n`` samples of clip ``key`` (at :attr:`sample_rate`, looped like
        :func:`loop_excerpt`) is active (:func:`active_offsets`); computed once per clip and ``n``
        and cached. BrokenClip like :meth:`clip`."""
        found = self._active_cache.get((key, n))
        if found is None:
            found = self._active_cache[(key, n)] = active_offsets(self.clip(key, self.sample_rate), n,
                                                                   self.sample_rate)
        return found

    def _read_imported(self, key: str, source: SourceLibrary, rel: str, sample_rate: int) -> np.ndarray:
        """An imported collection's clip, checked on first use (never at import): BrokenClip, and
        remembered as broken, when it cannot be decoded, is too short, silent or not finite."""
        reason = self._broken.get(key)
        if reason is None:
            c = source.clips[rel]
            path = source.root / c["file"]
            try:
                raw = read_clip(path, sample_rate, max_seconds=source.max_clip_s, start_s=c["start_s"],
                                end_s=c["end_s"])
                reason = clip_problem(raw, sample_rate)
            except Exception as exc:  # noqa: BLE001 - any reader failure means "broken"
                reason = f"unreadable: {short_reason(exc)}"
            if reason is None:
                return normalize_loudness(raw.astype(np.float64), sample_rate).astype(np.float32) \
                    if source.normalize else raw
            self._broken[key] = reason = f"clip {key} ({path}): {reason}"
        raise BrokenClip(reason)


@lru_cache(maxsize=1)
def _default_library() -> AssetLibrary:
    return AssetLibrary(default_library_root(), DEFAULT_LIBRARY)


def loop_excerpt(clip: np.ndarray, offset: int, n: int) -> np.ndarray:
    """``n`` samples of ``clip`` starting at ``offset``, looping the clip as often as needed."""
    if clip.size == 0:
        return np.zeros(n, dtype=np.float32)
    idx = (offset + np.arange(n)) % clip.size
    return clip[idx]


#: An excerpt is active when its RMS is at least this level relative to the RMS of the clip's
#: loudest :data:`ACTIVE_FRAME_S` window (dB): well below any excerpt holding a sound (one 50 ms
#: burst at the clip's peak in a 3 s excerpt is -18 dB), well above digital silence and near-silence.
ACTIVE_EXCERPT_DB = -30.0
#: Length of the window whose loudest RMS is the clip's reference level, seconds.
ACTIVE_FRAME_S = 0.05


@dataclass(frozen=True)
class ActiveOffsets:
    """The sample offsets of a clip of ``size`` samples whose excerpts are active, as runs of
    cells ``[starts[i], ends[i])``: cell ``o`` stands for the offsets ``[o, o + 1)`` samples, and is
    kept when the excerpts at ``o`` and ``o + 1`` (mod ``size``) are both active, so that an
    offset inside it rounds to an active excerpt."""

    size: int
    starts: np.ndarray
    ends: np.ndarray

    @property
    def count(self) -> int:
        """How many cells are kept (``size``: every offset is active; 0: none is)."""
        return int(np.sum(self.ends - self.starts))

    def offset_s(self, x: float, sample_rate: int) -> float:
        """The offset (seconds) that ``x`` in ``[0, count / sample_rate)`` stands for: the kept
        cells laid end to end, so that ``x`` uniform gives an offset uniform over the active ones.
        With every cell kept, ``x`` itself (the same offset as a draw over the whole clip)."""
        count = self.count
        if count == 0:
            raise ValueError("no active excerpt")
        if count == self.size:
            return x
        j = min(max(int(np.floor(x * sample_rate)), 0), count - 1)   # the j-th kept cell
        cum = np.cumsum(self.ends - self.starts)
        run = int(np.searchsorted(cum, j, side="right"))
        cell = int(self.starts[run]) + j - (int(cum[run - 1]) if run else 0)
        return float(x + (cell - j) / sample_rate)

    def no_active_reason(self, key: str, n: int, sample_rate: int) -> str:
        """Why clip ``key`` is left out when no excerpt is active (a warning's text)."""
        return (f"clip {key}: no {n / sample_rate:g} s excerpt of it is active (RMS at least "
                f"{ACTIVE_EXCERPT_DB:g} dB re its loudest {ACTIVE_FRAME_S * 1000:g} ms)")


def excerpt_rms(clip: np.ndarray, n: int) -> np.ndarray:
    """(clip.size,) RMS of the ``n``-sample excerpt (:func:`loop_excerpt`) at every sample offset."""
    size = clip.size
    e = np.square(clip.astype(np.float64))
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([e, e]))])
    loops, rest = divmod(int(n), size)
    o = np.arange(size)
    energy = loops * c[size] + (c[o + rest] - c[o])
    return np.sqrt(np.maximum(energy, 0.0) / n)


def active_offsets(clip: np.ndarray, n: int, sample_rate: int, level_db: float = ACTIVE_EXCERPT_DB,
                   frame_s: float = ACTIVE_FRAME_S) -> ActiveOffsets:
    """The offsets of ``clip`` whose ``n``-sample excerpt (looped like :func:`loop_excerpt`) has an
    RMS of at least ``level_db`` relative to the RMS of the clip's loudest ``frame_s`` window (at
    every sample offset; the whole clip when shorter). An empty or silent clip has none."""
    size = clip.size
    if size == 0 or n <= 0:
        return ActiveOffsets(size, np.zeros(0, np.int64), np.zeros(0, np.int64))
    e = np.square(clip.astype(np.float64))
    frame = min(max(int(round(frame_s * sample_rate)), 1), size)
    c = np.concatenate([[0.0], np.cumsum(e)])
    peak = float(np.sqrt(max(float(np.max(c[frame:] - c[:-frame])), 0.0) / frame))
    ok = excerpt_rms(clip, n) >= peak * 10.0 ** (level_db / 20.0) if peak > 0.0 else np.zeros(size, bool)
    ok &= np.roll(ok, -1)   # cell o: offsets o and o + 1 both active
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return ActiveOffsets(size, np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
