"""Hostile and careless specs, spec files, ``--set`` values and output folders (the harness is
tests/hostile.py): each is refused with exit status 2 and a message naming the key, line or file,
within a time and memory bound, with nothing written."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from hostile import Hostile, check, make_special, tmpfs

SMALL = ("name: h\nseed: 1\nsamples: 3\nimage: {width: 48, height: 32}\naudio: {sample_rate: 8000, duration: 0.2}\n"
         "room: {type: free_field}\nlistener: {head: spaced}\nbackground: {kind: color}\n")


def spec(text: str, *extra: str, name: str = "spec.yaml", out: str = "out") -> Callable:
    """A case whose spec is ``text`` after SMALL's lines for the top-level keys ``text`` does not
    set (``text`` alone if it starts with '!'); ``@DIR@`` is the case's folder."""
    def setup(folder: Path) -> list[str]:
        own = set(re.findall(r"^(\w+):", text, flags=re.M))
        base = "".join(f"{line}\n" for line in SMALL.splitlines() if line.split(":")[0] not in own)
        body = text[1:] if text.startswith("!") else base + text
        (folder / name).write_text(body.replace("@DIR@", str(folder)))
        return ["--spec", name, "--set", f"output.dir={folder / out}", *extra]
    return setup


def small(*extra: str) -> Callable:
    return spec("", *extra)


def with_file(name: str, data: bytes | str, text: str, *extra: str) -> Callable:
    """A spec naming a file of the case's folder (written first)."""
    def setup(folder: Path) -> list[str]:
        args = spec(text, *extra)(folder)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())
        return args
    return setup

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
MERGE_BOMB = "a: &a {k0: 1, k1: 2}\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 12)}]\n" for i in range(7))


def special_spec(kind: str) -> Callable:
    """A spec path that is a special file of ``kind`` (see :func:`hostile.make_special`), or, for any
    other ``kind``, the spec name ``kind`` itself."""
    def setup(folder: Path) -> list[str]:
        if kind not in ("fifo", "dir", "loop", "broken", "huge"):
            return ["--spec", kind, "--set", f"output.dir={folder / 'out'}"]
        make_special(folder / "spec.yaml", kind)
        return ["--spec", "spec.yaml", "--set", f"output.dir={folder / 'out'}"]
    return setup


def output_at(place: str, make: str | None = None) -> Callable:
    """A valid spec writing to ``place`` (``@`` = the case folder); ``make``: what to put there first."""
    def setup(folder: Path) -> list[str]:
        target = Path(place.replace("@", str(folder)))
        if make == "file":
            target.write_text("not a folder\n")
        elif make == "foreign":
            target.mkdir()
            (target / "thesis.tex").write_text("my work\n")
        elif make == "file_parent":
            target.parent.write_text("a file\n")
        (folder / "spec.yaml").write_text(SMALL)
        return ["--spec", "spec.yaml", "--set", f"output.dir={target}"]
    return setup


def mesh_file(kind: str) -> bytes:
    import trimesh

    if kind == "open":
        mesh = trimesh.creation.box(extents=(6, 5, 3))
        mesh = trimesh.Trimesh(mesh.vertices, mesh.faces[:-2])
    else:
        mesh = trimesh.creation.icosphere(subdivisions=5, radius=4.0)  # 20480 triangles
        mesh.apply_translation((5, 5, 5))
    data = mesh.export(file_type="obj")
    return data.encode() if isinstance(data, str) else data


