"""WebDataset shards: member names, keys and the deterministic tar layout, shared by the writer
(:mod:`simulator.sinks.webdataset`, ``simulate pack``, ``simulate merge``) and the trainer's reader
(:mod:`training.data`). Standard library only.

A sample's files are the members ``<prefix>/<index:07d>.<suffix>`` of one shard, ``<suffix>`` being
the rest of the folder file's name (``png``, ``json``, ``flac``, ``neg_silence.flac``, ``s1.flac``,
``depth.png``, ...), in the order of their names. ``<prefix>/<index:07d>`` is the sample's key for
the ``webdataset`` library (everything before the first '.' of the basename) and for Hugging Face
``datasets`` (which, in older versions, splits the whole member path at its first '.'): the prefix
is the dataset name (and sweep point) with every character other than letters, digits, '_' and '-'
replaced by '_', so no key holds a '.' and shards of different datasets never share a key.

Tars are byte-reproducible: POSIX pax format (plain ustar headers for the short ASCII names used
here), modification time 0, mode 0644, owner 0/0 with empty user and group names, members in a
fixed order, and two zero blocks at the end (no padding to a 10 kB record).
"""
from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any, Iterator

#: End of a tar archive: two zero blocks.
TAR_END = b"\0" * 1024
#: Modification time, mode and owner of every member.
MTIME, MODE = 0, 0o644
#: Digits of a shard's number in its file name.
SHARD_DIGITS = 6
#: Longest key prefix (longer ones are cut and given a digest of the whole name).
MAX_PREFIX = 100

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
#: The webdataset library's key/suffix split (everything before the first '.' of the basename).
_BASE_EXT = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")


def key_prefix(name: str, sweep_point: dict[str, Any] | None = None) -> str:
    """The key prefix of a dataset: its name, plus ``_<key>=<value>,...`` of its sweep point (keys
    sorted), with every character other than letters, digits, '_' and '-' replaced by '_'
    (``ablation`` at ``{listener.head: mono}`` -> ``ablation_listener_head_mono``; ``v1.2`` ->
    ``v1_2``); cut to :data:`MAX_PREFIX` characters with a digest of the whole when longer."""
    text = str(name)
    if sweep_point:
        text += "_" + ",".join(f"{k}={v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))}"
                               for k, v in sorted(sweep_point.items()))
    safe = _UNSAFE.sub("_", text) or "dataset"
    if len(safe) > MAX_PREFIX:
        safe = f"{safe[:MAX_PREFIX - 17]}_{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    return safe


def prefix_of(resolved: dict[str, Any]) -> str:
    """The key prefix of the dataset of a resolved spec (see :func:`key_prefix`)."""
    return key_prefix(str(resolved["name"]), resolved.get("sweep_point"))


def sample_key(prefix: str, index: int) -> str:
    """``<prefix>/<index:07d>``."""
    return f"{prefix}/{index:07d}"


def member_name(key: str, rel: str) -> str:
    """The member of a sample's folder file ``rel`` (``samples/0000/0000042.neg_silence.flac``):
    ``<key>.<suffix>`` (``congruent/0000042.neg_silence.flac``)."""
    base = rel.rsplit("/", 1)[-1]
    if "." not in base:
        raise ValueError(f"{rel!r} has no suffix")
    return f"{key}.{base.split('.', 1)[1]}"


def split_member(name: str) -> tuple[str, str] | None:
    """(key, suffix) of a member name as the webdataset library splits it, or None."""
    m = _BASE_EXT.match(name)
    return (m.group(1), m.group(2)) if m else None


def shard_file_name(prefix: str, number: int) -> str:
    """``<prefix>-<number:06d>.tar``."""
    return f"{prefix}-{number:0{SHARD_DIGITS}d}.tar"


def shard_number(name: str, prefix: str) -> int | None:
    """The number of a shard file name of ``prefix`` (``.../congruent-000012.tar`` -> 12), or None."""
    m = re.fullmatch(rf"{re.escape(prefix)}-(\d{{{SHARD_DIGITS}}})\.tar", name.rsplit("/", 1)[-1])
    return int(m.group(1)) if m else None


def member_header(name: str, size: int) -> bytes:
    """The tar header block(s) of a member (see the module docstring)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, MTIME, MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def padding(size: int) -> bytes:
    """Zero bytes that fill a member's data to a whole 512-byte block."""
    return b"\0" * (-size % 512)


def sample_blocks(members: list[tuple[str, bytes]], start: int) -> tuple[bytes, dict[str, int]]:
    """The tar bytes of a sample's members (in the given order) written at offset ``start`` of a
    shard, and each member's data offset."""
    out, offsets, pos = [], {}, start
    for name, data in members:
        header = member_header(name, len(data))
        offsets[name] = pos + len(header)
        out += [header, data, padding(len(data))]
        pos += len(header) + len(data) + len(padding(len(data)))
    return b"".join(out), offsets


def tar_members(path: Path) -> Iterator[tuple[str, int, int]]:
    """(name, data offset, size) of every regular file of a tar, in order; reads the headers only
    (the data is skipped by seeking). tarfile.TarError or OSError for a broken tar."""
    with tarfile.open(path, "r:") as tf:
        for m in tf:
            if m.isfile():
                yield m.name, m.offset_data, m.size


def read_member(fh, entry: dict[str, Any], member: str) -> bytes | None:
    """A member's bytes at its recorded offset, or None if cut or not what the entry recorded."""
    fh.seek(int(entry["offsets"][member]))
    data = fh.read(int(entry["bytes"][member]))
    if len(data) != int(entry["bytes"][member]) or hashlib.sha256(data).hexdigest() != entry["sha256"].get(member):
        return None
    return data


def entry_members(entry: dict[str, Any]) -> list[str]:
    """A sample's members in shard order (sorted by name)."""
    return sorted(entry["bytes"])
