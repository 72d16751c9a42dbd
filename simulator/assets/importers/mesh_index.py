"""Mesh-collection index: the meshes of a collection, per library category, pointing at the files
in place (nothing copied, nothing loaded).

``simulate assets import meshes --format objaverse|shapenet|folder --metadata FILE [--root DIR]
[--map MAP.yaml] [--sizes SIZES.yaml] --out INDEX.json`` writes::

    {"format": "avsim-mesh-index/1", "collection": "objaverse", "root": "/abs/path",
     "metadata": "...", "map": "<map file>", "sizes": "<size table>", "licence": null,
     "max_faces": 200000, "over_limit": "decimate",
     "category_sizes": {"dog": {"up": "y", "height_m": 0.6}, ...},
     "categories": {"dog": [{"file": "glbs/000-001/<uid>.glb", "licence": "CC BY", "label": "dog"},
                            {"file": "...", "licence": null, "label": "dog", "size": {"height_m": 0.7}}]},
     "report": {"rows": N, "meshes": N, "per_category": {...}, "unmapped": {"label": meshes},
                "ambiguous": {"count": N, "examples": [...]}, "missing": ..., "outside": ...,
                "too_large": ..., "unsized": ..., "unlabelled": ...}}

Sizes are metres; a mesh's ``size`` (from the collection's metadata) wins over its category's
entry of ``category_sizes`` (the size table's, :mod:`.mesh_sizes`), both already merged with the
collection's orientation (``up``, ``yaw_deg``; the project frame is +z up, front +x).

A mesh whose labels map to no category is counted under its label (never silently dropped); one
listed under labels of two categories is ``ambiguous`` and left out; a file that does not exist is
``missing``, a path out of the root ``outside``, a file over
:data:`.mesh_limits.MAX_MESH_BYTES` ``too_large``, a category without a size ``unsized``.
Each is reported with its metadata entry. Files are looked up only (one ``stat`` each): a mesh is
loaded, checked (triangle count: decimated or refused, ``max_faces`` and ``over_limit``), sized
and given its silhouette table when a sample first uses it (:mod:`simulator.assets.mesh_library`).
"""
from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

from ...cli_parser import ArgumentParser
from .category_map import CategoryMap, CategoryMapError, norm_label
from .index_format import EXAMPLES, relative_inside, report_lines, write_index
from .mesh_decimation import OVER_LIMIT
from .mesh_formats import MESH_FORMATS, MeshReadOptions, MeshRow, MetadataError
from .mesh_index_format import MESH_INDEX_FORMAT
from .mesh_limits import MAX_MESH_BYTES, MAX_MESH_FACES
from .mesh_sizes import SizeTableError, load_size_table, oriented

BUNDLED_MESH_MAP = Path(__file__).resolve().parent / "bundled_mesh_map.yaml"
PROBLEMS = ("ambiguous", "missing", "outside", "too_large", "unsized", "unlabelled")


def _category(cmap: CategoryMap, row: MeshRow) -> tuple[str, str] | None:
    """(category, the label that mapped) for the first of the row's labels the map knows."""
    for label in row.labels:
        category = cmap.to_category.get(norm_label(label))
        if category is not None:
            return category, label
    return None


