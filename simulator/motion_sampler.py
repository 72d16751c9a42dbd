"""Draws a laid-out Scene's trajectories from the spec's motion blocks (docs/motion.md).

Called by the sampler once the layout is final, so every position at t = 0 is the one placed and a
static spec changes nothing (no draw, no stored trajectory). Draws come from the sample's own seed
sequence, ``SeedSequence(spec_seed, spawn_key=(index, attempt, MOTION_STREAM))``: a stream of its
own, so trajectories do not depend on how many draws the layout used, and no global RNG.

Order: the listener's motion and head turn, then each object (id order), then each source not on
an object (id order). Each entity draws its kind once; a trajectory that leaves the room (margins
below) or comes nearer the head than allowed at any time of the clip (checked every
``CHECK_STEP_S``) is re-drawn (same kind) up to ``MAX_MOTION_DRAWS`` times; if none stays inside,
the last draw's speeds are scaled down (bisection) to the largest factor that stays inside
(clipped). A draw of the static kind stores nothing.

An object that rests on the floor (``SceneObject.support == "floor"``, docs/support.md) moves
horizontally only: its direction's elevation is drawn as usual (so the stream does not depend on
the support) and replaced by 0, so it stays on the floor for the whole clip (an arc is already
horizontal); its containment test lifts its points by ``FLOOR_LIFT_M`` off the floor it touches.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .core.scene import Scene
from .core.trajectory import HEAD_TURNS, TRAJECTORIES, Trajectory

#: The extra spawn-key element of the motion stream.
MOTION_STREAM = 0x70A7
#: Re-draws of a trajectory that leaves the room, before its speeds are clipped.
MAX_MOTION_DRAWS = 16
#: Steps of the bisection that clips the speeds.
CLIP_STEPS = 12
#: Time step of the containment and clearance checks, s.
CHECK_STEP_S = 0.01
#: How far inside the room the head centre, a source and an object's extreme points stay, m.
HEAD_MARGIN_M = 0.1
SOURCE_MARGIN_M = 0.05
OBJECT_MARGIN_M = 0.05
#: Nearest a moving source comes to the head centre, m (or its distance at t = 0 if nearer).
SOURCE_CLEARANCE_M = 0.3
#: How far an object on the floor is lifted for the containment test, m (more than OBJECT_MARGIN_M).
FLOOR_LIFT_M = OBJECT_MARGIN_M + 0.01

Inside = Callable[[np.ndarray, float], bool]


def motion_rng(scene: Scene) -> np.random.Generator:
    """The sample's motion stream."""
    spec_seed, index, attempt = scene.seed
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec_seed,
                                                                       spawn_key=(index, attempt, MOTION_STREAM))))


def _moving(spec, block: str, registry) -> bool:
    """Can the spec's ``block`` draw a moving kind?"""
    dist = spec.dists[f"{block}.kind"]
    values = dist.probabilities() if hasattr(dist, "probabilities") else {dist.value: 1.0}
    return any(registry.get(k).moves for k, p in values.items() if p > 0)


def _extremes(points: np.ndarray) -> np.ndarray:
    """The points extreme along the axes and the diagonals (at most 26): an object's check points."""
    dirs = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [0, 1, 1],
                     [0, 1, -1], [1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1]], float)
    proj = points @ dirs.T
    return points[np.unique(np.concatenate([proj.argmin(axis=0), proj.argmax(axis=0)]))]


