"""Bad input through the real ``simulate`` CLI: exit status 2, one short message naming the key
path and the YAML line, no traceback, and nothing written.

Every case runs ``python -m simulator.cli --spec spec.yaml ...`` in a subprocess with
``cwd=tmp_path``; each spec sets ``output.dir`` to ``tmp_path/out`` and the test checks that the
whole of ``tmp_path`` is byte-for-byte what it was before the run.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SPEC = "spec.yaml"
OUT = "@OUT@"  # replaced by the (quoted) absolute output folder
TMP = "@TMP@"  # replaced by the absolute tmp_path (write it inside double quotes)
ANY_LINE = -1

# Five header lines: the case's own YAML starts on line 6.
HEADER = "name: t\nseed: 1\nsamples: 6\noutput:\n  dir: @OUT@\n"


# ---------------------------------------------------------------------------------------------
# helpers
def run_cli(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def snapshot(root: Path) -> dict[str, str]:
    """{relative path: sha256 or 'dir'} of everything below ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def write_spec(tmp_path: Path, text: str) -> Path:
    text = text.replace(OUT, json.dumps(str(tmp_path / "out"))).replace(TMP, str(tmp_path))
    path = tmp_path / SPEC
    path.write_text(text)
    return path


def assert_bad_input(proc: subprocess.CompletedProcess, before: dict, tmp_path: Path, *, key: str | None,
                     line: int | None, source: str = SPEC, fragments: tuple[str, ...] = (),
                     max_lines: int = 3) -> None:
    """Exit status 2, a short stderr naming ``source:line: key:`` (or ``source: key:`` when
    ``line`` is None), no traceback, nothing on stdout, nothing written below ``tmp_path``."""
    err = proc.stderr
    assert proc.returncode == 2, f"exit status {proc.returncode}, stderr:\n{err}"
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= max_lines, f"expected a short message, got {len(lines)} lines:\n{err}"
    assert lines[0].startswith("error: "), err
    if line == ANY_LINE:  # a missing key has no line of its own; the file may or may not give one
        m = re.search(rf"{re.escape(source)}(:\d+)?: ", err)
        assert m, f"expected {source!r} in:\n{err}"
        where = m.group(0)
    elif line is not None:
        where = f"{source}:{line}: "
        assert where in err, f"expected {where!r} in:\n{err}"
    else:
        where = f"{source}: " if source else ""
        assert where in err, f"expected {where!r} in:\n{err}"
    if key is not None:
        assert f"{where}{key}: " in err, f"expected {where}{key}: in:\n{err}"
    for frag in fragments:
        assert frag in err, f"expected {frag!r} in:\n{err}"
    assert proc.stdout == "", proc.stdout
    assert snapshot(tmp_path) == before, "the run wrote or changed files"
    assert not (tmp_path / "out").exists()


@dataclass
class Case:
    id: str
    text: str  # the whole spec (HEADER + body, or a full text)
    key: str | None
    line: int | None
    fragments: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    max_lines: int = 3
    marks: tuple = field(default_factory=tuple)


def body(text: str) -> str:
    return HEADER + text


