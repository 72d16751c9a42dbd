"""Where a Scene's listener, objects and sources are at any time of the clip.

Positions are metres in the world frame (the listener's head frame at t = 0, docs/conventions.md),
times seconds from the clip's start, yaw degrees (positive: turned left, unwrapped). An entity
without a trajectory stays where the Scene puts it; a source on an object moves with its object,
keeping its offset from the object's centre (``source(t) = source(0) + object(t) - object(0)``).

:func:`motion_control` gives the arrays a time-varying renderer takes: the control times
``k / rate_hz`` for k = 0 .. K - 1, K = ceil(duration * rate) + 1 (the last time is at or just past
the end), the listener's (K, 3) positions and (K,) yaw, and each source's and object's (K, 3)
positions. :func:`motion_record` is the record's ``motion`` entry (docs/dataset-format.md).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .plain import PlainError, to_plain

#: Control rate of the positions stored in a record's ``motion`` entry, Hz (100 ms steps, the
#: label resolution of DCASE SELD).
RECORD_RATE_HZ = 10.0


def _times(t_s) -> np.ndarray:
    return np.atleast_1d(np.asarray(t_s, dtype=float))


def control_times_s(duration_s: float, rate_hz: float) -> np.ndarray:
    """(K,) control times k / rate_hz, k = 0 .. ceil(duration_s * rate_hz), seconds."""
    if not (rate_hz > 0 and math.isfinite(rate_hz)) or not (duration_s >= 0 and math.isfinite(duration_s)):
        raise ValueError(f"control rate must be > 0 and duration >= 0, got {rate_hz!r} Hz, {duration_s!r} s")
    count = int(math.ceil(duration_s * rate_hz - 1e-9)) + 1
    return np.arange(count, dtype=float) / float(rate_hz)


def is_static(scene) -> bool:
    """True when no trajectory or head turn is stored (the Scene is a still)."""
    return (scene.listener.motion is None and scene.listener.turn is None
            and all(o.motion is None for o in scene.objects) and all(s.motion is None for s in scene.sources))


def _path(entity, t: np.ndarray) -> np.ndarray:
    start = np.asarray(entity.position_m, float)[None, :]
    if entity.motion is None:
        return np.repeat(start, t.size, axis=0)
    return start + (entity.motion.position_m(t) - np.asarray(entity.motion.start_m, float)[None, :])


def listener_positions_m(scene, t_s) -> np.ndarray:
    """(n, 3) head-centre positions, m, world frame (the origin while the head stays)."""
    t = _times(t_s)
    motion = scene.listener.motion
    if motion is None:
        return np.zeros((t.size, 3))
    return motion.position_m(t) - np.asarray(motion.start_m, float)[None, :]


def head_yaw_deg(scene, t_s) -> np.ndarray:
    """(n,) head yaw, degrees: ``listener.yaw_deg`` at t = 0, then its turn."""
    t = _times(t_s)
    turn = scene.listener.turn
    if turn is None:
        return np.full(t.size, float(scene.listener.yaw_deg))
    return float(scene.listener.yaw_deg) + (turn.yaw_deg(t) - float(turn.start_deg))


def object_positions_m(scene, object_id: int, t_s) -> np.ndarray:
    """(n, 3) positions of the object's centre, m, world frame."""
    return _path(scene.object_by_id(object_id), _times(t_s))


def source_positions_m(scene, source_id: int, t_s) -> np.ndarray:
    """(n, 3) positions of the source, m, world frame (a source on an object follows it)."""
    src = scene.source_by_id(source_id)
    t = _times(t_s)
    if src.object_id is not None:
        obj = scene.object_by_id(src.object_id)
        if obj.motion is not None:
            return np.asarray(src.position_m, float)[None, :] + (obj.motion.position_m(t) - np.asarray(
                obj.motion.start_m, float)[None, :])
    return _path(src, t)


@dataclass(frozen=True)
class MotionControl:
    """The Scene at control times: ``times_s`` (K,), ``listener_m`` (K, 3), ``head_yaw_deg`` (K,),
    ``sources_m`` (S, K, 3) in the order of ``source_ids`` (the Scene's sources), ``objects_m``
    (O, K, 3) in the order of ``object_ids``. Metres, world frame; degrees."""

    rate_hz: float
    times_s: np.ndarray
    listener_m: np.ndarray
    head_yaw_deg: np.ndarray
    source_ids: tuple[int, ...]
    sources_m: np.ndarray
    object_ids: tuple[int, ...]
    objects_m: np.ndarray


def motion_control(scene, rate_hz: float, duration_s: float | None = None) -> MotionControl:
    """The Scene's positions and yaw at control times k / rate_hz covering [0, duration_s]
    (default: ``scene.audio.duration_s``)."""
    t = control_times_s(scene.audio.duration_s if duration_s is None else duration_s, rate_hz)
    sources = np.stack([source_positions_m(scene, s.id, t) for s in scene.sources]) if scene.sources else \
        np.zeros((0, t.size, 3))
    objects = np.stack([object_positions_m(scene, o.id, t) for o in scene.objects]) if scene.objects else \
        np.zeros((0, t.size, 3))
    return MotionControl(float(rate_hz), t, listener_positions_m(scene, t), head_yaw_deg(scene, t),
                         tuple(s.id for s in scene.sources), sources, tuple(o.id for o in scene.objects), objects)


