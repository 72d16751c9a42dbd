"""Procedural low-poly meshes authored by this project (MIT).

Each generator returns one :class:`trimesh.Trimesh` with vertex colours, built by
concatenating closed primitives (each part is watertight on its own), in metres,
+z up and the object's front facing +x. :func:`asset_meshes.finalize` centres it.
Generators are registered in :data:`GENERATORS` by name so the builder's recipes
can refer to them.
"""
from __future__ import annotations

import numpy as np
import trimesh


def _paint(mesh: trimesh.Trimesh, rgb) -> trimesh.Trimesh:
    rgba = np.array(list(rgb) + [255], np.uint8)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.tile(rgba, (len(mesh.vertices), 1)))
    return mesh


def ellipsoid(center, radii, rgb, subdivisions: int = 2) -> trimesh.Trimesh:
    """Axis-aligned ellipsoid (scaled icosphere)."""
    m = trimesh.creation.icosphere(subdivisions=subdivisions)
    m.apply_scale(radii)
    m.apply_translation(center)
    return _paint(m, rgb)


def _segment_transform(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = trimesh.geometry.align_vectors([0, 0, 1], b - a)
    t[:3, 3] = (a + b) / 2.0
    return t


def cylinder(a, b, radius, rgb, sections: int = 10) -> trimesh.Trimesh:
    """Cylinder from point ``a`` to point ``b``."""
    h = float(np.linalg.norm(np.subtract(b, a)))
    m = trimesh.creation.cylinder(radius=radius, height=h, sections=sections,
                                  transform=_segment_transform(a, b))
    return _paint(m, rgb)


def cone(base, tip, radius, rgb, sections: int = 10) -> trimesh.Trimesh:
    """Cone with its base disc centred at ``base`` and its apex at ``tip``."""
    base, tip = np.asarray(base, float), np.asarray(tip, float)
    h = float(np.linalg.norm(tip - base))
    m = trimesh.creation.cone(radius=radius, height=h, sections=sections)
    t = trimesh.geometry.align_vectors([0, 0, 1], tip - base)
    t[:3, 3] = base
    m.apply_transform(t)
    return _paint(m, rgb)


def box(center, extents, rgb, yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    if pitch_deg:
        m.apply_transform(trimesh.transformations.rotation_matrix(np.radians(pitch_deg), [0, 1, 0]))
    if yaw_deg:
        m.apply_transform(trimesh.transformations.rotation_matrix(np.radians(yaw_deg), [0, 0, 1]))
    m.apply_translation(center)
    return _paint(m, rgb)


def songbird() -> trimesh.Trimesh:
    """A perching songbird (robin-like), about 0.20 m long, beak towards +x."""
    brown, breast, dark = (112, 86, 62), (214, 110, 46), (25, 22, 20)
    beak, leg, white = (228, 170, 60), (120, 95, 70), (235, 235, 230)
    parts = []
    body = ellipsoid([0.0, 0.0, 0.075], [0.060, 0.036, 0.042], brown, 3)
    # orange breast: colour the front-lower vertices of the body
    v = body.vertices
    front = (v[:, 0] > 0.005) & (v[:, 2] < 0.092)
    body.visual.vertex_colors[front] = list(breast) + [255]
    parts.append(body)
    head = ellipsoid([0.055, 0.0, 0.112], [0.030, 0.027, 0.028], brown, 3)
    hv = head.vertices
    head.visual.vertex_colors[(hv[:, 0] > 0.065) & (hv[:, 2] < 0.112)] = list(breast) + [255]
    parts.append(head)
    parts.append(cone([0.080, 0.0, 0.110], [0.102, 0.0, 0.106], 0.0075, beak, 8))
    for s in (-1, 1):
        parts.append(ellipsoid([0.070, s * 0.020, 0.118], [0.0055, 0.004, 0.0055], dark, 1))
        parts.append(ellipsoid([0.069, s * 0.0185, 0.1183], [0.0035, 0.003, 0.0035], white, 1))
        wing = ellipsoid([-0.008, s * 0.030, 0.082], [0.052, 0.010, 0.026], (88, 68, 50), 2)
        wing.apply_transform(trimesh.transformations.rotation_matrix(
            np.radians(-12), [0, 1, 0], point=[-0.008, s * 0.030, 0.082]))
        parts.append(wing)
        parts.append(cylinder([0.006, s * 0.012, 0.040], [0.010, s * 0.012, 0.004], 0.0022, leg, 6))
        parts.append(box([0.018, s * 0.012, 0.003], [0.026, 0.005, 0.004], leg))
    tail = box([-0.080, 0.0, 0.070], [0.060, 0.032, 0.006], (80, 62, 46), pitch_deg=-20)
    parts.append(tail)
    return trimesh.util.concatenate(parts)


GENERATORS = {
    "songbird": songbird,
}
