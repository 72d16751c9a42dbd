"""Checks of the embedded default asset library (simulator/assets/default/).

The library is built by tools/assets/build_default_library.py; these tests read
only the built files, so they need neither the builder's dependencies nor the
Debian source packages.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import trimesh

ROOT = Path(__file__).resolve().parent.parent / "simulator" / "assets" / "default"
LIBRARY = json.loads((ROOT / "library.json").read_text(encoding="utf-8"))
LICENSES = json.loads((ROOT / "licenses.json").read_text(encoding="utf-8"))
CATEGORIES = LIBRARY["categories"]

SAMPLE_RATE = 32000
# seeds/000's twelve categories and the common others the library promises
SEED_CATEGORIES = {"person", "motorbike", "train", "boat", "elephant", "bird", "cat", "dog", "horse",
                   "sheep", "cow", "keyboard"}
OTHER_CATEGORIES = {"car", "car_horn", "siren", "telephone", "alarm_clock", "piano", "guitar", "drums"}
MIN_CLIPS, MIN_MESHES, MAX_FACES, MAX_TOTAL_MB = 12, 3, 2200, 40.0
PERMISSIVE = {"public-domain", "CC0-1.0", "MIT", "Apache-2.0",
              "CC-BY-3.0", "CC-BY-3.0-US", "CC-BY-4.0"}
SOUNDS = [(cat, rel) for cat, spec in CATEGORIES.items() for rel in spec["sounds"]]
MESHES = [(cat, m) for cat, spec in CATEGORIES.items() for m in spec["meshes"]]


def _read(rel):
    data, sr = sf.read(str(ROOT / rel), dtype="float64", always_2d=True)
    return data, sr


def test_library_shape():
    assert LIBRARY["format"] == 1
    assert LIBRARY["sample_rate"] == SAMPLE_RATE
    assert SEED_CATEGORIES | OTHER_CATEGORIES <= set(CATEGORIES)
    for cat, spec in CATEGORIES.items():
        assert set(spec) == {"sounds", "meshes"}, cat
        for rel in spec["sounds"]:
            assert rel.startswith(f"sounds/{cat}/") and rel.endswith(".flac"), rel
        for m in spec["meshes"]:
            assert set(m) == {"file", "size_m", "silhouette"}, m
            assert m["file"].startswith(f"meshes/{cat}/") and m["file"].endswith(".glb"), m
            assert len(m["size_m"]) == 3 and all(v > 0 for v in m["size_m"]), m
            sil = m["silhouette"]
            assert len(sil["area_m2"]) == len(sil["front_m"]) == 24, m["file"]
            assert all(a > 0 for a in sil["area_m2"]), m["file"]


@pytest.mark.parametrize("cat", sorted(CATEGORIES))
def test_category_has_enough_assets(cat):
    assert len(CATEGORIES[cat]["sounds"]) >= MIN_CLIPS
    assert len(CATEGORIES[cat]["meshes"]) >= MIN_MESHES


def test_no_file_is_a_copy_of_another():
    import hashlib

    digests = {}
    for p in sorted(ROOT.rglob("*")):
        if p.is_file() and p.suffix in (".flac", ".glb"):
            digests.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), []).append(p.name)
    copies = [names for names in digests.values() if len(names) > 1]
    assert not copies, copies


@pytest.mark.parametrize("cat", sorted(CATEGORIES))
def test_category_has_enough_distinct_models(cat):
    """At least MIN_MESHES different models, not one model re-coloured or re-scaled: two
    meshes count as one model when their face counts match and their proportions (extents
    over the largest extent) agree within 2 %."""
    models = []
    for m in CATEGORIES[cat]["meshes"]:
        mesh = trimesh.load(str(ROOT / m["file"]), force="mesh")
        ext = np.asarray(mesh.extents)
        shape = (len(mesh.faces), ext / ext.max())
        if not any(f == shape[0] and np.max(np.abs(p - shape[1])) <= 0.02 for f, p in models):
            models.append(shape)
    assert len(models) >= MIN_MESHES, f"{len(models)} distinct models"


@pytest.mark.parametrize("cat", sorted(CATEGORIES))
def test_every_file_of_category_has_its_licence_entry(cat):
    by_path = {e["path"]: e for e in LICENSES}
    files = list(CATEGORIES[cat]["sounds"]) + [m["file"] for m in CATEGORIES[cat]["meshes"]]
    missing = [f for f in files if f not in by_path]
    assert not missing, missing


def test_library_stays_small():
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    assert total <= MAX_TOTAL_MB * 1e6, f"{total / 1e6:.1f} MB"


def test_library_loads_with_every_category_usable():
    from simulator.assets.library import AssetLibrary

    lib = AssetLibrary(ROOT, "default")
    assert sorted(lib.categories) == sorted(CATEGORIES)


def test_every_listed_file_exists():
    listed = [rel for _, rel in SOUNDS] + [m["file"] for _, m in MESHES]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    missing = [rel for rel in listed if not (ROOT / rel).is_file()]
    assert not missing, missing


def test_licence_manifest_covers_folder_exactly():
    # walk the package data exactly as installed (setup.cfg's package_data globs)
    on_disk = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()}
    on_disk -= {"library.json", "licenses.json"}
    assert all(p.count("/") in (0, 2) for p in on_disk), "files outside sounds/<cat>/ or meshes/<cat>/"
    paths = [e["path"] for e in LICENSES]
    assert len(paths) == len(set(paths)), "duplicate manifest entries"
    assert not on_disk - set(paths), f"files without licence entry: {sorted(on_disk - set(paths))}"
    assert not set(paths) - on_disk, f"entries without file: {sorted(set(paths) - on_disk)}"


@pytest.mark.parametrize("entry", LICENSES, ids=lambda e: e["path"])
def test_licence_entry_is_permissive_and_credited(entry):
    assert {"path", "source", "license", "attribution", "notes"} <= set(entry)
    assert entry["license"] in PERMISSIVE, entry
    assert entry["source"].strip()
    if entry["license"].startswith("CC-BY"):
        assert entry["attribution"].strip(), "CC BY requires an attribution"


def test_licenses_md_mentions_every_file():
    text = (ROOT / "LICENSES.md").read_text(encoding="utf-8")
    for e in LICENSES:
        assert f"`{e['path']}`" in text, e["path"]


@pytest.mark.parametrize("cat,rel", SOUNDS, ids=[r for _, r in SOUNDS])
def test_clip_format_and_level(cat, rel):
    info = sf.info(str(ROOT / rel))
    assert info.format == "FLAC" and info.subtype == "PCM_16"
    data, sr = _read(rel)
    assert sr == SAMPLE_RATE
    assert data.shape[1] == 1, "clips must be mono"
    x = data[:, 0]
    assert 3.0 <= len(x) / sr <= 5.0
    peak = np.max(np.abs(x))
    assert peak <= 1.0
    assert peak <= 10 ** (-1.0 / 20.0) + 1e-4, "peak above -1 dBFS"
    rms_db = 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)
    assert rms_db > -40.0
    # trimmed: sound within the first 50 ms
    head = x[: int(0.05 * sr)]
    assert np.max(np.abs(head)) > 0.01 * peak, "leading silence not trimmed"


@pytest.mark.parametrize("cat", sorted(CATEGORIES))
def test_clips_in_category_are_distinct(cat):
    clips = [_read(rel)[0][:, 0] for rel in CATEGORIES[cat]["sounds"]]
    for (i, a), (j, b) in itertools.combinations(enumerate(clips), 2):
        n = min(len(a), len(b))
        assert len(a) != len(b) or not np.array_equal(a, b), (i, j)
        assert np.max(np.abs(a[:n] - b[:n])) > 1e-3, f"clips {i} and {j} are near copies"


@pytest.mark.parametrize("cat,mesh", MESHES, ids=[m["file"] for _, m in MESHES])
def test_mesh_geometry(cat, mesh):
    m = trimesh.load(str(ROOT / mesh["file"]), force="mesh")
    assert isinstance(m, trimesh.Trimesh)
    assert len(m.faces) > 0
    np.testing.assert_allclose(m.extents, mesh["size_m"], rtol=0.01)
    centre = m.bounds.mean(axis=0)
    assert np.all(np.abs(centre) <= 0.001), centre
    assert len(m.faces) <= MAX_FACES, f"{len(m.faces)} faces"
    assert m.visual.kind in ("vertex", "face", "texture"), "mesh has no colour"
    if m.visual.kind == "vertex":
        colors = np.asarray(m.visual.vertex_colors)[:, :3].astype(int)
        assert colors.std() > 0 or colors.mean() not in (0, 255), "uncoloured mesh"


@pytest.mark.parametrize("cat,mesh", MESHES, ids=[m["file"] for _, m in MESHES])
def test_mesh_winding_is_already_fixed(cat, mesh):
    """The renderer's segmentation pass culls back faces, so the builder orients faces with
    trimesh.repair.fix_normals (consistent winding, closed parts outwards): running it again on
    the stored mesh (vertices merged by position) must flip nothing."""
    m = trimesh.load(str(ROOT / mesh["file"]), force="mesh")
    merged = trimesh.Trimesh(m.vertices, m.faces, process=False)
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    before = merged.face_normals.copy()
    trimesh.repair.fix_normals(merged, multibody=True)
    flipped = int((np.einsum("ij,ij->i", before, merged.face_normals) < 0).sum())
    assert flipped == 0, f"{flipped} of {len(m.faces)} faces would be flipped"
