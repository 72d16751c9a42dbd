"""Which (category, size bin) pairs a spec can realise with the library's real-world sizes.

A small object can only fill a large part of the image when it is close to the camera, and no
object may come closer to the head than ``objects.min_distance_m``. A mesh at a given yaw can
reach a size bin if its silhouette (:mod:`simulator.assets.silhouette`), with its nearest point
at the minimum distance and the narrowest field of view, covers at least the lowest area the
sampler aims at in that bin. The same test picks the meshes and yaws the sampler may use.

With floor support (``objects.support``, docs/support.md) an object also cannot come nearer than
the floor allows: it rests on the floor below the camera, and on the image's top allowed row the
steepest ray to its centre is the camera's highest pitch less that row's angle
(:class:`FloorReach`), so the sized object's row can stay uniform over the image.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from renderers.acoustic.room_kinds import ROOM_KINDS

from .assets.silhouette import YAWS_DEG, at_yaw
from .conditions import get_rule
from .core.size_bins import SIZE_BINS
from .spec.distributions import Choice, component_range, support, value_range

#: Mesh files that are image cutouts (depth objects, simulator/assets/cutouts.py): free under ``auto``.
CUTOUT_SUFFIXES = (".png", ".webp")

#: The lowest target area the sampler aims at inside a bin, relative to the bin's lower edge.
BIN_EDGE_MARGIN = 0.05
#: Slack for the orthographic estimate (perspective and rasterisation), as a factor on area.
ESTIMATE_SLACK = 0.9


def focal_px(hfov_deg: float, width: int) -> float:
    return 0.5 * width / np.tan(np.radians(hfov_deg) / 2.0)


def lowest_target_area(size_bin: str, min_area_fraction: float) -> float:
    lo = max(SIZE_BINS[size_bin][0], min_area_fraction)
    return lo * (1.0 + BIN_EDGE_MARGIN)


@dataclass(frozen=True)
class FloorReach:
    """How near floor support lets an object come: the camera's height above the floor (m, the
    lowest the spec allows), its highest pitch and the angle from the optical axis of the image's
    top (and bottom) row an object centre may take (``target.margin``), degrees."""

    camera_height_m: float
    max_pitch_deg: float
    edge_row_deg: float
    edge_px: float = 0.0  # rows between the image's top and its top allowed row

    def visible_factor(self, object_height_m: float, depth_m: float, focal: float) -> float:
        """The part of its side silhouette an upright object on the floor shows on the top allowed
        row at ``depth_m``: seen from above at the camera's highest pitch less that row's angle
        (cos of it), and its upper part cut by the image's top edge when it is taller there than
        twice ``edge_px`` (its centre lies on that row)."""
        elevation = np.radians(max(self.max_pitch_deg - self.edge_row_deg, 0.0))
        tall = focal * object_height_m * np.cos(elevation) / max(depth_m, 1e-9)
        clip = min(1.0, (self.edge_px + 0.5 * tall) / tall) if tall > 0 else 1.0
        return float(np.cos(elevation) * clip)

    def min_depth_m(self, object_height_m: float) -> float:
        """Nearest depth (m along the optical axis) at which the centre of an upright object of this
        height, resting on the floor, can be seen on every row inside the margin: the top row is
        the hardest (the camera at its highest pitch; it sees the floor nearest at its lowest
        row), so that the sized object's row stays uniform over the image. Infinite when the top
        row cannot show the floor at all."""
        drop = self.camera_height_m - 0.5 * object_height_m
        if drop <= 0.0:
            return 0.0
        alpha = np.radians(self.edge_row_deg)
        elevation = min(np.radians(self.max_pitch_deg) - alpha, np.radians(90.0))
        if elevation <= 0.0:
            return float("inf")
        return float(drop * np.cos(alpha) / np.sin(elevation))


def uses_floor(r: dict, room_bounded: bool, library=None, dists: dict | None = None) -> bool:
    """Do the objects of a sample rest on the floor (``objects.support``)? ``floor``: in a bounded
    room; ``auto``: in a bounded room with the mesh raster, a pinhole camera and no depth object
    (image cutout) among the meshes of ``objects.categories``, when every condition and size bin
    of the spec can still be planned with objects on the floor (:func:`floor_plannable`; so
    ``auto`` never makes a valid spec invalid); ``free``: never."""
    support_ = r["objects"]["support"]
    if support_ == "free" or not room_bounded:
        return False
    if support_ == "floor":
        return True
    if r["image"]["renderer"] != "mesh" or r["camera"]["projection"] != "pinhole":
        return False
    if library is None:
        return True
    if has_cutouts(library, r["objects"]["categories"] or library.categories):
        return False
    return dists is None or floor_plannable(r, dists, library)


def floor_plannable(r: dict, dists: dict, library) -> bool:
    """Can every (condition, size bin) of the spec be planned with its objects on the floor (the
    spec read with ``objects.support: floor``)?"""
    forced = copy.deepcopy(r)
    forced["objects"]["support"] = "floor"
    return not any(path[0] == "target" for path, _ in feasibility_problems(forced, dists, library))


def has_cutouts(library, categories) -> bool:
    """Does any mesh of these categories come from an image cutout (a depth object)?"""
    return any(PurePosixPath(str(m.key)).suffix.lower() in CUTOUT_SUFFIXES
               for c in categories for m in library.meshes.get(c, ()))


def floor_reach(r: dict, dists: dict, library=None) -> FloorReach | None:
    """The :class:`FloorReach` of a spec (None when no room it allows puts objects on the floor):
    the lowest head height, the highest pitch and the widest field of view's lowest row."""
    if not any(uses_floor(r, ROOM_KINDS.get(name).bounded, library, dists) for name in support(dists["room.type"])):
        return None
    height = value_range(dists["room.listener_height_m"])[0] + float(r["camera"]["position_m"][2])
    f = focal_px(value_range(dists["camera.hfov_deg"])[1], r["image"]["width"])
    row = float(np.degrees(np.arctan((0.5 - r["target"]["margin"]) * r["image"]["height"] / f)))
    return FloorReach(height, float(r["camera"]["max_pitch_deg"]), row, r["target"]["margin"] * r["image"]["height"])


