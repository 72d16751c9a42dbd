"""The torch datasets for your own training loop, in one import place (needs torch: ``pip install
-e ".[trainer]"``)::

    from simulator.torch_data import SpecStream, SampleDataset, collate

* :class:`SpecStream` (:mod:`simulator.stream`): an ``IterableDataset`` making a spec's samples on
  the fly, sharded over DataLoader workers and DDP ranks; nothing is written to disk.
* :class:`SampleDataset` (:mod:`training.datasets`): a map-style ``Dataset`` over a generated
  dataset folder or its WebDataset shards.
* :class:`ClipFrameDataset` (:mod:`training.clips`): a map-style ``Dataset`` over the clips of a
  dataset made with ``video.fps``, one item per (sample, frame): the MP4's frame k, the audio
  window around k / fps and the frame's sounding-object mask (docs/video.md, "Training on clips").
* :func:`collate`: the DataLoader ``collate_fn`` for all three (arrays stacked into tensors, records
  kept as a list; ``ClipFrameDataset.collate`` also keeps ``frame`` and ``t_s``).

Both yield the same item for the same sample (a dict: ``index``, ``image`` uint8 (H, W, 3),
``audio`` float32 (C, L), ``target`` bool (H, W), ``has_target``, ``negatives``, ``record``;
see :mod:`training.datasets`). docs/scale.md, "Feeding your own training loop", has examples.
Importing this module loads no renderer: a stream builds them when it makes its first sample.
"""
from __future__ import annotations

from training.clips import ClipFrameDataset
from training.datasets import SampleDataset, audio_target, collate

from .stream import SpecStream, distributed_rank, shard_indices

__all__ = ["SpecStream", "SampleDataset", "ClipFrameDataset", "collate", "audio_target", "distributed_rank",
           "shard_indices"]
