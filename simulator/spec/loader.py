"""Load, override, validate and resolve a spec; expand sweeps.

``load_spec`` returns a list of :class:`Spec` (one, or one per sweep combination). Everything is
validated before anything is written; all problems are collected and reported together, each
naming the key path, the YAML line and the file.
"""
from __future__ import annotations

import copy
import difflib
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

from renderers.acoustic.moving import MOVING_ROOM_TYPES
from renderers.acoustic.room_kinds import ROOM_KINDS
from renderers.acoustic.rooms import check_materials

from ..conditions import RULES
from ..feasibility import planned_values
from ..image_backends import IMAGE_BACKENDS

from .distributions import Choice, Constant, Distribution, DistributionError, parse_distribution, support
from .errors import SpecError, SpecErrors
from .limits import MAX_OVERRIDE_BYTES, MAX_SWEEP_POINTS
from .reading import read_spec_file
from .fields import REQUIRED, Field, ListField, MapField, Section, StrMapField
from .schema import build_schema
from .spec import Spec
from .yaml_lines import KeyPath, dotted, load_yaml_with_lines, nearest_line
from ..assets.mesh_library import MeshIndexError, is_mesh_index
from ..assets.sound_library import SoundIndexError, is_sound_index
from ..assets.split import SplitError, check_split, split_library
from ..assets.user import open_library
from ..scene_settings import asset_split

#: library.sounds / library.meshes: does the value name an imported collection's index file?
INDEX_FILES = {"sounds": is_sound_index, "meshes": is_mesh_index}


#: What a dataset name may be (it becomes the default output folder ``out/<name>``).
SAFE_NAME = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9._+\-]{0,99}")


def load_spec(path: str | os.PathLike, overrides: Iterable[str] = (), library=None,
              conditions: tuple[str, ...] | None = None) -> list[Spec]:
    """Read a YAML spec file, apply ``--set key.path=value`` overrides, validate, resolve and
    expand its sweep. Raises :class:`SpecError` (or :class:`SpecErrors`) on any problem."""
    path = Path(path)
    source = str(path)
    text = read_spec_file(path, source)
    return load_spec_text(text, source, overrides, default_name=path.stem,
                          library=library, conditions=conditions)


