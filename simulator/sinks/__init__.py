"""Sinks as a registry: ``SINKS.get(name)`` for the spec's ``output.format`` (``folder``,
``webdataset``); see :mod:`.base` for the interface and how to add one. Also the atomic file
writes and the COCO export the sinks use."""
from __future__ import annotations

from ..core.registry import Registry
from ..errors import OutputWriteError
from .base import OutputDirError, Sink
from .folder import FolderSink
from .webdataset import WebDatasetSink


def _check(name: str, entry: type) -> None:
    if not (isinstance(entry, type) and issubclass(entry, Sink)) or entry.name != name:
        raise TypeError(f"sink {name!r} must be a Sink subclass named {name!r}")


SINKS: Registry[type[Sink]] = Registry("sink", _check)
SINKS.register(FolderSink.name, FolderSink)
SINKS.register(WebDatasetSink.name, WebDatasetSink)


def sink_for(spec, part=None) -> Sink:
    """The sink of a spec's ``output.format`` (``part``: a :class:`simulator.parts.Part` or None)."""
    return SINKS.get(spec.resolved["output"]["format"])(spec, part)


__all__ = ["SINKS", "OutputDirError", "OutputWriteError", "Sink", "sink_for"]
