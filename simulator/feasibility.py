"""Which (category, size bin) pairs a spec can realise with the library's real-world sizes.

A small object can only fill a large part of the image when it is close to the camera, and no
object may come closer to the head than ``objects.min_distance_m``. A mesh at a given yaw can
reach a size bin if its silhouette (:mod:`simulator.assets.silhouette`), with its nearest point
at the minimum distance and the narrowest field of view, covers at least the lowest area the
sampler aims at in that bin. The same test picks the meshes and yaws the sampler may use.
"""
from __future__ import annotations

import numpy as np

from renderers.acoustic.room_kinds import ROOM_KINDS

from .assets.silhouette import YAWS_DEG, at_yaw
from .conditions import get_rule
from .core.size_bins import SIZE_BINS
from .spec.distributions import Choice, component_range, support, value_range

#: The lowest target area the sampler aims at inside a bin, relative to the bin's lower edge.
BIN_EDGE_MARGIN = 0.05
#: Slack for the orthographic estimate (perspective and rasterisation), as a factor on area.
ESTIMATE_SLACK = 0.9


def focal_px(hfov_deg: float, width: int) -> float:
    return 0.5 * width / np.tan(np.radians(hfov_deg) / 2.0)


def lowest_target_area(size_bin: str, min_area_fraction: float) -> float:
    lo = max(SIZE_BINS[size_bin][0], min_area_fraction)
    return lo * (1.0 + BIN_EDGE_MARGIN)


def reachable(table: dict, yaw_deg: float, need: float, min_distance_m: float, hfov_deg: float,
              width: int, height: int, max_distance_m: float | None = None, radius_m: float = 0.0) -> bool:
    """Can the mesh, at this yaw, cover ``need`` of the image without coming closer than
    ``min_distance_m``? (Its origin is then ``min_distance_m + front`` ahead, roughly.) With
    ``max_distance_m``: and without its far side (origin + ``radius_m``) lying beyond it?"""
    area, front = at_yaw(table, yaw_deg)
    depth = min_distance_m + front
    f2 = focal_px(hfov_deg, width) ** 2
    if ESTIMATE_SLACK * area * f2 / (depth**2 * width * height) < need:
        return False
    return max_distance_m is None or np.sqrt(area * f2 / (need * width * height)) + radius_m <= max_distance_m


def feasible(library, category: str, size_bin: str, min_distance_m: float, hfov_min_deg: float,
             width: int, height: int, min_area_fraction: float, max_distance_m: float | None = None) -> bool:
    """True if some mesh of ``category`` at some yaw can reach ``size_bin`` (and, with
    ``max_distance_m``, be as small as the bin's lowest target area without any part of it
    going farther than that: the sampler draws areas over the whole bin)."""
    need = lowest_target_area(size_bin, min_area_fraction)
    return any(reachable(library.silhouette(m), float(y), need, min_distance_m, hfov_min_deg, width, height)
               and (max_distance_m is None
                    or reachable(library.silhouette(m), float(y), need, 0.0, hfov_min_deg, width, height,
                                 max_distance_m, m.radius_m))
               for m in library.probe_meshes(category) for y in YAWS_DEG)


def planned_category_pool(library, rule, size_bin: str, categories, min_distance_m: float, hfov_min_deg: float,
                          width: int, height: int, min_area_fraction: float,
                          max_distance_m: float | None = None) -> list[str]:
    """The categories c a sample of ``rule`` in ``size_bin`` may be planned with.

    If the sized object has category c: those that can reach the bin. If the sized object is of
    another category d (conflict, absent, offscreen): those for which some other reachable d
    exists. Audio-only samples (no object): all.
    """
    if not rule.sized_is_planned_category and not rule.needs_other_category:  # no sized object (audio_only)
        return list(categories)
    ok = [c for c in categories
          if feasible(library, c, size_bin, min_distance_m, hfov_min_deg, width, height, min_area_fraction,
                      max_distance_m)]
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


def feasibility_args(r: dict, dists: dict) -> tuple[float, float, int, int, float, float]:
    """The arguments :func:`planned_category_pool` takes after its first four, from a resolved
    spec and its distributions: objects.min_distance_m, the narrowest field of view, the image
    size, target.min_area_fraction and :func:`room_reach_m`."""
    return (r["objects"]["min_distance_m"], value_range(dists["camera.hfov_deg"])[0], r["image"]["width"],
            r["image"]["height"], r["target"]["min_area_fraction"],
            room_reach_m(r["room"], dists, r["objects"]["max_distance_m"]))


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
    args = feasibility_args(r, dists)
    why = (f"at real size (objects.min_distance_m={args[0]} m, hfov >= {args[1]} deg); lower min_distance_m, "
           f"narrow the field of view or drop the category or size bin")
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
