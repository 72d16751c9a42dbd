"""A mesh library from an imported collection's index (``simulate assets import meshes``;
:mod:`simulator.assets.importers.mesh_index`): the meshes stay where the collection keeps them.

Keys are ``<collection>:<file>``, e.g. ``objaverse:glbs/000-023/8a7b...glb`` or
``shapenet:02958343/1a0bc9ab.../models/model_normalized.obj``. Loading the index loads no mesh,
so an index of 50,000 meshes opens in well under a second. A mesh is prepared when a sample first
uses it, once per process (:class:`ImportedMeshes`; feasibility checks look at the first
:data:`FEASIBILITY_PROBE` meshes of each category only): read with trimesh; over the index's
``max_faces`` decimated or refused (``over_limit``,
:mod:`simulator.assets.importers.mesh_decimation`); rotated into the project frame (+z up, front
+x: the size entry's ``up`` and ``yaw_deg``), scaled uniformly to its real-world size in metres,
its bounding-box centre moved to the origin
(:func:`simulator.assets.importers.mesh_frame.mesh_transform`); and given its silhouette table.
A mesh that cannot be prepared (unreadable, no triangles, degenerate, refused) is skipped with a
warning naming it and why, and the sampler draws another mesh of the category. Records name each mesh's collection, file, licence and label (``objects[].mesh_source``).
"""
from __future__ import annotations

import json
import math
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .clips import short_reason
from .importers.index_format import INDEX_FORMAT, relative_inside
from .importers.mesh_decimation import OVER_LIMIT, MeshRefused
from .importers.mesh_frame import mesh_transform, size_problem
from .importers.mesh_index_format import MESH_INDEX_FORMAT
from .importers.mesh_limits import MAX_MESH_BYTES
from .library import AssetLibrary, MeshAsset, SourceLibrary
from .scan_report import LibraryReport, UserLibraryWarning
from .silhouette import YAWS_DEG, silhouette_table

#: Extents of a mesh not loaded yet (its real extents follow from the mesh: ``resolve_mesh``).
UNKNOWN_SIZE = (math.nan, math.nan, math.nan)
#: How many meshes of a category, in index order, feasibility checks (which size bins a category can
#: reach, :mod:`simulator.feasibility`) prepare; the others count there only once a sample has
#: used them. Meshes of one category share a size entry, so these stand for the category.
FEASIBILITY_PROBE = 64
#: How many prepared meshes' triangles a process keeps (their extents and silhouettes: all).
MESH_CACHE = 256
#: The silhouette table of a mesh that cannot be used: it covers nothing at any yaw.
EMPTY_SILHOUETTE = {"area_m2": [0.0] * len(YAWS_DEG), "front_m": [0.0] * len(YAWS_DEG)}


class MeshIndexError(ValueError):
    """An index file that cannot be used (names the file and the entry)."""


class BrokenMesh(Exception):
    """An imported mesh found unusable when first prepared (the message names it and why)."""


def is_mesh_index(path: str | Path) -> bool:
    """Does ``library.meshes`` name an index file (rather than a folder)?"""
    return Path(path).suffix.lower() == ".json"


