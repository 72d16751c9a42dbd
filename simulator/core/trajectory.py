"""Trajectories: how a source, an object or the listener's head moves during a clip.

Two families, each a :class:`~.plain.Variant` registry keyed by ``kind`` (Scene JSON stores the
kind's name under ``kind``):

* :data:`TRAJECTORIES` (positions): ``static``, ``linear``, ``arc``, ``waypoints``. Each has
  ``position_m(t_s) -> (n, 3)``: metres in the world frame (the listener's head frame at t = 0,
  docs/conventions.md) at the times ``t_s`` (seconds from the clip's start, shape (n,)).
* :data:`HEAD_TURNS` (head yaw): ``fixed``, ``rate``, ``waypoints``. Each has
  ``yaw_deg(t_s) -> (n,)``: the head's yaw in degrees (positive: turned left), unwrapped.

Every trajectory starts where the entity is at t = 0 (``start_m`` / ``start_deg``). Each kind
draws itself from the spec through a ``draw(key)`` callback (the spec's motion block keys), so the
core knows nothing of the spec; ``scaled(f)`` multiplies every speed by ``f`` (the sampler clips a
trajectory that would leave the room that way). Reading Scene data checks every number (finite,
within the bounds below).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from .plain import Variant, bounded
from .registry import Registry

Vec3 = tuple[float, float, float]
Draw = Callable[[str], Any]

#: Largest coordinate a trajectory may hold, metres.
MAX_COORD_M = 1.0e5
#: Largest linear speed a Scene may hold, m/s (the spec allows less, docs/spec.md).
MAX_SPEED_M_S = 100.0
#: Largest angular speed (arc, head turn) a Scene may hold, degrees per second.
MAX_ANGULAR_SPEED_DEG_S = 3600.0


def _times(t_s: np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.asarray(t_s, dtype=float))


def _direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector of an azimuth and elevation (degrees, world frame)."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])


def _piecewise(t: np.ndarray, start: np.ndarray, ends: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Positions (n, d) along legs from ``start`` through ``ends`` (m, d), leg k taking
    ``durations[k]`` seconds; before t = 0 at the start, after the last leg at its end."""
    points = np.vstack([start[None, :], ends])
    arrive = np.concatenate([[0.0], np.cumsum(durations)])
    out = np.empty((t.size, start.size))
    for d in range(start.size):
        out[:, d] = np.interp(t, arrive, points[:, d]) if durations.size else start[d]
    return out


class Trajectory(Variant):
    """Base of the position trajectories (a Variant keyed by ``kind``). ``for_listener``: the kind
    may move the listener's head (an arc about the listener may not); ``moves``: it can move."""

    tag: ClassVar[str] = "kind"
    members: ClassVar[Registry] = Registry("trajectory kind")
    for_listener: ClassVar[bool] = True
    moves: ClassVar[bool] = True
    #: The spec's motion keys this kind draws.
    keys: ClassVar[tuple[str, ...]] = ()

    start_m: Vec3

    def position_m(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) positions, metres, world frame, at times ``t_s`` (n,) seconds."""
        raise NotImplementedError

    def scaled(self, factor: float) -> "Trajectory":
        """The same path with every speed multiplied by ``factor`` (0 <= factor <= 1)."""
        raise NotImplementedError

    @classmethod
    def draw(cls, start_m: Vec3, centre_m: Vec3, draw: Draw) -> "Trajectory":
        """A trajectory starting at ``start_m`` with parameters drawn by ``draw(key)``; ``centre_m``:
        the listener's head centre at t = 0 (world frame)."""
        raise NotImplementedError


class HeadTurn(Variant):
    """Base of the head-yaw trajectories (a Variant keyed by ``kind``)."""

    tag: ClassVar[str] = "kind"
    members: ClassVar[Registry] = Registry("head turn kind")
    moves: ClassVar[bool] = True
    keys: ClassVar[tuple[str, ...]] = ()

    start_deg: float

    def yaw_deg(self, t_s: np.ndarray) -> np.ndarray:
        """(n,) head yaw, degrees (positive: turned left; unwrapped), at times ``t_s`` (n,) seconds."""
        raise NotImplementedError

    def scaled(self, factor: float) -> "HeadTurn":
        raise NotImplementedError

    @classmethod
    def draw(cls, start_deg: float, draw: Draw) -> "HeadTurn":
        raise NotImplementedError


TRAJECTORIES = Trajectory.members
HEAD_TURNS = HeadTurn.members


@dataclass(frozen=True)
class Static(Trajectory):
    """Stays at ``start_m``. (A Scene stores no trajectory for a static entity.)"""

    name: ClassVar[str] = "static"
    moves: ClassVar[bool] = False
    start_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)

    def position_m(self, t_s: np.ndarray) -> np.ndarray:
        return np.tile(np.asarray(self.start_m, float), (_times(t_s).size, 1))

    def scaled(self, factor: float) -> "Static":
        return self

    @classmethod
    def draw(cls, start_m: Vec3, centre_m: Vec3, draw: Draw) -> "Static":
        return cls(start_m=start_m)


