"""More procedural low-poly animals for the default library (authored by this project, MIT).

Built like :mod:`asset_procedural` (closed primitives with vertex colours, metres, +z up,
head towards +x; :func:`asset_meshes.finalize` centres and rescales): a generic
:func:`quadruped` (body, legs, neck, head, ears, tail from proportions) gives the dog, cat
and horse (and the lamb's frame); the cattle, ram, elephants and pigeon have their own functions. The absolute
sizes below are rough; each recipe's ``target`` sets the real-world size.
:data:`GENERATORS` maps recipe names to functions.
"""
from __future__ import annotations

import numpy as np
import trimesh

from asset_procedural import box, cone, cylinder, ellipsoid

DARK = (20, 18, 18)


def _eyes(parts, x, dy, z, r, rgb=DARK):
    for sy in (-1, 1):
        parts.append(ellipsoid([x, sy * dy, z], [r, r, r], rgb, 0))


def quadruped(body_len, body_r, leg_len, leg_r, neck, head, ears, tail, coat, dark=DARK,
              muzzle=None, legs_rgb=None, hooves=False):
    """A four-legged animal standing on z = 0, head towards +x.

    ``body_len`` and ``body_r`` = (half-width, half-height) of the torso ellipsoid (m);
    ``leg_len``, ``leg_r``: leg length and radius; ``neck`` = (length, radius, pitch in deg
    above horizontal); ``head`` = (half-length, half-width, half-height); ``ears`` =
    ("pointed" | "floppy" | "small", size); ``tail`` = (length, radius, pitch in deg below
    horizontal); ``muzzle`` = (length, radius, rgb) or None.
    """
    legs_rgb = legs_rgb or coat
    bz = leg_len + body_r[1] * 0.6
    parts = [ellipsoid([0, 0, bz], [body_len / 2, body_r[0], body_r[1]], coat, 2)]
    lx = body_len / 2 * 0.7
    for sx in (-1, 1):
        for sy in (-1, 1):
            top = [sx * lx, sy * body_r[0] * 0.55, bz - body_r[1] * 0.3]
            parts.append(cylinder(top, [sx * lx, sy * body_r[0] * 0.55, 0.0], leg_r, legs_rgb, 8))
            if hooves:
                parts.append(cylinder([sx * lx, sy * body_r[0] * 0.55, leg_len * 0.08],
                                      [sx * lx, sy * body_r[0] * 0.55, 0.0], leg_r * 1.1, dark, 8))
    n_len, n_r, n_pitch = neck
    a = np.array([body_len / 2 * 0.8, 0, bz + body_r[1] * 0.3])
    d = np.array([np.cos(np.radians(n_pitch)), 0, np.sin(np.radians(n_pitch))])
    b = a + n_len * d
    parts.append(cylinder(a, b, n_r, coat, 10))
    hx, hy, hz = head
    hc = b + np.array([hx * 0.6, 0, hz * 0.3])
    parts.append(ellipsoid(hc, [hx, hy, hz], coat, 2))
    if muzzle:
        m_len, m_r, m_rgb = muzzle
        parts.append(cylinder(hc + [hx * 0.5, 0, -hz * 0.3], hc + [hx * 0.5 + m_len, 0, -hz * 0.4],
                              m_r, m_rgb, 10))
        parts.append(ellipsoid(hc + [hx * 0.5 + m_len, 0, -hz * 0.3], [m_r * 0.4, m_r * 0.5, m_r * 0.35], dark, 1))
    _eyes(parts, hc[0] + hx * 0.55, hy * 0.55, hc[2] + hz * 0.35, hz * 0.13)
    kind, size = ears
    for sy in (-1, 1):
        base = hc + [-hx * 0.2, sy * hy * 0.55, hz * 0.75]
        if kind == "pointed":
            parts.append(cone(base, base + [-size * 0.15, sy * size * 0.25, size], size * 0.45, coat, 6))
        elif kind == "floppy":
            parts.append(ellipsoid(base + [0, sy * size * 0.3, -size * 0.6],
                                   [size * 0.35, size * 0.15, size * 0.7], dark, 1))
        else:
            parts.append(ellipsoid(base + [0, sy * size * 0.3, 0], [size * 0.3, size * 0.6, size * 0.25], coat, 1))
    t_len, t_r, t_pitch = tail
    ta = np.array([-body_len / 2 * 0.95, 0, bz + body_r[1] * 0.3])
    td = np.array([-np.cos(np.radians(t_pitch)), 0, -np.sin(np.radians(t_pitch))])
    parts.append(cylinder(ta, ta + t_len * td, t_r, coat, 6))
    return parts