def load_spec_text(text: str, source: str, overrides: Iterable[str] = (), default_name: str = "dataset",
                   library=None,
                   conditions: tuple[str, ...] | None = None) -> list[Spec]:
    data, lines = load_yaml_with_lines(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping of keys (name, samples, camera, ...)", line=1, source=source)
    set_sources: dict[KeyPath, tuple[str, int | None]] = {}
    for item in overrides:
        key_path, value = parse_override(item)
        _assign(data, key_path, value, item)
        set_sources[key_path] = (f"--set {item}", None)
    schema = build_schema(conditions)
    sweep = data.pop("sweep", None) if isinstance(data, dict) else None
    ctx = _Context(source, lines, set_sources)
    points = _expand_sweep(sweep, schema, ctx)
    ctx.raise_if_any()
    specs = []
    for point in points:
        d = copy.deepcopy(data)
        for key, value in point.items():
            _assign(d, tuple(key.split(".")), value, f"sweep {key}")
            ctx.set_sources[tuple(key.split("."))] = (source, lines.get(("sweep", key)))
        resolved, dists, lib = _validate(d, schema, ctx, library)
        if ctx.errors:
            break
        if resolved["name"] is None:
            resolved["name"] = default_name
        if resolved["output"]["dir"] is None:
            resolved["output"]["dir"] = str(Path("out") / resolved["name"])
        if point:
            sub = ",".join(f"{k}={_slug(v)}" for k, v in point.items())
            resolved["output"]["dir"] = str(Path(resolved["output"]["dir"]) / sub)
            resolved["sweep_point"] = point
        specs.append(Spec(resolved, dists, source, dict(point), library=lib))
    ctx.raise_if_any()
    return specs


def parse_override(item: str) -> tuple[KeyPath, Any]:
    """``camera.hfov_deg={uniform: [40, 60]}`` -> (('camera', 'hfov_deg'), {'uniform': [40, 60]})."""
    if "=" not in item:
        raise SpecError("expected KEY.PATH=VALUE", source=f"--set {item}")
    key, _, raw = item.partition("=")
    source = f"--set {item if len(item) <= 80 else item[:77] + '...'}"
    parts = tuple(p for p in key.strip().split("."))
    if not key.strip() or any(not p for p in parts):
        raise SpecError("expected KEY.PATH=VALUE with a non-empty dotted key", source=source)
    if len(raw.encode("utf-8", "replace")) > MAX_OVERRIDE_BYTES:
        raise SpecError(f"value is longer than the {MAX_OVERRIDE_BYTES} bytes a --set value may have", key=key,
                        source=source)
    if not raw.strip():
        return parts, None
    try:
        value, _ = load_yaml_with_lines(raw, source)
    except SpecError as exc:
        raise SpecError(exc.message.replace("not valid YAML", "value is not valid YAML"), key=key,
                        source=source) from None
    return parts, value


def _assign(data: dict, key_path: KeyPath, value: Any, origin: str) -> None:
    node = data
    for part in key_path[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise SpecError(f"cannot set inside {part!r}: it is not a mapping", key=".".join(key_path),
                            source="--set" if origin.startswith("--") or "=" in origin else origin)
        node = nxt
    node[key_path[-1]] = value


def _slug(v: Any) -> str:
    text = json.dumps(v, separators=(",", ":")) if not isinstance(v, str) else v
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in text)


class _Context:
    def __init__(self, source: str, lines: dict, set_sources: dict):
        self.source = source
        self.lines = lines
        self.set_sources = set_sources
        self.errors: list[SpecError] = []
        self.given: set[KeyPath] = set()  # keys the spec (or an override) sets explicitly

    def error(self, path: KeyPath, message: str, at_line: bool = True) -> None:
        for k in range(len(path), 0, -1):
            if path[:k] in self.set_sources:
                label, line = self.set_sources[path[:k]]
                self.errors.append(SpecError(message, key=dotted(path), line=line, source=label))
                return
        line = nearest_line(self.lines, path) if at_line else None
        self.errors.append(SpecError(message, key=dotted(path) or None, line=line, source=self.source))

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SpecErrors(self.errors)


def _validate(data: dict, schema: Section, ctx: _Context, library) -> tuple[dict, dict, Any]:
    """Walk the schema, then the cross-key checks. ``library`` is an AssetLibrary, or a callable
    ``(sounds, meshes) -> AssetLibrary`` opening the spec's ``library`` folders, or None."""
    dists: dict[str, Distribution] = {}
    resolved = _walk(data, schema, (), ctx, dists)
    if not ctx.errors:
        library = _cross_checks(resolved, dists, ctx, library)
    return resolved, dists, library


def _walk(data: Any, section: Section, path: KeyPath, ctx: _Context, dists: dict) -> dict:
    out: dict[str, Any] = {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        ctx.error(path, f"expected a mapping with keys {', '.join(section.fields)}, got {data!r}")
        data = {}
    for key in data:
        if key not in section.fields:
            close = difflib.get_close_matches(str(key), list(section.fields), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; valid keys: {', '.join(section.fields)}"
            ctx.error(path + (key,), f"unknown key{hint}")
    for name, spec_field in section.fields.items():
        here = path + (name,)
        present = name in data
        if isinstance(spec_field, Section):
            out[name] = _walk(data.get(name), spec_field, here, ctx, dists)
        elif isinstance(spec_field, StrMapField):
            value = data.get(name, spec_field.default)
            if value is None:
                value = {}
            if not isinstance(value, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                                      for k, v in value.items()):
                ctx.error(here, f"expected a mapping of names to names (or null), got {value!r}")
                continue
            out[name] = dict(sorted(value.items()))
        elif isinstance(spec_field, MapField):
            if not path and name == "sweep":
                continue  # expanded before validation
            value = data.get(name)
            if value is not None and (not isinstance(value, dict) or not value):
                ctx.error(here, f"expected a non-empty mapping, got {value!r}")
            out[name] = value
            if present:
                ctx.given.add(here)
        elif isinstance(spec_field, ListField):
            value = data.get(name, spec_field.default)
            if value is None:
                out[name] = None
                continue
            if not isinstance(value, list) or len(value) < spec_field.min_items:
                ctx.error(here, f"expected a non-empty list (each {spec_field.kind.describe()}), got {value!r}")
                continue
            items = []
            for i, v in enumerate(value):
                try:
                    items.append(spec_field.kind.check(v))
                except DistributionError as exc:
                    ctx.error(here + (i,), str(exc))
            if len(set(items)) != len(items):
                ctx.error(here, "list has duplicates")
            out[name] = items
        else:
            assert isinstance(spec_field, Field)
            if not present and spec_field.default is REQUIRED:
                ctx.error(here, "required key is missing", at_line=bool(path))
                continue
            value = data[name] if present else spec_field.default
            if present:
                ctx.given.add(here)
            if value is None:
                if not spec_field.nullable:
                    ctx.error(here, f"needs a value: {spec_field.kind.describe()}")
                out[name] = None
                continue
            try:
                dist = parse_distribution(value, spec_field.kind, random=spec_field.random)
            except DistributionError as exc:
                ctx.error(here + ((exc.subkey,) if exc.subkey else ()), str(exc))
                continue
            if spec_field.random:
                dists[dotted(here)] = dist
            out[name] = dist.to_spec()
    return out


def _cross_checks(r: dict, dists: dict, ctx: _Context, library) -> None:
    """Checks that involve several keys or the asset library."""
    name = r["name"]
    if name is not None and not SAFE_NAME.fullmatch(name):
        ctx.error(("name",), "a dataset name is letters, digits, '.', '_', '+' or '-' (at most 100, not starting "
                  "with '.'): it names folders")
    if r["objects"]["min_distance_m"] >= r["objects"]["max_distance_m"]:
        ctx.error(("objects", "max_distance_m"), "must be above objects.min_distance_m")
    for key in ("sounds", "meshes"):
        value = r["library"][key]
        if value != "default":
            if INDEX_FILES[key](value):
                if not Path(value).is_file():
                    ctx.error(("library", key), f"index file not found: {value}")
                else:
                    r["library"][key] = str(Path(value).resolve())
            elif not Path(value).is_dir():
                ctx.error(("library", key), f"folder not found: {value}")
            else:
                r["library"][key] = str(Path(value).resolve())  # replay finds it from anywhere
    _check_room(r, dists, ctx)
    if "room" in support(dists["background.kind"]):
        flat = [t for t in support(dists["room.type"]) if not ROOM_KINDS.get(t).wall_background]
        if flat:
            drawable = [name for name, kind in ROOM_KINDS.items() if kind.wall_background]
            ctx.error(("background", "kind"), f"a room background needs a room whose walls can be drawn "
                      f"(room.type: {' or '.join(drawable)}) in every sample, not {', '.join(flat)}")
    sofa = r["listener"]["sofa"]
    if sofa != "default":
        if not Path(sofa).is_file():
            ctx.error(("listener", "sofa"), f"SOFA file not found: {sofa}")
        else:
            r["listener"]["sofa"] = str(Path(sofa).resolve())
            from renderers.acoustic.hrtf import load_hrtf  # SciPy's signal module loads only for a user SOFA

            try:  # read and prepared now, so a file that is not a usable HRTF fails before any write
                load_hrtf(r["listener"]["sofa"], r["audio"]["sample_rate"])
            except (ValueError, OSError) as exc:
                ctx.error(("listener", "sofa"), str(exc).replace("listener.sofa: ", ""))
    if ctx.errors:
        return library
    split = asset_split(r)
    if library is None and split is not None:
        library = open_library  # a split is dealt from the library's assets
    if callable(library) and not hasattr(library, "categories"):
        try:
            library = library(r["library"]["sounds"], r["library"]["meshes"])
        except SoundIndexError as exc:
            ctx.error(("library", "sounds"), str(exc))
            return None
        except MeshIndexError as exc:
            ctx.error(("library", "meshes"), str(exc))
            return None
        if _check_library_usable(r, library, ctx):
            return library
    categories = r["objects"]["categories"]
    known = sorted(library.categories) if library is not None else None
    if known is not None:
        if categories is None:
            r["objects"]["categories"] = categories = list(known)
        for i, c in enumerate(categories):
            if c not in known:
                close = difflib.get_close_matches(c, known, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; the library has: {', '.join(known)}"
                ctx.error(("objects", "categories", i), f"unknown category {c!r}{hint}")
    if categories is not None and not ctx.errors:
        tdist = dists.get("target.category")
        explicit = tdist is not None
        if explicit:
            for v in planned_values(tdist):
                if v not in categories:
                    ctx.error(("target", "category"), f"{v!r} is not in objects.categories ({', '.join(categories)})")
        else:
            values = tuple(categories)
            dists["target.category"] = Choice(values, tuple(1.0 for _ in values))
    if not ctx.errors and split is not None:  # the checks below and the run see only the split's assets
        library = _split_library(r, split, library, ctx)
    _check_motion(r, dists, ctx)
    if not ctx.errors:  # the image backend's own checks (real sizes, photo collection, model)
        IMAGE_BACKENDS.get(r["image"]["renderer"]).check_spec(r, dists, library, ctx.error)
    count = dists["objects.count"]
    low_count = count.value if isinstance(count, Constant) else getattr(count, "low", 1)
    if low_count < 1:
        ctx.error(("objects", "count"), "at least one object (the target) is needed")
    return library


def _check_motion(r: dict, dists: dict, ctx: _Context) -> None:
    """Moving kinds need a backend whose Scenes are layouts (mesh, diffusion): photos are stills;
    their audio is rendered along the trajectories, which the time-varying renderer does in free
    field and shoebox rooms, without occlusion and without impulse responses. A clip (``video``)
    needs the mesh raster, a pinhole camera and at most ``audio.duration`` seconds. A temporal
    condition (leaves_view, turns_towards, cross_event) needs a clip and a listener that neither
    moves nor turns on its own, and moves or gates sources as a moving kind does."""
    from ..core.trajectory import HEAD_TURNS, TRAJECTORIES
    from ..image_backends.mesh import LayoutBackend

    renderer = r["image"]["renderer"]
    moving_blocks = []
    for block, registry in (("listener.motion", TRAJECTORIES), ("listener.turn", HEAD_TURNS),
                            ("objects.motion", TRAJECTORIES), ("source.motion", TRAJECTORIES)):
        moving = [k for k in support(dists[f"{block}.kind"]) if registry.get(k).moves]
        if moving:
            moving_blocks.append((block, moving[0]))
    temporal = [c for c in support(dists["condition"]) if RULES.get(c).temporal]
    video = r.get("video") or {}
    if temporal:
        name = temporal[0]
        if video.get("fps") is None:
            ctx.error(("condition",), f"{name} is a clip condition: set video.fps (docs/video.md)")
        for block, still in (("listener.motion", "static"), ("listener.turn", "fixed")):
            if any(k != still for k in support(dists[f"{block}.kind"])):
                ctx.error(tuple(block.split(".")) + ("kind",), f"{name} needs a listener that neither moves nor "
                          f"turns on its own ({block}: {still})")
    if not isinstance(IMAGE_BACKENDS.get(renderer), LayoutBackend):
        for block, kind in moving_blocks:
            ctx.error(tuple(block.split(".")) + ("kind",), f"{kind} motion needs a layout image renderer "
                      f"(mesh or diffusion), not {renderer}")
    if temporal:  # a clip condition moves or gates sources as a moving kind does
        moving_blocks.append(("condition", temporal[0]))
    if moving_blocks:
        block, kind = moving_blocks[0]
        rooms = [t for t in support(dists["room.type"]) if t not in MOVING_ROOM_TYPES] \
            if "room.type" in dists else []
        if rooms:
            ctx.error(("room", "type"), f"{rooms[0]} rooms are not rendered with moving sources ({block}: "
                      f"{kind}); use {' or '.join(MOVING_ROOM_TYPES)}")
        if r["room"]["occlusion"]:
            ctx.error(("room", "occlusion"), f"occlusion is not rendered with moving sources ({block}: {kind})")
        if r["output"]["rirs"]:
            ctx.error(("output", "rirs"), f"a moving scene ({block}: {kind}) has no fixed impulse responses")
    if video.get("fps") is not None:
        if renderer != "mesh":
            ctx.error(("video", "fps"), f"clips are rendered by the mesh image renderer, not {renderer}")
        if r["camera"]["projection"] != "pinhole":
            ctx.error(("video", "fps"), f"clips need camera.projection: pinhole, not {r['camera']['projection']}")
        duration = video.get("duration_s")
        if duration is not None and duration > r["audio"]["duration"] + 1e-9:
            ctx.error(("video", "duration_s"), f"{duration} s is longer than audio.duration "
                      f"({r['audio']['duration']} s)")
        try:
            import av  # noqa: F401
        except ImportError:
            ctx.error(("video", "fps"), "writing MP4 clips needs PyAV: pip install 'avsim[video]'")


def _split_library(r: dict, split, library, ctx: _Context):
    """The share of ``library`` that ``library.split`` names (:mod:`simulator.assets.split`); its
    problems (fractions, categories with too few assets) are reported and the library kept."""
    backend = IMAGE_BACKENDS.get(r["image"]["renderer"])
    problems = check_split(split, backend.asset_kinds)
    if not problems:
        try:
            return split_library(library, split, r["objects"]["categories"] or library.categories,
                                 kinds=backend.asset_kinds)
        except SplitError as exc:
            problems = exc.problems
    for path, message in problems:
        ctx.error(path, message)
    return library


def _check_library_usable(r: dict, library, ctx: _Context) -> bool:
    """A user folder with no usable sound or mesh, or whose categories share none, is named as such
    (with the first skipped file's reason). True if a problem was reported."""
    report = getattr(library, "report", None)
    usable = {"sounds": {c for c, v in library.sounds.items() if v}, "meshes": {c for c, v in library.meshes.items() if v}}
    for key, kind in (("sounds", "sound"), ("meshes", "mesh")):
        if r["library"][key] != "default" and not usable[key]:
            skipped = [s for s in (report.skipped if report else []) if s.kind == kind]
            why = f"; first skipped: {skipped[0].path}: {skipped[0].reason}" if skipped else ""
            found = sum(1 for s in (report.skipped if report else []) if s.kind == kind)
            ctx.error(("library", key), f"no usable {kind} in {r['library'][key]} ({found} file(s) skipped, "
                      f"none used){why}")
            return True
    if not library.categories:
        ctx.error(("library", "sounds"), f"no category has both a sound and a mesh (sounds: "
                  f"{', '.join(sorted(usable['sounds'])) or 'none'}; meshes: {', '.join(sorted(usable['meshes'])) or 'none'})")
        return True
    return False


def _check_room(r: dict, dists: dict, ctx: _Context) -> None:
    """Room keys that depend on each other (materials checked on a test box) and each room kind's own."""
    room = r["room"]
    kinds = [ROOM_KINDS.get(t) for t in support(dists["room.type"])]
    if room["materials"] is not None:
        if ("room", "rt60_s") in ctx.given and room["rt60_s"] is not None:
            ctx.error(("room", "rt60_s"), "give either room.rt60_s or room.materials, not both")
            return
        room["rt60_s"] = None
        dists.pop("room.rt60_s", None)
        try:
            check_materials(room["materials"], r["audio"]["sample_rate"])
        except ValueError as exc:
            ctx.error(("room", "materials"), str(exc).replace("room.materials", "").strip(": ") or str(exc))
    else:
        bounded = [k.name for k in kinds if k.bounded]
        if bounded and room["rt60_s"] is None:
            ctx.error(("room", "rt60_s"), f"a {bounded[0]} room needs room.rt60_s or room.materials")
    for kind in kinds:
        kind.check_spec(room, lambda key, message: ctx.error(("room", key), message))


def _expand_sweep(sweep: Any, schema: Section, ctx: _Context) -> list[dict[str, Any]]:
    if sweep is None:
        return [{}]
    if not isinstance(sweep, dict) or not sweep:
        ctx.error(("sweep",), "expected a mapping {key.path: [values, ...]}")
        return [{}]
    axes = []
    for key, values in sweep.items():
        here = ("sweep", key)
        node: Any = schema
        for part in str(key).split("."):
            if not isinstance(node, Section) or part not in node.fields:
                options = list(node.fields) if isinstance(node, Section) else []
                close = difflib.get_close_matches(part, options, n=1, cutoff=0.6)
                ctx.error(here, f"unknown spec key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
                node = None
                break
            node = node.fields[part]
        if node is None:
            continue
        if isinstance(node, Section) or str(key) in ("sweep", "samples", "seed", "output.dir"):
            ctx.error(here, f"{key!r} cannot be swept")
            continue
        if not isinstance(values, list) or not values:
            ctx.error(here, "expected a non-empty list of values")
            continue
        axes.append([(str(key), v) for v in values])
    points = 1
    for axis in axes:
        points *= len(axis)
    if points > MAX_SWEEP_POINTS:
        ctx.error(("sweep",), f"the sweep makes {points} datasets ({' x '.join(str(len(a)) for a in axes)}), more "
                  f"than the {MAX_SWEEP_POINTS} one spec may make; split it into several specs")
        return [{}]
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def spec_from_resolved(resolved: dict[str, Any], source: str) -> Spec:
    """Rebuild a :class:`Spec` from the resolved form stored in dataset.json."""
    data = copy.deepcopy(resolved)
    point = data.pop("sweep_point", None)
    spec = load_spec_text(json.dumps(data), source, default_name=data.get("name") or "dataset",
                          library=open_library)[0]
    spec.sweep_point = point or {}
    if point:
        spec.resolved["sweep_point"] = point
    return spec
