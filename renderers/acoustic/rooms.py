"""Room geometry, wall materials, octave bands and the RT60 <-> absorption relation.

Room coordinates (``simulator.core.scene.Room``): metres from the room's origin (a shoebox's corner),
axes parallel to the head frame (+x ahead, +y left, +z up); the head centre sits at
``room.listener_position_m``, so a head-frame point p is at ``listener_position_m + p``.

Rooms (built by :func:`renderers.acoustic.room_kinds.build_room` through their kind):

* ``shoebox``: [0, Lx] x [0, Ly] x [0, Lz] with ``size_m = (Lx, Ly, Lz)``. Walls (pyroomacoustics'
  names): ``west`` x = 0 (behind), ``east`` x = Lx (ahead), ``south`` y = 0 (right), ``north``
  y = Ly (left), ``floor`` z = 0, ``ceiling`` z = Lz.
* ``polyhedron`` from ``floor_plan`` [[x, y], ...] (a simple polygon, either orientation) extruded
  from z = 0 to ``height_m``: walls ``wall0`` .. ``wall{n-1}`` (edge i joins corners i and i+1),
  ``floor`` and ``ceiling``.
* ``polyhedron`` from ``mesh``: a closed (watertight) triangle mesh file readable by trimesh, in
  room coordinates. Coplanar adjacent faces are merged into one polygonal wall (trimesh facets);
  walls are named ``floor`` (outward normal within 25 degrees of -z), ``ceiling`` (of +z) or
  ``wall<i>``.

Materials (``room.materials``, a mapping wall name -> material): the keys are wall names, ``walls``
(every wall that is neither floor nor ceiling) and ``all``; a wall takes its own entry, else
``walls``/``floor``/``ceiling``, else ``all``. A material is a pyroomacoustics material name
(its octave-band energy absorption coefficients, e.g. ``"hard_surface"``, ``"carpet_cotton"``),
a number (energy absorption coefficient in [0, 1), the same in every band), a list of
coefficients for the octave bands 125, 250, 500, ... Hz (the last value repeats above), or a
mapping ``{"absorption": <any of those>, "scattering": <name, number or list>}`` (scattering is
used by the ray tracer only; default 0.1).

Alternatively ``room.rt60_s`` asks for a reverberation time: every wall gets one absorption
coefficient alpha from Eyring's formula inverted,

    alpha = 1 - exp(-(4 V / S) * (ln(10^6) / (c T) - m))

(V volume, S wall area, c speed of sound, T = rt60_s, m the air's energy absorption per metre in
that band when ``air_absorption`` is on, else 0), so that the predicted decay of every band is
exactly T. It is infeasible (ValueError naming ``room.rt60_s``) when alpha would exceed
``MAX_ABSORPTION`` (0.99: T shorter than even absorbing walls give) or when the air alone decays
faster than T. ``rt60_s`` and ``materials`` are mutually exclusive; a shoebox or polyhedron needs
one of them.

Bands: octave bands centred on 125 * 2^k Hz, ``floor(log2(fs / 125))`` of them (as in
pyroomacoustics: 7 bands, 125 Hz to 8 kHz, at 16 kHz). When every wall's absorption is the same
in all bands and air absorption is off, the room is rendered in one band (``flat``).

Decay: the energy decay rate of band b is Eyring's with the area-weighted mean absorption,
``k_b = -c S ln(1 - mean alpha_b) / (4 V) + c m_b`` (1/s), and ``RT60_b = ln(10^6) / k_b``.
"""
from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.core.scene import Room

__all__ = ["RoomModel", "Wall", "assemble_room", "free_field_model", "check_materials", "shoebox_walls",
           "floor_plan_walls", "mesh_walls", "band_centres", "air_absorption_coefficients",
           "eyring_absorption", "eyring_rt60", "materials_database", "SHOEBOX_WALLS", "MAX_ABSORPTION",
           "LN_1E6"]

SHOEBOX_WALLS = ("west", "east", "south", "north", "floor", "ceiling")
MAX_ABSORPTION = 0.99
#: Most triangles of a room mesh (walls, not detail: image sources grow with the wall count).
MAX_ROOM_FACES = 5_000
MAX_RT60_S = 30.0
LN_1E6 = float(np.log(1e6))
DEFAULT_SCATTERING = 0.1

