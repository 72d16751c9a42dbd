"""The torch datasets for your own training loop, in one import place (needs torch: ``pip install
-e ".[trainer]"``)::

    from simulator.torch_data import SpecStream, SampleDataset, collate

* :class:`SpecStream` (:mod:`simulator.stream`): an ``IterableDataset`` making a spec's samples on
  the fly, sharded over DataLoader workers and DDP ranks; nothing is written to disk.
* :class:`SampleDataset` (:mod:`training.datasets`): a map-style ``Dataset`` over a generated
  dataset folder or its WebDataset shards.
* :func:`collate`: the DataLoader ``collate_fn`` for both (arrays stacked into tensors, records
  kept as a list).

Both yield the same item for the same sample (a dict: ``index``, ``image`` uint8 (H, W, 3),
``audio`` float32 (C, L), ``target`` bool (H, W), ``has_target``, ``negatives``, ``record``;
see :mod:`training.datasets`). docs/scale.md, "Feeding your own training loop", has examples.
Importing this module loads no renderer: a stream builds them when it makes its first sample.
"""
from __future__ import annotations

from training.datasets import SampleDataset, audio_target, collate

from .stream import SpecStream, distributed_rank, shard_indices

__all__ = ["SpecStream", "SampleDataset", "collate", "audio_target", "distributed_rank", "shard_indices"]
