"""The Scene's camera as geometry models, and where a sound source appears in the image.

``pinhole`` projection: a source appears where the pinhole camera projects it. ``screen``
projection (seeds/000): the source sits behind a screen pixel, so its pixel is read back with the
screen's orthographic mapping. Both the sampler and the annotator use these functions.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .geometry import PinholeCamera, ScreenProjection
from .scene import Camera


def camera_from_record(c: dict) -> Camera:
    """The Camera of a sample record's ``camera`` entry (its extra keys, e.g. intrinsics, ignored)."""
    names = {f.name for f in dataclasses.fields(Camera)}
    camera = Camera(**{k: v for k, v in c.items() if k in names})
    camera.position_m = tuple(camera.position_m)
    return camera


def pinhole(camera: Camera) -> PinholeCamera:
    return PinholeCamera(camera.width, camera.height, camera.hfov_deg, tuple(camera.position_m),
                         float(camera.yaw_deg or 0.0), float(camera.pitch_deg or 0.0))


def screen(camera: Camera) -> ScreenProjection:
    return ScreenProjection(camera.width, camera.height, camera.viewing_distance_m, camera.pixels_per_inch,
                            camera.depth_scale)


def source_pixel(camera: Camera, position_m) -> tuple[float, float] | None:
    """Continuous pixel (u, v) at which a source at ``position_m`` is shown, or None if it is
    behind the camera (pinhole) or behind the screen (screen)."""
    p = np.asarray(position_m, dtype=float)
    if camera.projection == "screen":
        u, v, d = screen(camera).world_to_pixel(p)
        return (float(u), float(v)) if d >= 0 else None
    u, v, depth = pinhole(camera).project(p)
    return (float(u), float(v)) if depth > 0 else None


def source_on_screen(camera: Camera, position_m) -> bool:
    """True if the source's pixel lies inside the image."""
    px = source_pixel(camera, position_m)
    return px is not None and 0.0 <= px[0] < camera.width and 0.0 <= px[1] < camera.height


def source_at_pixel(camera: Camera, u: float, v: float, depth_m: float) -> tuple[float, float, float]:
    """The source position for a sound at pixel (u, v) whose visible surface is ``depth_m``
    metres away along the optical axis: on that surface (pinhole), or behind the screen pixel
    at normalised depth = ``depth_m`` (screen; ``x = viewing_distance + depth_m * depth_scale``)."""
    if camera.projection == "screen":
        p = screen(camera).pixel_to_world(u, v, depth_m)
    else:
        p = pinhole(camera).unproject(u, v, depth_m)
    return tuple(float(x) for x in p)
