"""The per-category size table: a real-world size for the meshes of a category whose collection
states none (Objaverse, ShapeNetCore), in metres.

A table is a YAML file of ``category: size entry``, the entries of a mesh folder's ``sizes.yaml``
(:mod:`.mesh_frame`): exactly one of ``height_m`` (extent along up, +z in
the project frame), ``length_m`` (x, front to back), ``width_m`` (y) or ``size_m`` (largest
extent), and optionally ``up`` (``z`` or ``y``) and ``yaw_deg`` (turn about +z so the front
faces +x). :data:`BUNDLED_SIZES` holds typical sizes of the default library's 20 categories; a
user's table (``--sizes``) replaces the bundled entry of each category it names and keeps the
others. Orientation keys a table entry leaves out come from the collection's layout
(:attr:`simulator.assets.importers.mesh_formats.MeshFormat.orientation`).
"""
from __future__ import annotations

from pathlib import Path

from ...spec.errors import SpecError
from ...spec.reading import read_spec_file
from ...spec.yaml_lines import load_yaml_with_lines
from .mesh_frame import size_problem

BUNDLED_SIZES = Path(__file__).resolve().parent / "bundled_mesh_sizes.yaml"


class SizeTableError(ValueError):
    """A size table that cannot be used: names the file, line and key."""


def load_size_table(user: str | Path | None = None) -> tuple[dict[str, dict], str]:
    """(category -> size entry, a description of its source): the bundled table, with the entries
    of ``user`` (a YAML file) replacing those of the categories it names."""
    table = _read(BUNDLED_SIZES)
    source = str(BUNDLED_SIZES)
    if user is not None:
        table.update(_read(Path(user)))
        source = f"{user} over {BUNDLED_SIZES.name}"
    return table, source


def _read(path: Path) -> dict[str, dict]:
    return read_sizes_file(path)


def read_sizes_file(path: Path) -> dict[str, dict]:
    """The entries of a sizes file or size table (``category``, ``label`` or ``label/file`` -> size
    entry), each checked;
    SizeTableError naming the file, line and key of the first bad one."""
    try:
        data, lines = load_yaml_with_lines(read_spec_file(path, str(path)), str(path))
    except SpecError as exc:
        raise SizeTableError(str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SizeTableError(f"{path}: expected a mapping of label or file -> {{height_m: ...}}")
    out = {}
    for key, value in data.items():
        problem = size_problem(value)
        if problem:
            raise SizeTableError(f"{path}, line {lines.get((key,), '?')}: key {key!r}: {problem}")
        out[str(key)] = dict(value)
    return out


def oriented(entry: dict, orientation: dict) -> dict:
    """The size entry with the collection's orientation (``up``, ``yaw_deg``) where it gives none."""
    return {**orientation, **entry}
