"""What a sink is: where a dataset's encoded samples and dataset-level files go.

The executor drives a sink through a run:

1. :meth:`Sink.check` (before anything is written, for every spec of a command): may the output
   take this dataset? returns the mode ``new``, ``resume``, ``complete`` or ``overwrite`` or raises
   :class:`OutputDirError` (exit status 2);
2. :meth:`Sink.open`: prepare the output, return the indices already complete (a rerun skips them);
3. :meth:`Sink.write` for each sample (in worker processes: a sink pickles): store an
   :class:`~simulator.encode.EncodedSample`, return its manifest entry;
4. :meth:`Sink.commit` for each entry, in index order (in the main process);
5. :meth:`Sink.finish`: dataset-level files (dataset.json, the COCO export, ...), or
   :meth:`Sink.abort` when the run stops early.

Adding a sink: a module with a :class:`Sink` subclass and one ``SINKS.register(name, cls)`` line
(simulator/sinks/__init__.py registers ``folder``); the spec's ``output.format`` then accepts its
name.
"""
from __future__ import annotations

from typing import Any

from ..encode import EncodedSample
from ..parts import Part
from ..spec.errors import SpecError
from ..spec.spec import Spec


class OutputDirError(SpecError):
    """The output cannot take the dataset (not ours, another spec, ...). Exit status 2."""


class Sink:
    """Base class of sinks (see the module docstring). ``spec``: the dataset's validated spec;
    ``part``: the slice of the plan this run makes (:mod:`simulator.parts`), None for all of it."""

    name: str = ""

    def __init__(self, spec: Spec, part: Part | None = None) -> None:
        self.spec = spec
        self.part = part

    def indices(self) -> range:
        """The plan indices this sink's dataset (or part) holds."""
        return self.part.indices(self.spec.samples) if self.part is not None else range(self.spec.samples)

    def check(self, overwrite: bool) -> str:
        raise NotImplementedError

    def open(self, mode: str, counts: dict[str, Any], library: dict[str, Any] | None) -> set[int]:
        raise NotImplementedError

    def write(self, encoded: EncodedSample) -> dict[str, Any]:
        raise NotImplementedError

    def commit(self, entry: dict[str, Any]) -> None:
        raise NotImplementedError

    def finish(self, status: str, counts: dict[str, Any], library: dict[str, Any] | None,
               failed: list[dict[str, Any]], categories: list[str]) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """The run stops early (an error, an interruption): release what :meth:`open` took; the
        next run resumes from what was committed."""
