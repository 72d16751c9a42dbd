"""More procedural low-poly objects for the default library (authored by this project, MIT).

Vehicles (steam and diesel locomotives, a sailing dinghy, a fire engine), instruments
(an upright piano, electric and bass guitars, a jazz drum kit, an electronic drum kit),
a rotary telephone, a tenkeyless keyboard and a travel alarm clock. Built like
:mod:`asset_procedural` (closed primitives with vertex colours, metres, +z up, front
towards +x); each recipe's ``target`` sets the real-world size. :data:`GENERATORS` maps
recipe names to functions.
"""
from __future__ import annotations

import numpy as np
import trimesh

from asset_procedural import _wheels, box, computer_keyboard, cone, cylinder, ellipsoid, hull

BLACK, METAL, CHROME = (25, 25, 25), (120, 120, 124), (200, 200, 205)


# ---------------------------------------------------------------------------
# Vehicles
# ---------------------------------------------------------------------------

def steam_locomotive() -> trimesh.Trimesh:
    """A black steam locomotive with red wheels, about 12 m long; chimney end towards +x."""
    black, red, brass, cab = (30, 30, 32), (170, 30, 30), (200, 160, 60), (40, 60, 40)
    parts = [cylinder([-1.5, 0, 2.3], [5.0, 0, 2.3], 0.85, black, 16)]  # boiler
    parts.append(cylinder([5.0, 0, 2.3], [5.1, 0, 2.3], 0.8, (60, 60, 64), 16))  # smokebox door
    parts.append(cylinder([4.2, 0, 3.1], [4.2, 0, 3.9], 0.25, black, 10))  # chimney
    parts.append(ellipsoid([1.8, 0, 3.2], [0.35, 0.35, 0.3], brass, 1))  # dome
    parts.append(box([-2.8, 0, 2.6], [2.4, 2.6, 2.4], cab))  # cab
    parts.append(box([-2.8, 0, 3.9], [2.8, 2.8, 0.15], black))  # cab roof
    parts.append(box([0.8, 0, 1.1], [9.0, 2.5, 0.4], black))  # running board / frame
    parts.append(box([-5.8, 0, 2.0], [3.4, 2.5, 2.0], black))  # tender
    parts.append(box([5.4, 0, 0.9], [0.3, 2.6, 0.3], red))  # buffer beam
    for x in (0.0, 1.7, 3.4):
        parts += _wheels([x], 2.2, 0.8, 0.15, red)
    for x in (-6.6, -5.0):
        parts += _wheels([x], 2.2, 0.5, 0.15, red)
    for sy in (-1, 1):
        parts.append(box([1.7, sy * 1.2, 0.8], [3.6, 0.06, 0.1], CHROME))  # coupling rods
    return trimesh.util.concatenate(parts)


def diesel_locomotive() -> trimesh.Trimesh:
    """A yellow-and-blue diesel freight locomotive, about 20 m long, cab end towards +x."""
    yellow, blue, dark, grey = (230, 190, 30), (30, 60, 140), (30, 36, 44), (110, 110, 114)
    L = 20.0
    parts = [box([0, 0, 1.45], [L, 3.0, 0.3], grey)]  # deck
    parts.append(box([-1.5, 0, 2.9], [L - 6.0, 2.4, 2.6], blue))  # long hood
    parts.append(box([L / 2 - 3.2, 0, 3.1], [3.0, 3.0, 3.0], yellow))  # cab
    parts.append(box([L / 2 - 1.0, 0, 2.3], [1.4, 2.4, 1.4], yellow))  # short nose
    for sy in (-1, 1):
        parts.append(box([L / 2 - 2.2, sy * 1.51, 3.7], [1.2, 0.02, 0.8], dark))  # side windows
    parts.append(box([L / 2 - 1.69, 0, 3.7], [0.02, 2.4, 0.8], dark))  # windscreen
    for x in (-L / 2 + 3.5, L / 2 - 3.5):  # bogies
        parts.append(box([x, 0, 0.8], [3.6, 2.6, 0.6], BLACK))
        parts += _wheels([x - 1.2, x, x + 1.2], 2.2, 0.5, 0.15, grey)
    parts.append(box([0, 0, 0.8], [3.0, 2.0, 0.9], dark))  # fuel tank
    for x in (-8.0, -5.0, -2.0):
        parts.append(cylinder([x, 0, 4.2], [x, 0, 4.35], 0.5, grey, 12))  # roof fans
    return trimesh.util.concatenate(parts)


