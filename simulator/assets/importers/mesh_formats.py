"""Readers of mesh collections' own metadata, as a registry (:data:`MESH_FORMATS`).

Each reader turns a collection's annotation file and folder into :class:`MeshRow` values: a file
relative to the collection's root, the labels it may be known by (the first one the category map
knows wins), the label shown when none is known, the mesh's licence where the collection states
one, and its real-world size where the metadata gives one. Nothing is loaded here: folders are
listed and files looked up, no more.

=========  ===========================================  ==========================================
format     metadata (``--metadata``)                    meshes (``--root``, default)
=========  ===========================================  ==========================================
objaverse  ``lvis-annotations.json[.gz]``:               the metadata's folder: ``glbs/<group>/
           ``{lvis_category: [uid, ...]}``              <uid>.glb``, located through
                                                        ``object-paths.json[.gz]`` (``{uid:
                                                        "glbs/000-023/<uid>.glb"}``) when present,
                                                        else by listing ``glbs/*/``; licences from
                                                        ``metadata/<group>.json[.gz]`` (``{uid:
                                                        {"license": "by", ...}}``) when present
shapenet   ``taxonomy.json`` (a list of ``{synsetId,     the metadata's folder: ``<synsetId>/
           name, children, ...}``)                      <modelId>/models/model_normalized.obj``
                                                        (ShapeNetCore.v2; ``<modelId>/model.obj``
                                                        of v1 also found)
folder     ``sizes.yaml`` of a folder of category-      the sizes file's folder: ``<label>/**/
           named subfolders (as ``library.meshes:       *.{obj,glb,gltf,ply,stl,off}``
           DIR``)
=========  ===========================================  ==========================================

Orientation (the project frame is +z up, front +x; docs/conventions.md): Objaverse's GLBs are glTF,
stored +y up (``up: y``; Objaverse has no canonical front, the glTF +z is taken); ShapeNetCore.v2
models are +y up with the front along -z (``up: y, yaw_deg: 180``); a plain folder is +z up unless
its sizes file says otherwise. Real-world size: Objaverse and ShapeNetCore state none (ShapeNetCore
models are normalised to a unit diagonal), so the per-category size table gives it; a plain
folder's sizes file gives it per file or per label folder.
"""
from __future__ import annotations

import gzip
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .mesh_limits import MESH_EXTENSIONS
from .mesh_sizes import read_sizes_file

#: ShapeNet's licence: its terms of use (research and education, not commercial).
SHAPENET_LICENCE = "ShapeNet terms of use (non-commercial research and education)"
#: Objaverse's (Sketchfab's) licence codes, written out.
OBJAVERSE_LICENCES = {"by": "CC BY", "by-sa": "CC BY-SA", "by-nd": "CC BY-ND", "by-nc": "CC BY-NC",
                      "by-nc-sa": "CC BY-NC-SA", "by-nc-nd": "CC BY-NC-ND", "cc0": "CC0"}
_SYNSET = re.compile(r"\d{8}")


class MetadataError(ValueError):
    """A metadata file that does not have its format's layout: names the file and the entry."""


@dataclass(frozen=True)
class MeshRow:
    """One mesh of a collection: ``file`` relative to the root (``/``-separated); ``labels``, the
    names it may be known by, tried in order against the category map; ``display``, the label
    reported when none maps; ``licence`` (None: the collection's); ``size``, a size entry in
    metres from the metadata (``{height_m: 0.6, up: y}``; None: the size table's); ``where``, the
    entry in the metadata; ``missing``, why the file cannot be found (None: found by the reader or
    still to be checked)."""

    file: str
    labels: tuple[str, ...]
    display: str
    licence: str | None = None
    size: dict | None = None
    where: str = ""
    missing: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


@dataclass
class MeshReadOptions:
    """What a reader may need besides the metadata file and the root."""

    paths_file: Path | None = None        # objaverse: object-paths.json[.gz]
    annotations_dir: Path | None = None   # objaverse: metadata/ with <group>.json[.gz]


@dataclass(frozen=True)
class MeshFormat:
    """A collection layout: its reader, default root, orientation of its files (``up``,
    ``yaw_deg``, merged under every size entry) and licence for the whole collection."""

    name: str
    default_root: Callable[[Path], Path]
    read: Callable[[Path, Path, MeshReadOptions], Iterator[MeshRow]]
    orientation: dict
    collection_licence: str | None = None