@dataclass(frozen=True)
class Linear(Trajectory):
    """Straight line at ``speed_m_s`` (m/s) in the direction of ``azimuth_deg`` / ``elevation_deg``
    (degrees, world frame): ``p(t) = start + speed * t * direction``."""

    name: ClassVar[str] = "linear"
    keys: ClassVar[tuple[str, ...]] = ("speed_m_s", "azimuth_deg", "elevation_deg")
    start_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    speed_m_s: float = bounded(0.0, MAX_SPEED_M_S, 0.0)
    azimuth_deg: float = bounded(-360.0, 360.0, 0.0)
    elevation_deg: float = bounded(-90.0, 90.0, 0.0)

    def position_m(self, t_s: np.ndarray) -> np.ndarray:
        t = _times(t_s)
        step = self.speed_m_s * _direction(self.azimuth_deg, self.elevation_deg)
        return np.asarray(self.start_m, float)[None, :] + t[:, None] * step[None, :]

    def scaled(self, factor: float) -> "Linear":
        return Linear(self.start_m, self.speed_m_s * factor, self.azimuth_deg, self.elevation_deg)

    @classmethod
    def draw(cls, start_m: Vec3, centre_m: Vec3, draw: Draw) -> "Linear":
        return cls(start_m, float(draw("speed_m_s")), float(draw("azimuth_deg")), float(draw("elevation_deg")))


@dataclass(frozen=True)
class Arc(Trajectory):
    """Circle about the vertical axis through ``centre_m`` (the listener's head centre at t = 0)
    at ``angular_speed_deg_s`` (degrees per second, positive counterclockwise seen from above, i.e.
    towards the listener's left): radius and height are kept."""

    name: ClassVar[str] = "arc"
    for_listener: ClassVar[bool] = False
    keys: ClassVar[tuple[str, ...]] = ("angular_speed_deg_s",)
    start_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    centre_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M, (0.0, 0.0, 0.0))
    angular_speed_deg_s: float = bounded(-MAX_ANGULAR_SPEED_DEG_S, MAX_ANGULAR_SPEED_DEG_S, 0.0)

    def position_m(self, t_s: np.ndarray) -> np.ndarray:
        t = _times(t_s)
        c = np.asarray(self.centre_m, float)
        r = np.asarray(self.start_m, float) - c
        a = np.radians(self.angular_speed_deg_s) * t
        cos, sin = np.cos(a), np.sin(a)
        return np.stack([c[0] + cos * r[0] - sin * r[1], c[1] + sin * r[0] + cos * r[1],
                         np.full_like(t, c[2] + r[2])], axis=-1)

    def scaled(self, factor: float) -> "Arc":
        return Arc(self.start_m, self.centre_m, self.angular_speed_deg_s * factor)

    @classmethod
    def draw(cls, start_m: Vec3, centre_m: Vec3, draw: Draw) -> "Arc":
        return cls(start_m, centre_m, float(draw("angular_speed_deg_s")))


@dataclass(frozen=True)
class Leg:
    """One leg of a waypoint path: to ``to_m`` (world frame, m) at ``speed_m_s`` (m/s, > 0)."""

    to_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    speed_m_s: float = bounded(1e-9, MAX_SPEED_M_S)


@dataclass(frozen=True)
class Waypoints(Trajectory):
    """Straight legs from ``start_m`` through each leg's ``to_m``, each at its own speed; the path
    stops at the last waypoint (it stays there for the rest of the clip)."""

    name: ClassVar[str] = "waypoints"
    keys: ClassVar[tuple[str, ...]] = ("waypoints", "step_m", "speed_m_s", "azimuth_deg", "elevation_deg")
    start_m: Vec3 = bounded(-MAX_COORD_M, MAX_COORD_M)
    legs: tuple[Leg, ...] = field(default_factory=tuple)

    def arrival_s(self) -> np.ndarray:
        """Time each waypoint is reached, seconds (one per leg)."""
        points = np.asarray([self.start_m] + [leg.to_m for leg in self.legs], float)
        lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
        return np.cumsum(lengths / np.asarray([leg.speed_m_s for leg in self.legs], float))

    def position_m(self, t_s: np.ndarray) -> np.ndarray:
        t = _times(t_s)
        if not self.legs:
            return np.tile(np.asarray(self.start_m, float), (t.size, 1))
        ends = np.asarray([leg.to_m for leg in self.legs], float)
        return _piecewise(t, np.asarray(self.start_m, float), ends, np.diff(np.concatenate([[0.0], self.arrival_s()])))

    def scaled(self, factor: float) -> "Waypoints":
        return Waypoints(self.start_m, tuple(Leg(leg.to_m, max(leg.speed_m_s * factor, 1e-9)) for leg in self.legs))

    @classmethod
    def draw(cls, start_m: Vec3, centre_m: Vec3, draw: Draw) -> "Waypoints":
        here = np.asarray(start_m, float)
        legs = []
        for _ in range(int(draw("waypoints"))):
            step = float(draw("step_m")) * _direction(float(draw("azimuth_deg")), float(draw("elevation_deg")))
            here = here + step
            legs.append(Leg(tuple(float(x) for x in here), float(draw("speed_m_s"))))
        return cls(start_m, tuple(legs))