class ImportedMeshes:
    """The meshes of one imported collection, prepared on first use, per process (pickled without
    what it prepared, so each worker prepares what it renders). ``entries``: file (relative to
    ``root``) -> ``{"category", "licence", "label", "size"}``, ``size`` a size entry in metres with
    its orientation. A prepared mesh's extents and silhouette table are kept for the whole run (a
    few hundred bytes each); its triangles only for the :data:`MESH_CACHE` most recently used
    meshes (a collection's meshes would not all fit in memory), and read again when needed."""

    def __init__(self, collection: str, root: Path, entries: dict[str, dict], max_faces: int, over_limit: str):
        self.collection, self.root, self.entries = collection, Path(root), entries
        self.max_faces, self.over_limit = int(max_faces), over_limit
        self.probe = FEASIBILITY_PROBE
        self._reset()

    def _reset(self) -> None:
        self._assets: dict[str, MeshAsset] = {}
        self._meshes: OrderedDict[str, object] = OrderedDict()
        self._broken: dict[str, str] = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        for k in ("_assets", "_meshes", "_broken"):
            del state[k]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset()

    def key(self, rel: str) -> str:
        return f"{self.collection}:{rel}"

    def info(self, rel: str) -> dict:
        """Where the mesh comes from: collection, file (relative to its root), licence, label."""
        e = self.entries[rel]
        return {"collection": self.collection, "file": rel, "licence": e["licence"], "label": e["label"]}

    def asset(self, rel: str) -> MeshAsset:
        """The mesh's entry with its real extents (metres) and silhouette table, preparing it the
        first time; BrokenMesh (warned once) when it cannot be used."""
        done = self._assets.get(rel)
        if done is None:
            self.mesh(rel)
            done = self._assets[rel]
        return done

    def mesh(self, rel: str):
        """The trimesh in the project frame (metres, +z up, front +x, bounding-box centre at the
        origin); BrokenMesh (warned once) when it cannot be used."""
        mesh = self._meshes.get(rel)
        if mesh is not None:
            self._meshes.move_to_end(rel)
            return mesh
        reason = self._broken.get(rel)
        if reason is not None:
            raise BrokenMesh(reason)
        try:
            mesh = self._load(rel)
        except BrokenMesh as exc:
            self._broken[rel] = str(exc)
            warnings.warn(f"skipped {exc}", UserLibraryWarning, stacklevel=3)
            raise
        if rel not in self._assets:
            self._assets[rel] = MeshAsset(self.key(rel), tuple(float(e) for e in mesh.extents),
                                          silhouette_table(mesh.vertices, mesh.faces))
        self._meshes[rel] = mesh
        if len(self._meshes) > MESH_CACHE:
            self._meshes.popitem(last=False)
        return mesh

    def silhouette(self, rel: str, prepare: bool) -> dict:
        """The silhouette table of a prepared mesh; one that covers nothing for a broken mesh, or
        for one not prepared yet when ``prepare`` is false (it is not loaded for the question)."""
        done = self._assets.get(rel)
        if done is not None:
            return done.silhouette
        if not prepare or rel in self._broken:
            return EMPTY_SILHOUETTE
        try:
            return self.asset(rel).silhouette
        except BrokenMesh:
            return EMPTY_SILHOUETTE

    def radius(self, rel: str) -> float:
        try:
            return self.asset(rel).radius_m
        except BrokenMesh:
            return 0.0

    def _load(self, rel: str):
        import trimesh

        path = self.root / rel
        key = self.key(rel)

        def broken(why: str) -> BrokenMesh:
            return BrokenMesh(f"mesh {key} ({path}): {why}")

        try:
            size_bytes = os.stat(path).st_size
        except OSError as exc:
            raise broken(f"unreadable: {exc.strerror or exc}") from None
        if size_bytes > MAX_MESH_BYTES:
            raise broken(f"{size_bytes / 1e6:.0f} MB, more than the {MAX_MESH_BYTES // 10**6} MB a library mesh "
                         "file may have")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mesh = trimesh.load(str(path), force="mesh")
        except Exception as exc:  # noqa: BLE001 - any reader failure means "broken"
            raise broken(f"unreadable: {short_reason(exc)}") from None
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) < 3:
            raise broken("no triangles")
        if not np.all(np.isfinite(mesh.vertices)):
            raise broken("non-finite vertex coordinates")
        if len(mesh.faces) > self.max_faces:
            before = len(mesh.faces)
            try:
                mesh = OVER_LIMIT[self.over_limit](mesh, self.max_faces)
            except MeshRefused as exc:
                raise broken(str(exc)) from None
            if rel not in self._assets:    # said once, not each time the mesh is read again
                warnings.warn(f"mesh {key} ({path}): decimated from {before} to {len(mesh.faces)} triangles (at "
                              f"most {self.max_faces})", UserLibraryWarning, stacklevel=4)
        try:
            transform = mesh_transform(mesh.vertices, self.entries[rel]["size"])
        except ValueError as exc:
            raise broken(f"degenerate: {exc}") from None
        mesh.apply_transform(transform)
        if not np.all(mesh.extents > 0):
            raise broken("degenerate: flat in one axis")
        return mesh


