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
    body = ellipsoid([0.0, 0.0, 0.075], [0.060, 0.036, 0.042], brown, 2)
    # orange breast: colour the front-lower vertices of the body
    v = body.vertices
    front = (v[:, 0] > 0.005) & (v[:, 2] < 0.092)
    body.visual.vertex_colors[front] = list(breast) + [255]
    parts.append(body)
    head = ellipsoid([0.055, 0.0, 0.112], [0.030, 0.027, 0.028], brown, 2)
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


def hull(points, rgb) -> trimesh.Trimesh:
    """Convex hull of ``points`` (a closed, outward-wound solid)."""
    return _paint(trimesh.convex.convex_hull(np.asarray(points, float)), rgb)


def elephant() -> trimesh.Trimesh:
    """An African elephant, about 3.2 m tall, trunk and tusks towards +x."""
    grey, dark, ivory = (128, 122, 116), (40, 36, 34), (232, 225, 205)
    parts = [ellipsoid([0.0, 0.0, 1.95], [1.45, 0.85, 0.9], grey, 2)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(cylinder([0.85 * sx, 0.45 * sy, 1.6], [0.85 * sx, 0.45 * sy, 0.0], 0.26, grey, 12))
    parts.append(ellipsoid([1.55, 0.0, 2.35], [0.55, 0.48, 0.6], grey, 2))
    for sy in (-1, 1):  # big flat ears
        ear = ellipsoid([1.25, 0.62 * sy, 2.3], [0.09, 0.6, 0.72], (118, 110, 106), 1)
        parts.append(ear)
        parts.append(ellipsoid([1.98, 0.3 * sy, 2.5], [0.05, 0.05, 0.05], dark, 0))
        parts.append(cone([1.85, 0.22 * sy, 1.95], [2.45, 0.34 * sy, 1.55], 0.07, ivory, 8))
    trunk = [[1.95, 0, 2.2], [2.15, 0, 1.6], [2.2, 0, 1.0], [2.2, 0, 0.55], [2.35, 0, 0.3]]
    radii = [0.22, 0.18, 0.14, 0.11]
    for a, b, r in zip(trunk[:-1], trunk[1:], radii):
        parts.append(cylinder(a, b, r, grey, 10))
        parts.append(ellipsoid(b, [r, r, r], grey, 1))
    parts.append(cylinder([-1.4, 0, 2.1], [-1.55, 0, 1.2], 0.04, grey, 6))
    return trimesh.util.concatenate(parts)


def cow() -> trimesh.Trimesh:
    """A black-and-white dairy cow, about 1.45 m at the withers, head towards +x."""
    white, black, pink, horn = (236, 234, 228), (28, 26, 26), (224, 160, 160), (220, 210, 180)
    parts = [ellipsoid([0.0, 0.0, 1.05], [0.9, 0.36, 0.4], white, 2)]
    for c, r in (([0.3, 0.33, 1.12], [0.28, 0.05, 0.2]), ([-0.45, 0.3, 1.0], [0.22, 0.06, 0.22]),
                 ([0.05, -0.34, 1.05], [0.32, 0.05, 0.22]), ([-0.55, -0.28, 1.15], [0.2, 0.06, 0.16]),
                 ([-0.1, 0.0, 1.42], [0.3, 0.2, 0.04])):  # black patches just proud of the hide
        parts.append(ellipsoid(c, r, black, 1))
    for sx in (-1, 1):
        for sy in (-1, 1):
            leg = cylinder([0.62 * sx, 0.2 * sy, 0.95], [0.62 * sx, 0.2 * sy, 0.08], 0.075, white, 8)
            parts.append(leg)
            parts.append(cylinder([0.62 * sx, 0.2 * sy, 0.09], [0.62 * sx, 0.2 * sy, 0.0], 0.08, black, 8))
    parts.append(cylinder([0.75, 0, 1.2], [1.05, 0, 1.35], 0.18, white, 10))  # neck
    head = ellipsoid([1.18, 0.0, 1.32], [0.26, 0.15, 0.17], black, 2)
    parts.append(head)
    parts.append(ellipsoid([1.1, 0.0, 1.43], [0.12, 0.1, 0.06], white, 1))  # blaze
    parts.append(ellipsoid([1.42, 0.0, 1.24], [0.1, 0.12, 0.1], pink, 1))  # muzzle
    for sy in (-1, 1):
        parts.append(ellipsoid([1.08, 0.2 * sy, 1.42], [0.05, 0.11, 0.04], black, 1))  # ears
        parts.append(cone([1.1, 0.1 * sy, 1.45], [1.12, 0.2 * sy, 1.56], 0.025, horn, 6))
        parts.append(ellipsoid([1.3, 0.12 * sy, 1.36], [0.02, 0.02, 0.02], (10, 10, 10), 0))
    parts.append(ellipsoid([-0.5, 0.0, 0.68], [0.16, 0.14, 0.1], pink, 1))  # udder
    parts.append(cylinder([-0.9, 0, 1.25], [-0.95, 0, 0.55], 0.02, white, 6))  # tail
    parts.append(ellipsoid([-0.95, 0, 0.55], [0.04, 0.04, 0.07], black, 1))
    return trimesh.util.concatenate(parts)


def sheep(face=(30, 28, 28)) -> trimesh.Trimesh:
    """A woolly sheep (Suffolk-like, dark face and legs), about 0.95 m tall, head towards +x."""
    wool = (226, 218, 196)
    rng = np.random.default_rng(11)
    parts = [ellipsoid([0.0, 0.0, 0.62], [0.5, 0.3, 0.3], wool, 2)]
    for _ in range(10):  # lumpy fleece
        d = rng.normal(0, 1, 3)
        d /= np.linalg.norm(d)
        c = np.array([0.0, 0.0, 0.62]) + d * np.array([0.42, 0.24, 0.24])
        c[2] = max(c[2], 0.5)
        parts.append(ellipsoid(c, [0.16, 0.14, 0.14], wool, 1))
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(cylinder([0.3 * sx, 0.14 * sy, 0.45], [0.3 * sx, 0.14 * sy, 0.0], 0.035, face, 8))
    parts.append(ellipsoid([0.5, 0.0, 0.8], [0.16, 0.16, 0.16], wool, 1))  # wool cap on the neck
    parts.append(ellipsoid([0.66, 0.0, 0.8], [0.16, 0.08, 0.1], face, 2))  # head
    for sy in (-1, 1):
        parts.append(ellipsoid([0.6, 0.12 * sy, 0.86], [0.03, 0.09, 0.03], face, 1))  # ears
    return trimesh.util.concatenate(parts)


def locomotive() -> trimesh.Trimesh:
    """The leading car of a passenger train (about 20 m long, 4 m tall), nose towards +x."""
    red, white, dark, grey, black = (190, 30, 36), (235, 235, 232), (34, 44, 56), (120, 120, 124), (25, 25, 25)
    L, W, H0, H1 = 19.0, 2.9, 0.9, 3.9
    parts = [box([-1.0, 0, (H0 + H1) / 2], [L - 2.0, W, H1 - H0], white)]
    nose = hull([[L / 2 - 2.0, sy * W / 2, z] for sy in (-1, 1) for z in (H0, H1)]
                + [[L / 2 - 0.2, sy * W * 0.42, H0] for sy in (-1, 1)]
                + [[L / 2 - 0.6, sy * W * 0.38, 2.4] for sy in (-1, 1)]
                + [[L / 2 - 1.9, sy * W * 0.45, H1] for sy in (-1, 1)], white)
    parts.append(nose)
    # windscreen on the sloped nose, red band along the sides
    parts.append(hull([[L / 2 - 0.62, sy * W * 0.37, 2.45] for sy in (-1, 1)]
                      + [[L / 2 - 1.62, sy * W * 0.44, 3.6] for sy in (-1, 1)]
                      + [[L / 2 - 0.57, sy * W * 0.37, 2.45] for sy in (-1, 1)]
                      + [[L / 2 - 1.57, sy * W * 0.44, 3.62] for sy in (-1, 1)], dark))
    parts.append(box([-1.0, 0, 1.25], [L - 2.0, W + 0.02, 0.35], red))
    parts.append(box([-1.5, 0, 2.55], [L - 4.5, W + 0.03, 0.75], dark))  # window band
    parts.append(box([-1.0, 0, H1 + 0.1], [L - 5.0, 1.8, 0.2], grey))  # roof equipment
    for x in (-L / 2 + 3.0, L / 2 - 4.0):
        parts.append(box([x, 0, 0.55], [2.6, W - 0.3, 0.5], black))  # bogie
        for dx in (-0.9, 0.9):
            parts.append(cylinder([x + dx, -W / 2 + 0.2, 0.45], [x + dx, W / 2 - 0.2, 0.45], 0.45, grey, 12))
    for sy in (-1, 1):
        parts.append(ellipsoid([L / 2 - 0.25, sy * 0.9, 1.3], [0.05, 0.18, 0.1], (255, 250, 220), 0))
    return trimesh.util.concatenate(parts)


def motorboat() -> trimesh.Trimesh:
    """A small open motorboat with an outboard motor, about 5.5 m long, bow towards +x."""
    white, blue, dark, grey, seat = (240, 240, 236), (30, 70, 150), (30, 30, 34), (90, 90, 96), (200, 180, 140)
    L, W, D = 5.0, 2.1, 0.9
    hull_pts = [[-L / 2, sy * W / 2, z] for sy in (-1, 1) for z in (0.2, D)]
    hull_pts += [[-L / 2 + 0.2, sy * 0.3, 0.0] for sy in (-1, 1)]
    hull_pts += [[L / 2 - 1.2, sy * W / 2, D] for sy in (-1, 1)]
    hull_pts += [[L / 2 - 1.2, sy * 0.25, 0.05] for sy in (-1, 1)]
    hull_pts += [[L / 2, 0.0, D + 0.1], [L / 2 - 0.3, 0.0, 0.45]]
    parts = [hull(hull_pts, white)]
    parts.append(box([-0.3, 0, D - 0.18], [L - 1.2, W + 0.02, 0.12], blue))
    parts.append(box([-0.2, 0, D + 0.02], [L - 1.6, W - 0.3, 0.06], seat))  # deck/seats
    parts.append(hull([[0.7, sy * 0.8, D] for sy in (-1, 1)] + [[0.9, sy * 0.8, D] for sy in (-1, 1)]
                      + [[0.5, sy * 0.75, D + 0.5] for sy in (-1, 1)]
                      + [[0.55, sy * 0.75, D + 0.5] for sy in (-1, 1)], dark))  # windscreen
    parts.append(box([-0.7, 0, D + 0.25], [0.5, 1.6, 0.4], seat))  # bench
    parts.append(box([-L / 2 - 0.25, 0, D + 0.2], [0.45, 0.35, 0.55], dark))  # outboard motor
    parts.append(box([-L / 2 - 0.2, 0, D - 0.5], [0.15, 0.12, 0.9], grey))
    return trimesh.util.concatenate(parts)


def computer_keyboard(color=(40, 40, 44), key=(70, 70, 76), legend=(200, 200, 200),
                      numpad: bool = True) -> trimesh.Trimesh:
    """A computer keyboard lying flat (keys along y, space bar at the front, +x)."""
    u = 0.019  # key pitch, metres
    cols = 15
    width = cols * u + (4.6 * u if numpad else 0.0) + 0.03
    depth = 6 * u + 0.03
    parts = [hull([[x, y, z] for x in (-depth / 2, depth / 2) for y in (-width / 2, width / 2)
                   for z in (0.0, 0.018 if x > 0 else 0.03)], color)]
    y0 = -width / 2 + 0.015
    rows = [[1.0] * 15, [1.5] + [1.0] * 13 + [1.5], [1.75] + [1.0] * 12 + [2.25],
            [2.25] + [1.0] * 11 + [2.75], [1.25] * 3 + [6.25] + [1.25] * 4]
    for r, widths in enumerate([[1.0] * 15] + rows):
        x = -depth / 2 + 0.015 + (5 - r) * u + u / 2  # row 0 (function keys) at the back
        z = 0.03 - 0.012 * (x + depth / 2) / depth + 0.006
        y = y0
        for wkey in widths:
            w = wkey * u
            parts.append(box([x, y + w / 2, z], [u * 0.86, w - u * 0.14, 0.009], key))
            y += w
    if numpad:
        for r in range(5):
            for c in range(4):
                x = -depth / 2 + 0.015 + (5 - r - 1) * u + u / 2
                z = 0.03 - 0.012 * (x + depth / 2) / depth + 0.006
                yy = y0 + (cols + 0.6 + c) * u + u / 2
                parts.append(box([x, yy, z], [u * 0.86, u * 0.86, 0.009], key))
    return trimesh.util.concatenate(parts)


def _wheels(xs, track, radius, width=0.22, rgb=(25, 25, 25)):
    return [cylinder([x, sy * (track / 2 - width / 2), radius], [x, sy * (track / 2 + width / 2), radius],
                     radius, rgb, 14) for x in xs for sy in (-1, 1)]


def ambulance() -> trimesh.Trimesh:
    """A box ambulance (about 6 m long, 2.7 m tall) with a light bar, cab towards +x."""
    white, red, dark, blue, grey = (242, 242, 238), (200, 30, 30), (30, 36, 44), (40, 80, 230), (150, 150, 150)
    parts = [box([-0.8, 0, 1.55], [4.0, 2.2, 2.1], white)]  # patient box
    parts.append(hull([[1.2, sy * 1.0, z] for sy in (-1, 1) for z in (0.5, 2.3)]
                      + [[2.9, sy * 1.0, z] for sy in (-1, 1) for z in (0.5, 1.2)]
                      + [[2.0, sy * 0.95, 2.25] for sy in (-1, 1)], white))  # cab
    parts.append(hull([[2.05, sy * 0.9, 2.2] for sy in (-1, 1)] + [[2.7, sy * 0.92, 1.35] for sy in (-1, 1)]
                      + [[2.08, sy * 0.9, 2.23] for sy in (-1, 1)] + [[2.74, sy * 0.92, 1.36] for sy in (-1, 1)],
                      dark))  # windscreen
    parts.append(box([-0.8, 0, 1.2], [4.02, 2.22, 0.25], red))
    parts.append(box([2.9, 0, 0.75], [0.1, 1.8, 0.35], grey))  # bumper
    for sy in (-1, 1):  # red crosses on the sides
        parts.append(box([-0.8, sy * 1.105, 1.9], [0.6, 0.02, 0.18], red))
        parts.append(box([-0.8, sy * 1.105, 1.9], [0.18, 0.02, 0.6], red))
    parts.append(box([1.6, 0, 2.38], [0.3, 1.4, 0.14], blue))  # light bar
    parts.append(box([-2.75, 0, 2.65], [0.15, 1.6, 0.1], blue))
    parts += _wheels([-2.0, 2.1], 2.0, 0.4)
    return trimesh.util.concatenate(parts)


def police_car() -> trimesh.Trimesh:
    """A police saloon (about 4.8 m long) with a red-and-blue light bar, bonnet towards +x."""
    white, navy, dark, red, blue = (240, 240, 240), (20, 40, 110), (30, 36, 44), (220, 30, 30), (40, 80, 230)
    parts = [hull([[x, sy * 0.9, z] for x in (-2.4, 2.4) for sy in (-1, 1) for z in (0.35, 0.95)]
                  + [[2.45, sy * 0.8, 0.6] for sy in (-1, 1)], white)]
    parts.append(hull([[x, sy * 0.8, 0.95] for x in (-1.5, 1.2) for sy in (-1, 1)]
                      + [[x, sy * 0.7, 1.45] for x in (-0.9, 0.4) for sy in (-1, 1)], dark))  # glasshouse
    parts.append(box([-0.25, 0, 1.46], [1.2, 1.38, 0.04], white))  # roof
    parts.append(box([0.0, 0, 0.65], [4.82, 1.82, 0.2], navy))  # side band
    parts.append(box([-0.25, -0.3, 1.53], [0.25, 0.55, 0.1], red))
    parts.append(box([-0.25, 0.3, 1.53], [0.25, 0.55, 0.1], blue))
    parts += _wheels([-1.45, 1.45], 1.6, 0.33)
    return trimesh.util.concatenate(parts)


def twin_bell_clock() -> trimesh.Trimesh:
    """A twin-bell wind-up alarm clock, about 0.18 m tall, dial towards +x."""
    red, white, dark, metal = (200, 40, 40), (245, 245, 240), (20, 20, 20), (200, 200, 205)
    parts = [cylinder([-0.025, 0, 0.09], [0.025, 0, 0.09], 0.06, red, 24)]
    parts.append(cylinder([0.025, 0, 0.09], [0.027, 0, 0.09], 0.052, white, 24))
    parts.append(box([0.029, 0.0, 0.105], [0.002, 0.004, 0.032], dark))  # hour hand
    parts.append(box([0.029, 0.016, 0.09], [0.002, 0.034, 0.003], dark))  # minute hand
    for sy in (-1, 1):
        b = ellipsoid([0.0, 0.035 * sy, 0.16], [0.032, 0.032, 0.026], metal, 2)
        parts.append(b)
        parts.append(cylinder([0.0, 0.03 * sy, 0.02], [0.0, 0.045 * sy, 0.0], 0.006, metal, 6))  # legs
    parts.append(cylinder([0.0, 0, 0.15], [0.0, 0, 0.18], 0.004, metal, 6))  # hammer post
    parts.append(box([0.0, 0, 0.182], [0.01, 0.02, 0.006], metal))
    return trimesh.util.concatenate(parts)


def digital_clock() -> trimesh.Trimesh:
    """A bedside digital alarm clock, about 0.16 m wide, display towards +x."""
    black, display, red, grey = (30, 30, 32), (12, 14, 16), (255, 60, 40), (90, 90, 95)
    parts = [hull([[x, sy * 0.08, z] for sy in (-1, 1) for x, z in
                   ((-0.035, 0.0), (0.035, 0.0), (0.025, 0.075), (-0.035, 0.075))], black)]
    parts.append(hull([[x, sy * 0.068, z] for sy in (-1, 1) for x, z in
                       ((0.0335, 0.012), (0.0345, 0.012), (0.0265, 0.063), (0.0255, 0.063))], display))
    for k, y in enumerate((-0.045, -0.02, 0.02, 0.045)):  # four red digits
        parts.append(box([0.0322, y, 0.038], [0.002, 0.016, 0.03], red, pitch_deg=-8))
    parts.append(box([0.031, 0.0, 0.045], [0.002, 0.004, 0.004], red))
    parts.append(box([0.031, 0.0, 0.031], [0.002, 0.004, 0.004], red))
    for y in (-0.04, 0.0, 0.04):  # buttons on top
        parts.append(box([-0.005, y, 0.077], [0.02, 0.025, 0.006], grey))
    return trimesh.util.concatenate(parts)


def acoustic_guitar() -> trimesh.Trimesh:
    """An acoustic guitar standing upright, about 1.0 m tall, soundboard towards +x."""
    wood, top, dark, neck = (150, 90, 45), (222, 180, 120), (25, 18, 12), (100, 60, 30)
    parts = [ellipsoid([0.0, 0, 0.2], [0.05, 0.19, 0.2], wood, 2)]  # lower bout
    parts.append(ellipsoid([0.0, 0, 0.45], [0.05, 0.145, 0.15], wood, 2))  # upper bout
    parts.append(ellipsoid([0.012, 0, 0.2], [0.04, 0.175, 0.185], top, 2))
    parts.append(ellipsoid([0.012, 0, 0.45], [0.04, 0.13, 0.135], top, 2))
    parts.append(cylinder([0.05, 0, 0.4], [0.053, 0, 0.4], 0.045, dark, 16))  # sound hole
    parts.append(box([0.052, 0, 0.16], [0.01, 0.1, 0.02], dark))  # bridge
    parts.append(box([0.02, 0, 0.78], [0.03, 0.05, 0.5], neck))  # neck
    parts.append(box([0.015, 0, 1.07], [0.02, 0.085, 0.17], dark))  # headstock
    return trimesh.util.concatenate(parts)


def drum_kit() -> trimesh.Trimesh:
    """A five-piece drum kit with hi-hat and crash cymbal, about 1.6 m wide; the bass drum's
    front head faces +x (towards the audience)."""
    shell, head, metal, brass, dark = (160, 20, 30), (240, 238, 230), (190, 190, 195), (210, 170, 60), (30, 30, 30)

    def drum(center, axis, radius, depth):
        c, a = np.asarray(center, float), np.asarray(axis, float)
        return [cylinder(c - a * depth / 2, c + a * depth / 2, radius, shell, 16),
                cylinder(c + a * depth / 2, c + a * (depth / 2 + 0.005), radius * 0.97, head, 16),
                cylinder(c - a * (depth / 2 + 0.005), c - a * depth / 2, radius * 0.97, head, 16)]

    def cymbal(center, radius):
        c = np.asarray(center, float)
        return [cone(c - [0, 0, 0.01], c + [0, 0, 0.02], radius, brass, 16),
                cylinder(c - [0, 0, 0.6], c - [0, 0, 0.011], 0.012, metal, 6)]

    parts = drum([0.0, 0.0, 0.28], [1, 0, 0], 0.28, 0.4)  # bass drum
    parts += drum([-0.05, 0.17, 0.72], [0.3, 0, 0.95], 0.13, 0.2)  # rack toms
    parts += drum([-0.05, -0.17, 0.72], [0.3, 0, 0.95], 0.14, 0.22)
    parts += drum([-0.35, -0.55, 0.5], [0, 0, 1], 0.2, 0.3)  # floor tom
    parts += drum([-0.45, 0.4, 0.62], [0, 0, 1], 0.18, 0.14)  # snare
    parts.append(cylinder([-0.45, 0.4, 0.55], [-0.45, 0.4, 0.0], 0.012, metal, 6))
    parts += cymbal([-0.45, 0.72, 0.95], 0.18)  # hi-hat
    parts += cymbal([-0.45, 0.72, 0.93], 0.18)[:1]
    parts += cymbal([0.05, -0.5, 1.25], 0.24)  # crash
    parts.append(cylinder([0.05, -0.5, 0.65], [0.05, -0.5, 0.0], 0.012, metal, 6))
    parts.append(cylinder([-0.45, 0.72, 0.35], [-0.45, 0.72, 0.0], 0.012, metal, 6))
    parts.append(box([-0.55, 0.0, 0.25], [0.3, 0.3, 0.04], dark))  # throne seat
    parts.append(cylinder([-0.55, 0.0, 0.23], [-0.55, 0.0, 0.0], 0.02, metal, 6))
    return trimesh.util.concatenate(parts)


GENERATORS = {
    "songbird": songbird,
    "elephant": elephant,
    "cow": cow,
    "sheep": sheep,
    "sheep_white": lambda: sheep(face=(225, 220, 210)),
    "locomotive": locomotive,
    "motorboat": motorboat,
    "keyboard_full": computer_keyboard,
    "keyboard_compact": lambda: computer_keyboard((232, 232, 228), (250, 250, 248), numpad=False),
    "ambulance": ambulance,
    "police_car": police_car,
    "twin_bell_clock": twin_bell_clock,
    "digital_clock": digital_clock,
    "acoustic_guitar": acoustic_guitar,
    "drum_kit": drum_kit,
}