#: Energy absorption of air, 1/m, at 20 C and 30-50 % humidity (Vorlaender 2008, as tabulated by
#: pyroomacoustics), octave bands 125 Hz .. 8 kHz; above 8 kHz it is extrapolated as f^2.
_AIR_TABLE_HZ = np.array([125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0])
_AIR_TABLE = np.array([0.1, 0.3, 0.6, 1.0, 1.9, 5.8, 20.3]) * 1e-3


def band_centres(sample_rate: int) -> np.ndarray:
    """Octave-band centres 125 * 2^k Hz, ``max(1, floor(log2(fs / 125)))`` bands."""
    n = max(1, int(np.floor(np.log2(float(sample_rate) / 125.0))))
    return 125.0 * 2.0 ** np.arange(n)


def air_absorption_coefficients(centres: np.ndarray) -> np.ndarray:
    """Energy absorption of air (1/m) at the band centres (amplitude factor exp(-m d / 2))."""
    c = np.asarray(centres, float)
    out = np.interp(c, _AIR_TABLE_HZ, _AIR_TABLE)
    hi = c > _AIR_TABLE_HZ[-1]
    out[hi] = _AIR_TABLE[-1] * (c[hi] / _AIR_TABLE_HZ[-1]) ** 2
    return out


@functools.lru_cache(maxsize=1)
def materials_database() -> dict[str, Any]:
    """pyroomacoustics' materials database (read from its JSON without importing the package):
    {"center_freqs": [...], "absorption": {name: coeffs}, "scattering": {name: coeffs}}."""
    spec = importlib.util.find_spec("pyroomacoustics")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("room.materials: material names need the pyroomacoustics package "
                         "(pip install pyroomacoustics); give absorption coefficients instead")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "materials.json"
    data = json.loads(path.read_text())
    out: dict[str, Any] = {"center_freqs": [float(f) for f in data["center_freqs"]], "absorption": {}, "scattering": {}}
    for kind in ("absorption", "scattering"):
        for group in data[kind].values():
            for name, entry in group.items():
                out[kind][name] = [float(v) for v in entry["coeffs"]]
    return out


def eyring_absorption(rt60_s: float, volume: float, surface: float, c: float, air: np.ndarray) -> np.ndarray:
    """Uniform wall absorption per band giving ``rt60_s`` by Eyring's formula (see module doc)."""
    per_metre = LN_1E6 / (c * rt60_s) - np.asarray(air, float)
    if np.any(per_metre <= 0):
        raise ValueError(f"room.rt60_s = {rt60_s} s is longer than the air absorption alone allows in this room "
                         "(turn room.air_absorption off or ask for a shorter rt60_s)")
    alpha = 1.0 - np.exp(-(4.0 * volume / surface) * per_metre)
    if np.any(alpha > MAX_ABSORPTION):
        shortest = LN_1E6 / (c * (-surface * np.log(1.0 - MAX_ABSORPTION) / (4.0 * volume) + float(np.max(air))))
        raise ValueError(f"room.rt60_s = {rt60_s} s is too short for this room (volume {volume:.1f} m^3): even walls "
                         f"absorbing {MAX_ABSORPTION:.0%} of the energy give {shortest:.3f} s")
    return alpha


def eyring_rt60(mean_alpha: np.ndarray, volume: float, surface: float, c: float, air: np.ndarray) -> np.ndarray:
    """RT60 per band (s) from the area-weighted mean absorption (Eyring) and air absorption."""
    rate = decay_rate(mean_alpha, volume, surface, c, air)
    return LN_1E6 / rate


def decay_rate(mean_alpha, volume, surface, c, air) -> np.ndarray:
    """Energy decay rate per band (1/s): -c S ln(1 - alpha) / (4 V) + c m."""
    a = np.clip(np.asarray(mean_alpha, float), 0.0, 1.0 - 1e-12)
    return -c * surface * np.log1p(-a) / (4.0 * volume) + c * np.asarray(air, float)


@dataclass
class Wall:
    """A planar polygonal wall: ``vertices`` (n, 3) in room coordinates, ordered so that the
    right-hand normal points out of the room; ``kind`` is floor, ceiling or wall."""

    name: str
    vertices: np.ndarray
    kind: str

    @property
    def outward_normal(self) -> np.ndarray:
        return _newell_normal(self.vertices)

    @property
    def area(self) -> float:
        return float(0.5 * np.linalg.norm(_newell_vector(self.vertices)))