def dog() -> trimesh.Trimesh:
    """A standing short-haired dog (Dalmatian-like: white with black spots, floppy ears)."""
    white = (238, 236, 230)
    parts = quadruped(0.75, (0.15, 0.17), 0.42, 0.035, (0.22, 0.07, 55), (0.11, 0.08, 0.085),
                      ("floppy", 0.08), (0.35, 0.018, -20), white, muzzle=(0.1, 0.045, white))
    rng = np.random.default_rng(5)
    for _ in range(14):  # black spots just proud of the coat
        ang = rng.uniform(0, 2 * np.pi)
        x = rng.uniform(-0.3, 0.3)
        c = [x, 0.152 * np.cos(ang), 0.52 + 0.172 * np.sin(ang)]
        if abs(np.sin(ang)) < 0.9 and np.hypot(2 * x / 0.75, 1) < 1.5:
            parts.append(ellipsoid(c, [0.03, 0.03, 0.03], DARK, 0))
    return trimesh.util.concatenate(parts)


def cat() -> trimesh.Trimesh:
    """A standing ginger cat with a raised tail and pointed ears."""
    ginger, cream = (214, 128, 52), (240, 214, 170)
    parts = quadruped(0.42, (0.075, 0.085), 0.2, 0.02, (0.08, 0.045, 50), (0.065, 0.06, 0.055),
                      ("pointed", 0.045), (0.3, 0.014, -55), ginger, muzzle=(0.025, 0.025, cream))
    for x in (-0.12, -0.04, 0.04, 0.12):  # darker stripes along the back
        parts.append(ellipsoid([x, 0, 0.318], [0.014, 0.06, 0.012], (170, 90, 30), 1))
    return trimesh.util.concatenate(parts)


def horse() -> trimesh.Trimesh:
    """A standing grey horse with a dark mane and tail."""
    grey, dark = (168, 166, 160), (50, 44, 40)
    parts = quadruped(1.6, (0.32, 0.36), 0.95, 0.06, (0.65, 0.16, 58), (0.3, 0.12, 0.13),
                      ("pointed", 0.12), (0.7, 0.05, 60), grey, dark=dark, hooves=True,
                      muzzle=(0.18, 0.1, grey))
    parts.append(box([0.95, 0, 1.62], [0.5, 0.05, 0.14], dark, pitch_deg=-58))  # mane
    return trimesh.util.concatenate(parts)


def cattle(coat, patch=None, horns=(0.12, (225, 215, 190)), shaggy=False, length=1.7) -> trimesh.Trimesh:
    """Cattle standing, head towards +x: ``coat`` colour, optional ``patch`` colour on the
    face and belly, ``horns`` = (length, rgb) (long ones sweep out and up), ``shaggy`` adds a
    fringe of hair over the face and a lumpy coat (Highland-like), ``length`` of the body (m)."""
    parts = quadruped(length, (0.34, 0.38), 0.75, 0.07, (0.35, 0.17, 20), (0.25, 0.15, 0.17),
                      ("small", 0.12), (0.75, 0.025, 80), coat, hooves=True,
                      muzzle=(0.12, 0.1, patch or coat))
    bz = 0.75 + 0.38 * 0.6
    head_c = np.array([length / 2 * 0.8 + 0.35 * np.cos(np.radians(20)) + 0.15,
                       0, bz + 0.38 * 0.3 + 0.35 * np.sin(np.radians(20)) + 0.05])
    if patch:
        parts.append(ellipsoid([0.0, 0.0, bz - 0.3], [length * 0.35, 0.25, 0.1], patch, 1))
    h_len, h_rgb = horns
    for sy in (-1, 1):
        base = head_c + [-0.05, sy * 0.12, 0.14]
        tip = base + [0.05, sy * h_len * 0.8, h_len * 0.6]
        parts.append(cone(base, tip, 0.035 if h_len < 0.3 else 0.05, h_rgb, 8))
    if shaggy:
        rng = np.random.default_rng(3)
        for _ in range(6):
            c = [rng.uniform(-0.6, 0.6) * length / 1.7, rng.choice([-1, 1]) * rng.uniform(0.2, 0.3),
                 bz + rng.uniform(-0.15, 0.25)]
            parts.append(ellipsoid(c, [0.2, 0.12, 0.16], coat, 1))
        parts.append(ellipsoid(head_c + [0.12, 0, 0.1], [0.14, 0.16, 0.09], coat, 1))  # forelock
    return trimesh.util.concatenate(parts)