def reachable(table: dict, yaw_deg: float, need: float, min_distance_m: float, hfov_deg: float,
              width: int, height: int, max_distance_m: float | None = None, radius_m: float = 0.0,
              min_depth_m: float = 0.0, floor_factor=None) -> bool:
    """Can the mesh, at this yaw, cover ``need`` of the image without coming closer than
    ``min_distance_m``? (Its origin is then ``min_distance_m + front`` ahead, roughly, or
    ``min_depth_m`` if that is farther: floor support, :meth:`FloorReach.min_depth_m`, where the
    silhouette counts ``floor_factor(depth, focal)`` of itself, :meth:`FloorReach.visible_factor`.)
    With ``max_distance_m``: and without its far side (origin + ``radius_m``) lying beyond it?"""
    area, front = at_yaw(table, yaw_deg)
    depth = max(min_distance_m + front, min_depth_m)
    if floor_factor is not None and min_depth_m > min_distance_m + front:
        area *= floor_factor(depth, focal_px(hfov_deg, width))
    f2 = focal_px(hfov_deg, width) ** 2
    if ESTIMATE_SLACK * area * f2 / (depth**2 * width * height) < need:
        return False
    return max_distance_m is None or np.sqrt(area * f2 / (need * width * height)) + radius_m <= max_distance_m


def feasible(library, category: str, size_bin: str, min_distance_m: float, hfov_min_deg: float,
             width: int, height: int, min_area_fraction: float, max_distance_m: float | None = None,
             floor: FloorReach | None = None) -> bool:
    """True if some mesh of ``category`` at some yaw can reach ``size_bin`` (and, with
    ``max_distance_m``, be as small as the bin's lowest target area without any part of it
    going farther than that: the sampler draws areas over the whole bin); with ``floor``, resting
    on the floor."""
    need = lowest_target_area(size_bin, min_area_fraction)
    near = (lambda m: floor.min_depth_m(float(m.size_m[2]))) if floor is not None else (lambda m: 0.0)
    seen = (lambda m: (lambda d, f: floor.visible_factor(float(m.size_m[2]), d, f))) if floor is not None \
        else (lambda m: None)
    return any(reachable(library.silhouette(m), float(y), need, min_distance_m, hfov_min_deg, width, height,
                         min_depth_m=near(m), floor_factor=seen(m))
               and (max_distance_m is None
                    or reachable(library.silhouette(m), float(y), need, 0.0, hfov_min_deg, width, height,
                                 max_distance_m, m.radius_m))
               for m in library.probe_meshes(category) for y in YAWS_DEG)