@dataclass(frozen=True, eq=False)
class LazyMeshAsset(MeshAsset):
    """A mesh of an imported collection before it is loaded: ``size_m`` is unknown (NaN) until
    :meth:`simulator.assets.library.AssetLibrary.resolve_mesh` prepares it; ``radius_m`` prepares
    it on demand, and so does the library's ``silhouette`` for the category's first
    ``store.probe`` meshes (0 and an empty table for a broken mesh)."""

    store: ImportedMeshes | None = field(default=None, repr=False)
    rel: str = ""
    rank: int = 0       # its place among its category's meshes (FEASIBILITY_PROBE)

    @property
    def radius_m(self) -> float:
        return self.store.radius(self.rel)


def _fail(path: Path, message: str) -> MeshIndexError:
    return MeshIndexError(f"{path}: {message}")


def load_mesh_index(path: str | Path) -> AssetLibrary:
    """The library (meshes only) of an index file; MeshIndexError for one that cannot be used."""
    path = Path(path)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"not a readable index ({exc})") from None
    fmt = index.get("format") if isinstance(index, dict) else None
    if fmt == INDEX_FORMAT:
        raise _fail(path, "a sound index (`simulate assets import sounds`): it belongs in library.sounds")
    if fmt != MESH_INDEX_FORMAT:
        raise _fail(path, f"not an index written by `simulate assets import meshes` (format {fmt!r})")
    collection, root = index.get("collection"), Path(str(index.get("root", "")))
    if not isinstance(collection, str) or not collection.isidentifier():
        raise _fail(path, f"key collection: expected a name, got {collection!r}")
    if not root.is_dir():
        raise _fail(path, f"key root: the collection's folder {root} does not exist")
    max_faces, over_limit = index.get("max_faces"), index.get("over_limit")
    if isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1:
        raise _fail(path, f"key max_faces: expected a positive number of triangles, got {max_faces!r}")
    if over_limit not in OVER_LIMIT:
        raise _fail(path, f"key over_limit: expected one of {sorted(OVER_LIMIT)}, got {over_limit!r}")
    category_sizes = index.get("category_sizes") or {}
    if not isinstance(category_sizes, dict):
        raise _fail(path, "key category_sizes: expected an object of category -> size entry")
    for category, entry in category_sizes.items():
        problem = size_problem(entry)
        if problem:
            raise _fail(path, f"category_sizes.{category}: {problem}")
    categories = index.get("categories")
    if not isinstance(categories, dict):
        raise _fail(path, "key categories: expected an object of category -> [mesh, ...]")
    entries: dict[str, dict] = {}
    store = ImportedMeshes(collection, root, entries, max_faces, over_limit)
    meshes: dict[str, list[MeshAsset]] = {}
    for category, listed in categories.items():
        if not isinstance(listed, list):
            raise _fail(path, f"categories.{category}: expected a list of meshes")
        assets = []
        for i, e in enumerate(listed):
            file = e.get("file") if isinstance(e, dict) else None
            if not isinstance(file, str) or not relative_inside(file):
                raise _fail(path, f"categories.{category}[{i}]: file must be a relative path inside the root")
            size = e.get("size")
            if size is None:
                size = category_sizes.get(category)
                if size is None:
                    raise _fail(path, f"categories.{category}[{i}]: no size (and no category_sizes.{category})")
            elif size_problem(size):
                raise _fail(path, f"categories.{category}[{i}].size: {size_problem(size)}")
            if file in entries:
                continue          # the same mesh listed twice: once is enough
            licence = e.get("licence")
            entries[file] = {"category": category, "licence": licence if isinstance(licence, str) else None,
                             "label": str(e.get("label", category)), "size": size}
            assets.append(LazyMeshAsset(store.key(file), UNKNOWN_SIZE, None, store, file, len(assets)))
        if assets:
            meshes[category] = assets
    if not entries:
        raise _fail(path, "the index holds no mesh")
    report = LibraryReport(meshes_found=len(entries), meshes_used=len(entries))
    source = SourceLibrary(collection, root, meshes=store)
    return AssetLibrary.from_index({"format": 1, "sample_rate": 32000,
                                    "categories": {c: {"sounds": [], "meshes": m} for c, m in meshes.items()}},
                                   [source], report)