def sailing_dinghy() -> trimesh.Trimesh:
    """A small sailing dinghy with a mast, a white mainsail and a jib; bow towards +x."""
    hull_rgb, deck, sail, wood = (200, 40, 40), (235, 230, 220), (245, 245, 240), (150, 110, 60)
    L, W = 4.2, 1.6
    pts = [[-L / 2, sy * W / 2, z] for sy in (-1, 1) for z in (0.15, 0.6)]
    pts += [[-L / 2 + 0.3, sy * 0.3, 0.0] for sy in (-1, 1)]
    pts += [[L / 2 - 1.2, sy * W / 2, 0.6] for sy in (-1, 1)] + [[L / 2 - 1.2, sy * 0.3, 0.02] for sy in (-1, 1)]
    pts += [[L / 2, 0, 0.7], [L / 2 - 0.2, 0, 0.25]]
    parts = [hull(pts, hull_rgb)]
    parts.append(box([-0.3, 0, 0.58], [L - 1.4, W - 0.25, 0.05], deck))
    parts.append(cylinder([0.6, 0, 0.6], [0.6, 0, 6.0], 0.05, CHROME, 8))  # mast
    parts.append(cylinder([0.6, 0, 1.4], [-1.9, 0, 1.4], 0.04, CHROME, 8))  # boom
    parts.append(hull([[0.55, -0.02, 1.45], [0.55, 0.02, 1.45], [0.55, -0.02, 5.9], [0.55, 0.02, 5.9],
                       [-1.85, -0.02, 1.45], [-1.85, 0.02, 1.45]], sail))  # mainsail
    parts.append(hull([[0.68, -0.02, 0.9], [0.68, 0.02, 0.9], [0.68, -0.02, 5.0], [0.68, 0.02, 5.0],
                       [2.0, -0.02, 0.75], [2.0, 0.02, 0.75]], sail))  # jib
    parts.append(box([-L / 2 - 0.05, 0, 0.2], [0.06, 0.05, 0.9], wood))  # rudder
    parts.append(box([0.3, 0, -0.4], [0.5, 0.04, 0.8], wood))  # centreboard
    return trimesh.util.concatenate(parts)


def fire_engine() -> trimesh.Trimesh:
    """A red fire engine with a ladder on the roof and a blue light bar, cab towards +x."""
    red, white, dark, blue = (200, 25, 25), (240, 240, 236), (30, 36, 44), (40, 80, 230)
    parts = [box([-0.9, 0, 1.7], [5.6, 2.5, 2.3], red)]  # body
    parts.append(box([3.0, 0, 1.6], [2.2, 2.5, 2.3], red))  # cab
    parts.append(box([4.11, 0, 2.2], [0.02, 2.2, 0.9], dark))  # windscreen
    parts.append(box([-0.9, 0, 1.3], [5.62, 2.52, 0.18], white))  # stripe
    for sy in (-1, 1):
        for x in (-3.0, -1.6, -0.2, 1.2):  # equipment locker shutters
            parts.append(box([x, sy * 1.255, 1.95], [1.2, 0.02, 1.2], (170, 170, 175)))
    for z in (2.95, 3.25):  # ladder rails with rungs
        for sy in (-1, 1):
            parts.append(box([-0.7, sy * 0.4, z], [5.6, 0.06, 0.06], CHROME))
    for x in np.arange(-3.3, 2.0, 0.45):
        parts.append(box([x, 0, 3.1], [0.05, 0.8, 0.3], CHROME))
    parts.append(box([3.0, 0, 2.85], [0.3, 1.8, 0.14], blue))  # light bar
    parts.append(box([4.25, 0, 0.8], [0.2, 2.4, 0.35], CHROME))  # bumper
    parts += _wheels([-2.5, -1.1, 3.0], 2.4, 0.5, 0.3)
    return trimesh.util.concatenate(parts)


# ---------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------

