"""Shared by the temporal conditions: when a source's pixel crosses the image border in a clip, and
the per-frame check that frames before and after an event agree with it.

Times are seconds from the clip's start; positions metres in the world frame (the head frame at
t = 0); a source is on screen when its pixel, in the camera the head carries at that instant
(:func:`simulator.core.scene_motion.frame_scene`), lies inside the image.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core import camera as cam
from ..core.scene_motion import frame_scene

#: Time step of the scan for an event's instant, seconds (the event time is the first scanned
#: instant after the change, so it is late by at most this).
SCAN_STEP_S = 0.001
#: Frames this close to an event (seconds) are not checked against it.
EVENT_TOL_S = 2 * SCAN_STEP_S
#: The option of every temporal condition giving when its event happens.
EVENT_TIME_DOC = "When the event happens, as a fraction of the clip (drawn per sample)."


def on_screen_at(scene, source_id: int, t_s: float) -> bool:
    """Is the source's pixel inside the image at ``t_s``?"""
    still = frame_scene(scene, float(t_s))
    return cam.source_on_screen(still.camera, still.source_by_id(source_id).position_m)


def first_change_s(scene, source_id: int, until_s: float) -> float | None:
    """The first scanned instant in (0, until_s] at which the source's on-screen flag differs
    from t = 0 (steps of :data:`SCAN_STEP_S`), or None if it never changes."""
    start = on_screen_at(scene, source_id, 0.0)
    for t in np.arange(1, int(np.ceil(until_s / SCAN_STEP_S)) + 1) * SCAN_STEP_S:
        if on_screen_at(scene, source_id, float(min(t, until_s))) != start:
            return float(min(t, until_s))
    return None


def draw_view_ray(ctx, camera) -> np.ndarray:
    """The (3,) unit world-frame ray of the t = 0 camera through a pixel drawn uniformly inside
    ``ctx.margin`` of the image (u, then v, from ``ctx.rng``): where a clip condition puts a sound
    that is to be seen."""
    w, h, m = camera.width, camera.height, ctx.margin
    u, v = ctx.rng.uniform(m * w, (1 - m) * w), ctx.rng.uniform(m * h, (1 - m) * h)
    return np.asarray(cam.pinhole(camera).ray(np.array([u]), np.array([v])), float).reshape(3)


def check_event_frames(a, name: str, key: str, before: Any, after: Any, source_id: int | None = None) -> None:
    """Frames before the clip's event have ``key`` of its source (or of ``source_id``) equal to
    ``before``, frames after it ``after`` (frames within :data:`EVENT_TOL_S` of the event are
    skipped); the event lies inside the clip and names a source of the frames."""
    event = a.event
    if not isinstance(event, dict) or event.get("kind") != name:
        a.fail(f"{name}.event", f"the clip's event is {event!r}, expected one of kind {name!r}")
        return
    t_event, sid = float(event["t_s"]), event["source_id"] if source_id is None else source_id
    duration = float(a.r["video"]["duration_s"])
    if not 0.0 < t_event < duration:
        a.fail(f"{name}.event", f"event at {t_event} s is not inside the clip (0, {duration}) s")
    for frame in a.frames:
        entry = next((s for s in frame["sources"] if s["id"] == sid), None)
        if entry is None:
            a.fail(f"{name}.event", f"frame {frame['k']} has no source {sid}")
            return
        t = float(frame["t_s"])
        if abs(t - t_event) <= EVENT_TOL_S:
            continue
        want = before if t < t_event else after
        if entry.get(key) != want:
            a.fail(f"{name}.frames", f"frame {frame['k']} (t = {t:.3f} s, event at {t_event:.3f} s): source {sid} "
                   f"has {key} = {entry.get(key)!r}, expected {want!r}")


__all__ = ["EVENT_TIME_DOC", "EVENT_TOL_S", "SCAN_STEP_S", "check_event_frames", "draw_view_ray", "first_change_s",
           "on_screen_at"]
