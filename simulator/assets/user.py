"""User asset libraries: folders of category-named subfolders (see docs/assets.md).

Sounds (``library.sounds: DIR``)::

    DIR/dog/bark1.wav   DIR/dog/more/bark2.flac   DIR/cat/meow.ogg   ...

Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3 with libsndfile >= 1.1, AIFF, ...).
On load a clip is mixed to mono (mean of its channels), resampled to the library rate
(32000 Hz, polyphase), cut to its first :data:`MAX_CLIP_SECONDS` and loudness-normalised like
the default library (active-frame RMS -20 dBFS, peak at most -1 dBFS); at render time it is
looped or cut to the spec's audio duration from a random offset. Files that cannot be decoded
(unknown format, text named .wav, truncated or corrupt data), are empty, shorter than
:data:`MIN_CLIP_SECONDS`, silent or not finite are skipped, with the reason, never fatal.

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

import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from .cutouts import is_cutout, load_cutout_mesh
from .library import AssetLibrary, SourceLibrary

SOUNDS_LIBRARY = "user_sounds"
MESHES_LIBRARY = "user_meshes"
MIN_CLIP_SECONDS = 0.1
MAX_CLIP_SECONDS = 30.0
SILENCE_PEAK = 10 ** (-80 / 20)  # a clip whose peak is below -80 dBFS counts as silent
TARGET_ACTIVE_RMS_DBFS = -20.0
PEAK_CEILING_DBFS = -1.0
MESH_EXTENSIONS = {".obj", ".glb", ".gltf", ".ply", ".stl", ".off"}
SIZE_KEYS = {"height_m": 2, "length_m": 0, "width_m": 1, "size_m": None}
# files that sit in asset folders without being assets (documentation, licences, companions)
IGNORED_SUFFIXES = {".txt", ".md", ".json", ".yaml", ".yml", ".csv", ".pdf", ".html", ".mtl",
                    ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff", ".webp", ".bin"}
IGNORED_STEMS = {"readme", "license", "licence", "licenses", "licences", "copying", "credits"}


class UserLibraryWarning(UserWarning):
    """A user-library file was skipped (the reason is in the message)."""


@dataclass(frozen=True)
class Skipped:
    """A file of a user folder that is not used, and why."""

    kind: str  # "sound" | "mesh" | "sizes"
    path: str  # as given (absolute or relative to the working directory)
    reason: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "reason": self.reason}


@dataclass
class LibraryReport:
    """What a scan of user folders found, used and skipped."""

    sounds_found: int = 0
    sounds_used: int = 0
    meshes_found: int = 0
    meshes_used: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    sound_seconds: dict[str, float] = field(default_factory=dict)  # category -> total duration

    def counts(self) -> dict:
        """JSON-ready summary for dataset.json (``library`` entry)."""
        return {"sounds": {"found": self.sounds_found, "used": self.sounds_used,
                           "skipped": self.sounds_found - self.sounds_used},
                "meshes": {"found": self.meshes_found, "used": self.meshes_used,
                           "skipped": self.meshes_found - self.meshes_used},
                "skipped": [s.to_dict() for s in self.skipped]}

    @classmethod
    def merge(cls, reports) -> "LibraryReport":
        out = cls()
        for r in reports:
            out.sounds_found += r.sounds_found
            out.sounds_used += r.sounds_used
            out.meshes_found += r.meshes_found
            out.meshes_used += r.meshes_used
            out.skipped += r.skipped
            out.sound_seconds.update(r.sound_seconds)
        return out


# ---------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------

def _active_rms_db(x: np.ndarray, sr: int) -> float:
    n = max(1, int(round(0.02 * sr)))
    m = len(x) // n
    frames = x[: m * n].reshape(m, n) if m else x.reshape(1, -1)
    db = 20.0 * np.log10(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-12)
    active = db[(db > db.max() - 40.0) & (db > -70.0)]
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0)))) if active.size else -np.inf


def normalize_loudness(x: np.ndarray, sr: int) -> np.ndarray:
    """The default library's loudness rule: active-frame RMS at -20 dBFS, then turned down if
    the peak would exceed -1 dBFS (plain gain)."""
    level = _active_rms_db(x, sr)
    if not np.isfinite(level):
        return x
    y = x * 10 ** ((TARGET_ACTIVE_RMS_DBFS - level) / 20.0)
    peak = float(np.max(np.abs(y)))
    ceiling = 10 ** (PEAK_CEILING_DBFS / 20.0)
    return y * (ceiling / peak) if peak > ceiling else y


def read_clip(path: Path, sample_rate: int, normalize: bool = False,
              max_seconds: float | None = None) -> np.ndarray:
    """A sound file as mono float32 at ``sample_rate``: channels averaged, polyphase
    resampling, optionally cut to ``max_seconds`` and loudness-normalised. Raises on
    unreadable files (soundfile's errors)."""
    import soundfile as sf
    from scipy.signal import resample_poly

    data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    if max_seconds is not None:
        data = data[: int(round(max_seconds * sr))]
    mono = data.mean(axis=1)
    if sr != sample_rate and mono.size:
        ratio = Fraction(sample_rate, sr).limit_denominator(1000)
        mono = resample_poly(mono, ratio.numerator, ratio.denominator)
    if normalize and mono.size:
        mono = normalize_loudness(mono, sample_rate)
    return mono.astype(np.float32)


def check_clip(path: Path, sample_rate: int) -> tuple[float | None, str | None]:
    """(duration_s, None) for a usable clip, or (None, reason) for one to skip."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure means "skip"
        return None, f"unreadable: {_short(exc)}"
    if info.frames == 0:
        return None, "empty (0 frames)"
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001
        return None, f"unreadable (corrupt or truncated data): {_short(exc)}"
    if len(data) == 0:
        return None, "empty (0 frames)"
    if 0 < info.frames < 2**62 and len(data) < info.frames:
        return None, f"truncated: decoded {len(data)} of {info.frames} frames"
    if not np.all(np.isfinite(data)):
        return None, "not finite (NaN or infinite samples)"
    seconds = len(data) / sr
    if seconds < MIN_CLIP_SECONDS:
        return None, f"too short ({seconds:.3f} s < {MIN_CLIP_SECONDS} s)"
    if float(np.max(np.abs(data.mean(axis=1)))) < SILENCE_PEAK:
        return None, "silent (peak below -80 dBFS after mixing to mono)"
    return min(seconds, MAX_CLIP_SECONDS), None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:157] + "...") if len(text) > 160 else text or type(exc).__name__


def _ignored(path: Path) -> bool:
    return (path.name.startswith(".") or path.suffix.lower() in IGNORED_SUFFIXES
            or path.stem.lower() in IGNORED_STEMS)


def _category_files(root: Path):
    """(category, relative posix path, path) for every candidate file; files outside a
    category subfolder are yielded with category ``None``."""
    for p in sorted(root.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        rel = p.relative_to(root)
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
    for category, rel, path in _category_files(root):
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
    import yaml

    path = root / "sizes.yaml"
    if not path.exists():
        alt = root / "sizes.yml"
        if not alt.exists():
            return {}, "no sizes.yaml in the mesh folder"
        path = alt
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # noqa: BLE001
        _skip(report, "sizes", path, f"unreadable YAML: {_short(exc)}", warn)
        return {}, f"{path.name} is unreadable"
    if not isinstance(data, dict):
        _skip(report, "sizes", path, "must be a mapping of category or file to sizes", warn)
        return {}, f"{path.name} is not a mapping"
    entries = {}
    for key, value in data.items():
        problem = _size_problem(value)
        if problem:
            _skip(report, "sizes", path, f"entry {key!r}: {problem}", warn)
            entries[str(key)] = None
        else:
            entries[str(key)] = value
    return entries, None


def _size_problem(value) -> str | None:
    if not isinstance(value, dict):
        return "must be a mapping like {height_m: 0.6}"
    unknown = set(value) - set(SIZE_KEYS) - {"up", "yaw_deg"}
    if unknown:
        return f"unknown keys {sorted(unknown)} (use one of {sorted(SIZE_KEYS)}, up, yaw_deg)"
    sizes = [k for k in SIZE_KEYS if k in value]
    if len(sizes) != 1:
        return f"give exactly one of {sorted(SIZE_KEYS)}"
    v = value[sizes[0]]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or not 0 < v <= 1000:
        return f"{sizes[0]} must be a number of metres in (0, 1000]"
    if value.get("up", "z") not in ("z", "y"):
        return "up must be z or y"
    yaw = value.get("yaw_deg", 0.0)
    if isinstance(yaw, bool) or not isinstance(yaw, (int, float)) or not np.isfinite(yaw):
        return "yaw_deg must be a number"
    return None


_Y_UP_TO_PROJECT = np.array([[0.0, 0.0, 1.0, 0.0],   # +z (front) -> +x
                             [1.0, 0.0, 0.0, 0.0],   # +x (the object's left) -> +y
                             [0.0, 1.0, 0.0, 0.0],   # +y (up) -> +z
                             [0.0, 0.0, 0.0, 1.0]])


def mesh_transform(vertices: np.ndarray, size: dict) -> np.ndarray:
    """4x4 transform into the project frame: rotate (``up``, ``yaw_deg``), scale uniformly to
    the size entry, move the bounding-box centre to the origin."""
    rot = np.eye(4)
    if size.get("up", "z") == "y":
        rot = _Y_UP_TO_PROJECT.copy()
    yaw = np.radians(float(size.get("yaw_deg", 0.0)))
    if yaw:
        c, s = np.cos(yaw), np.sin(yaw)
        rz = np.eye(4)
        rz[:2, :2] = [[c, -s], [s, c]]
        rot = rz @ rot
    v = np.asarray(vertices, float) @ rot[:3, :3].T
    extents = v.max(axis=0) - v.min(axis=0)
    key = next(k for k in SIZE_KEYS if k in size)
    axis = SIZE_KEYS[key]
    current = float(extents.max() if axis is None else extents[axis])
    if not current > 0:
        raise ValueError(f"the mesh has no extent along {key[:-2]}")
    scale = float(size[key]) / current
    centre = 0.5 * (v.max(axis=0) + v.min(axis=0)) * scale
    out = np.eye(4)
    out[:3, :3] = scale * rot[:3, :3]
    out[:3, 3] = -centre
    return out


def scan_meshes(root: str | Path, name: str = MESHES_LIBRARY, warn: bool = True) -> AssetLibrary:
    """Scan a mesh folder: load each mesh, apply its size from ``sizes.yaml``, compute its
    silhouette table. Returns an :class:`AssetLibrary` (meshes only) with a ``report``."""
    import trimesh

    from .silhouette import silhouette_table

    root = Path(root)
    report = LibraryReport()
    sizes, sizes_problem = _read_sizes(root, report, warn)
    categories: dict[str, dict] = {}
    transforms: dict[str, list] = {}
    for category, rel, path in _category_files(root):
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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mesh = load_cutout_mesh(path) if cutout else trimesh.load(str(path), force="mesh")
        except Exception as exc:  # noqa: BLE001
            _skip(report, "mesh", path, f"unreadable: {_short(exc)}", warn)
            continue
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) < 3:
            _skip(report, "mesh", path, "no triangles", warn)
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
