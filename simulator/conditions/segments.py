"""AVATAR's segment kinds, one per clip frame (seeds/002: single-sound, mixed-sound, multi-entity,
off-screen), as a registry of rules tried in order; the first that holds names the frame.

A frame's view: its *active* sources (emitting at the frame's time, simulator/activity.py) and,
among them, the *seen* ones: a source on an object whose pixel lies on that object's visible mask
in the frame (the frame label ``visible``). A point source (audio_only, off-screen) is never seen:
no object shows it.

* ``silent``: no source is active;
* ``offscreen``: sources are active, none is seen (AVATAR's off-screen: no visible sound-emitting
  object);
* ``mixed``: two or more sources are active and at least one is seen (AVATAR's mixed-sound: same
  or different categories, some possibly off-screen);
* ``multi_entity``: one source is active and seen, and another object of its category is visible
  (AVATAR's multi-entity: the sounding one among visually similar objects);
* ``single``: one source is active and seen, no other object of its category is visible.

The still conditions of the same names: ``congruent`` aims at single-sound frames,
``multi_instance`` at multi-entity, ``mixed`` at mixed-sound and ``offscreen`` at off-screen; in a
clip the kind can change from frame to frame (a source leaves the view, starts or stops), which
the per-frame label records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..core.registry import Registry


@dataclass(frozen=True)
class FrameView:
    """One frame, as the segment rules see it: ``active`` source ids, ``seen`` (the active ones
    seen on their object), ``category`` and ``object_of`` (its object's id, or None) of each
    source id, and ``visible_objects`` (object id -> category of every object with visible pixels
    in the frame)."""

    active: tuple[int, ...]
    seen: tuple[int, ...]
    category: dict[int, str]
    object_of: dict[int, int | None]
    visible_objects: dict[int, str]


@dataclass(frozen=True)
class SegmentRule:
    name: str
    description: str
    holds: Callable[[FrameView], bool]


def _twins(v: FrameView) -> bool:
    src = v.seen[0]
    return any(cat == v.category[src] and oid != v.object_of[src] for oid, cat in v.visible_objects.items())


SEGMENTS: Registry[SegmentRule] = Registry("segment kind")
for _rule in (
    SegmentRule("silent", "no source is active", lambda v: not v.active),
    SegmentRule("offscreen", "sources are active, none is seen", lambda v: not v.seen),
    SegmentRule("mixed", "two or more active sources, one or more seen", lambda v: len(v.active) >= 2),
    SegmentRule("multi_entity", "one active source, seen, beside another visible object of its category", _twins),
    SegmentRule("single", "one active source, seen, the only visible object of its category", lambda v: True),
):
    SEGMENTS.register(_rule.name, _rule)


def frame_view(frame: dict[str, Any], categories: dict[int, str]) -> FrameView:
    """The view of one frame's labels (a record's ``video.frames[k]``); ``categories``: object id
    -> category. A source without an ``active`` flag is active."""
    sources = frame["sources"]
    active = tuple(s["id"] for s in sources if s.get("active", True))
    seen = tuple(s["id"] for s in sources if s.get("active", True) and s.get("visible") is True)
    visible = {o["id"]: categories[o["id"]] for o in frame["objects"] if o.get("visible_pixels", 0) > 0}
    return FrameView(active, seen, {s["id"]: s["category"] for s in sources},
                     {s["id"]: s.get("object_id") for s in sources}, visible)


def segment_of(view: FrameView) -> str:
    """The first segment kind whose rule holds (registry order)."""
    for name, rule in SEGMENTS.items():
        if rule.holds(view):
            return name
    raise AssertionError("the last segment rule always holds")


__all__ = ["FrameView", "SEGMENTS", "SegmentRule", "frame_view", "segment_of"]