def garbage(n: int = 4096, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


CASES = [
    # -- unbounded work from a small spec ------------------------------------------------------
    Hostile("alias_bomb", spec("!" + BOMB + "samples: 3\n"), ("spec.yaml", "expands to more than", "aliases")),
    Hostile("alias_bomb_in_a_value", spec("camera: {hfov_deg: 60}\nx: &x [1]\n" + BOMB.replace("a:", "y:", 1)),
            ("spec.yaml", "expands to more than")),
    Hostile("merge_key_bomb", spec("!" + MERGE_BOMB + "samples: 3\n"), ("spec.yaml", "expands to more than")),
    Hostile("deep_list_nesting", spec("x: " + "[" * 20000 + "]" * 20000 + "\n"), ("spec.yaml", "nested too deeply")),
    Hostile("deep_map_nesting", spec("x: " + "{a: " * 300 + "1" + "}" * 300 + "\n"), ("spec.yaml", "nested too deeply")),
    Hostile("huge_spec_file", spec("# " + "x" * 1_200_000 + "\n"), ("spec.yaml", "bytes", "a spec may have")),
    Hostile("billion_samples", spec("!samples: 1000000000\n"), ("samples", "10000000")),
    Hostile("million_point_sweep", spec("sweep:\n  lighting.ambient: [" + ", ".join(str(i / 100) for i in range(100)) + "]\n"
                                        "  camera.hfov_deg: [" + ", ".join(str(40 + i / 10) for i in range(100)) + "]\n"
                                        "  objects.count: [" + ", ".join("1" for _ in range(100)) + "]\n"),
            ("sweep", "1000000 datasets", "more than the 1000")),
    Hostile("long_sweep_list", spec("sweep:\n  camera.hfov_deg: [" + ", ".join(str(40 + i / 100) for i in range(2000))
                                    + "]\n"), ("sweep", "2000 datasets")),
    Hostile("sweep_of_samples", spec("sweep:\n  samples: [1, 2]\n"), ("sweep.samples", "cannot be swept")),
    Hostile("sweep_unknown_key", spec("sweep:\n  camera.fov: [1, 2]\n"), ("sweep.camera.fov", "unknown spec key")),
    # -- the spec file itself --------------------------------------------------------------------
    Hostile("spec_is_a_fifo", special_spec("fifo"), ("spec.yaml", "regular file", "FIFO"), timeout=30),
    Hostile("spec_is_dev_zero", special_spec("/dev/zero"), ("/dev/zero", "regular file", "device"), timeout=30),
    Hostile("spec_is_dev_null", special_spec("/dev/null"), ("/dev/null", "regular file")),
    Hostile("spec_is_a_folder", special_spec("dir"), ("spec.yaml", "regular file", "folder")),
    Hostile("spec_link_loop", special_spec("loop"), ("spec.yaml", "cannot read spec file")),
    Hostile("spec_broken_link", special_spec("broken"), ("spec.yaml", "not found")),
    Hostile("spec_missing", special_spec("nothere.yaml"), ("nothere.yaml", "not found")),
    Hostile("spec_huge_sparse_file", special_spec("huge"), ("spec.yaml", "50000000 bytes")),
    Hostile("spec_binary_garbage", with_file("spec.yaml", garbage(), ""), ("spec.yaml",)),
    Hostile("spec_latin1", spec("!name: caf\xe9\nsamples: 3\n"), ("spec.yaml",)),
    Hostile("spec_nul_bytes", with_file("spec.yaml", b"name: a\x00b\nsamples: 3\n", ""), ("spec.yaml",)),
    Hostile("python_tag", spec("!name: !!python/object/apply:os.system ['touch pwned']\nsamples: 3\n"),
            ("spec.yaml", "name")),
    Hostile("binary_tag_value", spec("camera: {hfov_deg: !!binary aGVsbG8=}\n"), ("camera.hfov_deg",)),
    Hostile("tab_indentation", spec("!name: h\nsamples: 3\ncamera:\n\thfov_deg: 60\n"), ("spec.yaml:4",)),
    Hostile("duplicate_key", spec("!name: h\nsamples: 3\nsamples: 4\n"), ("spec.yaml:3", "duplicate key")),
    Hostile("top_level_list", spec("!- 1\n- 2\n"), ("spec.yaml", "mapping")),
    Hostile("top_level_scalar", spec("!just words\n"), ("spec.yaml", "mapping")),
    Hostile("empty_spec", spec("!"), ("samples", "required")),
    # -- values --------------------------------------------------------------------------------
    Hostile("samples_zero", spec("!samples: 0\n"), ("samples",)),
    Hostile("samples_negative", spec("!samples: -5\n"), ("samples",)),
    Hostile("samples_huge_int", spec("!samples: 1000000000000000000000\n"), ("samples",)),
    Hostile("samples_word", spec("!samples: many\n"), ("samples", "many")),
    Hostile("samples_inf", spec("!samples: .inf\n"), ("samples",)),
    Hostile("samples_nan", spec("!samples: .nan\n"), ("samples",)),
    Hostile("seed_negative", spec("!samples: 3\nseed: -1\n"), ("seed",)),
    Hostile("seed_huge", spec("!samples: 3\nseed: 100000000000000000000000\n"), ("seed",)),
    Hostile("width_huge", spec("image: {width: 100000}\n"), ("image",)),
    Hostile("duration_huge", spec("audio: {duration: 1000000}\n"), ("audio",)),
    Hostile("sample_rate_huge", spec("audio: {sample_rate: 1000000000000}\n"), ("audio",)),
    Hostile("hfov_zero", spec("camera: {hfov_deg: 0}\n"), ("camera.hfov_deg",)),
    Hostile("hfov_nan_in_a_range", spec("camera: {hfov_deg: {uniform: [.nan, 60]}}\n"), ("camera.hfov_deg",)),
    Hostile("hfov_inf_bound", spec("camera: {hfov_deg: {uniform: [40, .inf]}}\n"), ("camera.hfov_deg",)),
    Hostile("unknown_condition", spec("condition: louder\n"), ("condition", "louder")),
    Hostile("unknown_category", spec("objects: {categories: [dog, unicorn]}\n"), ("objects.categories[1]", "unicorn")),
    Hostile("unknown_head", spec("listener: {head: bat}\n"), ("listener.head",)),
    Hostile("unknown_room_type", spec("room: {type: cave}\n"), ("room.type",)),
    Hostile("unknown_renderer", spec("image: {renderer: crayon}\n"), ("image.renderer",)),
    Hostile("unknown_output_format", spec("output: {format: zip}\n"), ("output.format",)),
    Hostile("name_with_dotdot", spec("!name: ../../escape\nsamples: 3\n"), ("name", "names folders")),
    Hostile("name_with_slash", spec("!name: a/b\nsamples: 3\n"), ("name",)),
    Hostile("name_too_long", spec("!name: " + "n" * 300 + "\nsamples: 3\n"), ("name",)),
    Hostile("name_hidden", spec("!name: .secret\nsamples: 3\n"), ("name",)),
    # -- files the spec names ------------------------------------------------------------------
    Hostile("sofa_not_sofa", with_file("ears.sofa", "not hdf5\n", "listener: {head: hrtf, sofa: @DIR@/ears.sofa}\n"),
            ("listener.sofa", "not a SOFA")),
    Hostile("sofa_garbage", with_file("ears.sofa", garbage(), "listener: {head: hrtf, sofa: @DIR@/ears.sofa}\n"),
            ("listener.sofa",)),
    Hostile("sofa_missing", spec("listener: {head: hrtf, sofa: @DIR@/none.sofa}\n"), ("listener.sofa", "not found")),
    Hostile("sofa_is_a_folder", spec("listener: {head: hrtf, sofa: @DIR@}\n"), ("listener.sofa",)),
    Hostile("room_mesh_garbage", with_file("room.obj", garbage(), "room: {type: polyhedron, mesh: @DIR@/room.obj}\n"),
            ("room.mesh",)),
    Hostile("room_mesh_open", with_file("room.obj", mesh_file("open"), "room: {type: polyhedron, mesh: @DIR@/room.obj}\n"),
            ("room.mesh", "not a closed")),
    Hostile("room_mesh_too_detailed", with_file("room.obj", mesh_file("sphere"),
                                                "room: {type: polyhedron, mesh: @DIR@/room.obj}\n"),
            ("room.mesh", "20480 triangles")),
    Hostile("room_mesh_missing", spec("room: {type: polyhedron, mesh: @DIR@/none.obj}\n"), ("room.mesh", "not found")),
    Hostile("room_floor_plan_crossing", spec("room: {type: polyhedron, floor_plan: [[0, 0], [5, 5], [5, 0], [0, 5]]}\n"),
            ("room",)),
    Hostile("room_material_unknown", spec("room: {type: shoebox, rt60_s: null, materials: {all: velvet_moon}}\n"),
            ("room.materials",)),
    Hostile("photos_annotations_garbage", with_file("ann.json", garbage(), "image: {renderer: photos}\n"
                                                    "photos: {annotations: @DIR@/ann.json, images: @DIR@}\n"),
            ("photos.annotations",)),
    Hostile("photos_annotations_missing", spec("image: {renderer: photos}\nphotos: {annotations: @DIR@/no.json, "
                                               "images: @DIR@}\n"), ("photos.annotations", "not found")),
    Hostile("photos_images_missing", with_file("ann.json", '{"images": [], "annotations": [], "categories": []}',
                                               "image: {renderer: photos}\nphotos: {annotations: @DIR@/ann.json, "
                                               "images: @DIR@/nope}\n"), ("photos.images", "not found")),
    Hostile("diffusion_model_not_a_model", with_file("model/readme.txt", "hi\n", "image: {renderer: diffusion, "
                                                     "diffusion: {model: @DIR@/model}}\n"),
            ("image.diffusion.model", "model_index.json")),
    Hostile("diffusion_hub_id_not_cached", spec("image: {renderer: diffusion, diffusion: {model: nobody/no-such-model}}\n"),
            ("image.diffusion.model", "not in the local Hugging Face cache")),
    Hostile("diffusion_model_missing_folder", spec("image: {renderer: diffusion, diffusion: {model: ./nowhere/model}}\n"),
            ("image.diffusion.model", "no model folder")),
    Hostile("library_sounds_missing", spec("library: {sounds: @DIR@/nosounds}\n"), ("library.sounds", "not found")),
    Hostile("library_sounds_is_a_file", with_file("sounds", "x", "library: {sounds: @DIR@/sounds}\n"),
            ("library.sounds",)),
    # -- output folders ------------------------------------------------------------------------
    Hostile("output_in_proc", output_at("/proc/avsim-out"), ("output.dir", "virtual file system")),
    Hostile("output_in_sys", output_at("/sys/kernel/avsim-out"), ("output.dir", "virtual file system")),
    Hostile("output_under_dev_null", output_at("/dev/null/out"), ("output.dir",)),
    Hostile("output_is_a_file", output_at("@/out", "file"), ("output.dir", "not a folder")),
    Hostile("output_below_a_file", output_at("@/afile/out", "file_parent"), ("output.dir", "is a file")),
    Hostile("output_foreign_folder", output_at("@/mine", "foreign"), ("output.dir", "not a dataset of this tool")),
    Hostile("output_name_too_long", output_at("@/" + "d" * 300), ("output.dir", "too long")),
    # -- --set ---------------------------------------------------------------------------------
    Hostile("set_alias_bomb", small("--set", "camera=" + "{" + BOMB.replace("\n", ", ").rstrip(", ") + "}"),
            ("--set", "camera")),
    Hostile("set_value_too_long", small("--set", "name=" + "x" * 120_000), ("--set", "name", "bytes")),
    Hostile("set_invalid_yaml", small("--set", "camera={hfov_deg: [1, 2"), ("--set", "camera", "not valid YAML")),
    Hostile("set_no_equals", small("--set", "samples"), ("--set samples", "KEY.PATH=VALUE")),
    Hostile("set_empty_key", small("--set", "=3"), ("--set =3",)),
    Hostile("set_empty_part", small("--set", "camera..hfov_deg=3"), ("--set camera..hfov_deg",)),
    Hostile("set_into_a_scalar", small("--set", "samples.x=1"), ("samples",)),
    Hostile("set_unknown_key", small("--set", "camera.fov=60"), ("camera.fov", "unknown key")),
    Hostile("set_billion_samples", small("--set", "samples=1000000000"), ("samples",)),
    Hostile("set_output_proc", small("--set", "output.dir=/proc/self/x"), ("output.dir", "virtual file system")),
    Hostile("set_name_escape", small("--set", "name=../../up"), ("name",)),
    Hostile("set_python_tag", small("--set", "name=!!python/object/apply:os.system ['touch pwned']"),
            ("--set", "name")),
    Hostile("set_sample_rate_huge", small("--set", "audio.sample_rate=999999999999"), ("audio.sample_rate",)),
    Hostile("set_huge_sweep", small("--set", "sweep={lighting.ambient: [" + ", ".join(str(i / 5000) for i in range(5000))
                                    + "]}"), ("sweep", "5000 datasets")),
    Hostile("workers_zero", small("--workers", "0"), ("--workers",)),
    Hostile("workers_negative", small("--workers", "-3"), ("--workers",)),
    Hostile("unknown_executor", small("--executor", "nope"), ("--executor", "invalid choice")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_spec(case: Hostile, tmp_path: Path):
    check(case, tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_the_corpus_is_large():
    assert len(CASES) >= 80


def test_read_only_output_folder(tmp_path: Path):
    with tmpfs(tmp_path / "ro", "ro,size=1m") as place:
        check(Hostile("read_only", output_at(str(place / "out")), ("output.dir", "read-only file system")), tmp_path)
