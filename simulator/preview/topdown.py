"""The top-down map of one sample's scene, as an SVG string drawn from the record alone.

Frame: the head frame of docs/conventions.md (metres; +x ahead, +y to the listener's left, +z up),
seen from above with +x pointing up the page and +y to the left, so the map reads like the image
(what is left in the image is left on the map). SVG user units are metres: page
``(px, py) = (-y, -x)``; the ``viewBox`` frames every drawn point with a margin.

Drawn: the room outline (a shoebox from ``scene.room.size_m`` and ``listener_position_m``, room
coordinates = listener position + head-frame point, axes parallel; a polyhedron's ``floor_plan``
likewise; a mesh room is not drawn), the listener (``class="listener"``) with its head direction
(``scene.listener.yaw_deg``), the camera's horizontal frustum (``camera.hfov_deg`` about +x from
``camera.position_m``), one mark per object (``class="object"``, ``data-id``) and per source
(``class="source"``, ``data-id``), each labelled. Heights (z) are ignored.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Sequence

#: Side of the drawing on the page, CSS pixels.
SIZE_PX = 420


def _xy(p: Any) -> tuple[float, float] | None:
    """(x, y) metres of a [x, y, (z)] list, or None when it is not one of finite numbers."""
    if not isinstance(p, (list, tuple)) or len(p) < 2:
        return None
    try:
        x, y = float(p[0]), float(p[1])
    except (TypeError, ValueError):
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def _page(p: tuple[float, float]) -> tuple[float, float]:
    """Head-frame (x, y) metres -> SVG page coordinates (metres, +x up, +y left)."""
    return -p[1], -p[0]


def room_outline(record: dict[str, Any]) -> list[tuple[float, float]] | None:
    """The room's floor polygon in the head frame (metres), or None (free field, mesh room, no data)."""
    room = ((record.get("scene") or {}).get("room") or {}) if isinstance(record.get("scene"), dict) else {}
    if not isinstance(room, dict):
        return None
    listener = _xy(room.get("listener_position_m"))
    if listener is None:
        return None
    lx, ly = listener
    if room.get("type") == "shoebox":
        size = _xy(room.get("size_m"))
        if size is None:
            return None
        corners = [(0.0, 0.0), (size[0], 0.0), (size[0], size[1]), (0.0, size[1])]
    elif room.get("type") == "polyhedron" and isinstance(room.get("floor_plan"), list):
        corners = [c for c in (_xy(p) for p in room["floor_plan"]) if c is not None]
        if len(corners) < 3:
            return None
    else:
        return None
    return [(x - lx, y - ly) for x, y in corners]


def _fmt(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if v == v else "0"


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in (_page(p) for p in points))