def upright_piano() -> trimesh.Trimesh:
    """A walnut upright piano (keyboard and fallboard towards +x) about 1.5 m wide."""
    wood, dark, white, black = (110, 66, 36), (80, 46, 24), (245, 243, 235), (20, 20, 20)
    W = 1.5
    parts = [box([0, 0, 0.65], [0.3, W, 1.3], wood)]  # case
    parts.append(box([0.0, 0, 1.31], [0.34, W + 0.02, 0.04], dark))  # lid
    parts.append(box([0.27, 0, 0.73], [0.25, W - 0.1, 0.06], wood))  # key bed
    parts.append(box([0.32, 0, 0.78], [0.15, W - 0.16, 0.025], white))  # white keys
    for k in range(36):  # black keys in groups of 2 and 3
        if k % 7 in (2, 6):
            continue
        y = -W / 2 + 0.12 + k * (W - 0.24) / 36
        parts.append(box([0.29, y, 0.8], [0.09, 0.012, 0.02], black))
    parts.append(box([0.17, 0, 0.95], [0.02, W - 0.1, 0.3], dark))  # fallboard / music desk
    for sy in (-1, 1):
        parts.append(box([0.3, sy * (W / 2 - 0.04), 0.36], [0.06, 0.06, 0.72], dark))  # legs
    for dy in (-0.07, 0.0, 0.07):
        parts.append(box([0.17, dy, 0.08], [0.06, 0.025, 0.015], (200, 170, 90)))  # pedals
    return trimesh.util.concatenate(parts)


def solid_body_guitar(body_rgb, scale: float = 0.65, bass: bool = False) -> trimesh.Trimesh:
    """A solid-body electric guitar (or a four-string bass when ``bass``) standing upright,
    top towards +x; ``scale`` is the string length (m)."""
    neck_rgb, fret, pickguard = (150, 100, 50), (30, 20, 12), (240, 240, 232)
    s = scale
    parts = [ellipsoid([0, 0, 0.17], [0.025, 0.17, 0.17], body_rgb, 2)]  # lower body
    parts.append(ellipsoid([0, 0, 0.33], [0.025, 0.13, 0.11], body_rgb, 2))
    parts.append(cone([0, 0.09, 0.38], [0, 0.1, 0.5 + (0.06 if bass else 0.0)], 0.05, body_rgb, 8))  # horn
    parts.append(box([0.024, -0.04, 0.22], [0.004, 0.16, 0.22], pickguard))
    for z in (0.14, 0.22, 0.3):
        parts.append(box([0.029, 0, z], [0.006, 0.075 if not bass else 0.09, 0.02], BLACK))  # pickups
    neck_top = 0.35 + s * 0.8
    parts.append(box([0.012, 0, (0.35 + neck_top) / 2], [0.022, 0.05 if bass else 0.045, neck_top - 0.35],
                     neck_rgb))
    parts.append(box([0.024, 0, (0.35 + neck_top) / 2], [0.003, 0.046 if bass else 0.041, neck_top - 0.35],
                     fret))
    parts.append(box([0.008, 0.015, neck_top + 0.08], [0.018, 0.08, 0.17], body_rgb if bass else neck_rgb))
    for k in range(4 if bass else 6):  # tuning pegs
        parts.append(cylinder([0.0, 0.055, neck_top + 0.02 + k * 0.026], [0.0, 0.075, neck_top + 0.02 + k * 0.026],
                              0.006, CHROME, 6))
    return trimesh.util.concatenate(parts)


def _drum(center, axis, radius, depth, shell, head=(240, 238, 230), sections=16):
    c, a = np.asarray(center, float), np.asarray(axis, float)
    return [cylinder(c - a * depth / 2, c + a * depth / 2, radius, shell, sections),
            cylinder(c + a * depth / 2, c + a * (depth / 2 + 0.005), radius * 0.97, head, sections)]


def _cymbal(center, radius, brass=(210, 170, 60)):
    c = np.asarray(center, float)
    return [cone(c - [0, 0, 0.01], c + [0, 0, 0.02], radius, brass, 16),
            cylinder(c - [0, 0, c[2]], c - [0, 0, 0.011], 0.012, CHROME, 6)]


