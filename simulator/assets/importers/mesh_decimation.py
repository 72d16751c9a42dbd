"""What happens to an imported mesh with more triangles than a library mesh may have, as a
registry (:data:`OVER_LIMIT`, the index's ``over_limit``): ``decimate`` it when it is first used
(quadric edge collapse, trimesh's ``simplify_quadric_decimation``, which needs the
``fast-simplification`` package) or ``refuse`` it (the mesh is skipped and reported). Decimation
works on the loaded copy only; the collection's file is never written. Without the package,
``decimate`` refuses with a message saying how to get it.
"""
from __future__ import annotations

import importlib.util
from typing import Callable

import numpy as np


class MeshRefused(ValueError):
    """An over-limit mesh that is not used (the message says why)."""


def decimation_available() -> bool:
    """Is trimesh's quadric decimation usable here (its ``fast_simplification`` dependency)?"""
    return importlib.util.find_spec("fast_simplification") is not None


def refuse(mesh, max_faces: int):
    raise MeshRefused(f"{len(mesh.faces)} triangles, more than the {max_faces} a library mesh may have "
                      "(over_limit: refuse)")


def decimate(mesh, max_faces: int):
    """A copy of ``mesh`` with at most ``max_faces`` triangles (same units and frame)."""
    if not decimation_available():
        raise MeshRefused(f"{len(mesh.faces)} triangles, more than the {max_faces} a library mesh may have, "
                          "and decimating it needs the fast-simplification package (pip install "
                          "'avsim[meshes]'), or decimate the file beforehand")
    out = mesh.simplify_quadric_decimation(face_count=int(max_faces))
    if len(out.faces) == 0 or len(out.faces) > max_faces or not np.all(np.isfinite(out.vertices)):
        raise MeshRefused(f"{len(mesh.faces)} triangles, more than the {max_faces} a library mesh may have, "
                          f"and decimation left {len(out.faces)}")
    return out


OVER_LIMIT: dict[str, Callable] = {"decimate": decimate, "refuse": refuse}