def draw_motions(scene: Scene, spec, inside: Inside, object_points: Callable[[int], np.ndarray]) -> Scene:
    """Store the drawn trajectories in ``scene`` (in place; returned). ``inside(points, margin)``: are
    the (n, 3) world-frame points inside the room by ``margin`` m; ``object_points(id)``: the object's
    posed vertices at t = 0 (world frame, m)."""
    blocks = ("listener.motion", "listener.turn", "objects.motion", "source.motion")
    registries = (TRAJECTORIES, HEAD_TURNS, TRAJECTORIES, TRAJECTORIES)
    if not any(_moving(spec, b, r) for b, r in zip(blocks, registries)):
        return scene
    rng = motion_rng(scene)
    t = check_times_s(scene.audio.duration_s)
    draw_of = lambda block: (lambda key: spec.sample(f"{block}.{key}", rng))  # noqa: E731
    origin = (0.0, 0.0, 0.0)

    checks = {o.id: extreme_offsets(object_points(o.id), o.position_m) for o in scene.objects}
    min_object = float(spec.resolved["objects"]["min_distance_m"])

    def listener_ok(traj: Trajectory) -> bool:
        path = traj.position_m(t)
        if not inside(path, HEAD_MARGIN_M):
            return False
        for o in scene.objects:  # objects are still at t = 0 here
            pts = checks[o.id] + np.asarray(o.position_m, float)
            d = np.linalg.norm(pts[None, :, :] - path[:, None, :], axis=-1).min()
            if d < min(min_object, float(np.linalg.norm(pts, axis=1).min())) - 1e-9:
                return False
        return True

    head = _draw(TRAJECTORIES, "listener.motion", spec, rng, lambda cls: cls.draw(origin, origin,
                                                                                  draw_of("listener.motion")),
                 listener_ok)
    scene.listener.motion = head
    turn_cls = HEAD_TURNS.get(spec.sample("listener.turn.kind", rng))
    if turn_cls.moves:
        scene.listener.turn = turn_cls.draw(float(scene.listener.yaw_deg), draw_of("listener.turn"))
    head_path = scene.listener_positions_m(t)

    def clear_of_head(path: np.ndarray, near: float) -> bool:
        d = np.linalg.norm(path - head_path[:, None, :] if path.ndim == 3 else path - head_path, axis=-1)
        return bool(d.min() >= near - 1e-9)

    for obj in scene.objects:
        offsets = checks[obj.id]
        floor = obj.support == "floor"

        def object_ok(traj: Trajectory, offsets=offsets, floor=floor) -> bool:
            pts = traj.position_m(t)[:, None, :] + offsets[None, :, :]
            near0 = float(np.linalg.norm(pts[0], axis=1).min())
            return object_in_room(pts, floor, inside) and clear_of_head(pts, min(min_object, near0))

        start = tuple(obj.position_m)
        draw = horizontal(draw_of("objects.motion")) if floor else draw_of("objects.motion")
        obj.motion = _draw(TRAJECTORIES, "objects.motion", spec, rng,
                           lambda cls, start=start, draw=draw: cls.draw(start, origin, draw), object_ok)
    for src in scene.sources:
        if src.object_id is not None:
            continue  # it moves with its object
        start = tuple(src.position_m)

        def source_ok(traj: Trajectory, start=start) -> bool:
            path = traj.position_m(t)
            near = min(SOURCE_CLEARANCE_M, float(np.linalg.norm(start)))
            return inside(path, SOURCE_MARGIN_M) and clear_of_head(path, near)

        src.motion = _draw(TRAJECTORIES, "source.motion", spec, rng,
                           lambda cls, start=start: cls.draw(start, origin, draw_of("source.motion")), source_ok)
    return scene


def object_in_room(points_m: np.ndarray, floor: bool, inside: Inside) -> bool:
    """Are an object's check points (..., 3) (world frame, m; e.g. its extreme points along a
    path) :data:`OBJECT_MARGIN_M` inside the room, those of an object on the floor lifted by
    :data:`FLOOR_LIFT_M` first?"""
    lift = np.array([0.0, 0.0, FLOOR_LIFT_M if floor else 0.0])
    return inside(np.asarray(points_m, float).reshape(-1, 3) + lift, OBJECT_MARGIN_M)


def extreme_offsets(points_m: np.ndarray, centre_m) -> np.ndarray:
    """An object's check points (its extreme vertices, :func:`_extremes`) relative to its centre."""
    return _extremes(np.asarray(points_m, float)) - np.asarray(centre_m, float)


def check_times_s(duration_s: float) -> np.ndarray:
    """The times the containment checks use: every :data:`CHECK_STEP_S` over the clip, seconds."""
    t = np.arange(int(np.ceil(duration_s / CHECK_STEP_S)) + 1) * CHECK_STEP_S
    t[-1] = min(t[-1], duration_s)
    return t


def horizontal(draw: Callable[[str], object]) -> Callable[[str], object]:
    """``draw`` with every direction's elevation 0 (drawn all the same, so later draws do not move)."""
    def flat(key: str):
        value = draw(key)
        return 0.0 if key == "elevation_deg" else value
    return flat


def _draw(registry, block: str, spec, rng: np.random.Generator, make, ok) -> Trajectory | None:
    """One entity's trajectory: its kind drawn once, then re-drawn or clipped (module docstring);
    None when static (or when even the start fails the checks)."""
    cls = registry.get(spec.sample(f"{block}.kind", rng))
    if not cls.moves:
        return None
    traj = None
    for _ in range(MAX_MOTION_DRAWS):
        traj = make(cls)
        if ok(traj):
            return traj
    if not ok(traj.scaled(0.0)):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(CLIP_STEPS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(traj.scaled(mid)) else (lo, mid)
    return traj.scaled(lo) if lo > 0 else None
