"""Samples of a spec made on the fly for a torch training loop, nothing written to disk.

:class:`SpecStream` is a torch ``IterableDataset`` over the plan indices ``[start, stop)`` of one
spec. Sample ``i`` is made exactly as ``simulate --spec`` makes it (:class:`SampleMaker`, then
:func:`simulator.encode.encode_sample`) and decoded from those bytes, so an item equals what
:class:`training.datasets.SampleDataset` reads from the generated dataset for index ``i`` (items:
see :mod:`training.datasets`). Import both from :mod:`simulator.torch_data`.

Sharding
    The indices are dealt round-robin to ``world_size x num_workers`` shards: index ``i`` goes to
    shard ``(i - start) mod (world_size x num_workers)``, shard ``rank x num_workers + worker``,
    where ``worker``/``num_workers`` come from ``torch.utils.data.get_worker_info()`` and
    ``rank``/``world_size`` from the constructor, else ``torch.distributed`` (when initialised),
    else the ``RANK``/``WORLD_SIZE`` environment variables (torchrun sets them), else 0/1. Every
    index goes to exactly one shard; each shard yields its indices in increasing order.

Renderers
    Each process that iterates builds its own :class:`SampleMaker` (asset library, GL context,
    acoustic renderers) on its first sample, a few seconds, and keeps it for later epochs
    (``persistent_workers=True`` keeps DataLoader workers, and so their renderers, between epochs).
    The stream pickles without it, so ``spawn`` workers work. ``fork`` workers (torch's default on
    Linux) work and start faster as long as the main process has rendered nothing: a GL context
    does not survive fork, so a stream that made samples in the parent refuses to run in a forked
    worker (RuntimeError), and ``multiprocessing_context="spawn"`` is the safe choice when the
    main process renders too (another stream, ``simulate`` in-process). In a DataLoader worker
    ``LP_NUM_THREADS`` defaults to 1, as in ``simulate --workers`` (Mesa's software rasteriser
    would start a thread per core in every worker).

Failures
    A sample with no valid layout in :data:`simulator.pipeline.MAX_ATTEMPTS` attempts is skipped,
    as ``simulate`` skips it; it is logged (logger ``simulator.stream``) and appended to ``failed``
    (``{"index", "reason"}``) of the stream object in the process that iterated it (with DataLoader
    workers: the worker's copy; the log lines reach the main process's stderr).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable, Iterator, Sequence

from torch.utils.data import IterableDataset, get_worker_info

from training.data import parse_record
from training.datasets import sample_item

from .spec.spec import Spec

LOG = logging.getLogger("simulator.stream")


def distributed_rank() -> tuple[int, int]:
    """(rank, world size) of this process: ``torch.distributed`` when initialised, else the
    ``RANK``/``WORLD_SIZE`` environment variables, else (0, 1)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return int(dist.get_rank()), int(dist.get_world_size())
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if not 0 <= rank < world:
        raise ValueError(f"RANK={rank} is not in [0, WORLD_SIZE={world})")
    return rank, world


def shard_indices(start: int, stop: int, shard: int, shards: int) -> range:
    """The indices of ``[start, stop)`` that shard ``shard`` of ``shards`` makes (round-robin)."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in [0, {shards})")
    return range(start + shard, stop, shards)


def load_one_spec(spec: str | os.PathLike, overrides: Sequence[str] = ()) -> Spec:
    """A spec file (or the name of a bundled spec, e.g. ``congruent``) with ``--set`` style
    overrides, validated as ``simulate`` validates it (user libraries opened). A spec with a sweep
    is refused: pick one of ``simulator.spec.loader.load_spec(...)``'s specs and pass it instead."""
    from .assets.user import open_library
    from .cli import resolve_spec_path
    from .spec.loader import load_spec

    specs = load_spec(resolve_spec_path(str(spec)), list(overrides), library=open_library)
    if len(specs) != 1:
        raise ValueError(f"{spec}: the spec's sweep makes {len(specs)} datasets; stream one of them "
                         "(a Spec of simulator.spec.loader.load_spec(...))")
    return specs[0]


