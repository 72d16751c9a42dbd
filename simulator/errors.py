"""Errors a run stops with after its spec was accepted (exit status 1, one line each; the samples
already complete are kept and the same command finishes the dataset later). Bad input itself is
:class:`simulator.spec.errors.SpecError` (exit status 2)."""
from __future__ import annotations


class OutputWriteError(RuntimeError):
    """The output stopped taking data during a run (a full disk, a file system turned read-only)."""


class SampleError(RuntimeError):
    """A sample cannot be made although its spec was accepted (a renderer refuses its Scene)."""
