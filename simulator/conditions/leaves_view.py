"""leaves_view (seeds/002, AVATAR: sources leaving the view; a clip condition): a congruent still at
t = 0 whose sounding object then walks sideways out of the picture.

The cast and every still invariant are congruent's. Once the layout is settled, the sounding
object gets a straight horizontal path (``linear``, elevation 0, so an object on the floor stays
on it) towards the nearer side of the image, at the speed that takes its source's pixel across the
image border at ``event_time`` x the clip's duration; it keeps going, so the source stays out of
view afterwards. The other way is tried when the nearer one leaves the room; a layout where
neither fits, or that needs more than ``max_speed_m_s``, is redrawn. The clip's event
(``video.event``) is the first instant (1 ms steps) at which the source is off screen; the audit
checks every frame before it shows the source on screen and every frame after it off screen.
Needs a clip (``video.fps``) and a listener that neither moves nor turns.
"""
from __future__ import annotations

import math

import numpy as np

from ..core import camera as cam
from ..errors import PlacementError
from ..core.scene import ClipEvent
from ..core.trajectory import MAX_SPEED_M_S, Linear
from ..motion_sampler import check_times_s, extreme_offsets, object_in_room
from ..spec.fields import Field, num
from .base import ClipCheck, ClipContext
from .clip_timing import EVENT_TIME_DOC, check_event_frames, first_change_s
from .congruent import Congruent

#: Farthest a sounding object is taken sideways looking for the image border, m.
MAX_EXIT_M = 50.0
#: Steps of the bisection for the distance to the border.
EXIT_STEPS = 40


def exit_distance_m(camera, position_m, direction: np.ndarray) -> float | None:
    """How far a point must move along ``direction`` (unit, world frame) for its pixel to leave the
    image of ``camera`` (bisection; None if it is still on screen :data:`MAX_EXIT_M` away)."""
    p = np.asarray(position_m, float)
    if cam.source_on_screen(camera, p + MAX_EXIT_M * direction):
        return None
    lo, hi = 0.0, MAX_EXIT_M
    for _ in range(EXIT_STEPS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cam.source_on_screen(camera, p + mid * direction) else (lo, mid)
    return hi


class LeavesView(Congruent):
    name = "leaves_view"
    description = "leaves_view (clips): a congruent still whose sounding object then leaves the view."
    options = {
        "event_time": Field(num(0.05, 0.95), {"uniform": [0.25, 0.75]}, EVENT_TIME_DOC, random=True),
        "max_speed_m_s": Field(num(0.0, MAX_SPEED_M_S, ol=True), 5.0,
                               "Fastest the sounding object may walk out, m/s (a layout needing more is redrawn)."),
    }
    temporal = True

    def arrange(self, scene, ctx: ClipContext) -> None:
        src = scene.source_by_id(scene.targets.audio[0])
        obj = scene.object_by_id(src.object_id)
        t_event = float(ctx.option("event_time")) * ctx.duration_s
        max_speed = float(ctx.option("max_speed_m_s"))
        yaw = math.radians(float(scene.camera.yaw_deg or 0.0))
        left = np.array([-math.sin(yaw), math.cos(yaw), 0.0])  # the camera's left, horizontal
        u = cam.source_pixel(scene.camera, src.position_m)[0]
        nearer = 1.0 if u < 0.5 * scene.camera.width else -1.0  # image u grows to the camera's right
        offsets = extreme_offsets(ctx.object_points(obj.id), obj.position_m)
        t = check_times_s(scene.audio.duration_s)
        for sign in (nearer, -nearer):
            d = sign * left
            dist = exit_distance_m(scene.camera, src.position_m, d)
            if dist is None or dist / t_event > max_speed:
                continue
            traj = Linear(tuple(obj.position_m), dist / t_event, math.degrees(math.atan2(d[1], d[0])), 0.0)
            if object_in_room(traj.position_m(t)[:, None, :] + offsets[None], obj.support == "floor", ctx.inside):
                obj.motion = traj
                break
        else:
            raise PlacementError(f"leaves_view: the sounding object cannot leave the view by {t_event:.2f} s "
                                 f"inside the room at {max_speed} m/s or less")
        t_out = first_change_s(scene, src.id, ctx.duration_s)
        if t_out is None:
            raise PlacementError("leaves_view: the sounding source stays on screen")
        scene.video.event = ClipEvent(self.name, src.id, t_out)

    def check_clip(self, a: ClipCheck) -> None:
        """The source is on screen before the event and off screen after it, in every frame."""
        check_event_frames(a, self.name, "on_screen", True, False)