def lamb() -> trimesh.Trimesh:
    """A young lamb: long legs and a large head for its small woolly body, black knees."""
    wool, face = (240, 236, 224), (232, 222, 206)
    parts = quadruped(0.55, (0.15, 0.17), 0.34, 0.024, (0.13, 0.065, 62), (0.09, 0.06, 0.07),
                      ("small", 0.07), (0.1, 0.025, 30), face, legs_rgb=face)
    rng = np.random.default_rng(8)
    for _ in range(6):  # curly fleece
        c = [rng.uniform(-0.2, 0.2), rng.choice([-1, 1]) * rng.uniform(0.05, 0.1), 0.44 + rng.uniform(0.0, 0.1)]
        parts.append(ellipsoid(c, [0.1, 0.08, 0.08], wool, 1))
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(ellipsoid([sx * 0.55 / 2 * 0.7, sy * 0.15 * 0.55, 0.17], [0.03, 0.03, 0.035], DARK, 1))
    return trimesh.util.concatenate(parts)


def ram() -> trimesh.Trimesh:
    """A woolly ram with spiral horns (white face), head towards +x."""
    wool, face, horn = (232, 226, 208), (226, 214, 196), (180, 160, 120)
    parts = [ellipsoid([0.0, 0.0, 0.65], [0.55, 0.33, 0.32], wool, 2)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(cylinder([0.32 * sx, 0.15 * sy, 0.45], [0.32 * sx, 0.15 * sy, 0.0], 0.04, face, 8))
    parts.append(ellipsoid([0.55, 0.0, 0.85], [0.17, 0.17, 0.17], wool, 1))
    parts.append(ellipsoid([0.72, 0.0, 0.83], [0.17, 0.09, 0.1], face, 2))
    _eyes(parts, 0.8, 0.06, 0.88, 0.015)
    for sy in (-1, 1):  # a curl: spheres along a shrinking spiral beside the head
        for k in range(14):
            a = k * 0.45
            r = 0.11 * (1 - k / 20)
            c = [0.66 - r * np.sin(a), sy * (0.14 + 0.006 * k), 0.9 + r * np.cos(a) - 0.05]
            parts.append(ellipsoid(c, [0.035 * (1 - k / 25)] * 3, horn, 0))
    parts.append(ellipsoid([-0.55, 0.0, 0.7], [0.06, 0.06, 0.1], wool, 1))  # tail
    return trimesh.util.concatenate(parts)


def elephant_variant(ear=(0.45, 0.5), tusks=0.0, leg_r=0.22, body=(1.3, 0.75, 0.8),
                     head_dome=True) -> trimesh.Trimesh:
    """An elephant: ``ear`` = (half-width, half-height) of each ear (m), ``tusks`` length
    (0 for none), ``body`` half-axes; ``head_dome`` gives the twin-domed head of Asian
    elephants. Trunk and head towards +x."""
    grey, pink, ivory = (116, 110, 106), (150, 120, 115), (232, 225, 205)
    bx, by, bz = body
    leg_h = bz * 1.7
    parts = [ellipsoid([0.0, 0.0, leg_h + bz * 0.5], [bx, by, bz], grey, 2)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(cylinder([0.62 * bx * sx, 0.55 * by * sy, leg_h + 0.2],
                                  [0.62 * bx * sx, 0.55 * by * sy, 0.0], leg_r, grey, 12))
    hc = np.array([bx * 1.02, 0.0, leg_h + bz * 0.8])
    parts.append(ellipsoid(hc, [0.4 * bx, 0.55 * by, 0.65 * bz], grey, 2))
    if head_dome:
        for sy in (-1, 1):
            parts.append(ellipsoid(hc + [-0.05, sy * 0.15 * by, 0.55 * bz], [0.22 * bx, 0.2 * by, 0.2 * bz], grey, 1))
    for sy in (-1, 1):
        parts.append(ellipsoid(hc + [-0.2 * bx, sy * 0.6 * by, 0.1 * bz], [0.06, ear[0], ear[1]], (108, 100, 98), 1))
        parts.append(ellipsoid(hc + [0.35 * bx, sy * 0.3 * by, 0.2 * bz], [0.04, 0.04, 0.04], DARK, 0))
        if tusks:
            parts.append(cone(hc + [0.3 * bx, sy * 0.2 * by, -0.4 * bz],
                              hc + [0.3 * bx + tusks, sy * 0.3 * by, -0.4 * bz - tusks * 0.6], 0.05, ivory, 8))
    pts = [hc + [0.35 * bx, 0, -0.1 * bz], hc + [0.5 * bx, 0, -0.9 * bz], hc + [0.52 * bx, 0, -1.6 * bz],
           [hc[0] + 0.6 * bx, 0, 0.25]]
    for a, b, r in zip(pts[:-1], pts[1:], (0.18 * bz / 0.8, 0.13 * bz / 0.8, 0.09 * bz / 0.8)):
        parts.append(cylinder(a, b, r, grey, 10))
        parts.append(ellipsoid(b, [r, r, r], grey, 1))
    parts.append(ellipsoid(pts[-1], [0.07, 0.07, 0.05], pink, 1))
    parts.append(cylinder([-bx, 0, leg_h + bz * 0.6], [-bx * 1.1, 0, leg_h - 0.3 * bz], 0.035, grey, 6))
    return trimesh.util.concatenate(parts)


def pigeon() -> trimesh.Trimesh:
    """A standing rock pigeon (blue-grey, iridescent neck, dark wing bars), beak towards +x."""
    grey, dark, neck, pink, beak = (130, 138, 150), (60, 64, 72), (70, 120, 100), (200, 110, 120), (40, 40, 40)
    parts = [ellipsoid([0.0, 0.0, 0.13], [0.12, 0.065, 0.07], grey, 2)]
    parts.append(ellipsoid([0.08, 0.0, 0.19], [0.05, 0.045, 0.06], neck, 2))
    parts.append(ellipsoid([0.11, 0.0, 0.245], [0.04, 0.033, 0.035], grey, 2))
    parts.append(cone([0.145, 0.0, 0.243], [0.175, 0.0, 0.236], 0.008, beak, 8))
    _eyes(parts, 0.135, 0.022, 0.255, 0.006, (230, 110, 30))
    for sy in (-1, 1):
        parts.append(ellipsoid([-0.03, sy * 0.055, 0.14], [0.1, 0.014, 0.045], grey, 2))
        for dx in (-0.05, 0.0):
            parts.append(box([dx, sy * 0.07, 0.13], [0.015, 0.004, 0.05], dark))  # wing bars
        parts.append(cylinder([0.02, sy * 0.025, 0.07], [0.03, sy * 0.025, 0.005], 0.005, pink, 6))
        parts.append(box([0.045, sy * 0.025, 0.004], [0.04, 0.008, 0.006], pink))
    parts.append(box([-0.15, 0.0, 0.12], [0.11, 0.06, 0.012], dark, pitch_deg=-12))  # tail
    return trimesh.util.concatenate(parts)


GENERATORS = {
    "dog_spotted": dog,
    "cat_ginger": cat,
    "horse_grey": horse,
    "cow_jersey": lambda: cattle((170, 110, 60), patch=(236, 220, 190), length=1.6),
    "cow_highland": lambda: cattle((176, 96, 44), horns=(0.45, (230, 220, 196)), shaggy=True, length=1.5),
    "ram": ram,
    "lamb": lamb,
    "elephant_asian": lambda: elephant_variant(ear=(0.35, 0.4), tusks=0.3, body=(1.25, 0.72, 0.78)),
    "elephant_calf": lambda: elephant_variant(ear=(0.42, 0.5), tusks=0.0, leg_r=0.2, body=(1.0, 0.65, 0.72),
                                              head_dome=False),
    "pigeon": pigeon,
}
