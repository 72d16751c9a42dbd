"""What a room kind is: the geometry of one family of rooms, for everyone who needs it.

* The acoustic renderer builds the room's model (:meth:`RoomKind.build`: walls, materials, bands)
  and asks the kind for its image sources and for how long they are complete.
* The sampler draws the kind's own fields from the spec's ``room`` block (:meth:`draw_shape`),
  and keeps the head, objects and sources inside :meth:`bounds` (and the model's ``contains``).
* Spec validation calls :meth:`check_spec` and :meth:`reach_ahead_m`.
* The raster shows :meth:`wall_quads` as the background when ``background.kind`` is ``room``.

Room coordinates: metres from the room's origin, axes parallel to the head frame (+x ahead, +y
left, +z up); the head centre sits at ``room.listener_position_m``.

Adding a room kind: a module with a :class:`RoomKind` subclass and one
``ROOM_KINDS.register(name, instance)`` line (renderers/acoustic/room_kinds/__init__.py registers
the built-in ``free_field``, ``shoebox`` and ``polyhedron``); the spec's ``room.type`` then
accepts its name.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from simulator.core.scene import Room

from ..rooms import RoomModel, Wall, assemble_room

#: ``ranges(key, k) -> (low, high)``: the smallest and largest value component k of the spec's
#: ``room.<key>`` can take.
Ranges = Callable[[str, int], tuple[float, float]]


class RoomKind:
    """Base class of room kinds (see the module docstring)."""

    name: str = ""
    #: False for free field: no walls, no reverberation, every point inside.
    bounded: bool = True
    #: True if :meth:`wall_quads` draws this kind's walls (the spec's ``background.kind: room``).
    wall_background: bool = False

    # -- geometry -------------------------------------------------------------------------------
    def walls(self, room: Room) -> tuple[list[Wall], np.ndarray | None, float | None]:
        """The walls (outward-oriented polygons, room coordinates), the size (Lx, Ly, Lz) when the
        room is an axis-aligned box whose walls are :func:`~renderers.acoustic.rooms.shoebox_walls`
        (else None) and the volume in m^3 (None: computed from the walls). ValueError names the
        ``room.*`` field that is wrong."""
        raise NotImplementedError

    def build(self, room: Room, sample_rate: int, c: float) -> RoomModel:
        """The room's model for rendering at ``sample_rate`` with speed of sound ``c`` (m/s)."""
        walls, size, volume = self.walls(room)
        return assemble_room(room, walls, size, volume, sample_rate, c)

    def bounds(self, room: Room) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds (low (3,), high (3,)) in room coordinates, metres."""
        raise NotImplementedError

    def wall_quads(self, room: Room) -> list[tuple[str, np.ndarray]] | None:
        """The surfaces a camera at the head sees as background: (wall name, (4, 3) corners in the
        head frame ordered top-left, top-right, bottom-right, bottom-left as seen from inside), or
        None if the raster cannot draw this kind's walls."""
        return None

    # -- acoustics ------------------------------------------------------------------------------
    def image_sources(self, model: RoomModel, source: np.ndarray, receivers: np.ndarray, order: int,
                      sample_rate: int, max_images: int):
        """:class:`renderers.acoustic.ism.ImageSources` of a source at room point ``source`` for
        receivers (R, 3) up to reflection order ``order``."""
        raise NotImplementedError

    def complete_until_s(self, model: RoomModel, source: np.ndarray, images, order: int) -> float:
        """Time after emission (s) up to which ``images`` (of reflection order <= ``order``) are
        every reflection there is (where the late part takes over)."""
        raise NotImplementedError

    # -- the spec ---------------------------------------------------------------------------------
    def draw_shape(self, room: Room, draw: Callable[[str], Any], block: dict[str, Any]) -> None:
        """Set the kind's own fields of a sampled ``room`` from the spec's resolved ``room`` block;
        ``draw(key)`` samples ``room.<key>`` from the sample's generator (call it in a fixed order)."""

    def check_spec(self, block: dict[str, Any], error: Callable[[str, str], None]) -> None:
        """Check the kind's keys of the resolved ``room`` block (``error(key, message)`` reports a
        problem with ``room.<key>``); may store resolved paths in ``block``."""

    def reach_ahead_m(self, block: dict[str, Any], ranges: Ranges) -> float | None:
        """How far ahead (+x) of the listener objects can reach in the smallest room the spec allows,
        metres (None: not bounded by the room)."""
        return None