@dataclass(frozen=True)
class FixedYaw(HeadTurn):
    """The head keeps its yaw. (A Scene stores no head turn for a fixed head.)"""

    name: ClassVar[str] = "fixed"
    moves: ClassVar[bool] = False
    start_deg: float = bounded(-360.0, 360.0, 0.0)

    def yaw_deg(self, t_s: np.ndarray) -> np.ndarray:
        return np.full(_times(t_s).size, float(self.start_deg))

    def scaled(self, factor: float) -> "FixedYaw":
        return self

    @classmethod
    def draw(cls, start_deg: float, draw: Draw) -> "FixedYaw":
        return cls(start_deg)


@dataclass(frozen=True)
class YawRate(HeadTurn):
    """The head turns at ``rate_deg_s`` (degrees per second, positive: to the left)."""

    name: ClassVar[str] = "rate"
    keys: ClassVar[tuple[str, ...]] = ("rate_deg_s",)
    start_deg: float = bounded(-360.0, 360.0, 0.0)
    rate_deg_s: float = bounded(-MAX_ANGULAR_SPEED_DEG_S, MAX_ANGULAR_SPEED_DEG_S, 0.0)

    def yaw_deg(self, t_s: np.ndarray) -> np.ndarray:
        return self.start_deg + self.rate_deg_s * _times(t_s)

    def scaled(self, factor: float) -> "YawRate":
        return YawRate(self.start_deg, self.rate_deg_s * factor)

    @classmethod
    def draw(cls, start_deg: float, draw: Draw) -> "YawRate":
        return cls(start_deg, float(draw("rate_deg_s")))


@dataclass(frozen=True)
class YawLeg:
    """One turn of the head: to yaw ``to_deg`` (degrees) at ``speed_deg_s`` (degrees per second, > 0)."""

    to_deg: float = bounded(-1.0e6, 1.0e6)
    speed_deg_s: float = bounded(1e-9, MAX_ANGULAR_SPEED_DEG_S)


@dataclass(frozen=True)
class YawWaypoints(HeadTurn):
    """The head turns from ``start_deg`` to each leg's yaw in turn at that leg's angular speed, then
    keeps the last yaw."""

    name: ClassVar[str] = "waypoints"
    keys: ClassVar[tuple[str, ...]] = ("waypoints", "step_deg", "speed_deg_s")
    start_deg: float = bounded(-360.0, 360.0, 0.0)
    legs: tuple[YawLeg, ...] = field(default_factory=tuple)

    def arrival_s(self) -> np.ndarray:
        """Time each yaw waypoint is reached, seconds."""
        yaws = np.asarray([self.start_deg] + [leg.to_deg for leg in self.legs], float)
        return np.cumsum(np.abs(np.diff(yaws)) / np.asarray([leg.speed_deg_s for leg in self.legs], float))

    def yaw_deg(self, t_s: np.ndarray) -> np.ndarray:
        t = _times(t_s)
        if not self.legs:
            return np.full(t.size, float(self.start_deg))
        ends = np.asarray([[leg.to_deg] for leg in self.legs], float)
        durations = np.diff(np.concatenate([[0.0], self.arrival_s()]))
        return _piecewise(t, np.asarray([self.start_deg], float), ends, durations)[:, 0]

    def scaled(self, factor: float) -> "YawWaypoints":
        return YawWaypoints(self.start_deg, tuple(YawLeg(leg.to_deg, max(leg.speed_deg_s * factor, 1e-9))
                                                  for leg in self.legs))

    @classmethod
    def draw(cls, start_deg: float, draw: Draw) -> "YawWaypoints":
        yaw, legs = float(start_deg), []
        for _ in range(int(draw("waypoints"))):
            yaw += float(draw("step_deg"))
            legs.append(YawLeg(yaw, float(draw("speed_deg_s"))))
        return cls(start_deg, tuple(legs))


for _cls in (Static, Linear, Arc, Waypoints):
    TRAJECTORIES.register(_cls.name, _cls)
for _cls in (FixedYaw, YawRate, YawWaypoints):
    HEAD_TURNS.register(_cls.name, _cls)

__all__ = ["Arc", "FixedYaw", "HEAD_TURNS", "HeadTurn", "Leg", "Linear", "MAX_ANGULAR_SPEED_DEG_S",
           "MAX_SPEED_M_S", "Static", "TRAJECTORIES", "Trajectory", "Waypoints", "YawLeg", "YawRate",
           "YawWaypoints"]
