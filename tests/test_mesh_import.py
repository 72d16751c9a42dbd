"""Mesh-collection importers (``simulate assets import meshes``): fake Objaverse (LVIS), ShapeNetCore
and plain-folder collections made with trimesh primitives, in the real layouts with their quirks;
the index (meshes per category, sizes, licences, unmapped and left-out entries), lazy loading
(frame, size, over-limit meshes decimated or refused, broken meshes skipped on first use) and
bad input (exit status 2, one line naming the file, nothing written)."""
from __future__ import annotations

import gzip
import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simulator.assets.importers import mesh_decimation
from simulator.assets.importers.mesh_formats import SHAPENET_LICENCE
from simulator.assets.importers.mesh_index import build_index, main as import_meshes
from simulator.assets.importers.mesh_sizes import load_size_table
from simulator.assets.importers.index_format import write_index
from simulator.assets.mesh_library import BrokenMesh, MeshIndexError, load_mesh_index
from simulator.assets.scan_report import UserLibraryWarning
from simulator.assets.user import open_library

def box(extents, centre=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(centre)
    return m


def nosed_box(body, nose_centre, nose=(0.2, 0.2, 0.2)) -> trimesh.Trimesh:
    """A box with a small box stuck to it: the nose marks the model's front."""
    return trimesh.util.concatenate([box(body), box(nose, nose_centre)])


def write_gz_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(data).encode()))


#: Objaverse: uid -> (LVIS labels, group, licence annotation, mesh or None for a file that is no GLB)
def objaverse(root: Path, with_paths: bool = True) -> dict:
    """``root/lvis-annotations.json.gz``, ``glbs/<group>/<uid>.glb``, ``object-paths.json.gz`` and
    ``metadata/<group>.json[.gz]`` like Objaverse 1.0, with the quirks of the real files:
    gzip, a uid under two LVIS categories of one library category (dog, puppy), one under
    categories of two (ambiguous), a uid without a file, a path entry without a file, a
    label the map does not know, licence codes and Sketchfab's licence objects."""
    glb_dog = nosed_box((0.4, 0.7, 1.0), (0.0, 0.3, 0.6))        # glTF: +y up, front +z
    glb_cat = box((0.2, 0.3, 0.5))
    objects = {
        "d0g00000000000000000000000000001": (["dog"], "000-000", "by", glb_dog),
        "d0g00000000000000000000000000002": (["dog", "puppy"], "000-000", "cc0", box((0.3, 0.5, 0.8))),
        "d0g00000000000000000000000000003": (["puppy"], "000-001", {"label": "CC Attribution-ShareAlike",
                                                                     "slug": "by-sa"}, box((0.3, 0.6, 0.7))),
        "ca700000000000000000000000000000": (["cat"], "000-001", None, b"this is not a GLB file"),
        "ca700000000000000000000000000001": (["cat"], "000-001", "by-nc", glb_cat),
        "ca700000000000000000000000000002": (["cat"], "000-000", "by", box((0.25, 0.3, 0.45))),
        "amb00000000000000000000000000000": (["cat", "dog"], "000-000", "by", box((0.3, 0.3, 0.3))),
        "app1e000000000000000000000000000": (["apple"], "000-000", "by", box((0.1, 0.1, 0.1))),
        "app1e000000000000000000000000001": (["apple"], "000-001", "by", box((0.1, 0.1, 0.1))),
        "n0f11e00000000000000000000000000": (["dog"], "000-001", "by", None),          # path entry, no file
    }
    lvis: dict[str, list[str]] = {}
    paths, meta = {}, {}
    for uid, (labels, group, licence, mesh) in objects.items():
        for label in labels:
            lvis.setdefault(label, []).append(uid)
        rel = f"glbs/{group}/{uid}.glb"
        paths[uid] = rel
        meta.setdefault(group, {})[uid] = {"uid": uid, "name": f"model {uid[:4]}", "license": licence}
        if mesh is None:
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(mesh if isinstance(mesh, bytes) else mesh.export(file_type="glb"))
    lvis["dog"].append("n0uid000000000000000000000000000")                      # no path, no file
    write_gz_json(root / "lvis-annotations.json.gz", lvis)
    if with_paths:
        write_gz_json(root / "object-paths.json.gz", paths)
    write_gz_json(root / "metadata" / "000-000.json.gz", meta["000-000"])
    (root / "metadata" / "000-001.json").write_text(json.dumps(meta["000-001"]))      # not compressed
    return objects