def read_json(path: Path):
    """A JSON file, gzip-compressed or not (told by its first bytes, not its name)."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw.decode("utf-8-sig"))
    except FileNotFoundError:
        raise MetadataError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise MetadataError(f"{path}: not a readable JSON file ({str(exc).splitlines()[0]})") from None


def _first_existing(*paths: Path) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


# -- Objaverse ---------------------------------------------------------------------------------------

def _objaverse_paths(root: Path, options: MeshReadOptions) -> dict[str, str]:
    """uid -> GLB path relative to ``root``: from object-paths.json[.gz], else by listing glbs/*/."""
    paths_file = options.paths_file or _first_existing(root / "object-paths.json.gz", root / "object-paths.json")
    if paths_file is not None:
        data = read_json(Path(paths_file))
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise MetadataError(f"{paths_file}: expected an object of uid -> \"glbs/<group>/<uid>.glb\"")
        return data
    glbs = root / "glbs"
    if not glbs.is_dir():
        raise MetadataError(f"{root}: no object-paths.json[.gz] and no glbs/ folder (--root is the folder that "
                            "holds glbs/)")
    out: dict[str, str] = {}
    with os.scandir(glbs) as groups:
        for group in sorted(groups, key=lambda e: e.name):
            if not group.is_dir() or group.name.startswith("."):
                continue
            with os.scandir(group.path) as files:
                for f in files:
                    if f.name.endswith(".glb") and not f.name.startswith("."):
                        out.setdefault(f.name[:-4], f"glbs/{group.name}/{f.name}")
    return out


class _ObjaverseLicences:
    """Each object's licence from ``metadata/<group>.json[.gz]``, a group read when first needed."""

    def __init__(self, folder: Path | None):
        self.folder = folder if folder is not None and folder.is_dir() else None
        self.groups: dict[str, dict] = {}

    def __call__(self, uid: str, rel: str) -> str | None:
        if self.folder is None:
            return None
        group = posixpath.basename(posixpath.dirname(rel))
        if group not in self.groups:
            path = _first_existing(self.folder / f"{group}.json.gz", self.folder / f"{group}.json")
            data = read_json(path) if path is not None else {}
            if not isinstance(data, dict):
                raise MetadataError(f"{path}: expected an object of uid -> annotation")
            self.groups[group] = data
        info = self.groups[group].get(uid)
        code = info.get("license") if isinstance(info, dict) else None
        if isinstance(code, dict):          # some dumps keep Sketchfab's {"label": ..., "slug": ...}
            code = code.get("slug") or code.get("label")
        if not isinstance(code, str) or not code.strip():
            return None
        return OBJAVERSE_LICENCES.get(code.strip().lower(), code.strip())


def read_objaverse(path: Path, root: Path, options: MeshReadOptions) -> Iterator[MeshRow]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise MetadataError(f"{path}: expected an object of LVIS category -> [uid, ...]")
    for label, uids in data.items():
        if not isinstance(uids, list) or not all(isinstance(u, str) for u in uids):
            raise MetadataError(f"{path}: key {label!r}: expected a list of uids")
    paths = _objaverse_paths(root, options)
    licences = _ObjaverseLicences(options.annotations_dir or root / "metadata")
    for label in sorted(data):
        for i, uid in enumerate(data[label]):
            uid = uid.strip()
            if uid.endswith(".glb"):
                uid = uid[:-4]
            rel = paths.get(uid)
            where = f"{label}[{i}]"
            if rel is None:
                yield MeshRow(f"{uid}.glb", (label,), label, where=where, missing=f"uid {uid} is in no "
                              "object-paths entry and under no glbs/<group>/ folder", extra={"uid": uid})
                continue
            yield MeshRow(rel, (label,), label, licences(uid, rel), where=where, extra={"uid": uid})


# -- ShapeNet ----------------------------------------------------------------------------------------

def _shapenet_names(path: Path) -> dict[str, str]:
    data = read_json(path)
    if not isinstance(data, list):
        raise MetadataError(f"{path}: expected a list of {{synsetId, name, children}} entries")
    names: dict[str, str] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("synsetId"), str) \
                or not isinstance(entry.get("name", ""), str):
            raise MetadataError(f"{path}: entry [{i}]: expected "
                                '{"synsetId": "02958343", "name": "car,auto,..."}')
        names[entry["synsetId"].strip()] = entry.get("name", "").strip()
    return names


def read_shapenet(path: Path, root: Path, options: MeshReadOptions) -> Iterator[MeshRow]:
    names = _shapenet_names(path)
    with os.scandir(root) as it:
        synsets = sorted(e.name for e in it if e.is_dir() and _SYNSET.fullmatch(e.name))
    for synset in synsets:
        name = names.get(synset)
        labels = (name, synset) if name else (synset,)
        display = f"{name} ({synset})" if name else f"{synset} (not in {path.name})"
        with os.scandir(root / synset) as it:
            models = sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
        for model in models:
            v2 = f"{synset}/{model}/models/model_normalized.obj"
            v1 = f"{synset}/{model}/model.obj"
            rel = v2 if os.path.isfile(root / v2) or not os.path.isfile(root / v1) else v1
            yield MeshRow(rel, labels, display, where=f"{synset}/{model}", extra={"model": model})


# -- plain folder with a sizes file ------------------------------------------------------------------

def read_folder(path: Path, root: Path, options: MeshReadOptions) -> Iterator[MeshRow]:
    sizes = read_sizes_file(path)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in MESH_EXTENSIONS:
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            label = rel.split("/", 1)[0] if "/" in rel else None
            size = sizes.get(rel) or (sizes.get(label) if label else None)
            yield MeshRow(rel, (label,) if label else (), label or "", size=size, where=rel)


MESH_FORMATS: dict[str, MeshFormat] = {f.name: f for f in (
    MeshFormat("objaverse", lambda m: m.parent, read_objaverse, {"up": "y"}),
    MeshFormat("shapenet", lambda m: m.parent, read_shapenet, {"up": "y", "yaw_deg": 180.0}, SHAPENET_LICENCE),
    MeshFormat("folder", lambda m: m.parent, read_folder, {}),
)}
