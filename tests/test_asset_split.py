"""Held-out assets (``library.split``, simulator/assets/split.py): every clip, mesh and photo is dealt
to train, val or test by a stable hash, per category; a dataset of one share draws only its assets,
its records and dataset.json name the split, and ``simulate audit A --against B`` finds the assets
two datasets share."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONGRUENT, REPO, read_records, simulate
from test_photos import coco, write_photo_spec  # noqa: F401  (the COCO fixture of tests/test_photos.py)
from simulator.assets.library import AssetLibrary, default_library_root
from simulator.assets.split import (SplitError, TooFewAssets, deal, share_counts, split_library, split_photo_files,
                                    split_summary)
from simulator.core.plain import to_plain
from simulator.core.scene import ASSET_SPLITS, AssetSplit, LibraryRef, Scene, SplitFractions
from simulator.spec.errors import SpecError
from simulator.spec.loader import load_spec

SMALL = ("--set", "image.width=64", "--set", "image.height=48", "--set", "audio.duration=0.4",
         "--set", "room.type=free_field", "--set", "background.kind=color", "--set", "listener.head=spaced", "--quiet")
CATEGORIES = ("bird", "cat", "dog")


def split(use: str = "test", **kw) -> AssetSplit:
    return AssetSplit(use=use, **kw)


def clip_keys(lib: AssetLibrary) -> set[str]:
    return {k for keys in lib.sounds.values() for k in keys}


def mesh_keys(lib: AssetLibrary) -> set[str]:
    return {m.key for assets in lib.meshes.values() for m in assets}


# -- the deal -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n, fractions, counts", [
    (10, (0.8, 0.1, 0.1), (8, 1, 1)),
    (100, (0.7, 0.2, 0.1), (70, 20, 10)),
    (5, (0.8, 0.1, 0.1), (3, 1, 1)),      # largest remainder gives 4/1/0; test is raised to one, from train
    (3, (0.8, 0.1, 0.1), (1, 1, 1)),
    (7, (0.5, 0.5, 0.0), (4, 3, 0)),      # a tie goes to the earlier share; a zero share stays empty
    (9, (1 / 3, 1 / 3, 1 / 3), (3, 3, 3)),
    (1, (1.0, 0.0, 0.0), (1, 0, 0)),
])
def test_share_counts_follow_the_fractions(n, fractions, counts):
    got = share_counts(n, dict(zip(ASSET_SPLITS, fractions)))
    assert tuple(got[name] for name in ASSET_SPLITS) == counts and sum(got.values()) == n


def test_too_few_assets_for_the_shares():
    with pytest.raises(TooFewAssets):
        share_counts(2, {"train": 0.8, "val": 0.1, "test": 0.1})


def test_the_deal_ignores_order_and_follows_the_salt():
    keys = [f"default:sounds/dog/dog_{i:02d}.flac" for i in range(40)]
    shuffled = list(keys)
    random.Random(3).shuffle(shuffled)
    dealt = deal(keys, split())
    assert dealt == deal(shuffled, split()) == deal(reversed(keys), split())
    assert [sum(v == name for v in dealt.values()) for name in ASSET_SPLITS] == [32, 4, 4]
    assert deal(keys, split(salt="other")) != dealt  # another salt deals anew (same counts)


def test_the_deal_is_the_same_in_another_process():
    lib = AssetLibrary.default()
    here = {c: deal(keys, split()) for c, keys in lib.sounds.items()}
    code = ("import json; from simulator.assets.library import AssetLibrary; from simulator.assets.split import deal; "
            "from simulator.core.scene import AssetSplit; lib = AssetLibrary.default(); "
            "print(json.dumps({c: deal(list(reversed(k)), AssetSplit(use='test')) for c, k in lib.sounds.items()}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout) == here


def test_shares_of_the_default_clips_are_disjoint_and_cover_every_category():
    lib = AssetLibrary.default()
    views = {use: split_library(lib, split(use, meshes=False), lib.categories) for use in ASSET_SPLITS}
    clips = {use: clip_keys(v) for use, v in views.items()}
    assert not clips["train"] & clips["val"] and not clips["train"] & clips["test"] and not clips["val"] & clips["test"]
    assert clips["train"] | clips["val"] | clips["test"] == clip_keys(lib)
    for use, view in views.items():
        assert view.split.use == use and view.categories == lib.categories
        assert all(len(view.sounds[c]) == (10 if use == "train" else 1) for c in lib.categories)  # 12 clips: 10/1/1
        assert mesh_keys(view) == mesh_keys(lib)  # meshes not split: shared by every share
    assert split_library(views["test"], split("test", meshes=False), lib.categories) is views["test"]


def test_shares_of_a_shuffled_library_are_the_same():
    index = json.loads((default_library_root() / "library.json").read_text())
    from simulator.assets.library import SourceLibrary

    for entry in index["categories"].values():
        random.Random(1).shuffle(entry["sounds"])
    shuffled = AssetLibrary.from_index(index, [SourceLibrary("default", default_library_root())])
    lib = AssetLibrary.default()
    for use in ASSET_SPLITS:
        s = split(use, meshes=False)
        assert clip_keys(split_library(shuffled, s, lib.categories)) == clip_keys(split_library(lib, s, lib.categories))


def few_meshes_library() -> AssetLibrary:
    """The default library with cow's meshes cut to 1 and dog's to 2 (every default category has
    at least 3, one per share)."""
    from simulator.assets.library import SourceLibrary

    index = json.loads((default_library_root() / "library.json").read_text())
    for category, keep in (("cow", 1), ("dog", 2)):
        index["categories"][category]["meshes"] = index["categories"][category]["meshes"][:keep]
    return AssetLibrary.from_index(index, [SourceLibrary("default", default_library_root())])


def test_every_default_category_splits_its_meshes_three_ways():
    lib = AssetLibrary.default()
    views = {use: split_library(lib, split(use), lib.categories) for use in ASSET_SPLITS}
    for c in lib.categories:
        shares = [{m.key for m in views[use].meshes[c]} for use in ASSET_SPLITS]
        assert all(shares) and set().union(*shares) == {m.key for m in lib.meshes[c]}
        assert sum(len(x) for x in shares) == len(lib.meshes[c])


def test_a_category_with_too_few_meshes_is_named():
    lib = few_meshes_library()
    with pytest.raises(SplitError) as exc:
        split_library(lib, split(), ["cow", "dog"])
    (path, message), = exc.value.problems
    assert path == ("library", "split", "meshes")
    assert "cow 1" in message and "dog 2" in message and "library.split.meshes: false" in message
    # a category outside objects.categories that cannot be split is left out, not an error
    view = split_library(lib, split(fractions=SplitFractions(0.5, 0.0, 0.5)), ["dog", "cat"])
    assert "cow" not in view.categories and {"dog", "cat"} <= set(view.categories)


def test_records_without_a_split_keep_their_bytes():
    assert to_plain(LibraryRef()) == {"sounds": "default", "meshes": "default"}
    ref = LibraryRef(split=split("val", salt="s"))
    plain = to_plain(ref)
    assert plain["split"]["use"] == "val" and plain["split"]["fractions"] == {"train": 0.8, "val": 0.1, "test": 0.1}
    from simulator.core.plain import from_plain

    assert from_plain(LibraryRef, plain) == ref and from_plain(LibraryRef, {"sounds": "default"}).split is None


def test_photos_are_dealt_as_one_pool():
    files = [f"img/{i:04d}.jpg" for i in range(50)]
    shares = {use: split_photo_files(files, split(use)) for use in ASSET_SPLITS}
    assert [len(shares[u]) for u in ASSET_SPLITS] == [40, 5, 5]
    assert set().union(*shares.values()) == set(files) and sum(map(len, shares.values())) == len(files)
    assert split_photo_files(files, split(photos=False)) == set(files)
    with pytest.raises(SplitError, match="library.split.photos"):
        split_photo_files(files[:2], split())


def test_photo_index_subset_keeps_the_shares_photos():
    from simulator.photos.index import PhotoImage, PhotoIndex

    images = [PhotoImage(i, f"{i}.png", 10, 10, None, ()) for i in range(1, 21)]
    index = PhotoIndex(images, {}, Path("."), None, {}, {"images": 20})
    subsets = [index.subset(split_photo_files((im.file for im in images), split(use))) for use in ASSET_SPLITS]
    assert [len(s) for s in subsets] == [16, 2, 2]
    assert sorted(im.image_id for s in subsets for im in s.images) == list(range(1, 21))
    assert subsets[2].stats["images"] == 2 and subsets[2].stats["images_in_other_splits"] == 18


def test_a_photo_spec_draws_only_its_shares_photos(coco, tmp_path):
    from simulator.photos.index import PhotoIndex
    from simulator.pipeline import SampleMaker

    spec_path = tmp_path / "photos.yaml"
    write_photo_spec(spec_path, coco)
    every = {im.file for im in PhotoIndex.load(coco["annotations"], coco["images"], coco["depth"], cache=None).images}
    spec = load_spec(spec_path, ["library.split.use=train"])[0]
    maker = SampleMaker(spec)
    drawn = {im.file for im in maker.sampler.sampler.index.images}
    assert drawn == split_photo_files(every, split("train")) and len(drawn) == 6  # 8 photos: 6/1/1
    assert mesh_keys(spec.library) == mesh_keys(AssetLibrary.default())  # photo datasets draw no mesh: not split
    with pytest.raises(SpecError, match=r"no photo serves .*\(1 usable photos\)"):  # one test photo serves little
        load_spec(spec_path, ["library.split.use=test"])


def test_record_assets_of_each_kind():
    from simulator.asset_overlap import record_assets

    record = {"sources": [{"clip": "default:sounds/dog/dog_01.flac"}, "junk"],
              "negatives": [{"kind": "offscreen", "source": {"clip": "default:sounds/cat/cat_02.flac"}}],
              "objects": [{"mesh": "default:meshes/dog/dog_01.glb"}, {"mesh": None}],
              "scene": {"image_source": {"type": "photo", "file": "a.png"}}}
    assert record_assets(record) == {"clips": {"default:sounds/dog/dog_01.flac", "default:sounds/cat/cat_02.flac"},
                                     "meshes": {"default:meshes/dog/dog_01.glb"}, "photos": {"a.png"}}


# -- the spec ----------------------------------------------------------------------------------
def test_the_spec_library_is_the_share(tmp_path):
    spec = load_spec(CONGRUENT, ["library.split.use=val", "library.split.meshes=false"])[0]
    assert spec.library.split == split("val", meshes=False)
    assert clip_keys(spec.library) < clip_keys(AssetLibrary.default())
    from simulator.run import library_report, spec_library

    assert spec_library(spec) is spec.library
    assert library_report(spec)["split"]["use"] == "val"
    assert library_report(spec)["split"]["assets"]["sounds"] == 20
    assert split_summary(AssetLibrary.default()) is None


@pytest.fixture(scope="module")
def few_meshes(tmp_path_factory) -> Path:
    """A user mesh folder with one cow and two dogs (copies of default meshes)."""
    meshes = tmp_path_factory.mktemp("few") / "meshes"
    index = json.loads((default_library_root() / "library.json").read_text())
    sizes = []
    for category, n in (("cow", 1), ("dog", 2)):
        (meshes / category).mkdir(parents=True)
        for i, entry in enumerate(index["categories"][category]["meshes"][:n]):
            shutil.copy(default_library_root() / entry["file"], meshes / category / f"{category}_{i}.glb")
            sizes.append(f"{category}/{category}_{i}.glb: {{size_m: {max(entry['size_m'])}}}")
    (meshes / "sizes.yaml").write_text("\n".join(sizes) + "\n")
    return meshes


@pytest.mark.parametrize("sets, key, words", [
    (["library.split.use=test", "library.meshes={few}"], "library.split.meshes",
     ["too few meshes", "cow 1", "library.split.meshes: false"]),
    (["library.split.use=test", "library.meshes={few}", "objects.categories=[cow]"], "library.split.meshes",
     ["category 'cow' has 1 mesh"]),
    (["library.split.use=test", "library.split.fractions.test=0.3"], "library.split.fractions", ["sum to 1"]),
    (["library.split.use=val", "library.split.fractions={train: 0.9, val: 0, test: 0.1}"], "library.split.use",
     ["fraction 0"]),
    (["library.split.use=test", "library.split.sounds=false", "library.split.meshes=false"], "library.split",
     ["splits none"]),
    (["library.split.use=holdout"], "library.split.use", ["holdout"]),
])
def test_bad_splits_are_spec_errors(sets, key, words, few_meshes):
    with pytest.raises(SpecError) as exc:
        load_spec(CONGRUENT, [s.replace("{few}", str(few_meshes)) for s in sets])
    text = str(exc.value)
    assert f"{key}:" in text and all(w in text for w in words), text


def test_bad_split_exits_2_before_anything_is_written(tmp_path, few_meshes):
    proc = simulate("--spec", str(CONGRUENT), "--set", "library.split.use=test", "--set", f"library.meshes={few_meshes}",
                    "--set", "output.dir=out", *SMALL, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "library.split.meshes" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


# -- datasets ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    """A user mesh folder with three meshes of each of three categories (copies of the default
    ones), and datasets drawn from it and the default clips: train, test, and train again with
    another seed."""
    tmp = tmp_path_factory.mktemp("split")
    index = json.loads((default_library_root() / "library.json").read_text())
    meshes = tmp / "meshes"
    sizes = []
    for category in CATEGORIES:
        (meshes / category).mkdir(parents=True)
        entries = index["categories"][category]["meshes"]
        for i in range(3):
            entry = entries[i % len(entries)]
            shutil.copy(default_library_root() / entry["file"], meshes / category / f"{category}_{i}.glb")
            sizes.append(f"{category}/{category}_{i}.glb: {{size_m: {max(entry['size_m'])}}}")
    (meshes / "sizes.yaml").write_text("\n".join(sizes) + "\n")
    common = ("--spec", str(CONGRUENT), "--set", "samples=12", "--set", f"library.meshes={meshes}",
              "--set", f"objects.categories=[{', '.join(CATEGORIES)}]", "--set", "objects.count={int: [1, 3]}", *SMALL)
    for out, use, seed in (("train", "train", 7), ("test", "test", 7), ("train2", "train", 8)):
        simulate(*common, "--set", f"library.split.use={use}", "--set", f"seed={seed}", "--set", f"output.dir={out}",
                 cwd=tmp)
    return tmp


def assets_of(root: Path) -> tuple[set[str], set[str]]:
    clips, meshes = set(), set()
    for rec in read_records(root):
        clips |= {s["clip"] for s in rec["sources"]}
        meshes |= {o["mesh"] for o in rec["objects"]}
    return clips, meshes


@pytest.mark.slow
def test_train_and_test_datasets_share_no_asset(datasets):
    train_clips, train_meshes = assets_of(datasets / "train")
    test_clips, test_meshes = assets_of(datasets / "test")
    assert train_clips and test_clips and train_meshes and test_meshes
    assert not train_clips & test_clips and not train_meshes & test_meshes
    assert all(m.startswith("user_meshes:") for m in train_meshes | test_meshes)
    # each share holds one of the three meshes of a category (0.8/0.1/0.1 of 3 is 1/1/1)
    assert len(test_meshes) <= len(CATEGORIES) and len(train_meshes) <= len(CATEGORIES)


@pytest.mark.slow
def test_records_and_dataset_json_name_the_split(datasets):
    for name, use in (("train", "train"), ("test", "test")):
        info = json.loads((datasets / name / "dataset.json").read_text())
        s = info["library"]["split"]
        assert s["use"] == use and s["fractions"] == {"train": 0.8, "val": 0.1, "test": 0.1} and s["salt"] == ""
        # the default clips of all 20 categories (10/1/1 of 12 each), one of the 3 meshes of each user category
        assert s["sounds"] and s["meshes"] and s["assets"] == {"sounds": 200 if use == "train" else 20, "meshes": 3}
        assert info["spec"]["library"]["split"]["use"] == use
        for rec in read_records(datasets / name):
            assert rec["scene"]["library"]["split"] == {k: v for k, v in s.items() if k != "assets"}
            assert Scene.from_dict(rec["scene"]).library.split.use == use


@pytest.mark.slow
def test_a_split_record_replays_byte_identically(datasets, tmp_path):
    record = next((datasets / "test" / "samples").rglob("*.json"))
    proc = simulate("replay", str(record), "--out", str(tmp_path / "re"), cwd=tmp_path)
    assert "DIFFERS" not in proc.stdout and proc.stdout.count("identical") >= 3, proc.stdout


@pytest.mark.slow
def test_overlap_audit(datasets, tmp_path):
    disjoint = simulate("audit", str(datasets / "train"), "--against", str(datasets / "test"), "--json",
                        str(tmp_path / "o.json"), cwd=datasets, check=False)
    assert disjoint.returncode == 0 and "DISJOINT" in disjoint.stdout, disjoint.stdout + disjoint.stderr
    report = json.loads((tmp_path / "o.json").read_text())
    assert report["disjoint"] and report["a"]["splits"][0]["use"] == "train" and report["b"]["assets"]["clips"] > 0
    same = simulate("audit", str(datasets / "train"), "--against", str(datasets / "train2"), cwd=datasets, check=False)
    assert same.returncode == 1 and "OVERLAP" in same.stdout and "shared meshes" in same.stdout, same.stdout
    itself = simulate("audit", str(datasets / "test"), "--against", str(datasets / "test"), cwd=datasets, check=False)
    clips, meshes = assets_of(datasets / "test")
    assert itself.returncode == 1 and f"shared clips: {len(clips)}" in itself.stdout
    missing = simulate("audit", str(datasets / "test"), "--against", str(tmp_path / "none"), cwd=datasets, check=False)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