def planned_category_pool(library, rule, size_bin: str, categories, min_distance_m: float, hfov_min_deg: float,
                          width: int, height: int, min_area_fraction: float,
                          max_distance_m: float | None = None, floor: FloorReach | None = None) -> list[str]:
    """The categories c a sample of ``rule`` in ``size_bin`` may be planned with.

    If the sized object has category c: those that can reach the bin. If the sized object is of
    another category d (conflict, absent, offscreen): those for which some other reachable d
    exists. Audio-only samples (no object): all.
    """
    if not rule.sized_is_planned_category and not rule.needs_other_category:  # no sized object (audio_only)
        return list(categories)
    ok = [c for c in categories
          if feasible(library, c, size_bin, min_distance_m, hfov_min_deg, width, height, min_area_fraction,
                      max_distance_m, floor)]
    if rule.sized_is_planned_category:
        return ok
    return [c for c in categories if any(d != c for d in ok)]


def room_reach_m(room: dict, dists: dict, max_distance_m: float) -> float:
    """How far ahead (+x) of the listener an object can be, at the least, in the rooms a spec's
    resolved ``room`` block allows (each room kind's ``reach_ahead_m``: e.g. the nearest wall
    ahead for the smallest shoebox with the listener farthest from the wall behind); at most
    ``max_distance_m`` (objects.max_distance_m)."""
    ranges = lambda key, k: component_range(dists[f"room.{key}"], k)  # noqa: E731
    reach = float(max_distance_m)
    for name in support(dists["room.type"]):
        ahead = ROOM_KINDS.get(name).reach_ahead_m(room, ranges)
        if ahead is not None:
            reach = min(reach, ahead)
    return float(reach)


def feasibility_args(r: dict, dists: dict, library=None) -> tuple:
    """The arguments :func:`planned_category_pool` takes after its first four, from a resolved
    spec and its distributions: objects.min_distance_m, the narrowest field of view, the image
    size, target.min_area_fraction, :func:`room_reach_m` and :func:`floor_reach`."""
    return (r["objects"]["min_distance_m"], value_range(dists["camera.hfov_deg"])[0], r["image"]["width"],
            r["image"]["height"], r["target"]["min_area_fraction"],
            room_reach_m(r["room"], dists, r["objects"]["max_distance_m"]), floor_reach(r, dists, library))


def planned_values(dist) -> tuple:
    """The categories ``target.category`` (a constant or a choice) may take."""
    return tuple(dist.values) if isinstance(dist, Choice) else (dist.value,)


def feasibility_problems(r: dict, dists: dict, library) -> list[tuple[tuple, str]]:
    """Every (condition, size bin) must have planned categories that real sizes allow: (key path,
    message) for each that has none (or, with an explicit ``target.category``, for each planned
    category that cannot fill it)."""
    problems: list[tuple[tuple, str]] = []
    categories = planned_values(dists["target.category"])
    explicit = r["target"]["category"] is not None
    if r["objects"]["support"] == "floor":
        free = [t for t in support(dists["room.type"]) if not ROOM_KINDS.get(t).bounded]
        if free:
            problems.append((("objects", "support"), f"floor needs a room with a floor, not room.type {free[0]} "
                             "(use support: auto or free, or a shoebox or polyhedron room)"))
    if r["camera"]["min_pitch_deg"] > r["camera"]["max_pitch_deg"]:
        problems.append((("camera", "min_pitch_deg"), f"{r['camera']['min_pitch_deg']} is above "
                         f"camera.max_pitch_deg ({r['camera']['max_pitch_deg']})"))
    args = feasibility_args(r, dists, library)
    why = (f"at real size (objects.min_distance_m={args[0]} m, hfov >= {args[1]} deg"
           + (", resting on the floor below the camera" if args[6] is not None else "")
           + "); lower min_distance_m, narrow the field of view or drop the category or size bin")
    for condition in support(dists["condition"]):
        rule = get_rule(condition)
        if rule.needs_other_category and len(r["objects"]["categories"]) < 2:
            problems.append((("objects", "categories"), f"{condition} needs at least two categories"))
            continue
        for size_bin in support(dists["target.size_bin"]):
            pool = planned_category_pool(library, rule, size_bin, categories, *args)
            bad = [c for c in categories if c not in pool]
            if explicit and bad:
                problems.append((("target", "category"), f"{', '.join(bad)} cannot be planned for {condition} in "
                                 f"{size_bin} {why}"))
            elif not pool:
                problems.append((("target", "size_bin"), f"no category can fill {size_bin} for {condition} {why}"))
    return problems