def topdown_svg(record: dict[str, Any]) -> str:
    """The SVG (a string) of the sample's scene seen from above; see the module docstring."""
    scene = record.get("scene") if isinstance(record.get("scene"), dict) else {}
    camera = record.get("camera") if isinstance(record.get("camera"), dict) else {}
    objects = [o for o in record.get("objects") or [] if isinstance(o, dict)]
    sources = [s for s in record.get("sources") or [] if isinstance(s, dict)]
    listener = scene.get("listener") if isinstance(scene.get("listener"), dict) else {}

    marks_obj = [(o, _xy(o.get("position_m"))) for o in objects]
    marks_src = [(s, _xy(s.get("position_m"))) for s in sources]
    room = room_outline(record)
    cam = _xy(camera.get("position_m")) or (0.0, 0.0)
    reach = max([1.0] + [math.hypot(*p) for _, p in marks_obj + marks_src if p is not None]) * 1.15
    try:
        hfov = math.radians(float(camera.get("hfov_deg")))
    except (TypeError, ValueError):
        hfov = float("nan")
    frustum: list[tuple[float, float]] = []
    if math.isfinite(hfov) and 0 < hfov < math.pi:
        half = hfov / 2
        ray = reach / math.cos(half)
        frustum = [cam, (cam[0] + ray * math.cos(half), cam[1] + ray * math.sin(half)),
                   (cam[0] + ray * math.cos(half), cam[1] - ray * math.sin(half))]

    drawn = [(0.0, 0.0), cam] + [p for _, p in marks_obj + marks_src if p is not None] + (room or []) + frustum
    pages = [_page(p) for p in drawn]
    lo_x, hi_x = min(p[0] for p in pages), max(p[0] for p in pages)
    lo_y, hi_y = min(p[1] for p in pages), max(p[1] for p in pages)
    span = max(hi_x - lo_x, hi_y - lo_y, 1.0)
    pad = 0.08 * span
    view = (lo_x - pad, lo_y - pad, hi_x - lo_x + 2 * pad, hi_y - lo_y + 2 * pad)
    unit = (span + 2 * pad) / SIZE_PX  # metres per CSS pixel
    font = _fmt(11 * unit)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topdown" width="{SIZE_PX}" height="{SIZE_PX}" '
        f'viewBox="{" ".join(_fmt(v) for v in view)}" font-size="{font}" font-family="sans-serif">',
        "<title>Top-down map, head frame: +x (ahead) up, +y (left) to the left, metres</title>",
    ]
    if room:
        out.append(f'<polygon class="room" points="{_points(room)}" fill="#f4f1ea" stroke="#555" '
                   f'stroke-width="{_fmt(2 * unit)}"/>')
    if frustum:
        out.append(f'<polygon class="frustum" points="{_points(frustum)}" fill="#4a90d9" fill-opacity="0.12" '
                   f'stroke="#4a90d9" stroke-width="{_fmt(unit)}" stroke-dasharray="{_fmt(4 * unit)}"/>')
    # a 1 m scale bar in the bottom-left corner
    bx, by = view[0] + pad * 0.5, view[1] + view[3] - pad * 0.5
    out.append(f'<g class="scale"><line x1="{_fmt(bx)}" y1="{_fmt(by)}" x2="{_fmt(bx + 1)}" y2="{_fmt(by)}" '
               f'stroke="#000" stroke-width="{_fmt(2 * unit)}"/><text x="{_fmt(bx)}" y="{_fmt(by - 4 * unit)}">1 m'
               "</text></g>")
    try:
        yaw = math.radians(float(listener.get("yaw_deg", 0.0)))
    except (TypeError, ValueError):
        yaw = 0.0
    head = (0.4 * math.cos(yaw), 0.4 * math.sin(yaw)) if math.isfinite(yaw) else (0.4, 0.0)
    hx, hy = _page(head)
    out.append(f'<g class="listener"><circle cx="0" cy="0" r="{_fmt(6 * unit)}" fill="#222"/>'
               f'<line x1="0" y1="0" x2="{_fmt(hx)}" y2="{_fmt(hy)}" stroke="#222" stroke-width="{_fmt(2.5 * unit)}"/>'
               f'<text x="{_fmt(8 * unit)}" y="{_fmt(14 * unit)}">listener</text></g>')
    for o, p in marks_obj:
        if p is None:
            continue
        x, y = _page(p)
        role = escape(str(o.get("role", "")))
        label = escape(f"{o.get('id')} {o.get('category', '')}")
        colour = "#d0021b" if o.get("sounding") else "#f5a623"
        out.append(f'<g class="object" data-id="{escape(str(o.get("id")))}" data-role="{role}">'
                   f'<rect x="{_fmt(x - 5 * unit)}" y="{_fmt(y - 5 * unit)}" width="{_fmt(10 * unit)}" '
                   f'height="{_fmt(10 * unit)}" fill="{colour}"/>'
                   f'<text x="{_fmt(x + 7 * unit)}" y="{_fmt(y - 6 * unit)}">{label} ({role})</text></g>')
    for s, p in marks_src:
        if p is None:
            continue
        x, y = _page(p)
        label = escape(f"s{s.get('id')} {s.get('category', '')} ({s.get('placement', '')})")
        out.append(f'<g class="source" data-id="{escape(str(s.get("id")))}">'
                   f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(4 * unit)}" fill="none" stroke="#7b1fa2" '
                   f'stroke-width="{_fmt(2 * unit)}"/>'
                   f'<text x="{_fmt(x + 7 * unit)}" y="{_fmt(y + 12 * unit)}" fill="#7b1fa2">{label}</text></g>')
    out.append("</svg>")
    return "".join(out)


def legend() -> Sequence[str]:
    """The map's legend, one entry a line (HTML-safe text)."""
    return ("black dot + line: listener and head direction", "blue wedge: camera horizontal field of view",
            "red square: sounding object, orange: silent object", "purple ring: sound source",
            "grey outline: room floor (shoebox or floor plan)")