CASES = [
    # --- wrong types ---------------------------------------------------------------------------
    Case("string_for_number", body("camera:\n  hfov_deg: wide\n"), "camera.hfov_deg", 7,
         ("expected a number", "'wide'")),
    Case("list_for_scalar", body("image:\n  width: [224, 224]\n"), "image.width", 7, ("expected an integer",)),
    Case("number_for_bool", "name: t\nseed: 1\nsamples: 6\noutput:\n  dir: @OUT@\n  depth: 1\n", "output.depth", 6,
         ("expected true or false", "got 1")),
    Case("float_for_int", body("image:\n  height: 100.5\n"), "image.height", 7, ("expected an integer",)),
    Case("section_not_a_mapping", body("camera: 60\n"), "camera", 6, ("expected a mapping",)),
    Case("spec_not_a_mapping", "- a\n- b\n", None, 1, ("must be a mapping",)),
    Case("non_string_key", body("5: 1\n"), None, 6, ("keys must be strings",)),
    Case("non_finite_number", body("camera:\n  hfov_deg: .nan\n"), "camera.hfov_deg", 7, ("finite",)),
    # --- unknown keys ----------------------------------------------------------------------------
    Case("unknown_top_level_key_typo", body("camrea:\n  hfov_deg: 60\n"), "camrea", 6,
         ("unknown key", "did you mean 'camera'")),
    Case("unknown_nested_key", body("camera:\n  projection: pinhole\n  hfov: 60\n"), "camera.hfov", 8,
         ("unknown key", "did you mean 'hfov_deg'")),
    # --- distributions ---------------------------------------------------------------------------
    Case("unknown_distribution_form", body("camera:\n  hfov_deg: {unifrom: [40, 60]}\n"), "camera.hfov_deg", 7,
         ("did you mean 'uniform'",)),
    Case("empty_choice", body("condition: {choice: []}\n"), "condition.choice", 6, ("non-empty list",)),
    Case("choice_weights_wrong_length",
         body("target:\n  size_bin:\n    choice: [size1, size2]\n    weights: [1]\n"),
         "target.size_bin.weights", 9, ("list of 2 numbers",)),
    Case("choice_negative_weights",
         body("target:\n  size_bin:\n    choice: [size1, size2]\n    weights: [1, -1]\n"),
         "target.size_bin.weights", 9, ("non-negative", "-1")),
    Case("choice_all_zero_weights",
         body("target:\n  size_bin:\n    choice: [size1, size2]\n    weights: [0, 0]\n"),
         "target.size_bin.weights", 9, ("all be zero",)),
    Case("choice_value_of_wrong_type", body("camera:\n  hfov_deg: {choice: [40, wide]}\n"),
         "camera.hfov_deg.choice", 7, ("'wide'",)),
    Case("inverted_uniform_range", body("camera:\n  hfov_deg:\n    uniform: [70, 50]\n"),
         "camera.hfov_deg.uniform", 8, ("inverted", "70", "50")),
    Case("uniform_on_integer_field", body("objects:\n  count: {uniform: [1, 3]}\n"), "objects.count.uniform", 7,
         ("int: [low, high]",)),
    Case("int_range_on_float_field", body("camera:\n  hfov_deg: {int: [40, 60]}\n"), "camera.hfov_deg.int", 7,
         ("integer fields",)),
    Case("empty_int_range", body("objects:\n  count: {int: [5, 2]}\n"), "objects.count.int", 7,
         ("empty range", "5", "2")),
    Case("loguniform_zero_low", body("source:\n  gain_db: {loguniform: [0, 10]}\n"), "source.gain_db.loguniform", 7,
         ("0 < low",)),
    Case("normal_without_bounds", body("camera:\n  hfov_deg:\n    normal: {mean: 60, std: 5}\n"),
         "camera.hfov_deg.normal", 8, ("mean, std, min, max",)),
    Case("distribution_on_constant_field", body("image:\n  width: {choice: [224, 256]}\n"), "image.width", 7,
         ("must be a constant",)),
    # --- out of range / required --------------------------------------------------------------------
    Case("hfov_200", body("camera:\n  hfov_deg: 200\n"), "camera.hfov_deg", 7, ("out of range", "[1, 179]")),
    Case("negative_samples", "name: t\nsamples: -3\noutput:\n  dir: @OUT@\n", "samples", 2, ("out of range",)),
    Case("image_width_0", body("image:\n  width: 0\n"), "image.width", 7, ("out of range",)),
    Case("missing_samples", "name: t\nseed: 1\noutput:\n  dir: @OUT@\n", "samples", ANY_LINE, ("required",)),
    Case("bit_depth_20", body("audio:\n  format: flac\n  bit_depth: 20\n"), "audio.bit_depth", 8, ("one of 16, 24",)),
    Case("min_distance_above_max", body("objects:\n  min_distance_m: 5\n  max_distance_m: 2\n"),
         "objects.max_distance_m", 8, ("min_distance_m",)),
    # --- conditions, categories, size bins ----------------------------------------------------------
    Case("unknown_condition", body("condition: congruant\n"), "condition", 6,
         ("'congruant'", "did you mean 'congruent'")),
    Case("unknown_category_suggestion", body("objects:\n  categories: [dgo, car]\n"), "objects.categories[0]", 7,
         ("unknown category 'dgo'", "did you mean 'dog'")),
    Case("empty_category_list", body("objects:\n  categories: []\n"), "objects.categories", 7, ("non-empty list",)),
    Case("duplicate_categories", body("objects:\n  categories: [dog, dog]\n"), "objects.categories", 7,
         ("duplicates",)),
    Case("target_category_not_in_objects",
         body("objects:\n  categories: [dog, car]\ntarget:\n  category: piano\n"), "target.category", 9,
         ("'piano' is not in objects.categories",)),
    Case("impossible_size_bin", body("target:\n  category: telephone\n  size_bin: size3\n"), "target.category", 7,
         ("telephone", "size3", "real size")),
    Case("unknown_size_bin", body("target:\n  size_bin: size4\n"), "target.size_bin", 7,
         ("'size4'", "size1, size2, size3")),
    # --- sweeps ------------------------------------------------------------------------------------
    Case("bad_sweep_key", body("sweep:\n  camera.hfov: [40, 60]\n"), "sweep.camera.hfov", 7,
         ("unknown spec key", "did you mean 'hfov_deg'")),
    Case("non_list_sweep_value", body("sweep:\n  camera.hfov_deg: 40\n"), "sweep.camera.hfov_deg", 7,
         ("non-empty list",)),
    Case("sweep_of_a_section", body("sweep:\n  camera: [1, 2]\n"), "sweep.camera", 7, ("cannot be swept",)),
    Case("invalid_sweep_value", body("sweep:\n  listener.head: [spaced, binaural]\n"), "listener.head", 7,
         ("'binaural'",)),
    # --- YAML ---------------------------------------------------------------------------------------
    Case("bad_yaml_syntax", body("camera:\n  hfov_deg: 60: 70\n"), None, 7, ("not valid YAML",)),
    Case("yaml_tab_indent", body("camera:\n\thfov_deg: 60\n"), None, 7, ("not valid YAML",)),
    Case("duplicate_key", body("camera:\n  hfov_deg: 40\n  hfov_deg: 50\n"), "camera.hfov_deg", 8,
         ("duplicate key",)),
    Case("duplicate_top_level_key", body("camera: {hfov_deg: 40}\ncamera: {hfov_deg: 50}\n"), "camera", 7,
         ("duplicate key",)),
    # --- library ------------------------------------------------------------------------------------
    Case("library_folder_not_found", body("library:\n  sounds: \"@TMP@/no_such_library\"\n"), "library.sounds", 7,
         ("folder not found",)),
    # --- several problems are all reported ------------------------------------------------------
    Case("two_errors_both_reported", body("camera:\n  hfov_deg: 200\nimage:\n  width: 0\n"), "camera.hfov_deg", 7,
         ("spec.yaml:9: image.width: ",)),
    # --- values YAML or Python cannot take ---------------------------------------------------------
    Case("unknown_yaml_tag", body("camera:\n  projection: !foo pinhole\n"), None, 7, ("!foo",)),
    Case("bad_explicit_int_tag", body("image:\n  width: !!int abc\n"), None, 7, ()),
    Case("huge_integer", "name: t\nsamples: 1" + "0" * 400 + "\noutput:\n  dir: @OUT@\n", "samples", 2,
         ("out of range",)),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_malformed_spec(case: Case, tmp_path: Path) -> None:
    write_spec(tmp_path, case.text)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, *case.args)
    assert_bad_input(proc, before, tmp_path, key=case.key, line=case.line, fragments=case.fragments,
                     max_lines=case.max_lines)


