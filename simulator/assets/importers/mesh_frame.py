"""A mesh's size entry and its transform into the project frame (+z up, front +x, metres;
docs/conventions.md), shared by user mesh folders (``sizes.yaml``, :mod:`simulator.assets.user`)
and imported collections (size tables, :mod:`.mesh_sizes`; :mod:`simulator.assets.mesh_library`).

A size entry is ``{height_m: 0.6}`` with exactly one size key (metres): ``height_m`` (extent along
+z), ``length_m`` (x, front to back), ``width_m`` (y) or ``size_m`` (the largest extent); and
optionally ``up`` (``z``, the project frame, or ``y``, glTF's and OBJ's habit: then the front is
taken to be +z) and ``yaw_deg`` (turn about +z, counter-clockwise seen from above, so the front
faces +x).
"""
from __future__ import annotations

import numpy as np

#: Size key -> the axis it measures (None: the largest extent).
SIZE_KEYS = {"height_m": 2, "length_m": 0, "width_m": 1, "size_m": None}


def size_problem(value) -> str | None:
    """Why a size entry (``{height_m: 0.6, up: y, yaw_deg: 90}``, metres and degrees) cannot be
    used, or None. Shared by ``sizes.yaml`` and the mesh importers' size tables."""
    if not isinstance(value, dict):
        return "must be a mapping like {height_m: 0.6}"
    unknown = set(value) - set(SIZE_KEYS) - {"up", "yaw_deg"}
    if unknown:
        return f"unknown keys {sorted(unknown)} (use one of {sorted(SIZE_KEYS)}, up, yaw_deg)"
    sizes = [k for k in SIZE_KEYS if k in value]
    if len(sizes) != 1:
        return f"give exactly one of {sorted(SIZE_KEYS)}"
    v = value[sizes[0]]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or not 0 < v <= 1000:
        return f"{sizes[0]} must be a number of metres in (0, 1000]"
    if value.get("up", "z") not in ("z", "y"):
        return "up must be z or y"
    yaw = value.get("yaw_deg", 0.0)
    if isinstance(yaw, bool) or not isinstance(yaw, (int, float)) or not np.isfinite(yaw):
        return "yaw_deg must be a number"
    return None


_Y_UP_TO_PROJECT = np.array([[0.0, 0.0, 1.0, 0.0],   # +z (front) -> +x
                             [1.0, 0.0, 0.0, 0.0],   # +x (the object's left) -> +y
                             [0.0, 1.0, 0.0, 0.0],   # +y (up) -> +z
                             [0.0, 0.0, 0.0, 1.0]])


def mesh_transform(vertices: np.ndarray, size: dict) -> np.ndarray:
    """4x4 transform into the project frame: rotate (``up``, ``yaw_deg``), scale uniformly to
    the size entry, move the bounding-box centre to the origin."""
    rot = np.eye(4)
    if size.get("up", "z") == "y":
        rot = _Y_UP_TO_PROJECT.copy()
    yaw = np.radians(float(size.get("yaw_deg", 0.0)))
    if yaw:
        c, s = np.cos(yaw), np.sin(yaw)
        rz = np.eye(4)
        rz[:2, :2] = [[c, -s], [s, c]]
        rot = rz @ rot
    v = np.asarray(vertices, float) @ rot[:3, :3].T
    extents = v.max(axis=0) - v.min(axis=0)
    key = next(k for k in SIZE_KEYS if k in size)
    axis = SIZE_KEYS[key]
    current = float(extents.max() if axis is None else extents[axis])
    if not current > 0:
        raise ValueError(f"the mesh has no extent along {key[:-2]}")
    scale = float(size[key]) / current
    centre = 0.5 * (v.max(axis=0) + v.min(axis=0)) * scale
    out = np.eye(4)
    out[:3, :3] = scale * rot[:3, :3]
    out[:3, 3] = -centre
    return out