def shapenet(root: Path) -> None:
    """ShapeNetCore.v2: ``taxonomy.json`` (comma-separated synonym names, children synsets listed
    as their own entries) and ``<synset>/<model>/models/model_normalized.obj``; one model in the
    v1 layout (``model.obj``), one model folder without a mesh, a synset the map does not know
    (chair) and a synset folder missing from the taxonomy."""
    taxonomy = [
        {"synsetId": "02958343", "name": "car,auto,automobile,machine,motorcar", "children": ["02701002"],
         "numInstances": 4},
        {"synsetId": "02701002", "name": "ambulance", "children": [], "numInstances": 0},
        {"synsetId": "03001627", "name": "chair", "children": [], "numInstances": 1},
        {"synsetId": "03467517", "name": "guitar", "children": [], "numInstances": 1},
    ]
    root.mkdir(parents=True, exist_ok=True)
    (root / "taxonomy.json").write_text(json.dumps(taxonomy, indent=1))
    # ShapeNetCore.v2: +y up, front -z; a car 4 long (z), 1.5 high (y), 2 wide (x), its nose at the front
    car = nosed_box((2.0, 1.5, 4.0), (0.0, 0.0, -2.2), nose=(0.2, 0.2, 0.4))
    models = {"02958343/1a0bc9ab92c915167ae33d942430658c/models/model_normalized.obj": car,
              "02958343/2b0bc9ab92c915167ae33d942430658c/models/model_normalized.obj": box((1.8, 1.4, 4.2)),
              "02958343/3c0bc9ab92c915167ae33d942430658c/model.obj": box((1.9, 1.3, 4.4)),
              "03001627/4d0bc9ab92c915167ae33d942430658c/models/model_normalized.obj": box((0.5, 1.0, 0.5)),
              "03467517/5e0bc9ab92c915167ae33d942430658c/models/model_normalized.obj": box((0.35, 1.0, 0.1)),
              "99999999/6f0bc9ab92c915167ae33d942430658c/models/model_normalized.obj": box((1.0, 1.0, 1.0))}
    for rel, mesh in models.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(trimesh.exchange.obj.export_obj(mesh))
    (root / "02958343" / "7a0bc9ab92c915167ae33d942430658c" / "models").mkdir(parents=True)   # no mesh in it