@dataclass
class RoomModel:
    """Geometry and acoustics of one room, ready for rendering (see the module docstring).

    ``absorption`` (W, B) energy absorption per wall and band (B = 1 when ``flat``);
    ``scattering`` (W,); ``air`` (B,) energy air absorption per metre (zeros when off);
    ``centres`` (B,) band centres in Hz (None-like NaN when flat); ``rt60`` (B,) predicted RT60;
    ``triangles`` (T, 3, 3), ``tri_wall`` (T,), ``tri_normals`` (T, 3) inward unit normals.
    """

    type: str
    speed_of_sound: float
    listener: np.ndarray
    bounded: bool = True  # False: free field (no walls, every point inside)
    walls: list[Wall] = field(default_factory=list)
    size: np.ndarray | None = None
    volume: float = float("inf")
    surface: float = 0.0
    absorption: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    scattering: np.ndarray = field(default_factory=lambda: np.zeros(0))
    air: np.ndarray = field(default_factory=lambda: np.zeros(1))
    centres: np.ndarray = field(default_factory=lambda: np.array([np.nan]))
    flat: bool = True
    rt60: np.ndarray = field(default_factory=lambda: np.zeros(1))
    decay: np.ndarray = field(default_factory=lambda: np.full(1, np.inf))
    triangles: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 3)))
    tri_wall: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tri_normals: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def n_bands(self) -> int:
        return int(self.absorption.shape[1]) if self.absorption.size else int(self.air.shape[0])

    @property
    def wall_names(self) -> list[str]:
        return [w.name for w in self.walls]

    def contains(self, points, margin: float = 0.0) -> np.ndarray:
        """True where points (..., 3) (room coordinates) are inside the room by more than ``margin``."""
        p = np.asarray(points, float)
        if not self.bounded:
            return np.ones(p.shape[:-1], dtype=bool)
        if self.size is not None:
            return np.all((p > margin) & (p < self.size - margin), axis=-1)
        flat = p.reshape(-1, 3)
        inside = np.abs(_winding_number(flat, self.triangles)) > 0.5
        if margin > 0:
            inside &= _distance_to_triangles(flat, self.triangles) > margin
        return inside.reshape(p.shape[:-1])


# ------------------------------------------------------------------------------------------------
# geometry helpers
def _newell_vector(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, float)
    w = np.roll(v, -1, axis=0)
    return np.array([np.sum((v[:, 1] - w[:, 1]) * (v[:, 2] + w[:, 2])),
                     np.sum((v[:, 2] - w[:, 2]) * (v[:, 0] + w[:, 0])),
                     np.sum((v[:, 0] - w[:, 0]) * (v[:, 1] + w[:, 1]))])


def _newell_normal(v: np.ndarray) -> np.ndarray:
    n = _newell_vector(v)
    return n / np.linalg.norm(n)


def _fan_triangles(poly: np.ndarray) -> np.ndarray:
    """Triangulate a planar simple polygon (n, 3) by ear clipping (keeps the orientation)."""
    n = poly.shape[0]
    if n == 3:
        return poly[None]
    normal = _newell_normal(poly)
    turns = np.cross(np.roll(poly, -1, axis=0) - poly, np.roll(poly, -2, axis=0) - np.roll(poly, -1, axis=0)) @ normal
    if np.all(turns > 1e-12):  # convex: a fan from the first corner
        return np.stack([np.repeat(poly[:1], n - 2, axis=0), poly[1:-1], poly[2:]], axis=1)
    idx = list(range(n))
    tris = []
    guard = 0
    while len(idx) > 3 and guard < 10 * n:
        guard += 1
        for k in range(len(idx)):
            i0, i1, i2 = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = poly[i0], poly[i1], poly[i2]
            if np.dot(np.cross(b - a, c - b), normal) <= 1e-12:
                continue  # reflex corner
            ok = True
            for j in idx:
                if j in (i0, i1, i2):
                    continue
                p = poly[j]
                if (np.dot(np.cross(b - a, p - a), normal) >= -1e-12 and np.dot(np.cross(c - b, p - b), normal) >= -1e-12
                        and np.dot(np.cross(a - c, p - c), normal) >= -1e-12):
                    ok = False
                    break
            if ok:
                tris.append([a, b, c])
                idx.pop(k)
                break
    tris.append([poly[idx[0]], poly[idx[1]], poly[idx[2]]])
    return np.array(tris)


