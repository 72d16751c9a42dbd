"""What an executor is: how a run's sample indices become made and written samples.

:func:`simulator.run.run_spec` gives the executor a :class:`SampleJob` (the spec and its sink,
picklable) and the indices still to make; the executor runs ``job(index)`` for each, in as many
workers or machines as it has (each worker calls :meth:`SampleJob.start` once, which builds its
renderers), and yields the results **in index order** (a manifest entry, or ``{"index",
"failed"}``), so that the dataset is byte-identical whatever the executor and worker count.

Adding an executor: a module with an :class:`Executor` subclass and one
``EXECUTORS.register(name, cls)`` line (simulator/executors/__init__.py registers ``local``);
``simulate --executor NAME`` then selects it.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..encode import encode_sample
from ..errors import SampleError
from ..pipeline import SampleFailed, SampleMaker
from ..spec.spec import Spec


class SampleJob:
    """Make and write one sample of ``spec`` through ``sink`` (see the module docstring)."""

    def __init__(self, spec: Spec, sink) -> None:
        self.spec = spec
        self.sink = sink
        self._maker: SampleMaker | None = None

    def __getstate__(self):  # the renderers stay in the worker that built them
        return {"spec": self.spec, "sink": self.sink, "_maker": None}

    def start(self) -> None:
        """Build this worker's sample factory (renderers, library, plan)."""
        if self._maker is None:
            self._maker = SampleMaker(self.spec)

    def stop(self) -> None:
        if self._maker is not None:
            self._maker.close()
            self._maker = None

    def __call__(self, index: int) -> dict[str, Any]:
        """The sample's manifest entry, or ``{"index", "failed"}`` if no valid Scene exists for it
        (the run goes on; dataset.json lists the failures)."""
        self.start()
        try:
            sample = self._maker.make(index)
        except SampleFailed as exc:
            return {"index": index, "failed": str(exc)}
        except (ValueError, KeyError) as exc:  # a Scene the spec's checks let through but a renderer refuses
            raise SampleError(f"sample {index} cannot be made: {' '.join(str(exc).split())[:300]}") from None
        return self.sink.write(encode_sample(sample))


class Executor:
    """Base class of executors. ``workers``: how many samples may be made at once."""

    name: str = ""

    def __init__(self, workers: int = 1) -> None:
        self.workers = int(workers)

    def map(self, job: SampleJob, indices: list[int]) -> Iterator[dict[str, Any]]:
        """``job(i)`` for each index, yielded in the order of ``indices``."""
        raise NotImplementedError