def folder(root: Path) -> None:
    """A plain folder of label folders with ``sizes.yaml`` (as ``library.meshes: DIR``)."""
    for rel, mesh, kind in [("dog/a.obj", box((0.8, 0.3, 0.5)), "obj"),
                            ("dog/big.obj", box((0.3, 0.9, 1.1)), "obj"),
                            ("dog/more/c.ply", box((0.7, 0.3, 0.6)), "ply"),
                            ("cat/x.stl", box((0.4, 0.2, 0.3)), "stl"),
                            ("chair/k.obj", box((0.5, 0.5, 1.0)), "obj"),
                            ("loose.obj", box((1.0, 1.0, 1.0)), "obj")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        data = mesh.export(file_type=kind)
        (root / rel).write_bytes(data.encode() if isinstance(data, str) else data)
    (root / "dog" / "README.txt").write_text("three dogs\n")
    (root / "sizes.yaml").write_text("dog: {height_m: 0.5}\n"
                                     "dog/big.obj: {height_m: 0.9, up: y}\n"
                                     "chair: {height_m: 1.0}\n")


def dense_sphere(path: Path, subdivisions: int = 5) -> int:
    """An icosphere (20 * 4**subdivisions triangles) as OBJ; returns its triangle count."""
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(trimesh.exchange.obj.export_obj(mesh))
    return len(mesh.faces)


def front_y(vertices: np.ndarray) -> float:
    """|y| of the vertex farthest along +x (near 0 when a narrow nose points to +x)."""
    v = np.asarray(vertices)
    return float(abs(v[np.argmax(v[:, 0]), 1]))


def files_of(index: dict, category: str) -> dict[str, dict]:
    return {e["file"]: e for e in index["categories"].get(category, [])}


def glb(uid: str, group: str) -> str:
    return f"glbs/{group}/{uid}.glb"


# -- Objaverse ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("with_paths", [True, False], ids=["object-paths", "listed-glbs"])
def test_objaverse_index_per_category_licences_and_report(tmp_path, with_paths):
    objects = objaverse(tmp_path, with_paths=with_paths)
    index = build_index("objaverse", tmp_path / "lvis-annotations.json.gz")
    dogs, cats = files_of(index, "dog"), files_of(index, "cat")
    # a uid under "dog" and "puppy" (both dog) is one mesh; "puppy" alone maps to dog too
    assert set(dogs) == {glb("d0g00000000000000000000000000001", "000-000"),
                         glb("d0g00000000000000000000000000002", "000-000"),
                         glb("d0g00000000000000000000000000003", "000-001")}
    assert set(cats) == {glb(u, g) for u, g in [("ca700000000000000000000000000000", "000-001"),
                                                ("ca700000000000000000000000000001", "000-001"),
                                                ("ca700000000000000000000000000002", "000-000")]}
    # licences from metadata/<group>.json[.gz]: codes written out, Sketchfab's objects read
    assert dogs[glb("d0g00000000000000000000000000001", "000-000")]["licence"] == "CC BY"
    assert dogs[glb("d0g00000000000000000000000000002", "000-000")]["licence"] == "CC0"
    assert dogs[glb("d0g00000000000000000000000000003", "000-001")]["licence"] == "CC BY-SA"
    assert dogs[glb("d0g00000000000000000000000000003", "000-001")]["label"] == "puppy"
    assert cats[glb("ca700000000000000000000000000001", "000-001")]["licence"] == "CC BY-NC"
    assert cats[glb("ca700000000000000000000000000000", "000-001")]["licence"] is None
    r = index["report"]
    assert r["unmapped"] == {"apple": 2}
    assert r["ambiguous"]["count"] == 1 and "amb000" in r["ambiguous"]["examples"][0]["file"]
    missing = {e["file"] for e in r["missing"]["examples"]}
    # without object-paths the uid whose path entry has no file is simply not under glbs/
    assert r["missing"]["count"] == 2 and any("n0uid" in f for f in missing) and any("n0f11e" in f for f in missing)
    assert r["meshes"] == 6 and r["per_category"] == {"cat": 3, "dog": 3}
    assert r["rows"] == sum(len(v[0]) for v in objects.values()) + 1
    # sizes: none in Objaverse's metadata -> the table's, with glTF's +y up
    assert index["category_sizes"] == {"cat": {"up": "y", "height_m": 0.3}, "dog": {"up": "y", "height_m": 0.6}}


def test_objaverse_meshes_load_lazily_in_the_project_frame(tmp_path):
    objaverse(tmp_path)
    out = tmp_path / "ov.index.json"
    write_index(build_index("objaverse", tmp_path / "lvis-annotations.json.gz"), out)
    lib = load_mesh_index(out)
    store = lib._sources["objaverse"].meshes
    assert store._assets == {} and store._meshes == {}             # loading the index loads no mesh
    key = "objaverse:" + glb("d0g00000000000000000000000000001", "000-000")
    mesh = lib.load_mesh(key)
    assert set(store._assets) == set(store._meshes) == {glb("d0g00000000000000000000000000001", "000-000")}
    ext = mesh.extents
    assert abs(ext[2] - 0.6) < 1e-6                                # height_m 0.6 along +z
    assert ext[0] > ext[1] and ext[0] > ext[2]                     # the long glTF z axis is now x
    assert front_y(mesh.vertices) < 0.1                            # the nose (glTF front, +z) faces +x
    assert np.allclose(mesh.bounds.mean(axis=0), 0.0, atol=1e-9)  # bounding-box centre at the origin
    asset = lib.resolve_mesh(lib.meshes["dog"][0])
    assert np.allclose(asset.size_m, ext) and len(asset.silhouette["area_m2"]) == 24
    assert lib.meshes["dog"][0].radius_m == pytest.approx(asset.radius_m)
    assert lib.mesh_info(key) == {"collection": "objaverse", "file": glb("d0g00000000000000000000000000001",
                                                                         "000-000"), "licence": "CC BY", "label": "dog"}
    clone = pickle.loads(pickle.dumps(lib))                        # to workers: without the prepared meshes
    assert clone._sources["objaverse"].meshes._assets == {}
    assert np.allclose(clone.load_mesh(key).extents, ext)


def test_memory_and_feasibility_look_at_a_bounded_number_of_meshes(tmp_path, monkeypatch):
    from simulator.assets import mesh_library

    objaverse(tmp_path)
    out = tmp_path / "ov.index.json"
    write_index(build_index("objaverse", tmp_path / "lvis-annotations.json.gz"), out)
    lib = load_mesh_index(out)
    store = lib._sources["objaverse"].meshes
    monkeypatch.setattr(mesh_library, "MESH_CACHE", 1)
    store.probe = 2
    dogs = lib.meshes["dog"]
    first = lib.load_mesh(dogs[0].key).extents.copy()
    lib.load_mesh(dogs[1].key)
    assert len(store._meshes) == 1 and len(store._assets) == 2     # triangles of the last one only
    assert np.allclose(lib.load_mesh(dogs[0].key).extents, first)  # read again when needed
    # feasibility's question about a mesh past the probe does not load it...
    assert max(lib.silhouette(dogs[2])["area_m2"]) == 0.0 and dogs[2].rel not in store._assets
    # ...one the sampler has used counts with its real table
    lib.resolve_mesh(dogs[2])
    assert max(lib.silhouette(dogs[2])["area_m2"]) > 0.0


def test_a_broken_mesh_is_skipped_and_reported_when_first_used(tmp_path):
    objaverse(tmp_path)
    out = tmp_path / "ov.index.json"
    write_index(build_index("objaverse", tmp_path / "lvis-annotations.json.gz"), out)
    lib = load_mesh_index(out)
    broken = next(m for m in lib.meshes["cat"] if "ca700000000000000000000000000000" in m.key)
    with pytest.warns(UserLibraryWarning, match="ca700000000000000000000000000000.glb.*unreadable"):
        with pytest.raises(BrokenMesh, match="ca700000000000000000000000000000"):
            lib.resolve_mesh(broken)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                             # reported once, then only refused
        with pytest.raises(BrokenMesh):
            lib.load_mesh(broken.key)
        assert max(lib.silhouette(broken)["area_m2"]) == 0.0       # never reaches a size bin
        assert broken.radius_m == 0.0


def test_the_sampler_draws_another_mesh_of_the_category_when_one_is_broken(tmp_path):
    from simulator.sampler import PlacementError, Sampler

    objaverse(tmp_path)
    out = tmp_path / "ov.index.json"
    write_index(build_index("objaverse", tmp_path / "lvis-annotations.json.gz"), out)
    lib = load_mesh_index(out)
    sampler = Sampler.__new__(Sampler)
    sampler.library = lib
    cats = lib.meshes["cat"]
    drawn = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(12):
            m = sampler._imported_mesh("cat", lambda m, yaw: True, np.random.default_rng(seed))
            assert m.silhouette is not None and np.all(np.isfinite(m.size_m))
            drawn.add(m.key)
    assert drawn == {m.key for m in cats if "ca700000000000000000000000000000" not in m.key}
    # a mesh that fits is preferred over those that do not
    only = cats[2].key
    for seed in range(5):
        m = sampler._imported_mesh("cat", lambda m, yaw: m.key == only, np.random.default_rng(seed))
        assert m.key == only
    lib.meshes["cat"] = [cats[0]]                                  # nothing usable left
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(PlacementError, match="every mesh of category 'cat' is broken"):
            sampler._imported_mesh("cat", lambda m, yaw: True, np.random.default_rng(0))


# -- ShapeNet ----------------------------------------------------------------------------------------

def test_shapenet_index_synsets_taxonomy_names_and_v1_layout(tmp_path):
    shapenet(tmp_path)
    index = build_index("shapenet", tmp_path / "taxonomy.json")
    cars = files_of(index, "car")
    assert set(cars) == {"02958343/1a0bc9ab92c915167ae33d942430658c/models/model_normalized.obj",
                         "02958343/2b0bc9ab92c915167ae33d942430658c/models/model_normalized.obj",
                         "02958343/3c0bc9ab92c915167ae33d942430658c/model.obj"}
    assert set(files_of(index, "guitar")) == {"03467517/5e0bc9ab92c915167ae33d942430658c/models/model_normalized.obj"}
    assert all(e["licence"] == SHAPENET_LICENCE for e in cars.values())
    assert {e["label"] for e in cars.values()} == {"car,auto,automobile,machine,motorcar"}
    r = index["report"]
    assert r["unmapped"] == {"chair (03001627)": 1, "99999999 (not in taxonomy.json)": 1}
    assert r["missing"]["count"] == 1 and "7a0bc9ab" in r["missing"]["examples"][0]["file"]
    # no real-world size in ShapeNetCore: the table's, with ShapeNet's +y up and -z front
    assert index["category_sizes"]["car"] == {"up": "y", "yaw_deg": 180.0, "size_m": 4.5}


def test_shapenet_front_faces_x_and_sizes_file_overrides_the_table(tmp_path):
    shapenet(tmp_path / "sn")
    sizes = tmp_path / "my_sizes.yaml"
    sizes.write_text("car: {length_m: 4.0}\n")
    table = load_size_table(sizes)
    assert table[0]["car"] == {"length_m": 4.0} and table[0]["dog"] == {"height_m": 0.6}   # others kept
    out = tmp_path / "sn.index.json"
    write_index(build_index("shapenet", tmp_path / "sn" / "taxonomy.json", sizes=table), out)
    lib = load_mesh_index(out)
    car = lib.load_mesh("shapenet:02958343/1a0bc9ab92c915167ae33d942430658c/models/model_normalized.obj")
    assert abs(car.extents[0] - 4.0) < 1e-6                        # length along x, metres
    assert car.extents[2] < car.extents[1] < car.extents[0]        # height (y up) is now z
    assert front_y(car.vertices) < 0.15                            # the nose at -z now faces +x


# -- plain folder with a sizes file ------------------------------------------------------------------

def test_folder_index_sizes_per_file_and_label_then_table(tmp_path):
    folder(tmp_path)
    index = build_index("folder", tmp_path / "sizes.yaml")
    dogs = files_of(index, "dog")
    assert set(dogs) == {"dog/a.obj", "dog/big.obj", "dog/more/c.ply"}
    assert dogs["dog/a.obj"]["size"] == {"height_m": 0.5}
    assert dogs["dog/big.obj"]["size"] == {"height_m": 0.9, "up": "y"}     # the file's entry wins
    assert set(files_of(index, "cat")) == {"cat/x.stl"} and "size" not in files_of(index, "cat")["cat/x.stl"]
    assert index["category_sizes"] == {"cat": {"height_m": 0.3}}
    r = index["report"]
    assert r["unmapped"] == {"chair": 1}
    assert r["unlabelled"]["count"] == 1 and r["unlabelled"]["examples"][0]["file"] == "loose.obj"
    out = tmp_path / "f.index.json"
    write_index(index, out)
    lib = load_mesh_index(out)
    assert abs(lib.load_mesh("folder:dog/big.obj").extents[2] - 0.9) < 1e-6
    assert abs(lib.load_mesh("folder:cat/x.stl").extents[2] - 0.3) < 1e-6


def test_a_custom_map_sends_many_labels_to_one_category(tmp_path):
    from simulator.assets.importers.category_map import CategoryMap

    folder(tmp_path)
    cmap = CategoryMap.from_dict({"dog": ["dog", "cat", "chair"]})
    index = build_index("folder", tmp_path / "sizes.yaml", category_map=cmap)
    assert index["report"]["per_category"] == {"dog": 5} and index["report"]["unmapped"] == {}
    assert {e["label"] for e in index["categories"]["dog"]} == {"dog", "cat", "chair"}


# -- triangle limit ----------------------------------------------------------------------------------

def _dense_index(tmp_path: Path, over_limit: str) -> tuple[Path, int]:
    faces = dense_sphere(tmp_path / "col" / "dog" / "ball.obj")
    (tmp_path / "col" / "sizes.yaml").write_text("dog: {size_m: 0.5}\n")
    out = tmp_path / f"{over_limit}.index.json"
    write_index(build_index("folder", tmp_path / "col" / "sizes.yaml", max_faces=1000, over_limit=over_limit), out)
    return out, faces


def test_an_over_limit_mesh_is_decimated_on_first_use(tmp_path):
    pytest.importorskip("fast_simplification")
    out, faces = _dense_index(tmp_path, "decimate")
    lib = load_mesh_index(out)
    with pytest.warns(UserLibraryWarning, match=rf"ball.obj.*decimated from {faces} to \d+ triangles"):
        mesh = lib.load_mesh("folder:dog/ball.obj")
    assert 0 < len(mesh.faces) <= 1000 < faces
    assert abs(mesh.extents.max() - 0.5) < 0.02                   # still sized to 0.5 m
    assert (tmp_path / "col" / "dog" / "ball.obj").read_text().count("\nf ") + 1 >= faces   # file untouched


def test_an_over_limit_mesh_is_refused_with_the_reason(tmp_path, monkeypatch):
    out, faces = _dense_index(tmp_path, "refuse")
    lib = load_mesh_index(out)
    with pytest.warns(UserLibraryWarning, match="ball.obj"):
        with pytest.raises(BrokenMesh, match=rf"ball.obj.*{faces} triangles, more than the 1000.*refuse"):
            lib.load_mesh("folder:dog/ball.obj")
    # decimation asked for, but its package missing: refused, saying how to get it
    monkeypatch.setattr(mesh_decimation, "decimation_available", lambda: False)
    out, _ = _dense_index(tmp_path, "decimate")
    lib = load_mesh_index(out)
    with pytest.warns(UserLibraryWarning):
        with pytest.raises(BrokenMesh, match="fast-simplification"):
            lib.load_mesh("folder:dog/ball.obj")


# -- the command and bad input -----------------------------------------------------------------------

def test_the_command_writes_the_index_and_never_overwrites(tmp_path, capsys):
    objaverse(tmp_path / "ov")
    out = tmp_path / "ov.index.json"
    args = ["--format", "objaverse", "--metadata", str(tmp_path / "ov" / "lvis-annotations.json.gz"),
            "--out", str(out)]
    assert import_meshes(args) == 0
    printed = capsys.readouterr().out
    assert "6 meshes in 2 categories" in printed and "apple" in printed and "ambiguous: 1" in printed
    before = out.read_bytes()
    assert import_meshes(args) == 2 and "exists" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert import_meshes([*args, "--overwrite", "--over-limit", "refuse"]) == 0
    assert json.loads(out.read_text())["over_limit"] == "refuse"


@pytest.mark.parametrize("case", ["sizes", "metadata", "map", "taxonomy"])
def test_bad_input_exits_2_naming_the_file_and_writes_nothing(tmp_path, capsys, case):
    objaverse(tmp_path / "ov")
    shapenet(tmp_path / "sn")
    out = tmp_path / "x.index.json"
    bad = tmp_path / "bad.yaml"
    meta = tmp_path / "ov" / "lvis-annotations.json.gz"
    extra: list[str] = []
    fmt = "objaverse"
    if case == "sizes":
        bad.write_text("dog: {height_m: 0.6}\ncat: {height_m: -1}\n")
        extra, needle = ["--sizes", str(bad)], "bad.yaml, line 2: key 'cat'"
    elif case == "metadata":
        meta = tmp_path / "lvis.json"
        meta.write_text(json.dumps({"dog": "not-a-list"}))
        needle = "lvis.json: key 'dog'"
    elif case == "map":
        bad.write_text("dog: [dog]\ncat: [dog]\n")
        extra, needle = ["--map", str(bad)], "bad.yaml: label 'dog'"
    else:
        fmt, meta = "shapenet", tmp_path / "sn" / "taxonomy.json"
        meta.write_text(json.dumps([{"synsetId": "02958343", "name": "car"}, {"name": "no id"}]))
        needle = "taxonomy.json: entry [1]"
    assert import_meshes(["--format", fmt, "--metadata", str(meta), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err
    assert not out.exists()


def test_bad_indexes_name_the_file_and_entry(tmp_path):
    folder(tmp_path / "f")
    good = tmp_path / "f.index.json"
    write_index(build_index("folder", tmp_path / "f" / "sizes.yaml"), good)
    data = json.loads(good.read_text())
    cases = {
        "format": ({**data, "format": "something-else"}, "not an index"),
        "sound": ({**data, "format": "avsim-sound-index/1"}, "a sound index"),
        "root": ({**data, "root": str(tmp_path / "gone")}, "key root"),
        "escape": ({**data, "categories": {"dog": [{"file": "../x.obj", "size": {"height_m": 1}}]}},
                   r"categories.dog\[0\]"),
        "size": ({**data, "categories": {"dog": [{"file": "dog/a.obj", "size": {"height_m": 0}}]}},
                 r"categories.dog\[0\].size"),
        "unsized": ({**data, "category_sizes": {}, "categories": {"cat": [{"file": "cat/x.stl"}]}},
                    r"categories.cat\[0\]: no size"),
        "limit": ({**data, "over_limit": "ignore"}, "over_limit"),
        "empty": ({**data, "categories": {}}, "no mesh"),
    }
    for name, (content, needle) in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(json.dumps(content))
        with pytest.raises(MeshIndexError, match=rf"{name}.json: .*{needle}"):
            load_mesh_index(bad)
    with pytest.raises(MeshIndexError, match="not a readable index"):
        (tmp_path / "gz.json").write_bytes(gzip.compress(b"{}"))
        load_mesh_index(tmp_path / "gz.json")


def test_open_library_takes_a_mesh_index_beside_default_sounds(tmp_path):
    folder(tmp_path / "f")
    index = tmp_path / "f.index.json"
    write_index(build_index("folder", tmp_path / "f" / "sizes.yaml"), index)
    lib = open_library("default", str(index))
    assert sorted(lib.categories) == ["cat", "dog"]                  # default clips, imported meshes
    assert lib.sounds["dog"][0].startswith("default:") and lib.meshes["dog"][0].key.startswith("folder:")
    assert lib.report.counts()["meshes"] == {"found": 4, "used": 4, "skipped": 0}


def test_the_bundled_map_and_size_table_cover_the_default_categories():
    from simulator.assets.importers.category_map import CategoryMap, norm_label
    from simulator.assets.importers.mesh_index import BUNDLED_MESH_MAP
    from simulator.assets.library import AssetLibrary

    categories = set(AssetLibrary.default().categories)
    assert len(categories) == 20
    cmap = CategoryMap.load(BUNDLED_MESH_MAP)
    assert set(cmap.to_category.values()) == categories
    assert all(cmap.to_category[norm_label(c)] == c for c in categories)     # a folder named after it
    assert cmap.to_category["02958343"] == "car"                             # ShapeNet ids keep their zero
    table, _ = load_size_table()
    assert set(table) == categories