def _winding_number(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Generalised winding number of closed, outward-oriented triangles at points (P, 3)."""
    a = tris[None, :, 0, :] - points[:, None, :]
    b = tris[None, :, 1, :] - points[:, None, :]
    c = tris[None, :, 2, :] - points[:, None, :]
    la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
    num = np.einsum("ptk,ptk->pt", a, np.cross(b, c))
    den = la * lb * lc + np.einsum("ptk,ptk->pt", a, b) * lc + np.einsum("ptk,ptk->pt", b, c) * la \
        + np.einsum("ptk,ptk->pt", c, a) * lb
    return np.sum(2.0 * np.arctan2(num, den), axis=1) / (4.0 * np.pi)


def _distance_to_triangles(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Smallest distance (P,) from points to the triangles' planes, clamped to each triangle
    (approximate: plane distance where the projection falls inside, else nearest vertex/edge)."""
    out = np.full(points.shape[0], np.inf)
    for tri in tris:
        a, b, c = tri
        n = np.cross(b - a, c - a)
        n = n / np.linalg.norm(n)
        d = (points - a) @ n
        proj = points - d[:, None] * n
        inside = np.ones(points.shape[0], dtype=bool)
        for p0, p1 in ((a, b), (b, c), (c, a)):
            inside &= (np.cross(p1 - p0, proj - p0) @ n) >= 0
        dist = np.where(inside, np.abs(d), np.inf)
        for p0, p1 in ((a, b), (b, c), (c, a)):
            e = p1 - p0
            t = np.clip(((points - p0) @ e) / (e @ e), 0.0, 1.0)
            dist = np.minimum(dist, np.linalg.norm(points - (p0 + t[:, None] * e), axis=1))
        out = np.minimum(out, dist)
    return out


def shoebox_walls(size: np.ndarray) -> list[Wall]:
    """The six walls of the box [0, Lx] x [0, Ly] x [0, Lz] (:data:`SHOEBOX_WALLS` names and order)."""
    lx, ly, lz = size
    p = np.array([[0, 0, 0], [lx, 0, 0], [lx, ly, 0], [0, ly, 0],
                  [0, 0, lz], [lx, 0, lz], [lx, ly, lz], [0, ly, lz]], dtype=float)
    faces = {
        "west": [0, 3, 7, 4], "east": [1, 5, 6, 2], "south": [0, 4, 5, 1],
        "north": [3, 2, 6, 7], "floor": [0, 1, 2, 3][::-1], "ceiling": [4, 5, 6, 7],
    }
    kinds = {"floor": "floor", "ceiling": "ceiling"}
    centre = 0.5 * np.asarray(size, float)
    walls = []
    for name in SHOEBOX_WALLS:
        v = p[faces[name]]
        if np.dot(_newell_vector(v), v.mean(axis=0) - centre) < 0:
            v = v[::-1]  # make the right-hand normal point out of the room
        walls.append(Wall(name, v, kinds.get(name, "wall")))
    return walls


def _segments_cross(p1, p2, q1, q2) -> bool:
    def orient(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def floor_plan_walls(plan, height) -> list[Wall]:
    """Walls ``wall0``.. of a simple floor polygon [[x, y], ...] extruded to ``height``, plus floor
    and ceiling (module docstring)."""
    try:
        pts = np.asarray(plan, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("room.floor_plan must be a list of [x, y] corners in metres") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 3 or not np.all(np.isfinite(pts)):
        raise ValueError(f"room.floor_plan must be at least 3 finite [x, y] corners, got {plan!r}")
    if height is None or not (np.isfinite(float(height)) and float(height) > 0):
        raise ValueError(f"room.height_m must be a positive number of metres for a floor_plan room, got {height!r}")
    n = pts.shape[0]
    area2 = np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    if abs(area2) < 1e-9:
        raise ValueError("room.floor_plan has zero area")
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if _segments_cross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                raise ValueError("room.floor_plan must be a simple polygon (its edges cross)")
    if area2 < 0:
        pts = pts[::-1]
    h = float(height)
    walls = []
    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        walls.append(Wall(f"wall{i}", np.array([[a[0], a[1], 0.0], [b[0], b[1], 0.0], [b[0], b[1], h],
                                                 [a[0], a[1], h]]), "wall"))
    floor = np.column_stack([pts[::-1], np.zeros(n)])
    ceiling = np.column_stack([pts, np.full(n, h)])
    walls += [Wall("floor", floor, "floor"), Wall("ceiling", ceiling, "ceiling")]
    return walls


def mesh_walls(path) -> list[Wall]:
    """The walls of a closed mesh file (coplanar faces merged; module docstring)."""
    import trimesh

    p = Path(str(path)).expanduser()
    if not p.is_file():
        raise ValueError(f"room.mesh: no mesh file at {str(path)!r}")
    try:
        mesh = trimesh.load(str(p), force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds
        raise ValueError(f"room.mesh: cannot read {str(path)!r}: {err}") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) < 4:
        raise ValueError(f"room.mesh: {str(path)!r} holds no triangle mesh")
    if len(mesh.faces) > MAX_ROOM_FACES:
        raise ValueError(f"room.mesh: {str(path)!r} has {len(mesh.faces)} triangles, more than the {MAX_ROOM_FACES} "
                         "a room may have (a room is its walls: simplify it)")
    if not mesh.is_watertight:
        raise ValueError(f"room.mesh: {str(path)!r} is not a closed (watertight) surface")
    trimesh.repair.fix_normals(mesh)
    if mesh.volume < 0:
        mesh.invert()
    walls: list[Wall] = []
    used = np.zeros(len(mesh.faces), dtype=bool)
    for fi, facet in enumerate(mesh.facets):
        loop = _boundary_loop(mesh.facets_boundary[fi])
        if loop is None:
            continue
        verts = mesh.vertices[loop]
        normal = mesh.face_normals[facet[0]]
        if np.dot(_newell_vector(verts), normal) < 0:
            verts = verts[::-1]
        walls.append(_classified(verts, normal))
        used[facet] = True
    for f in np.nonzero(~used)[0]:
        walls.append(_classified(mesh.vertices[mesh.faces[f]], mesh.face_normals[f]))
    counter = 0
    for w in walls:
        if w.kind == "wall":
            w.name = f"wall{counter}"
            counter += 1
    return walls


def _classified(verts: np.ndarray, outward: np.ndarray) -> Wall:
    cos25 = np.cos(np.radians(25.0))
    if outward[2] <= -cos25:
        return Wall("floor", np.asarray(verts, float), "floor")
    if outward[2] >= cos25:
        return Wall("ceiling", np.asarray(verts, float), "ceiling")
    return Wall("wall", np.asarray(verts, float), "wall")


def _boundary_loop(edges: np.ndarray):
    """Order boundary edges (k, 2) into one closed vertex loop, or None if they form several."""
    edges = [tuple(map(int, e)) for e in edges]
    nxt: dict[int, list[int]] = {}
    for a, b in edges:
        nxt.setdefault(a, []).append(b)
        nxt.setdefault(b, []).append(a)
    if any(len(v) != 2 for v in nxt.values()):
        return None
    start = edges[0][0]
    loop = [start]
    prev, cur = None, start
    while True:
        cands = [v for v in nxt[cur] if v != prev]
        nxt_v = cands[0] if cands else None
        if nxt_v is None or nxt_v == start:
            break
        loop.append(nxt_v)
        prev, cur = cur, nxt_v
        if len(loop) > len(edges):
            return None
    return loop if len(loop) == len(edges) else None


# ------------------------------------------------------------------------------------------------
# materials
def _coefficients(value, what: str, centres: np.ndarray, kind: str) -> np.ndarray:
    db_key = "absorption" if kind == "absorption" else "scattering"
    if isinstance(value, str):
        db = materials_database()
        if value not in db[db_key]:
            close = [n for n in db[db_key] if value.lower() in n.lower()][:5]
            raise ValueError(f"{what}: unknown pyroomacoustics {db_key} material {value!r}"
                             + (f" (did you mean {close}?)" if close else ""))
        table_f = np.asarray(db["center_freqs"], float)
        coeffs = np.asarray(db[db_key][value], float)
        table_f = table_f[:coeffs.shape[0]]
        out = np.array([coeffs[np.argmin(np.abs(np.log2(table_f / f)))] if f <= table_f[-1] else coeffs[-1]
                        for f in centres])
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        out = np.full(centres.shape[0], float(value))
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                          for v in value):
        vals = np.asarray(value, float)
        k = np.clip(np.round(np.log2(centres / 125.0)).astype(int), 0, None)
        out = vals[np.minimum(k, vals.shape[0] - 1)]
    else:
        raise ValueError(f"{what}: expected a material name, a number in [0, 1) or a list of octave-band "
                         f"coefficients, got {value!r}")
    if not np.all(np.isfinite(out)) or np.any(out < 0) or np.any(out >= 1.0 if kind == "absorption" else out > 1.0):
        raise ValueError(f"{what}: {kind} coefficients must lie in [0, 1{')' if kind == 'absorption' else ']'}, "
                         f"got {np.round(out, 4).tolist()}")
    return out


def _resolve_materials(materials: dict, walls: list[Wall], centres: np.ndarray, room_type: str):
    if not isinstance(materials, dict) or not materials:
        raise ValueError(f"room.materials must be a non-empty mapping of wall name -> material, got {materials!r}")
    names = {w.name for w in walls}
    allowed = names | {"all", "walls", "floor", "ceiling"}
    for key in materials:
        if key not in allowed:
            raise ValueError(f"room.materials.{key}: no such wall in this {room_type} room "
                             f"(walls: {sorted(names)}, or 'walls', 'all')")
    absorption = np.zeros((len(walls), centres.shape[0]))
    scattering = np.zeros(len(walls))
    for i, w in enumerate(walls):
        for key in (w.name, "walls" if w.kind == "wall" else w.kind, "all"):
            if key in materials:
                break
        else:
            raise ValueError(f"room.materials has no entry for wall {w.name!r} (add it, or 'all')")
        value = materials[key]
        what = f"room.materials.{key}"
        if isinstance(value, dict):
            unknown = set(value) - {"absorption", "scattering"}
            if unknown or "absorption" not in value:
                raise ValueError(f"{what}: a mapping needs 'absorption' (and optionally 'scattering'), got {sorted(value)}")
            absorption[i] = _coefficients(value["absorption"], what + ".absorption", centres, "absorption")
            sc = value.get("scattering", DEFAULT_SCATTERING)
            scattering[i] = float(np.mean(_coefficients(sc, what + ".scattering", centres, "scattering")))
        else:
            absorption[i] = _coefficients(value, what, centres, "absorption")
            scattering[i] = DEFAULT_SCATTERING
    return absorption, scattering


# ------------------------------------------------------------------------------------------------
def free_field_model(room: Room, sample_rate: int, c: float) -> RoomModel:
    """The model of an anechoic space: no walls; per-band air absorption when ``air_absorption``."""
    if room.air_absorption:
        centres_all = band_centres(sample_rate)
        return RoomModel(type=room.type, speed_of_sound=c, listener=np.zeros(3), bounded=False, centres=centres_all,
                         air=air_absorption_coefficients(centres_all), flat=False,
                         rt60=np.zeros(centres_all.shape[0]), decay=np.full(centres_all.shape[0], np.inf))
    return RoomModel(type=room.type, speed_of_sound=c, listener=np.zeros(3), bounded=False)


def assemble_room(room: Room, walls: list[Wall], size: np.ndarray | None, volume: float | None, sample_rate: int,
                  c: float) -> RoomModel:
    """The :class:`RoomModel` of a bounded room from its walls (outward-oriented polygons, room
    coordinates), ``size`` (Lx, Ly, Lz) for an axis-aligned box (None otherwise; its six walls are
    then rectangles in :func:`shoebox_walls` order) and ``volume`` (None: computed from the walls):
    triangles, surface, the listener, materials or RT60 and the bands (errors name the ``room.*``
    field)."""
    centres_all = band_centres(sample_rate)
    air_on = bool(room.air_absorption)
    if size is not None:  # every wall a rectangle: two triangles each
        quads = np.array([w.vertices for w in walls])  # (6, 4, 3)
        triangles = np.ascontiguousarray(np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]], axis=0))
        tri_wall = np.concatenate([np.arange(6), np.arange(6)]).astype(np.int64)
    else:
        tris, tri_wall = [], []
        for i, w in enumerate(walls):
            t = _fan_triangles(w.vertices)
            tris.append(t)
            tri_wall += [i] * t.shape[0]
        triangles = np.ascontiguousarray(np.concatenate(tris, axis=0))
        tri_wall = np.asarray(tri_wall, dtype=np.int64)
    outward = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    tri_areas = 0.5 * np.linalg.norm(outward, axis=1)
    keep = tri_areas > 1e-12
    triangles, tri_wall, outward = triangles[keep], tri_wall[keep], outward[keep]
    normals = -outward / np.linalg.norm(outward, axis=1, keepdims=True)
    if volume is None:
        volume = float(np.sum(np.einsum("tk,tk->t", triangles[:, 0], np.cross(triangles[:, 1], triangles[:, 2]))) / 6.0)
        if not volume > 0:
            raise ValueError("room: the polyhedron encloses no volume (check the mesh / floor plan orientation)")
    if size is not None:
        wall_areas = np.array([size[1] * size[2]] * 2 + [size[0] * size[2]] * 2 + [size[0] * size[1]] * 2)
    else:
        wall_areas = np.array([w.area for w in walls])
    surface = float(np.sum(wall_areas))

    # listener
    if room.listener_position_m is None:
        raise ValueError(f"room.listener_position_m is required for a {room.type} room (room coordinates, metres)")
    try:
        listener = np.asarray(room.listener_position_m, dtype=float)
    except (TypeError, ValueError):
        listener = np.zeros(0)
    if listener.shape != (3,) or not np.all(np.isfinite(listener)):
        raise ValueError(f"room.listener_position_m must be 3 finite numbers (metres), got {room.listener_position_m!r}")

    # materials / rt60 and bands
    if room.rt60_s is not None and room.materials is not None:
        raise ValueError("room.rt60_s and room.materials are mutually exclusive: give one of them")
    if room.rt60_s is None and room.materials is None:
        raise ValueError(f"a {room.type} room needs room.rt60_s (seconds) or room.materials")
    air = air_absorption_coefficients(centres_all) if air_on else np.zeros(centres_all.shape[0])
    if room.rt60_s is not None:
        t = room.rt60_s
        if not (isinstance(t, (int, float, np.integer, np.floating)) and np.isfinite(t) and t > 0):
            raise ValueError(f"room.rt60_s must be a positive number of seconds, got {t!r}")
        alpha = eyring_absorption(float(t), volume, surface, c, air)
        absorption = np.tile(alpha, (len(walls), 1))
        scattering = np.full(len(walls), DEFAULT_SCATTERING)
    else:
        absorption, scattering = _resolve_materials(room.materials, walls, centres_all, room.type)
    flat = (not air_on) and bool(np.all(absorption == absorption[:, :1]))
    if flat:
        absorption = absorption[:, :1].copy()
        air = np.zeros(1)
        centres = np.array([np.nan])
    else:
        centres = centres_all
    mean_alpha = wall_areas @ absorption / surface
    decay = decay_rate(mean_alpha, volume, surface, c, air)
    rt60 = LN_1E6 / decay
    if np.any(rt60 > MAX_RT60_S):
        where = "room.rt60_s" if room.rt60_s is not None else "room.materials"
        raise ValueError(f"{where}: the walls absorb so little that the reverberation time reaches "
                         f"{float(np.max(rt60)):.1f} s (limit {MAX_RT60_S} s); use more absorbing materials")
    return RoomModel(type=room.type, speed_of_sound=c, listener=listener, walls=walls, size=size, volume=volume,
                     surface=surface, absorption=np.ascontiguousarray(absorption), scattering=scattering,
                     air=np.ascontiguousarray(air), centres=centres, flat=flat, rt60=rt60, decay=decay,
                     triangles=triangles, tri_wall=tri_wall, tri_normals=np.ascontiguousarray(normals))


def check_materials(materials: dict, sample_rate: int) -> None:
    """Raise ValueError (naming ``room.materials.<key>``) if ``materials`` cannot be resolved for
    the walls every room has (``walls``, ``floor``, ``ceiling``, ``all``; tried on a 6 x 5 x 3 m box)."""
    size = np.array([6.0, 5.0, 3.0])
    box = Room(type="box", size_m=(6.0, 5.0, 3.0), listener_position_m=(1.0, 2.5, 1.5), materials=materials)
    assemble_room(box, shoebox_walls(size), size, float(np.prod(size)), sample_rate, 343.0)
