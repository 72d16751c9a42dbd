"""Room kinds as a registry: ``ROOM_KINDS.get(room.type)`` (free_field, shoebox, polyhedron), used by
the sampler, the spec checks, the acoustic renderer and the raster; see :mod:`.base` for the
interface and how to add one. :func:`build_room` turns a Scene's Room into its
:class:`~renderers.acoustic.rooms.RoomModel` through its kind."""
from __future__ import annotations

import numpy as np

from simulator.core.registry import Registry, UnknownVariant
from simulator.core.scene import Room

from ..rooms import RoomModel
from .base import RoomKind
from .free_field import FreeField
from .polyhedron import Polyhedron
from .shoebox import Shoebox


def _check(name: str, entry: RoomKind) -> None:
    if not isinstance(entry, RoomKind) or entry.name != name:
        raise TypeError(f"room kind {name!r} must be a RoomKind instance named {name!r}")


ROOM_KINDS: Registry[RoomKind] = Registry("room kind", _check)
for _kind in (FreeField(), Shoebox(), Polyhedron()):
    ROOM_KINDS.register(_kind.name, _kind)


def room_kind(room: Room) -> RoomKind:
    """The kind of ``room`` (ValueError naming ``room.type`` if none is registered under its name)."""
    try:
        return ROOM_KINDS.get(room.type)
    except UnknownVariant as exc:
        raise ValueError(f"room.type: {exc}") from None


def build_room(room: Room, sample_rate: int) -> RoomModel:
    """Validate ``room`` and build its :class:`RoomModel` (errors name the ``room.*`` field)."""
    c = room.speed_of_sound_m_s
    if not (isinstance(c, (int, float, np.integer, np.floating)) and np.isfinite(c) and c > 0):
        raise ValueError(f"room.speed_of_sound_m_s must be a positive number (m/s), got {c!r}")
    return room_kind(room).build(room, sample_rate, float(c))


__all__ = ["ROOM_KINDS", "RoomKind", "build_room", "room_kind"]
