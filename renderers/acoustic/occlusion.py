"""Occlusion of the direct sound by object meshes: diffraction over the occluder's edge.

When the straight path from a source to the head centre passes through another object, the
direct sound no longer arrives straight: it bends around the object. This module models that
as diffraction over a barrier (the engineering model of ISO 9613-2 and of most room-acoustics
tools), per octave band:

* **Occluders** (:class:`Occluder`): the convex hull of each object's mesh, posed like the
  image renderer poses it (:func:`simulator.core.geometry.pose_matrix`: scale, rotate, translate), in
  the world frame (head frame of the un-rotated head, metres). Objects are treated as rigid and
  acoustically opaque (no transmission through them); a concave object occludes like its hull.
* **Blocked** (:func:`blocked_length`): the segment source -> head centre runs through the hull
  for more than 1 mm (Cyrus-Beck clipping against the hull's facets). The object the source
  belongs to (``Source.object_id``) never occludes its own sound, nor does an object whose hull
  contains the source or the head centre.
* **Detour** (:func:`detour`): the shortest path from the source to the head centre around the
  blocking hulls, searched over ``n_dirs`` half-planes through the straight path (every 10
  degrees by default): in each, the path over the hull's projection is the upper convex chain of
  the projected points between the two ends; the shortest over all half-planes wins (over the
  top, or round a side). ``delta`` = its length minus the straight distance ``D``; the last bend
  before the head is the diffracting edge. Several blocking objects are treated as one (the hull
  of their union), which errs towards a longer detour.
* **Attenuation** (:func:`barrier_attenuation_db`): Kurze and Anderson's (1971) fit of
  Maekawa's (1968) screen measurements, ``A = 5 + 20 log10( sqrt(2 pi N) / tanh(sqrt(2 pi N)) )``
  dB with the Fresnel number ``N = 2 delta f / c``, at each octave-band centre, capped at
  ``max_db`` (20 dB by default: energy that leaks round the other sides of a finite object
  limits the loss of real barriers to about that).
* **What the renderer does with it** (:func:`occluded_direct_path`): the direct arrival comes
  from the diffracting edge's direction, after the detour's length (delay ``(D + delta) / c``),
  with the free-field level of the straight path (``1/D``) times the per-band barrier loss. Only
  the direct path is occluded; reflections are not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from simulator.core.geometry import pose_matrix

__all__ = ["Occluder", "OccludedPath", "occluder_from_points", "scene_occluders", "blocked_length", "detour",
           "barrier_attenuation_db", "occluded_direct_path", "DEFAULT_MAX_ATTENUATION_DB"]

#: Cap of the barrier loss per band, dB.
DEFAULT_MAX_ATTENUATION_DB = 20.0
#: A path must run at least this far (metres) through a hull to count as blocked.
MIN_BLOCKED_M = 1e-3


@dataclass(frozen=True)
class Occluder:
    """The convex hull of one object's mesh in the world frame (metres).

    ``points`` (V, 3): the hull's vertices; ``planes`` (F, 4): its facets ``n . x + d <= 0``
    inside (unit outward normals ``n``)."""

    object_id: int
    points: np.ndarray
    planes: np.ndarray = field(repr=False)

    def contains(self, x: np.ndarray, margin: float = 0.0) -> bool:
        return bool(np.all(self.planes[:, :3] @ np.asarray(x, float) + self.planes[:, 3] <= -margin))


@dataclass(frozen=True)
class OccludedPath:
    """How the direct sound of one source reaches the head round occluders.

    ``object_ids``: the occluding objects; ``distance_m``: the straight distance D; ``detour_m``:
    the extra path length delta; ``edge_m`` (3,): the diffracting edge (world frame);
    ``apparent_position_m`` (3,): where a point source would have to be to arrive along the edge's
    direction after ``D + delta``; ``centres_hz`` (B,): the bands; ``attenuation_db`` (B,): the
    barrier loss per band;
    ``band_gains`` (B,): the amplitude factors the renderer applies to that apparent source (the
    loss, times ``(D + delta) / D`` so that the level is the straight path's minus the loss)."""

    object_ids: tuple[int, ...]
    distance_m: float
    detour_m: float
    edge_m: np.ndarray
    apparent_position_m: np.ndarray
    centres_hz: np.ndarray
    attenuation_db: np.ndarray
    band_gains: np.ndarray

    def record(self, source_id: int) -> dict:
        """The sample record's ``audio.occlusion`` entry for this path (plain JSON values)."""
        return {"source_id": int(source_id), "object_ids": [int(i) for i in self.object_ids],
                "distance_m": round(self.distance_m, 6), "detour_m": round(self.detour_m, 6),
                "band_centres_hz": [float(f) for f in self.centres_hz],
                "attenuation_db": [round(float(a), 3) for a in self.attenuation_db]}


def occluder_from_points(points: np.ndarray, object_id: int) -> Occluder | None:
    """The hull of world-frame points (N, 3); None when they span no volume (a flat or empty mesh)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    if pts.shape[0] < 4:
        return None
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return None
    return Occluder(int(object_id), np.ascontiguousarray(pts[hull.vertices]), np.ascontiguousarray(hull.equations))


def scene_occluders(objects: Iterable, mesh_points: Callable[[str], np.ndarray]) -> list[Occluder]:
    """Occluders of Scene objects (``SceneObject``: mesh key, position, yaw/pitch/roll, scale).
    ``mesh_points(key)`` gives the mesh's vertices (N, 3) in its own frame (metres, before scale),
    e.g. its hull vertices, cached by the caller."""
    out = []
    for obj in objects:
        local = np.asarray(mesh_points(obj.mesh), dtype=float).reshape(-1, 3)
        pose = pose_matrix(obj.position_m, obj.yaw_deg, obj.pitch_deg, obj.roll_deg, obj.scale)
        occ = occluder_from_points(local @ pose[:3, :3].T + pose[:3, 3], obj.id)
        if occ is not None:
            out.append(occ)
    return out


def blocked_length(a: np.ndarray, b: np.ndarray, occ: Occluder) -> float:
    """Length (metres) of the segment a -> b inside the occluder's hull (Cyrus-Beck clipping)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    n, off = occ.planes[:, :3], occ.planes[:, 3]
    num = -(n @ a + off)  # inside where t * (n . d) <= num
    den = n @ d
    t0, t1 = 0.0, 1.0
    parallel = np.abs(den) < 1e-12
    if np.any(parallel & (num < 0)):
        return 0.0
    t = num[~parallel] / den[~parallel]
    enter = den[~parallel] < 0
    if np.any(enter):
        t0 = max(t0, float(np.max(t[enter])))
    if np.any(~enter):
        t1 = min(t1, float(np.min(t[~enter])))
    return max(0.0, t1 - t0) * float(np.linalg.norm(d))


def _upper_chain(s: np.ndarray, y: np.ndarray, length: float) -> tuple[float, int]:
    """Length of the upper convex chain from (0, 0) to (length, 0) over the points (s, y) and
    the index (into s, y) of its last bend before (length, 0); (length, -1) when nothing rises
    above the straight line."""
    order = np.lexsort((y, s))
    pts = [(0.0, 0.0, -1)] + [(float(s[i]), float(y[i]), int(i)) for i in order] + [(length, 0.0, -1)]
    chain: list[tuple[float, float, int]] = []
    for p in pts:  # Andrew's monotone chain, upper hull (clockwise turns only)
        while len(chain) >= 2:
            (x1, y1, _), (x2, y2, _) = chain[-2], chain[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0.0:
                chain.pop()
            else:
                break
        chain.append(p)
    xy = np.array([(c[0], c[1]) for c in chain])
    total = float(np.sum(np.linalg.norm(np.diff(xy, axis=0), axis=1)))
    return total, chain[-2][2] if len(chain) > 2 else -1


def _clip_to_strip(poly: np.ndarray, length: float) -> np.ndarray:
    """Clip a convex polygon (V, 2) in (s, y) to 0 <= s <= length (Sutherland-Hodgman)."""
    for sign, bound in ((1.0, 0.0), (-1.0, -length)):  # keep sign * s >= bound
        out = []
        n = poly.shape[0]
        for i in range(n):
            p, q = poly[i], poly[(i + 1) % n]
            fp, fq = sign * p[0] - bound, sign * q[0] - bound
            if fp >= 0:
                out.append(p)
            if (fp >= 0) != (fq >= 0):
                out.append(p + (q - p) * (fp / (fp - fq)))
        poly = np.array(out) if out else np.zeros((0, 2))
        if poly.shape[0] == 0:
            break
    return poly


def detour(a: np.ndarray, b: np.ndarray, points: np.ndarray, n_dirs: int = 36) -> tuple[float, np.ndarray]:
    """Shortest path from ``a`` to ``b`` (world frame) around the convex hull of ``points``
    (N, 3), searched over ``n_dirs`` half-planes through the line a-b (see the module docstring).
    Returns ``(delta, edge)``: the extra length over ``|b - a|`` (metres) and the last bend
    before ``b`` (3,) (``a`` when the path needs no bend)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    dist = float(np.linalg.norm(b - a))
    e = (b - a) / dist
    helper = np.array([0.0, 0.0, 1.0]) if abs(e[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    p1 = np.cross(e, helper)
    p1 /= np.linalg.norm(p1)
    p2 = np.cross(e, p1)
    rel = np.asarray(points, float) - a
    s = rel @ e
    best, best_edge = np.inf, a.copy()
    for theta in np.arange(n_dirs) * (2.0 * np.pi / n_dirs):
        u = np.cos(theta) * p1 + np.sin(theta) * p2
        y = rel @ u
        xy = np.stack([s, y], axis=1)
        try:
            poly = xy[ConvexHull(xy).vertices]
        except QhullError:  # all points on a line in this plane
            poly = xy
        poly = _clip_to_strip(poly, dist)
        if poly.shape[0] == 0:
            return 0.0, a.copy()
        total, last = _upper_chain(poly[:, 0], poly[:, 1], dist)
        if total < best:
            best = total
            best_edge = a + poly[last, 0] * e + poly[last, 1] * u if last >= 0 else a.copy()
    return best - dist, best_edge


def barrier_attenuation_db(delta_m: float, freqs_hz: np.ndarray, c: float = 343.0,
                           max_db: float = DEFAULT_MAX_ATTENUATION_DB) -> np.ndarray:
    """Kurze-Anderson barrier loss (dB, >= 5 for a blocked path) for a detour of ``delta_m``
    metres at ``freqs_hz``, capped at ``max_db``."""
    n_fresnel = 2.0 * float(delta_m) * np.asarray(freqs_hz, float) / float(c)
    x = np.sqrt(2.0 * np.pi * np.maximum(n_fresnel, 0.0))
    ratio = np.where(x > 1e-9, x / np.tanh(np.maximum(x, 1e-9)), 1.0)
    return np.minimum(5.0 + 20.0 * np.log10(ratio), float(max_db))


def occluded_direct_path(source_m: Sequence[float], occluders: Sequence[Occluder], centres_hz: np.ndarray,
                         c: float = 343.0, exclude: int | None = None, max_db: float = DEFAULT_MAX_ATTENUATION_DB,
                         n_dirs: int = 36) -> OccludedPath | None:
    """The occluded direct path from a source (world frame, metres) to the head centre (the
    origin), or None when no occluder blocks it. ``exclude``: the source's own object id."""
    src = np.asarray(source_m, dtype=float)
    head = np.zeros(3)
    blocking = [o for o in occluders
                if o.object_id != exclude and not o.contains(src) and not o.contains(head)
                and blocked_length(src, head, o) > MIN_BLOCKED_M]
    if not blocking:
        return None
    dist = float(np.linalg.norm(src))
    delta, edge = detour(src, head, np.vstack([o.points for o in blocking]), n_dirs)
    delta = max(delta, 0.0)
    to_edge = edge - head
    norm = float(np.linalg.norm(to_edge))
    direction = to_edge / norm if norm > 1e-9 else src / dist
    apparent = direction * (dist + delta)
    att = barrier_attenuation_db(delta, centres_hz, c, max_db)
    gains = 10.0 ** (-att / 20.0) * (dist + delta) / dist
    return OccludedPath(tuple(o.object_id for o in blocking), dist, delta, edge, apparent,
                        np.asarray(centres_hz, float), att, gains)