def build_index(fmt: str, metadata: Path, root: Path | None = None, category_map: CategoryMap | None = None,
                sizes: tuple[dict, str] | None = None, options: MeshReadOptions | None = None,
                licence: str | None = None, max_faces: int = MAX_MESH_FACES, over_limit: str = "decimate") -> dict:
    """The index of one collection (see the module docstring). Raises MetadataError,
    CategoryMapError or SizeTableError for a file that cannot be used."""
    spec = MESH_FORMATS[fmt]
    metadata = Path(metadata)
    root = Path(root) if root is not None else spec.default_root(metadata)
    cmap = category_map or CategoryMap.load(BUNDLED_MESH_MAP)
    table, table_source = sizes if sizes is not None else load_size_table()
    collection_licence = licence if licence is not None else spec.collection_licence
    problems = {k: {"count": 0, "examples": []} for k in PROBLEMS}
    unmapped: dict[str, int] = {}

    def problem(kind: str, row: MeshRow, why: str) -> None:
        p = problems[kind]
        p["count"] += 1
        if len(p["examples"]) < EXAMPLES:
            p["examples"].append({"entry": row.where, "file": row.file, "why": why})

    # 1. labels -> categories; a file listed under labels of two categories is ambiguous
    chosen: dict[str, tuple[str, str, MeshRow]] = {}
    conflicting: dict[str, set[str]] = {}
    rows = 0
    for row in spec.read(metadata, root, options or MeshReadOptions()):
        rows += 1
        if not row.labels:
            problem("unlabelled", row, "not in a label folder")
            continue
        found = _category(cmap, row)
        if found is None:
            unmapped[row.display] = unmapped.get(row.display, 0) + 1
            continue
        held = chosen.get(row.file)
        if held is None:
            chosen[row.file] = (*found, row)
        elif held[0] != found[0]:
            conflicting.setdefault(row.file, {held[0]}).add(found[0])
    # 2. each kept file: inside the root, exists, not too large, sized
    categories: dict[str, list[dict]] = {}
    used_sizes: dict[str, dict] = {}
    for file, (category, label, row) in chosen.items():
        if file in conflicting:
            problem("ambiguous", row, f"listed under labels of {sorted(conflicting[file])}")
            continue
        if row.missing is not None:
            problem("missing", row, row.missing)
            continue
        if not relative_inside(file):
            problem("outside", row, "the path must be relative and stay inside the root")
            continue
        try:
            st = os.stat(root / file)
        except OSError:
            problem("missing", row, f"no file {root / file}")
            continue
        if not stat.S_ISREG(st.st_mode):
            problem("missing", row, f"{root / file} is not a regular file")
            continue
        if st.st_size > MAX_MESH_BYTES:
            problem("too_large", row, f"{st.st_size / 1e6:.0f} MB, more than the {MAX_MESH_BYTES // 10**6} MB a "
                    "library mesh file may have")
            continue
        if row.size is None and category not in table:
            problem("unsized", row, f"no size for category {category!r} in the size table (--sizes)")
            continue
        entry = {"file": file, "licence": row.licence or collection_licence, "label": label}
        if row.size is not None:
            entry["size"] = oriented(row.size, spec.orientation)
        else:
            used_sizes[category] = oriented(table[category], spec.orientation)
        for k in ("uid", "model"):
            if k in row.extra:
                entry[k] = row.extra[k]
        categories.setdefault(category, []).append(entry)
    meshes = sum(len(v) for v in categories.values())
    return {"format": MESH_INDEX_FORMAT, "collection": fmt, "metadata": str(metadata.resolve()),
            "root": str(root.resolve()), "map": cmap.source, "sizes": table_source, "licence": collection_licence,
            "max_faces": int(max_faces), "over_limit": over_limit,
            "category_sizes": {k: used_sizes[k] for k in sorted(used_sizes)},
            "categories": {k: categories[k] for k in sorted(categories)},
            "report": {"rows": rows, "meshes": meshes,
                       "per_category": {k: len(categories[k]) for k in sorted(categories)},
                       "unmapped": dict(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
                       **problems}}


def format_report(index: dict, seconds: float) -> str:
    r = index["report"]
    return "\n".join([f"{index['collection']}: {r['rows']} entries -> {r['meshes']} meshes in "
                      f"{len(r['per_category'])} categories ({r['rows'] / max(seconds, 1e-9):.0f} entries/s; "
                      "meshes are loaded and checked on first use)"]
                     + report_lines(r, "meshes", PROBLEMS, lambda ex: str(ex["entry"])))


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="simulate assets import meshes",
                        description="Index a mesh collection in place from its own metadata.")
    ap.add_argument("--format", required=True, choices=sorted(MESH_FORMATS))
    ap.add_argument("--metadata", required=True,
                    help="objaverse: lvis-annotations.json[.gz]; shapenet: taxonomy.json; folder: its sizes.yaml")
    ap.add_argument("--root", help="the collection's folder (default: the metadata file's folder)")
    ap.add_argument("--map", default=str(BUNDLED_MESH_MAP), help="category map YAML (default: the bundled mesh map)")
    ap.add_argument("--sizes", help="size table YAML (category: {height_m: ...}); its entries replace the bundled ones")
    ap.add_argument("--out", required=True, help="the index file to write (JSON)")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing index file")
    ap.add_argument("--licence", help="the collection's licence, for meshes whose metadata names none")
    ap.add_argument("--paths", help="objaverse: object-paths.json[.gz] (default: the root's, else glbs/ is listed)")
    ap.add_argument("--annotations", help="objaverse: the metadata/ folder of <group>.json.gz (licences)")
    ap.add_argument("--max-faces", type=int, default=MAX_MESH_FACES,
                    help=f"most triangles a mesh may have when used (default {MAX_MESH_FACES})")
    ap.add_argument("--over-limit", choices=sorted(OVER_LIMIT), default="decimate",
                    help="a mesh with more triangles: decimated when first used, or refused (skipped)")
    args = ap.parse_args(argv)

    def fail(message: str) -> int:
        print(f"simulate assets import meshes: {message}", file=sys.stderr)
        return 2

    metadata, out = Path(args.metadata), Path(args.out)
    if not metadata.is_file():
        return fail(f"--metadata: no such file: {metadata}")
    for flag in ("sizes", "paths", "map"):
        value = getattr(args, flag)
        if value is not None and not Path(value).is_file():
            return fail(f"--{flag}: no such file: {value}")
    if args.annotations is not None and not Path(args.annotations).is_dir():
        return fail(f"--annotations: no such folder: {args.annotations}")
    if not 0 < args.max_faces <= 10_000_000:
        return fail(f"--max-faces: {args.max_faces} is not in 1..10000000")
    root = Path(args.root) if args.root else MESH_FORMATS[args.format].default_root(metadata)
    if not root.is_dir():
        return fail(f"--root: no such folder: {root}")
    if out.exists() and not args.overwrite:
        return fail(f"--out: {out} exists (use --overwrite to replace it)")
    if not out.parent.is_dir():
        return fail(f"--out: no such folder: {out.parent}")
    options = MeshReadOptions(paths_file=Path(args.paths) if args.paths else None,
                              annotations_dir=Path(args.annotations) if args.annotations else None)
    started = time.perf_counter()
    try:
        index = build_index(args.format, metadata, root, CategoryMap.load(args.map), load_size_table(args.sizes),
                            options, args.licence, args.max_faces, args.over_limit)
    except (MetadataError, CategoryMapError, SizeTableError) as exc:
        return fail(str(exc))
    write_index(index, out)
    print(format_report(index, time.perf_counter() - started))
    return 0
