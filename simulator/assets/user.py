"""User asset libraries: folders of category-named subfolders (see docs/assets.md).

Sounds (``library.sounds: DIR``)::

    DIR/dog/bark1.wav   DIR/dog/more/bark2.flac   DIR/cat/meow.ogg   ...

Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3 with libsndfile >= 1.1, AIFF, ...).
On load a clip is mixed to mono (mean of its channels), resampled to the library rate
(32000 Hz, polyphase), cut to its first :data:`simulator.assets.clips.MAX_CLIP_SECONDS` and loudness-normalised like
the default library (active-frame RMS -20 dBFS, peak at most -1 dBFS); at render time it is
looped or cut to the spec's audio duration from a random offset. Files that cannot be decoded
(unknown format, text named .wav, truncated or corrupt data), are empty, shorter than
:data:`simulator.assets.clips.MIN_CLIP_SECONDS`, silent or not finite are skipped, with the reason, never fatal.

Meshes (``library.meshes: DIR``)::

    DIR/sizes.yaml   DIR/dog/labrador.glb   DIR/car/sedan.obj (+ .mtl, textures)   ...

OBJ, GLB/glTF, PLY, STL, OFF (anything ``trimesh.load`` reads). Each mesh needs a real-world
size from ``sizes.yaml``, per file (path relative to DIR) or per category; a file's entry wins::

    dog: {height_m: 0.6}                          # every dog mesh: 0.6 m tall
    dog/labrador.glb: {height_m: 0.7, up: y}      # this one: 0.7 m tall, stored +y up
    car: {length_m: 4.5, yaw_deg: 90}             # front along +y in the files: turn by 90 deg

Size keys (exactly one): ``height_m`` (z extent), ``length_m`` (x, front to back), ``width_m``
(y), ``size_m`` (largest extent). Optional: ``up`` (``z``, the project frame, default; or
``y``, the usual OBJ/glTF convention, front then +z) and ``yaw_deg`` (turn about +z so the
front faces +x). A mesh is uniformly rescaled to its size, rotated, its bounding-box centre moved
to the origin, and its silhouette table computed once at scan time. Unreadable, empty or
degenerate meshes and meshes without a size are skipped with the reason.

Keys: ``user_sounds:<category>/<file>`` and ``user_meshes:<category>/<file>`` (paths relative
to the folder, so a dataset stays valid when the folder moves).
"""
from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np

from ..spec.errors import SpecError
from ..spec.reading import read_spec_file
from ..spec.yaml_lines import load_yaml_with_lines
from .clips import MAX_CLIP_SECONDS, check_clip, short_reason
from .cutouts import is_cutout, load_cutout_mesh
from .importers.mesh_frame import SIZE_KEYS, mesh_transform, size_problem  # noqa: F401 - also used from here
from .importers.mesh_limits import MAX_MESH_BYTES, MAX_MESH_FACES, MESH_EXTENSIONS  # noqa: F401
from .library import AssetLibrary, SourceLibrary
from .library_names import MESHES_LIBRARY, SOUNDS_LIBRARY
from .scan_report import LibraryReport, Skipped, UserLibraryWarning
from .silhouette import silhouette_table
from .mesh_library import load_mesh_index
from .sound_library import is_sound_index, load_sound_index

