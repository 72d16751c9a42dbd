"""A map-style torch ``Dataset`` over a generated dataset (folder or WebDataset shards), and the
item layout it shares with :class:`simulator.stream.SpecStream` (import both from
:mod:`simulator.torch_data`).

One item (a dict; arrays are NumPy, :func:`collate` turns a batch into torch tensors):

``index``
    int, the sample's plan index (its file name ``samples/<index // 1000:04d>/<index:07d>.*``).
``image``
    ``uint8 (H, W, 3)`` RGB, row 0 the top of the image, as the PNG holds it (pixel frame of
    docs/conventions.md). Not normalised: ``torch.from_numpy(x).permute(2, 0, 1).float() / 255``
    gives the usual float CHW.
``audio``
    ``float32 (C, L)`` in [-1, 1] at the record's ``audio.sample_rate`` (Hz), channels as the file
    holds them (2: left, right ear; 1 for a one-channel head), L = duration x rate samples.
``target``
    ``bool (H, W)``: the union of the masks of the record's audio targets (an object's visible
    mask, or the disk of a point target); all False for negatives (vision_only, offscreen).
``has_target``
    bool: the sample's audio has a target in the image.
``negatives``
    {kind: ``float32 (C, L)``} for the negative-audio files the sample has (silence, noise,
    offscreen), else empty.
``record``
    the sample record (what the dataset's ``.json`` file holds), a dict.

With ``decode=False`` an item is ``{"index", "record", "files"}`` instead, ``files`` mapping each
file kind of the record's ``files`` (``image``, ``audio``, ``record``, ``negative_<kind>``, ...) to
its bytes, exactly as written to disk.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .data import (DataError, Entry, decode_audio, decode_file, decode_image, is_negative, open_source,
                   parse_record, target_masks)

#: ``decoder(kind, decode, what)``: the decoded file of ``kind`` of one sample.
Decoder = Callable[[str, Callable[[bytes], Any], str], Any]


def audio_target(record: dict) -> tuple[np.ndarray, bool]:
    """(``bool (H, W)`` union of the audio targets' masks, whether the audio has a target in the
    image); empty and False for negatives. As the trainer's tables compute it."""
    masks = target_masks(record)
    h, w = int(record["camera"]["height"]), int(record["camera"]["width"])
    negative = is_negative(record)
    if masks and not negative:
        return np.logical_or.reduce(masks), True
    return np.zeros((h, w), bool), False


def sample_item(index: int, record: dict, kinds: Iterable[str], decode: Decoder) -> dict[str, Any]:
    """The decoded item of one sample (module docstring); ``kinds``: the sample's file kinds,
    ``decode``: reads and decodes one of them."""
    negatives = {kind[len("negative_"):]: decode(kind, decode_audio, "audio file")
                 for kind in sorted(kinds) if kind.startswith("negative_")}
    try:
        target, has_target = audio_target(record)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"sample {index}: not a sample record ({type(exc).__name__}: {exc})") from None
    return {"index": int(index), "image": decode("image", decode_image, "image"),
            "audio": decode("audio", decode_audio, "audio file"), "target": target,
            "has_target": bool(has_target), "negatives": negatives, "record": record}


class SampleDataset(Dataset):
    """The samples of a dataset folder written by ``simulate`` or of its ``*.tar`` shards
    (:func:`training.data.open_source`), in manifest (index) order.

    ``dataset[i]`` is the i-th sample present (samples that failed are absent, so ``i`` and the
    item's ``index`` differ after a failure), as the dict of the module docstring, passed through
    ``transform`` when given. Every file read is checked against the manifest's SHA-256 (folders).
    Picklable: DataLoader workers (fork or spawn) each read the files themselves.
    """

    def __init__(self, path: str | Path, decode: bool = True,
                 transform: Callable[[dict[str, Any]], Any] | None = None):
        self.source = open_source(path)
        self.entries: list[Entry] = list(self.source.entries)
        self.decode = decode
        self.transform = transform

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> Any:
        if not -len(self.entries) <= i < len(self.entries):
            raise IndexError(f"sample {i} of a dataset of {len(self.entries)}")
        e = self.entries[i]
        where = self.source.path(e, "record")
        record = decode_file(self.source, e, "record", lambda b: parse_record(b, where), "record")
        if self.decode:
            item = sample_item(e.index, record, e.files,
                               lambda kind, fn, what: decode_file(self.source, e, kind, fn, what))
        else:
            item = {"index": e.index, "record": record, "files": {kind: self._read(e, kind) for kind in sorted(e.files)}}
        return item if self.transform is None else self.transform(item)

    def _read(self, e: Entry, kind: str) -> bytes:
        data = self.source.read_bytes(e, kind)
        self.source.verify(e, kind, data)
        return data


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A batch of items (module docstring) as torch tensors: ``index`` int64 (B,), ``image`` uint8
    (B, H, W, 3), ``audio`` float32 (B, C, L), ``target`` bool (B, H, W), ``has_target`` bool (B,),
    ``negatives`` {kind: float32 (B, C, L)} (kinds every item has); ``record`` and ``files`` stay
    lists. torch's default collate cannot batch the records (lists of different lengths): pass
    ``collate_fn=collate`` to the DataLoader. Arrays of different shapes (a spec with a random
    duration or image size) raise ValueError: batch them yourself, or use batch_size=1."""
    if not items:
        raise ValueError("an empty batch")
    out: dict[str, Any] = {"index": torch.tensor([int(it["index"]) for it in items], dtype=torch.int64),
                           "record": [it["record"] for it in items]}
    if "files" in items[0]:
        out["files"] = [it["files"] for it in items]
    for key in ("image", "audio", "target"):
        if key in items[0]:
            out[key] = torch.from_numpy(_stack([it[key] for it in items], key))
    if "has_target" in items[0]:
        out["has_target"] = torch.tensor([bool(it["has_target"]) for it in items], dtype=torch.bool)
    if "negatives" in items[0]:
        kinds = set.intersection(*(set(it["negatives"]) for it in items))
        out["negatives"] = {k: torch.from_numpy(_stack([it["negatives"][k] for it in items], f"negatives[{k}]"))
                            for k in sorted(kinds)}
    return out


def _stack(arrays: list[np.ndarray], key: str) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"cannot batch '{key}' of different shapes {sorted(shapes)}: use batch_size=1 or your "
                         "own collate_fn")
    return np.stack(arrays)
