"""``simulate pack``: a folder dataset into WebDataset shards, through the webdataset sink's writer.

``simulate pack DIR --out OUT [--shard-samples N] [--shard-mb M]`` turns a finished folder dataset
into the dataset ``simulate`` writes with ``output.format: webdataset`` (members byte-identical to
the folder's files; dataset.json, manifest and COCO export beside the shards): OUT is what
``simulate --spec SPEC --set output.format=webdataset --set output.dir=OUT`` would make, so such a
run finds it complete, and a larger ``samples`` grows it. Every input is checked before anything is
written (bad input: one line naming the file or option, exit status 2, nothing left in OUT); an
interrupted pack is finished by the same command.
"""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

from .cli_parser import ArgumentParser
from .parts import Part
from .record_files import inside
from .sinks.shard_parts import categories_of, read_entries, read_info, writing
from .spec.errors import SpecError
from .spec.spec import Spec


def main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="simulate pack", description="Turn a finished dataset folder into WebDataset "
                        "shards (the layout of output.format: webdataset; docs/scale.md).")
    ap.add_argument("dataset", help="a dataset folder written by simulate (output.format: folder)")
    ap.add_argument("--out", required=True, help="the shard dataset's folder (new, empty, or an unfinished pack)")
    ap.add_argument("--shard-samples", type=int, metavar="N", help="samples per shard (default: the spec's "
                    "output.shard_samples, 1000)")
    ap.add_argument("--shard-mb", type=float, metavar="M", help="largest shard in megabytes (default: none)")
    args = ap.parse_args(argv)
    made, skipped, out = pack(Path(args.dataset), Path(args.out), args.shard_samples, args.shard_mb)
    shards = sorted((out / "shards").glob("*.tar"))
    print(f"packed {made} samples ({skipped} already packed) into {len(shards)} shards -> {out}")
    return 0


# ------------------------------------------------------------------------------------------------
# pack
# ------------------------------------------------------------------------------------------------
def _shard_option(value, key: str, flag: str, current):
    """The option's value checked against the schema's range for ``output.<key>`` (or ``current``)."""
    from .spec.schema import build_schema

    if value is None:
        return current
    kind = build_schema().fields["output"].fields[key].kind
    low_ok = value > kind.low if kind.open_low else value >= kind.low
    if not (low_ok and value <= kind.high) or value != value:
        bound = f"above {kind.low}" if kind.open_low else f"at least {kind.low}"
        raise SpecError(f"must be {bound} and at most {kind.high} (output.{key}; got {value})", key=flag)
    return value


def pack(src: Path, out: Path, shard_samples: int | None = None,
         shard_mb: float | None = None) -> tuple[int, int, Path]:
    """Pack the folder dataset ``src`` into shards in ``out`` (module docstring); returns (samples
    packed now, samples already packed by an interrupted pack, out)."""
    from .sinks.webdataset import WebDatasetSink

    info = read_info(src)
    resolved = copy.deepcopy(info["spec"])
    output = resolved.setdefault("output", {})
    if output.get("format") == WebDatasetSink.name:
        raise SpecError("is already a dataset of WebDataset shards", source=str(src))
    if Path(out).resolve() == src.resolve() or Path(out).resolve().is_relative_to(src.resolve()):
        raise SpecError("--out must be outside the dataset being packed", source=str(out))
    output.update(format=WebDatasetSink.name, dir=str(out),
                  shard_samples=_shard_option(shard_samples, "shard_samples", "--shard-samples",
                                              output.get("shard_samples", 1000)),
                  shard_mb=_shard_option(shard_mb, "shard_mb", "--shard-mb", output.get("shard_mb")))
    entries = read_entries(src, info, "packing it")
    for e in entries:
        for rel, size in (e.get("bytes") or {}).items():
            p = src / rel
            if not inside(src, rel) or not p.is_file() or p.stat().st_size != size:
                raise SpecError(f"sample {e['index']}: {rel} is missing or not the size manifest.jsonl recorded",
                                source=str(src))
    categories = categories_of(src, info)
    part = Part(int(info["part"]["k"]), int(info["part"]["n"])) if isinstance(info.get("part"), dict) else None
    sink = WebDatasetSink(Spec(resolved, {}, str(src / "dataset.json")), part)
    sink.folder.carry = {k: info[k] for k in ("versions", "plan_version") if k in info}
    mode = sink.check(False)
    if mode == "complete":
        return 0, len(entries), out
    fresh = mode == "new"
    done = sink.open(mode, info.get("counts") or {}, info.get("library"))
    with writing(sink, out, fresh):
        made = 0
        for e in entries:
            if e["index"] not in done:
                sink.commit({**e, "blobs": _folder_blobs(src, e)})
                made += 1
        sink.finish(info.get("status", "complete"), info.get("counts") or {}, info.get("library"),
                    info.get("failed") or [], categories)
    return made, len(done), out


def _folder_blobs(root: Path, entry: dict[str, Any]) -> dict[str, bytes]:
    """A folder sample's files, checked against the manifest's digests."""
    blobs = {}
    for rel in sorted(entry["bytes"]):
        data = (root / rel).read_bytes()
        if hashlib.sha256(data).hexdigest() != (entry.get("sha256") or {}).get(rel):
            raise SpecError("changed since the dataset was written (its SHA-256 differs from manifest.jsonl's)",
                            source=str(root / rel))
        blobs[rel] = data
    return blobs