def test_at_least_24_malformed_specs() -> None:
    assert len(CASES) >= 24


# ---------------------------------------------------------------------------------------------
# files, overrides and output folders
def test_missing_spec_file(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", "nothere.yaml")
    assert_bad_input(proc, before, tmp_path, key=None, line=None, source="nothere.yaml",
                     fragments=("spec file not found",))


def test_spec_file_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "adir.yaml").mkdir()
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", "adir.yaml")
    assert_bad_input(proc, before, tmp_path, key=None, line=None, source="adir.yaml", fragments=("regular file", "folder"))


def test_set_unknown_key(tmp_path: Path) -> None:
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--set", "camera.hfvo_deg=40")
    assert_bad_input(proc, before, tmp_path, key="camera.hfvo_deg", line=None, source="--set camera.hfvo_deg=40",
                     fragments=("unknown key", "did you mean 'hfov_deg'"))


def test_set_invalid_yaml_value(tmp_path: Path) -> None:
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--set", "camera.hfov_deg={uniform: [40")
    assert_bad_input(proc, before, tmp_path, key="camera.hfov_deg", line=None,
                     source="--set camera.hfov_deg={uniform: [40",
                     fragments=("not valid YAML",))


def test_set_out_of_range_value_names_the_override(tmp_path: Path) -> None:
    write_spec(tmp_path, body("camera:\n  hfov_deg: 60\n"))
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--set", "camera.hfov_deg=500")
    assert_bad_input(proc, before, tmp_path, key="camera.hfov_deg", line=None, source="--set camera.hfov_deg=500",
                     fragments=("out of range",))
    assert f"{SPEC}:7" not in proc.stderr  # the bad value came from --set, not from the file


def test_set_without_equals(tmp_path: Path) -> None:
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--set", "camera.hfov_deg")
    assert_bad_input(proc, before, tmp_path, key=None, line=None, source="--set camera.hfov_deg",
                     fragments=("KEY.PATH=VALUE",))


def test_set_inside_a_scalar(tmp_path: Path) -> None:
    write_spec(tmp_path, body("camera:\n  hfov_deg: 60\n"))
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--set", "camera.hfov_deg.low=40")
    assert_bad_input(proc, before, tmp_path, key="camera.hfov_deg.low", line=None, source="--set",
                     fragments=("not a mapping",))


def test_workers_zero(tmp_path: Path) -> None:
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--workers", "0")
    assert_bad_input(proc, before, tmp_path, key=None, line=None, source="", fragments=("--workers",))


def test_output_dir_not_ours_is_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my precious notes\n")
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC)
    err = proc.stderr
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert 1 <= len(err.strip().splitlines()) <= 3
    assert "output.dir" in err and str(out) in err and "not a dataset of this tool" in err
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "my precious notes\n"


def test_output_dir_not_ours_is_refused_by_dry_run_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep\n")
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--dry-run")
    assert proc.returncode == 2, proc.stderr
    assert "output.dir" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(tmp_path) == before


def test_output_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file\n")
    write_spec(tmp_path, HEADER)
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "output.dir" in proc.stderr and "not a folder" in proc.stderr
    assert snapshot(tmp_path) == before


def test_output_dir_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x\n")
    write_spec(tmp_path, "name: t\nseed: 1\nsamples: 1\noutput:\n  dir: \"@TMP@/afile/sub\"\n")
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "output.dir" in proc.stderr
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# a valid spec with --dry-run
def test_dry_run_prints_counts_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text((REPO / "scenes" / "congruent.yaml").read_text())
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    proc = run_cli(tmp_path, "--spec", SPEC, "--dry-run", "--set", "samples=30", "--set", f"output.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    text = proc.stdout
    assert "samples: 30" in text
    assert "per size_bin: size1=10, size2=10, size3=10" in text, text
    assert "per condition: congruent=30" in text
    cat_line = next(ln for ln in text.splitlines() if "per category:" in ln)
    assert sum(int(kv.split("=")[1]) for kv in cat_line.split(":", 1)[1].split(",")) == 30
    assert f"output: {out} (new)" in text
    assert not out.exists()
    assert snapshot(tmp_path) == before


def test_dry_run_of_a_sweep_lists_every_sub_dataset(tmp_path: Path) -> None:
    write_spec(tmp_path, body("target:\n  size_bin: {choice: [size1, size2], weights: [3, 1]}\n"
                              "sweep:\n  listener.head: [spaced, mono]\n"))
    before = snapshot(tmp_path)
    proc = run_cli(tmp_path, "--spec", SPEC, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    # 6 samples at 3:1 -> shares 4.5 and 1.5: the plan gives 5, 1 or 4, 2 (within 1 + K p of the share)
    counts = re.findall(r"per size_bin: size1=(\d+), size2=(\d+)", text)
    assert len(counts) == 2 and all((a, b) in {("5", "1"), ("4", "2")} for a, b in counts), text
    assert "listener.head=spaced" in text and "listener.head=mono" in text
    assert snapshot(tmp_path) == before
