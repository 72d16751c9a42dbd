"""What an executor is: how a run's sample indices become made and written samples.

:func:`simulator.run.run_spec` gives the executor a :class:`simulator.executors.job.SampleJob` (the
spec and its sink, picklable) and the indices still to make; the executor runs ``job(index)`` for each, in as many
workers or machines as it has (each worker calls :meth:`SampleJob.start` once, which builds its
renderers), and yields the results **in index order** (a manifest entry, or ``{"index",
"failed"}``), so that the dataset is byte-identical whatever the executor and worker count.

Adding an executor: a module with an :class:`Executor` subclass and one
``EXECUTORS.register(name, cls)`` line (simulator/executors/__init__.py registers ``local`` and
``ray``); ``simulate --executor NAME`` then selects it.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..spec.errors import SpecError


class Executor:
    """Base class of executors. ``workers``: how many samples may be made at once; ``address``:
    where the executor's machines are (``simulate --address``; None: this machine). An executor
    that has no use for an address refuses one (:class:`SpecError`, exit status 2), so the
    constructor doubles as the check the CLI runs before anything is written."""

    name: str = ""
    #: Whether ``--address`` means something to this executor.
    takes_address: bool = False

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        self.workers = int(workers)
        self.address = address
        if address is not None and not self.takes_address:
            raise SpecError(f"--address is for executors that use other machines (ray); the {self.name} "
                            "executor runs on this machine")

    def map(self, job, indices: list[int]) -> Iterator[dict[str, Any]]:
        """``job(i)`` for each index, yielded in the order of ``indices``."""
        raise NotImplementedError