def motion_record(scene, rate_hz: float = RECORD_RATE_HZ) -> dict[str, Any] | None:
    """The record's ``motion`` entry (None for a still Scene): the control rate and times, and for
    the listener, every object and every source its trajectory (plain, or null) and its positions
    at those times (and the head's yaw)."""
    if is_static(scene):
        return None
    c = motion_control(scene, rate_hz)
    plain = lambda traj: None if traj is None else to_plain(traj)  # noqa: E731
    return {
        "rate_hz": c.rate_hz, "duration_s": float(scene.audio.duration_s), "times_s": c.times_s.tolist(),
        "listener": {"motion": plain(scene.listener.motion), "turn": plain(scene.listener.turn),
                     "positions_m": c.listener_m.tolist(), "yaw_deg": c.head_yaw_deg.tolist()},
        "objects": [{"id": o.id, "motion": plain(o.motion), "positions_m": c.objects_m[k].tolist()}
                    for k, o in enumerate(scene.objects)],
        "sources": [{"id": s.id, "motion": plain(s.motion), "follows_object": s.object_id,
                     "positions_m": c.sources_m[k].tolist()} for k, s in enumerate(scene.sources)],
    }


def camera_turn_deg(scene, t_s) -> np.ndarray:
    """(n,) how far the head (and the camera it carries) has turned since t = 0, degrees."""
    return head_yaw_deg(scene, t_s) - float(scene.listener.yaw_deg)


def frame_scene(scene, t_s: float):
    """The still Scene of the instant ``t_s`` (seconds): every object and source at its position
    then, the camera carried by the head (its centre ``listener(t) + Rz(turn) camera.position_m``,
    turned by the head's turn since t = 0 about +z, its pitch kept), no trajectories. Frame 0 of a
    clip is the Scene itself (its positions, a camera without a turn)."""
    t = np.array([float(t_s)])
    turn = float(camera_turn_deg(scene, t)[0])
    lis = listener_positions_m(scene, t)[0]
    cam = dataclasses.replace(scene.camera)
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    off = np.asarray(scene.camera.position_m, float)
    cam.position_m = tuple(float(x) for x in lis + np.array([c * off[0] - s * off[1], s * off[0] + c * off[1], off[2]]))
    if turn != 0.0:
        cam.yaw_deg = float(scene.camera.yaw_deg or 0.0) + turn
    if float(t_s) == 0.0:  # the Scene's own positions, bit for bit
        objects = [dataclasses.replace(o, motion=None) for o in scene.objects]
        sources = [dataclasses.replace(src, motion=None) for src in scene.sources]
    else:
        objects = [dataclasses.replace(o, position_m=tuple(float(x) for x in object_positions_m(scene, o.id, t)[0]),
                                       motion=None) for o in scene.objects]
        sources = [dataclasses.replace(src, position_m=tuple(float(x) for x in source_positions_m(
            scene, src.id, t)[0]), motion=None) for src in scene.sources]
    listener = dataclasses.replace(scene.listener, motion=None, turn=None)
    return dataclasses.replace(scene, camera=cam, listener=listener, objects=objects, sources=sources, video=None)


def head_frame(scene, points_m: np.ndarray, t_s: float) -> np.ndarray:
    """World points (..., 3) at time ``t_s`` in the frame the head carries then: origin at the
    head centre, axes those of t = 0 turned by the head's turn since t = 0 (at t = 0 the world
    frame itself, in which a still's angles are given)."""
    t = np.array([float(t_s)])
    turn = math.radians(float(camera_turn_deg(scene, t)[0]))
    rel = np.asarray(points_m, float) - listener_positions_m(scene, t)[0]
    c, s = math.cos(turn), math.sin(turn)
    return np.stack([c * rel[..., 0] + s * rel[..., 1], -s * rel[..., 0] + c * rel[..., 1], rel[..., 2]], axis=-1)


def check_motion(scene) -> None:
    """(The sampler's Scenes pass it; reading a Scene does not require it, and the helpers above
    anchor every path on the entity's position at t = 0.) PlainError naming the field if a trajectory does not start where its entity is at t = 0, or a
    source on an object has a trajectory of its own."""
    def check(path: str, traj, start) -> None:
        if traj is not None and tuple(traj.start_m) != tuple(start):
            raise PlainError(f"{path}.motion.start_m: {list(traj.start_m)} is not the position at t = 0 "
                             f"{list(start)}")

    check("listener", scene.listener.motion, (0.0, 0.0, 0.0))
    turn = scene.listener.turn
    if turn is not None and turn.start_deg != scene.listener.yaw_deg:
        raise PlainError(f"listener.turn.start_deg: {turn.start_deg!r} is not listener.yaw_deg "
                         f"{scene.listener.yaw_deg!r}")
    for k, obj in enumerate(scene.objects):
        check(f"objects[{k}]", obj.motion, obj.position_m)
    for k, src in enumerate(scene.sources):
        if src.motion is not None and src.object_id is not None:
            raise PlainError(f"sources[{k}].motion: a source on an object moves with its object; it has no "
                             "trajectory of its own")
        check(f"sources[{k}]", src.motion, src.position_m)


__all__ = ["MotionControl", "RECORD_RATE_HZ", "camera_turn_deg", "check_motion", "control_times_s", "frame_scene",
           "head_frame", "head_yaw_deg", "is_static", "listener_positions_m", "motion_control", "motion_record",
           "object_positions_m", "source_positions_m"]