# files that sit in asset folders without being assets (documentation, licences, companions)
IGNORED_SUFFIXES = {".txt", ".md", ".json", ".yaml", ".yml", ".csv", ".pdf", ".html", ".mtl",
                    ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff", ".webp", ".bin"}
IGNORED_STEMS = {"readme", "license", "licence", "licenses", "licences", "copying", "credits"}


def _ignored(path: Path) -> bool:
    return (path.name.startswith(".") or path.suffix.lower() in IGNORED_SUFFIXES
            or path.stem.lower() in IGNORED_STEMS)


def _category_files(root: Path, report: LibraryReport, kind: str, warn: bool):
    """(category, relative posix path, path) for every candidate file; files outside a
    category subfolder are yielded with category ``None``. Links that lead nowhere (broken,
    a loop), out of the folder or to a folder, and special files (FIFOs, devices, sockets, which a
    reader could block on) are reported as skipped, never opened."""
    root_resolved = root.resolve()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        problem = None
        if p.is_symlink():
            try:
                target = p.resolve(strict=True)
            except RuntimeError:
                problem = "a link loop"
            except OSError:
                problem = "a broken link"
            else:
                if not target.is_relative_to(root_resolved):
                    problem = "a link out of the folder"
                elif target.is_dir():
                    problem = "a link to a folder (not followed)"
        if problem is None:
            try:
                mode = p.stat().st_mode
            except OSError as exc:
                problem = f"unreadable: {exc.strerror or exc}"
            else:
                if stat.S_ISDIR(mode):
                    continue
                if not stat.S_ISREG(mode):
                    problem = "not a regular file (a FIFO, device or socket)"
        if problem is not None:
            if kind == "mesh" or not _ignored(p):
                report.found(kind)
                _skip(report, kind, p, problem, warn)
            continue
        yield (rel.parts[0] if len(rel.parts) > 1 else None), rel.as_posix(), p


def _skip(report: LibraryReport, kind: str, path: Path, reason: str, warn: bool) -> None:
    report.skipped.append(Skipped(kind, str(path), reason))
    if warn:
        warnings.warn(f"user library: skipping {path}: {reason}", UserLibraryWarning, stacklevel=3)


def scan_sounds(root: str | Path, sample_rate: int = 32000, name: str = SOUNDS_LIBRARY,
                warn: bool = True) -> AssetLibrary:
    """Scan a sound folder; every file is decoded once to check it. Returns an
    :class:`AssetLibrary` (sounds only) whose ``report`` lists what was skipped."""
    root = Path(root)
    report = LibraryReport()
    categories: dict[str, dict] = {}
    for category, rel, path in _category_files(root, report, "sound", warn):
        if category is None:
            if not _ignored(path):
                report.sounds_found += 1
                _skip(report, "sound", path, "not in a category subfolder", warn)
            continue
        if _ignored(path) or path.suffix.lower() in MESH_EXTENSIONS:
            continue
        report.sounds_found += 1
        seconds, reason = check_clip(path, sample_rate)
        if reason is not None:
            _skip(report, "sound", path, reason, warn)
            continue
        report.sounds_used += 1
        categories.setdefault(category, {"sounds": [], "meshes": []})["sounds"].append(rel)
        report.sound_seconds[category] = report.sound_seconds.get(category, 0.0) + seconds
    index = {"format": 1, "sample_rate": int(sample_rate), "categories": categories}
    source = SourceLibrary(name, root, normalize=True, max_clip_s=MAX_CLIP_SECONDS)
    return AssetLibrary.from_index(index, [source], report)


# ---------------------------------------------------------------------------
# Meshes
# ---------------------------------------------------------------------------

def _read_sizes(root: Path, report: LibraryReport, warn: bool) -> tuple[dict, str | None]:
    """Entries of ``sizes.yaml`` (validated) and, if the whole file is unusable, why."""
    path = root / "sizes.yaml"
    if not os.path.lexists(path):
        alt = root / "sizes.yml"
        if not os.path.lexists(alt):
            return {}, "no sizes.yaml in the mesh folder"
        path = alt
    try:  # bounded like a spec: a regular file of limited size, no alias bombs, no deep nesting
        data = load_yaml_with_lines(read_spec_file(path, str(path)), str(path))[0] or {}
    except SpecError as exc:
        _skip(report, "sizes", path, f"unreadable: {short_reason(exc)}", warn)
        return {}, f"{path.name} is unreadable"
    if not isinstance(data, dict):
        _skip(report, "sizes", path, "must be a mapping of category or file to sizes", warn)
        return {}, f"{path.name} is not a mapping"
    entries = {}
    for key, value in data.items():
        problem = size_problem(value)
        if problem:
            _skip(report, "sizes", path, f"entry {key!r}: {problem}", warn)
            entries[str(key)] = None
        else:
            entries[str(key)] = value
    return entries, None


def scan_meshes(root: str | Path, name: str = MESHES_LIBRARY, warn: bool = True) -> AssetLibrary:
    """Scan a mesh folder: load each mesh, apply its size from ``sizes.yaml``, compute its
    silhouette table. Returns an :class:`AssetLibrary` (meshes only) with a ``report``."""
    import trimesh

    root = Path(root)
    report = LibraryReport()
    sizes, sizes_problem = _read_sizes(root, report, warn)
    categories: dict[str, dict] = {}
    transforms: dict[str, list] = {}
    for category, rel, path in _category_files(root, report, "mesh", warn):
        cutout = is_cutout(path)
        if path.suffix.lower() not in MESH_EXTENSIONS and not cutout:
            continue
        report.meshes_found += 1
        if category is None:
            _skip(report, "mesh", path, "not in a category subfolder", warn)
            continue
        entry_key = rel if rel in sizes else category if category in sizes else None
        size = sizes[entry_key] if entry_key is not None else None
        if size is None:
            if sizes_problem:
                reason = sizes_problem
            elif entry_key is not None:
                reason = f"the sizes.yaml entry {entry_key!r} is invalid"
            else:
                reason = f"no entry for {rel!r} or {category!r} in sizes.yaml"
            _skip(report, "mesh", path, f"no real-world size: {reason}", warn)
            continue
        size_bytes = path.stat().st_size
        if size_bytes > MAX_MESH_BYTES:
            _skip(report, "mesh", path, f"{size_bytes / 1e6:.0f} MB, more than the {MAX_MESH_BYTES // 10**6} MB a "
                  "library mesh file may have: decimate it", warn)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mesh = load_cutout_mesh(path) if cutout else trimesh.load(str(path), force="mesh")
        except Exception as exc:  # noqa: BLE001
            _skip(report, "mesh", path, f"unreadable: {short_reason(exc)}", warn)
            continue
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) < 3:
            _skip(report, "mesh", path, "no triangles", warn)
            continue
        if len(mesh.faces) > MAX_MESH_FACES:
            _skip(report, "mesh", path, f"{len(mesh.faces)} triangles, more than the {MAX_MESH_FACES} a library mesh "
                  "may have (each sample renders it several times): decimate it", warn)
            continue
        if not np.all(np.isfinite(mesh.vertices)):
            _skip(report, "mesh", path, "non-finite vertex coordinates", warn)
            continue
        try:
            transform = mesh_transform(mesh.vertices, size)
        except ValueError as exc:
            _skip(report, "mesh", path, f"degenerate: {exc}", warn)
            continue
        mesh.apply_transform(transform)
        if not np.all(mesh.extents > 0):
            _skip(report, "mesh", path, "degenerate: flat in one axis", warn)
            continue
        table = silhouette_table(mesh.vertices, mesh.faces)
        report.meshes_used += 1
        transforms[rel] = transform.tolist()
        categories.setdefault(category, {"sounds": [], "meshes": []})["meshes"].append(
            {"file": rel, "size_m": [round(float(e), 6) for e in mesh.extents],
             "silhouette": {k: [round(x, 6) for x in v] for k, v in table.items()}})
    index = {"format": 1, "sample_rate": 32000, "categories": categories}
    source = SourceLibrary(name, root, mesh_transforms=transforms)
    return AssetLibrary.from_index(index, [source], report)


