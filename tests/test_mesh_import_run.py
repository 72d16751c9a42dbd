"""Generation from an imported mesh collection (``library.meshes: INDEX.json``): records name each
mesh's collection, file, licence and label; a broken mesh is skipped when first used, with a
warning naming it; an index that cannot be used stops the run with exit status 2."""
from __future__ import annotations

import json

from simulator.assets.importers.mesh_index import build_index
from simulator.assets.importers.index_format import write_index
from test_mesh_import import objaverse


def test_generation_from_a_mesh_index_names_each_meshs_source(tmp_path):
    from conftest import CONGRUENT, read_records, simulate

    objects = objaverse(tmp_path / "ov")
    index = tmp_path / "ov.index.json"
    write_index(build_index("objaverse", tmp_path / "ov" / "lvis-annotations.json.gz"), index)
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=8", "--set", f"library.meshes={index}",
                    "--set", "objects.categories=[dog, cat]", "--set", "output.dir=out", "--quiet",
                    # free placement: the fake meshes' sizes cannot fill every bin resting on the floor
                    "--set", "objects.support=free", cwd=tmp_path)
    assert "wrote 8 samples" in proc.stdout
    licences = {"by": "CC BY", "cc0": "CC0", "by-nc": "CC BY-NC"}
    seen: set[str] = set()
    for record in read_records(tmp_path / "out"):
        for obj in record["objects"]:
            ms = obj["mesh_source"]
            uid = ms["file"].rsplit("/", 1)[-1][:-4]
            labels, group, licence, _ = objects[uid]
            assert ms["collection"] == "objaverse" and obj["mesh"] == f"objaverse:{ms['file']}"
            assert ms["file"] == f"glbs/{group}/{uid}.glb" and ms["label"] in labels
            assert ms["licence"] == (licences.get(licence) if isinstance(licence, str) else "CC BY-SA")
            assert obj["category"] == ("dog" if ms["label"] in ("dog", "puppy") else "cat")
            seen.add(uid)
    assert "ca700000000000000000000000000000" not in seen            # the file that is no GLB
    assert {"amb00000000000000000000000000000", "app1e000000000000000000000000000"}.isdisjoint(seen)
    assert len(seen) >= 3
    # the broken mesh is listed first among the cats: it is met (and reported) on first use
    assert "skipped mesh objaverse:glbs/000-001/ca700000000000000000000000000000.glb" in proc.stderr
    dataset = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert index.name in json.dumps(dataset)


def test_a_run_with_a_bad_mesh_index_exits_2_naming_it_and_writes_nothing(tmp_path):
    from conftest import CONGRUENT, simulate

    for name, text in [("broken.index.json", "{not json"),
                       ("sounds.index.json", json.dumps({"format": "avsim-sound-index/1"}))]:
        bad = tmp_path / name
        bad.write_text(text)
        proc = simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set", f"library.meshes={bad}",
                        "--set", "output.dir=out", "--quiet", cwd=tmp_path, check=False)
        assert proc.returncode == 2, proc.stderr
        assert name in proc.stderr and "library.meshes" in proc.stderr
        assert not (tmp_path / "out").exists()
    proc = simulate("--spec", str(CONGRUENT), "--set", "samples=2", "--set",
                    f"library.meshes={tmp_path / 'absent.index.json'}", "--set", "output.dir=out", "--quiet",
                    cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "absent.index.json" in proc.stderr and not (tmp_path / "out").exists()
