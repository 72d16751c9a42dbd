"""turns_towards (a clip condition): an off-screen still at t = 0 (offscreen's cast and invariants:
objects in view, none sounding, the clip of an absent category from outside the field of view),
then the listener turns the head towards the sound until it is in view.

Once the layout is settled, the source is put where the turned camera will see it: a pixel drawn
uniformly inside ``target.margin`` of the final view, ``distance_m`` from the camera (shortened to
stay 0.3 m inside the room), seen through the camera turned by a yaw drawn in ``region`` (left or
right: the source starts 10 degrees or more beyond the horizontal field of view, |azimuth| <= 120;
behind: |azimuth| > 120). The head turns at a constant rate (``listener.turn``: one yaw waypoint)
and reaches that yaw at ``event_time`` x the clip's duration, then holds it. The clip's event
(``video.event``) is the first instant (1 ms steps) the source is on screen; the audit checks the
frames before it show the source off screen and the frames after it on screen. Needs a clip
(``video.fps``) and a listener whose motion and turn are otherwise still.
"""
from __future__ import annotations

import math

import numpy as np

from ..core import camera as cam
from ..errors import PlacementError
from ..core.scene import ClipEvent
from ..core.trajectory import MAX_ANGULAR_SPEED_DEG_S, YawLeg, YawWaypoints
from ..spec.fields import Field, enum, num
from .base import ClipCheck, ClipContext
from .clip_timing import draw_view_ray, EVENT_TIME_DOC, check_event_frames, first_change_s
from .offscreen import Offscreen

#: Regions a yaw turn can bring into view.
TURN_REGIONS = ("behind", "left", "right")
#: Tries at drawing a source position that fits the region and the room.
PLACE_TRIES = 200
#: How far inside the room the source stays, m (as an off-screen source).
ROOM_MARGIN_M = 0.3


def region_holds(region: str, azimuth_deg: float, hfov_deg: float) -> bool:
    """Does a source at ``azimuth_deg`` (head frame at t = 0) lie in ``region`` (offscreen's)?"""
    a = abs(azimuth_deg)
    if region == "behind":
        return a > 120.0
    side = azimuth_deg > 0 if region == "left" else azimuth_deg < 0
    return side and 0.5 * hfov_deg + 10.0 <= a <= 120.0


class TurnsTowards(Offscreen):
    name = "turns_towards"
    description = "turns_towards (clips): an off-screen sound, then the listener turns the head towards it."
    options = {
        "region": Field(enum(*TURN_REGIONS), {"choice": list(TURN_REGIONS)},
                        "Where the sound is at t = 0: behind (|azimuth| > 120) or left/right (10 degrees or more "
                        "beyond the horizontal field of view, |azimuth| <= 120).", random=True),
        "distance_m": Field(num(0.3, 100.0), {"uniform": [1.0, 5.0]}, "Source distance from the camera, m.",
                            random=True),
        "event_time": Field(num(0.05, 0.95), {"uniform": [0.25, 0.75]},
                            "When the turn ends (the source then in view), as a fraction of the clip (drawn per "
                            "sample); the source comes into view before.", random=True),
    }
    temporal = True

    def arrange(self, scene, ctx: ClipContext) -> None:
        src = next(s for s in scene.sources if s.placement == "offscreen")
        camera, pin = scene.camera, cam.pinhole(scene.camera)
        region = ctx.option("region")
        t_end = float(ctx.option("event_time")) * ctx.duration_s
        for _ in range(PLACE_TRIES):
            ray = draw_view_ray(ctx, camera)
            distance = float(ctx.option("distance_m"))
            if region == "behind":
                turn = float(ctx.rng.uniform(120.0, 180.0)) * (1 if ctx.rng.uniform() < 0.5 else -1)
            else:
                turn = float(ctx.rng.uniform(0.5 * camera.hfov_deg + 10.0, 150.0)) * (1 if region == "left" else -1)
            c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
            rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
            start = np.asarray(camera.position_m, float)
            for _shrink in range(12):
                p = rz @ (start + distance * ray)
                if ctx.inside(p[None, :], ROOM_MARGIN_M):
                    break
                distance *= 0.8
            else:
                continue
            az = math.degrees(math.atan2(p[1], p[0]))
            if (distance < 0.5 or not region_holds(region, az, camera.hfov_deg)
                    or cam.source_on_screen(camera, p) or bool(np.any(pin.in_view(p[None, :])))):
                continue
            src.position_m = tuple(float(x) for x in p)
            yaw0 = float(scene.listener.yaw_deg)
            speed = abs(turn) / t_end
            if speed > MAX_ANGULAR_SPEED_DEG_S:
                continue
            scene.listener.turn = YawWaypoints(yaw0, (YawLeg(yaw0 + turn, speed),))
            t_in = first_change_s(scene, src.id, ctx.duration_s)
            if t_in is None:
                continue
            scene.video.event = ClipEvent(self.name, src.id, t_in)
            return
        raise PlacementError(f"turns_towards: no source position in region {region!r} that a turn brings into view")

    def check_clip(self, a: ClipCheck) -> None:
        """The source is off screen before the event and on screen after it, in every frame."""
        check_event_frames(a, self.name, "on_screen", False, True)