def open_library(sounds: str | Path = "default", meshes: str | Path = "default",
                 base_dir: str | Path | None = None, sample_rate: int | None = None) -> AssetLibrary:
    """The library for a spec's ``library.sounds`` and ``library.meshes``: ``"default"`` (the
    embedded library), a user folder, or an imported collection's index file (``.json``; see
    :mod:`simulator.assets.sound_library` and :mod:`simulator.assets.mesh_library`; relative
    paths are taken from ``base_dir``).

    User folders are scanned once here (every file decoded or loaded, see
    :mod:`simulator.assets.user`); broken files are skipped with a warning, never fatal, and
    listed in ``library.report`` (``report.counts()`` is what dataset.json records). Index files
    are read, not their files (SoundIndexError or MeshIndexError for one that cannot be used).
    Raises ``FileNotFoundError`` when a named folder does not exist. The result pickles without
    its caches, so it can be built once and handed to worker processes.
    """
    default = AssetLibrary.default()
    rate = int(sample_rate or default.sample_rate)

    def resolve(value) -> Path | None:
        if str(value) == "default":
            return None
        p = Path(value).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = Path(base_dir) / p
        if is_sound_index(p) and p.is_file():   # an index file (sounds or meshes: same suffix)
            return p
        if not p.is_dir():
            raise FileNotFoundError(f"library folder not found: {p}")
        return p

    sound_dir, mesh_dir = resolve(sounds), resolve(meshes)
    if sound_dir is None and mesh_dir is None:
        return default
    if sound_dir is not None and sound_dir.is_file():   # an imported collection's index
        sound_lib = load_sound_index(sound_dir, sample_rate=rate)
    else:
        sound_lib = scan_sounds(sound_dir, sample_rate=rate) if sound_dir is not None else default
    if mesh_dir is not None and mesh_dir.is_file():     # an imported mesh collection's index
        mesh_lib = load_mesh_index(mesh_dir)
    else:
        mesh_lib = scan_meshes(mesh_dir) if mesh_dir is not None else default
    return AssetLibrary.combine(sound_lib, mesh_lib)
