"""Head models as a registry: ``HEADS.get(listener.head)`` (spaced, mono, hrtf); see
:mod:`.base` for the interface and how to add one."""
from __future__ import annotations

from simulator.core.registry import Registry

from .base import HeadModel, PreparedHead
from .hrtf import HrtfHead
from .mono import MonoHead
from .spaced import SpacedHead


def _check(name: str, entry: HeadModel) -> None:
    if not isinstance(entry, HeadModel) or entry.name != name or int(entry.channels) < 1:
        raise TypeError(f"head model {name!r} must be a HeadModel instance named {name!r} with channels >= 1")


HEADS: Registry[HeadModel] = Registry("head model", _check)
for _head in (SpacedHead(), MonoHead(), HrtfHead()):
    HEADS.register(_head.name, _head)

__all__ = ["HEADS", "HeadModel", "PreparedHead"]
