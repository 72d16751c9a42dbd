"""Errors a run stops with after its spec was accepted (exit status 1, one line each; the samples
already complete are kept and the same command finishes the dataset later). Bad input itself is
:class:`simulator.spec.errors.SpecError` (exit status 2). :class:`PlacementError` is not one of them: the factory catches it and redraws
the sample."""
from __future__ import annotations


class OutputWriteError(RuntimeError):
    """The output stopped taking data during a run (a full disk, a file system turned read-only)."""


class SampleError(RuntimeError):
    """A sample cannot be made although its spec was accepted (a renderer refuses its Scene)."""


class PlacementError(RuntimeError):
    """The drawn layout cannot be realised (too close, too far; a clip condition's event does not
    fit the room); the sample is redrawn (simulator/pipeline.py)."""