def jazz_kit() -> trimesh.Trimesh:
    """A four-piece jazz drum kit in blue (small bass drum, one rack tom, floor tom, snare),
    ride and hi-hat cymbals; the bass drum's front head faces +x."""
    shell = (40, 70, 160)
    parts = _drum([0.0, 0.0, 0.23], [1, 0, 0], 0.23, 0.36, shell)
    parts += _drum([-0.05, 0.0, 0.62], [0.3, 0, 0.95], 0.12, 0.18, shell)
    parts += _drum([-0.35, -0.5, 0.45], [0, 0, 1], 0.18, 0.28, shell)
    parts += _drum([-0.45, 0.35, 0.6], [0, 0, 1], 0.17, 0.13, (200, 200, 205))
    parts.append(cylinder([-0.45, 0.35, 0.53], [-0.45, 0.35, 0.0], 0.012, CHROME, 6))
    parts.append(cylinder([-0.35, -0.5, 0.31], [-0.35, -0.5, 0.0], 0.03, CHROME, 6))
    parts += _cymbal([-0.42, 0.68, 0.92], 0.17)
    parts += _cymbal([0.1, -0.45, 1.15], 0.28)  # ride
    parts.append(box([-0.6, 0.0, 0.5], [0.32, 0.32, 0.06], BLACK))  # stool
    parts.append(cylinder([-0.6, 0.0, 0.47], [-0.6, 0.0, 0.0], 0.02, CHROME, 6))
    return trimesh.util.concatenate(parts)


def electronic_kit() -> trimesh.Trimesh:
    """An electronic drum kit: black pads on a chrome rack, a kick tower, a module; the
    kick pad faces +x."""
    pad, rim = (35, 35, 38), (80, 80, 86)
    parts = [box([-0.2, 0, 0.95], [0.04, 1.1, 0.04], CHROME)]  # rack bar
    for sy in (-1, 1):
        parts.append(box([-0.2, sy * 0.55, 0.47], [0.04, 0.04, 0.95], CHROME))
        parts.append(box([-0.2, sy * 0.55, 0.02], [0.5, 0.05, 0.04], CHROME))
    for y, z, r in ((-0.3, 1.0, 0.12), (0.0, 1.02, 0.12), (-0.5, 0.75, 0.15), (0.35, 0.75, 0.14)):
        parts.append(cylinder([-0.1, y, z], [-0.1, y, z + 0.04], r, rim, 16))
        parts.append(cylinder([-0.1, y, z + 0.04], [-0.1, y, z + 0.045], r * 0.9, pad, 16))
    parts.append(box([0.05, 0.0, 0.25], [0.12, 0.22, 0.5], pad))  # kick tower
    parts.append(cylinder([0.11, 0.0, 0.3], [0.12, 0.0, 0.3], 0.1, rim, 16))
    for y, z in ((0.55, 1.2), (-0.55, 1.25)):  # cymbal pads
        parts.append(cone([-0.15, y, z], [-0.15, y, z + 0.02], 0.17, pad, 16))
        parts.append(cylinder([-0.15, y, z], [-0.15, y, 0.95], 0.01, CHROME, 6))
    parts.append(box([-0.15, 0.18, 1.08], [0.1, 0.2, 0.06], (50, 50, 56)))  # module
    parts.append(box([-0.1, 0.18, 1.1], [0.01, 0.12, 0.03], (60, 160, 220)))  # its display
    return trimesh.util.concatenate(parts)


# ---------------------------------------------------------------------------
# Household
# ---------------------------------------------------------------------------

def rotary_phone() -> trimesh.Trimesh:
    """A black rotary-dial desk telephone with its handset on the cradle, dial towards +x."""
    black, white, metal = (22, 22, 24), (235, 235, 230), (190, 190, 195)
    parts = [hull([[x, sy * 0.11, 0.0] for x in (-0.11, 0.11) for sy in (-1, 1)]
                  + [[x, sy * 0.085, 0.1] for x in (-0.07, 0.06) for sy in (-1, 1)], black)]  # body
    parts.append(cylinder([0.1, 0, 0.06], [0.112, 0, 0.045], 0.065, white, 20))  # dial plate
    for k in range(10):  # finger holes
        a = np.radians(60 + k * 26)
        c = [0.116, 0.047 * np.cos(a), 0.052 + 0.047 * np.sin(a) * 0.8]
        parts.append(cylinder(np.subtract(c, [0.004, 0, 0]), np.add(c, [0.004, 0, -0.002]), 0.008, black, 8))
    parts.append(cylinder([0.111, 0, 0.05], [0.118, 0, 0.048], 0.02, metal, 12))
    for sy in (-1, 1):  # cradle prongs
        parts.append(box([-0.01, sy * 0.075, 0.115], [0.03, 0.02, 0.03], black))
    parts.append(box([-0.01, 0, 0.14], [0.045, 0.17, 0.025], black))  # handset grip
    for sy in (-1, 1):
        parts.append(ellipsoid([-0.01, sy * 0.09, 0.135], [0.035, 0.035, 0.022], black, 1))  # ear/mouth pieces
    return trimesh.util.concatenate(parts)