class SpecStream(IterableDataset):
    """Samples ``[start, stop)`` of a spec made on the fly (module docstring), sharded over
    DataLoader workers and DDP ranks.

    ``spec``: a spec file, a bundled spec's name or a :class:`Spec` (then ``overrides`` must be
    empty); ``overrides``: ``key.path=value`` strings as ``simulate --set`` takes them;
    ``stop``: default the spec's ``samples`` (the plan has no more indices: raise ``samples``
    with an override for a longer stream); ``decode``: items hold arrays (True) or the files'
    bytes (False), see :mod:`training.datasets`; ``rank``/``world_size``: override the detected
    DDP rank (both or neither); ``transform``: applied to each item.
    """

    def __init__(self, spec: str | os.PathLike | Spec, overrides: Sequence[str] = (), start: int = 0,
                 stop: int | None = None, decode: bool = True, rank: int | None = None,
                 world_size: int | None = None, transform: Callable[[dict[str, Any]], Any] | None = None):
        if isinstance(spec, Spec):
            if overrides:
                raise ValueError("overrides apply to a spec file; apply them with load_spec before passing a Spec")
            self.spec = spec
        else:
            self.spec = load_one_spec(spec, overrides)
        stop = self.spec.samples if stop is None else int(stop)
        if not 0 <= int(start) <= stop <= self.spec.samples:
            raise ValueError(f"need 0 <= start <= stop <= samples ({self.spec.samples}); got start={start}, "
                             f"stop={stop}")
        if (rank is None) != (world_size is None):
            raise ValueError("give both rank and world_size, or neither")
        if rank is None:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():  # frozen now: spawn workers are not in the group
                rank, world_size = dist.get_rank(), dist.get_world_size()
        if world_size is not None and not 0 <= int(rank) < int(world_size):
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.start, self.stop = int(start), stop
        self.decode = decode
        self.rank = None if rank is None else int(rank)
        self.world_size = None if world_size is None else int(world_size)
        self.transform = transform
        self.failed: list[dict[str, Any]] = []
        self._maker = None
        self._maker_pid: int | None = None

    # -- sharding --
    def rank_world(self) -> tuple[int, int]:
        """(rank, world size) this stream shards for (the class docstring)."""
        if self.rank is not None:
            return self.rank, int(self.world_size)
        return distributed_rank()

    def indices(self, worker: int | None = None, num_workers: int | None = None) -> range:
        """The plan indices this process makes: those of DataLoader worker ``worker`` of
        ``num_workers`` (default: this process's worker, or the only one) on this rank."""
        if worker is None:
            info = get_worker_info()
            worker, num_workers = (0, 1) if info is None else (info.id, info.num_workers)
        rank, world = self.rank_world()
        workers = 1 if num_workers is None else int(num_workers)
        return shard_indices(self.start, self.stop, rank * workers + int(worker), world * workers)

    def __len__(self) -> int:
        """How many indices this rank makes (all its workers together; failed samples are skipped,
        so an epoch can yield fewer)."""
        rank, world = self.rank_world()
        return len(shard_indices(self.start, self.stop, rank, world))

    # -- making --
    def __iter__(self) -> Iterator[Any]:
        for index in self.indices():
            item = self.make(index)
            if item is not None:
                yield item if self.transform is None else self.transform(item)

    def make(self, index: int) -> dict[str, Any] | None:
        """The item of plan index ``index`` (untransformed), or None if the sample failed (then
        logged and appended to ``failed``)."""
        from .encode import encode_sample
        from .errors import SampleError
        from .pipeline import SampleFailed

        if not 0 <= index < self.spec.samples:
            raise IndexError(f"sample {index} of a plan of {self.spec.samples}")
        maker = self._sample_maker()
        try:
            sample = maker.make(index)
        except SampleFailed as exc:
            self.failed.append({"index": index, "reason": str(exc)})
            LOG.warning("%s: skipped: %s", self.spec.name, exc)
            return None
        except (ValueError, KeyError) as exc:  # as simulate: a Scene a renderer refuses stops the run
            raise SampleError(f"sample {index} cannot be made: {' '.join(str(exc).split())[:300]}") from None
        encoded = encode_sample(sample)
        record_name = encoded.files["record"]
        record = parse_record(encoded.blobs[record_name], record_name)
        if not self.decode:
            return {"index": index, "record": record,
                    "files": {kind: encoded.blobs[rel] for kind, rel in sorted(encoded.files.items())}}
        return sample_item(index, record, encoded.files,
                           lambda kind, fn, what: fn(encoded.blobs[encoded.files[kind]]))

    def _sample_maker(self):
        if self._maker is not None and self._maker_pid == os.getpid():
            return self._maker
        if self._maker is not None:
            raise RuntimeError("this SpecStream made samples in the parent process before a DataLoader forked its "
                               "workers, whose renderers (GL) cannot be used after fork: pass "
                               "multiprocessing_context='spawn' to the DataLoader, or give it a SpecStream that has "
                               "not made samples yet")
        from .pipeline import SampleMaker

        if get_worker_info() is not None:
            os.environ.setdefault("LP_NUM_THREADS", "1")
        self._maker = SampleMaker(self.spec)
        self._maker_pid = os.getpid()
        return self._maker

    def close(self) -> None:
        """Free this process's renderers (a later iteration builds them again)."""
        if self._maker is not None and self._maker_pid == os.getpid():
            self._maker.close()
        self._maker, self._maker_pid = None, None

    def __enter__(self) -> "SpecStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:  # the renderers stay in the process that built them
        state = dict(self.__dict__)
        state.update(_maker=None, _maker_pid=None, failed=[])
        return state
