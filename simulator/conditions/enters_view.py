"""enters_view (seeds/002, AVATAR: sound sources entering the visual field during a video; a clip
condition): an off-screen still at t = 0 (offscreen's cast and invariants: objects in view, none
sounding, the clip of an absent category from outside the field of view), then the sound walks
into the picture and stops there.

Once the layout is settled, the source's place at the end is drawn: a pixel uniform inside
``target.margin`` of the (unturned) view, ``distance_m`` from the camera along its ray (shortened
to stay 0.3 m inside the room). It starts beside that place, on the ``side`` drawn, along the
camera's horizontal left (or right) axis as ``region`` placed it at t = 0, past the image border
by ``lead_m``, and walks straight
to it (``waypoints``, one leg) at the speed that brings it there at ``event_time`` x the clip's
duration, then stays. A side whose start leaves the room is swapped for the other; a layout where
neither fits is redrawn. The clip's event (``video.event``) is the first instant (1 ms steps) the
source is on screen; the audit checks the frames before it show the source off screen and those
after it on screen. The source is a sound without an object (as offscreen's): ``visible`` stays
null and the frames are off-screen segments. Needs a clip (``video.fps``) and a still listener.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.scene import ClipEvent
from ..core.trajectory import MAX_SPEED_M_S, Leg, Waypoints
from ..errors import PlacementError
from ..spec.fields import Field, enum, num
from .base import ClipCheck, ClipContext
from .clip_timing import draw_view_ray, check_event_frames, first_change_s
from .leaves_view import exit_distance_m
from .offscreen import Offscreen

#: Regions (sides) a sound can walk in from.
SIDES = ("left", "right")
#: Tries at drawing an end place that fits the room.
PLACE_TRIES = 50
#: How far inside the room the source stays, m (as an off-screen source).
ROOM_MARGIN_M = 0.3


class EntersView(Offscreen):
    name = "enters_view"
    description = "enters_view (clips): an off-screen sound that then walks into the view."
    options = {
        "region": Field(enum(*SIDES), {"choice": list(SIDES)}, "Side it comes from: left or right of the view "
                        "(as offscreen.region at t = 0).", random=True),
        "distance_m": Field(num(0.3, 100.0), {"uniform": [1.0, 4.0]}, "Distance of its end place from the "
                            "camera, m.", random=True),
        "lead_m": Field(num(0.0, 20.0), {"uniform": [0.3, 1.0]}, "How far past the image border it starts, m.",
                        random=True),
        "event_time": Field(num(0.05, 0.95), {"uniform": [0.25, 0.75]},
                            "When it reaches its end place, as a fraction of the clip (drawn per sample); it "
                            "comes into view before.", random=True),
    }
    temporal = True

    def arrange(self, scene, ctx: ClipContext) -> None:
        src = next(s for s in scene.sources if s.placement == "offscreen")
        camera = scene.camera
        t_end = float(ctx.option("event_time")) * ctx.duration_s
        yaw = math.radians(float(camera.yaw_deg or 0.0))
        left = np.array([-math.sin(yaw), math.cos(yaw), 0.0])
        first = 1.0 if float(np.dot(np.asarray(src.position_m, float), left)) >= 0 else -1.0  # its region's side
        for _ in range(PLACE_TRIES):
            ray = draw_view_ray(ctx, camera)
            distance, lead = float(ctx.option("distance_m")), float(ctx.option("lead_m"))
            end = np.asarray(camera.position_m, float) + distance * ray
            if not ctx.inside(end[None, :], ROOM_MARGIN_M):
                continue
            for sign in (first, -first):
                d = sign * left
                border = exit_distance_m(camera, end, d)
                if border is None:
                    continue
                start = end + (border + lead) * d
                speed = float(np.linalg.norm(start - end)) / t_end
                if not ctx.inside(start[None, :], ROOM_MARGIN_M) or speed > MAX_SPEED_M_S:
                    continue
                src.position_m = tuple(float(x) for x in start)
                src.motion = Waypoints(src.position_m, (Leg(tuple(float(x) for x in end), speed),))
                t_in = first_change_s(scene, src.id, ctx.duration_s)
                if t_in is None:
                    continue
                scene.video.event = ClipEvent(self.name, src.id, t_in)
                return
        raise PlacementError("enters_view: no path into the view that stays inside the room")

    def check_clip(self, a: ClipCheck) -> None:
        """The source is off screen before the event and on screen after it, in every frame."""
        check_event_frames(a, self.name, "on_screen", False, True)
