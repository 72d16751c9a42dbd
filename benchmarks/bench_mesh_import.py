"""Importing a large mesh collection: files/s of the importer and the index's load time.

    python benchmarks/bench_mesh_import.py [--files 50000] [--format objaverse|shapenet|folder] [--dir DIR] [--keep]

Generates a collection of ``--files`` small meshes (a 12-triangle box, one encoded mesh written
under every name) in the layout of ``--format`` with its real metadata (Objaverse:
``lvis-annotations.json.gz``, ``object-paths.json.gz``, ``metadata/<group>.json.gz`` with licences
and ``glbs/<group>/<uid>.glb``, 1,000 objects a group; ShapeNetCore.v2: ``taxonomy.json`` and
``<synset>/<model>/models/model_normalized.obj``; folder: ``<label>/<n>.obj`` with ``sizes.yaml``),
a fifth of them under a label the bundled mesh map does not know. Then, in this process:

* the import (``build_index``: read the metadata, map labels, look up each file; no mesh is
  loaded) in files/s, and writing the index file;
* loading the index as the generator does (``load_mesh_index``), in seconds;
* the first use of one mesh (loaded, sized, its silhouette table computed).

The collection is written to a temporary folder (or ``--dir``) and removed afterwards unless
``--keep``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.assets.importers.mesh_index import build_index  # noqa: E402
from simulator.assets.importers.index_format import write_index  # noqa: E402
from simulator.assets.mesh_library import load_mesh_index  # noqa: E402

#: Labels in each layout; the last of each is not in the bundled mesh map.
LVIS = ["dog", "cat", "car_(automobile)", "guitar", "apple"]
SYNSETS = [("02958343", "car,auto,automobile,machine,motorcar"), ("03467517", "guitar"),
           ("03790512", "motorcycle,bike"), ("04401088", "telephone,phone,telephone set"), ("03001627", "chair")]
FOLDERS = ["dog", "cat", "car", "guitar", "chair"]


def _gz_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(data).encode()))


def make_collection(root: Path, fmt: str, n: int) -> Path:
    """Write the files and the metadata; returns the metadata file."""
    mesh = trimesh.creation.box(extents=(0.4, 0.7, 1.0))
    if fmt == "objaverse":
        data = mesh.export(file_type="glb")
        lvis: dict[str, list[str]] = {}
        paths, meta = {}, {}
        for i in range(n):
            uid, group = f"{i:032x}", f"000-{i // 1000:03d}"
            lvis.setdefault(LVIS[i % 5], []).append(uid)
            paths[uid] = f"glbs/{group}/{uid}.glb"
            meta.setdefault(group, {})[uid] = {"uid": uid, "name": f"object {i}", "license": "by"}
        for group in meta:
            (root / "glbs" / group).mkdir(parents=True)
            _gz_json(root / "metadata" / f"{group}.json.gz", meta[group])
        for rel in paths.values():
            (root / rel).write_bytes(data)
        _gz_json(root / "object-paths.json.gz", paths)
        metadata = root / "lvis-annotations.json.gz"
        _gz_json(metadata, lvis)
        return metadata
    data = trimesh.exchange.obj.export_obj(mesh).encode()
    if fmt == "shapenet":
        for i in range(n):
            synset = SYNSETS[i % 5][0]
            path = root / synset / f"{i:032x}" / "models" / "model_normalized.obj"
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
        metadata = root / "taxonomy.json"
        metadata.write_text(json.dumps([{"synsetId": s, "name": name, "children": [], "numInstances": n // 5}
                                        for s, name in SYNSETS]))
        return metadata
    for label in FOLDERS:
        (root / label).mkdir(parents=True)
    for i in range(n):
        (root / FOLDERS[i % 5] / f"{i}.obj").write_bytes(data)
    metadata = root / "sizes.yaml"
    metadata.write_text("dog: {height_m: 0.6}\ncar: {size_m: 4.5}\n")
    return metadata


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--format", default="objaverse", choices=("objaverse", "shapenet", "folder"))
    ap.add_argument("--dir", help="where to write the collection (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated collection")
    args = ap.parse_args(argv)
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="avsim-mesh-import-"))
    try:
        t0 = time.perf_counter()
        meta = make_collection(root, args.format, args.files)
        print(f"collection: {args.files} meshes ({args.format} layout) written in {time.perf_counter() - t0:.1f} s "
              f"under {root}")

        t0 = time.perf_counter()
        index = build_index(args.format, meta)
        built = time.perf_counter() - t0
        out = root / "collection.index.json"
        t0 = time.perf_counter()
        write_index(index, out)
        written = time.perf_counter() - t0
        rep = index["report"]
        print(f"import: {rep['rows']} files -> {rep['meshes']} meshes in {built:.2f} s "
              f"({rep['rows'] / built:,.0f} files/s, every file looked up, none loaded); "
              f"unmapped labels: {rep['unmapped']}")
        print(f"index file: {out.stat().st_size / 1e6:.1f} MB written in {written:.2f} s")

        t0 = time.perf_counter()
        lib = load_mesh_index(out)
        loaded = time.perf_counter() - t0
        n = sum(len(v) for v in lib.meshes.values())
        print(f"load: {n} meshes in {len(lib.meshes)} categories in {loaded:.2f} s")
        key = next(iter(lib.meshes.values()))[0].key
        t0 = time.perf_counter()
        mesh = lib.load_mesh(key)
        lib.silhouette(lib.resolve_mesh(next(iter(lib.meshes.values()))[0]))
        print(f"first use of {key}: {len(mesh.faces)} triangles loaded, sized to {mesh.extents.round(3).tolist()} m "
              f"with its silhouette table in {1e3 * (time.perf_counter() - t0):.1f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