def tenkeyless() -> trimesh.Trimesh:
    """A tenkeyless keyboard: the main block plus a navigation cluster (six keys) and
    inverted-T arrow keys on the right, dark grey with an orange Esc key."""
    case, key, accent = (60, 62, 68), (200, 200, 196), (230, 110, 30)
    u = 0.019
    main = computer_keyboard(case, key, numpad=False)
    w0 = 15 * u + 0.03
    depth = 6 * u + 0.03
    y0, y1 = w0 / 2 - 0.01, w0 / 2 + 3.6 * u
    parts = [main, hull([[x, y, z] for x in (-depth / 2, depth / 2) for y in (y0, y1)
                         for z in (0.0, 0.018 if x > 0 else 0.03)], case)]

    def key_at(row, col, rgb=key):
        x = -depth / 2 + 0.015 + (5 - row) * u + u / 2
        z = 0.03 - 0.012 * (x + depth / 2) / depth + 0.006
        return box([x, w0 / 2 + (0.3 + col) * u + u / 2, z], [u * 0.86, u * 0.86, 0.009], rgb)

    parts += [key_at(r, c) for r in (1, 2) for c in range(3)]
    parts += [key_at(4, 1), key_at(5, 0), key_at(5, 1), key_at(5, 2)]
    x = -depth / 2 + 0.015 + 5 * u + u / 2
    parts.append(box([x, -w0 / 2 + 0.015 + u / 2, 0.03 - 0.012 * (x + depth / 2) / depth + 0.0065],
                     [u * 0.87, u * 0.87, 0.0095], accent))  # Esc
    return trimesh.util.concatenate(parts)


def travel_alarm() -> trimesh.Trimesh:
    """A folding travel alarm clock: a silver case with a round white dial, towards +x."""
    silver, white, dark, red = (190, 190, 198), (248, 248, 244), (25, 25, 25), (210, 30, 30)
    parts = [box([0.0, 0, 0.045], [0.02, 0.09, 0.09], silver, pitch_deg=-15)]  # front case, tilted
    parts.append(box([-0.035, 0, 0.003], [0.085, 0.09, 0.006], silver))  # base / open lid
    t = trimesh.transformations.rotation_matrix(np.radians(-15), [0, 1, 0])
    dial = cylinder([0.0105, 0, 0.0], [0.0125, 0, 0.0], 0.036, white, 24)
    hands = [box([0.0135, 0.0, 0.01], [0.001, 0.003, 0.02], dark),
             box([0.0135, 0.012, 0.0], [0.001, 0.024, 0.002], dark),
             box([0.0138, -0.006, 0.012], [0.001, 0.002, 0.026], red, yaw_deg=0.0)]
    for k in range(12):
        a = np.radians(k * 30)
        hands.append(box([0.0131, 0.03 * np.cos(a), 0.03 * np.sin(a)], [0.001, 0.003, 0.003], dark))
    face = trimesh.util.concatenate([dial] + hands)
    face.apply_transform(t)
    face.apply_translation([0.0, 0, 0.045])
    parts.append(face)
    parts.append(cylinder([-0.01, 0.0, 0.09], [-0.01, 0.0, 0.098], 0.008, silver, 8))  # alarm button
    return trimesh.util.concatenate(parts)


GENERATORS = {
    "steam_locomotive": steam_locomotive,
    "diesel_locomotive": diesel_locomotive,
    "sailing_dinghy": sailing_dinghy,
    "fire_engine": fire_engine,
    "upright_piano": upright_piano,
    "electric_guitar": lambda: solid_body_guitar((30, 90, 200), 0.65),
    "bass_guitar": lambda: solid_body_guitar((200, 40, 30), 0.86, bass=True),
    "jazz_kit": jazz_kit,
    "electronic_kit": electronic_kit,
    "rotary_phone": rotary_phone,
    "keyboard_tenkeyless": tenkeyless,
    "travel_alarm": travel_alarm,
}
