"""Sound-collection index: the clips of a collection, per library category, pointing at the
files in place (nothing copied, nothing decoded).

``simulate assets import sounds --format FORMAT --metadata FILE [--root DIR] [--map MAP.yaml]
--out INDEX.json`` writes::

    {"format": "avsim-sound-index/1", "collection": "esc50", "root": "/abs/path/to/audio",
     "map": "<map file>", "licence": "<the collection's licence or null>",
     "categories": {"dog": [{"file": "1-100032-A-0.wav", "start_s": 0.0, "end_s": null,
                             "licence": "CC BY-NC 3.0", "labels": ["dog"], "line": 2}, ...]},
     "report": {"rows": N, "clips": N, "per_category": {...}, "unmapped": {"label": clips},
                "ambiguous": {"count": N, "examples": [...]}, "missing": {"count": N, "examples": [...]},
                "outside": {"count": N, "examples": [...]}}}

A row whose labels map to no category is counted under each unmapped label (never silently
dropped); one whose labels map to two or more categories is ``ambiguous`` (a clip of a dog and
a car is not a clean dog clip) and left out, counted; a file that does not exist under the root
is ``missing``; a path leading out of the root is ``outside``. Each is reported with its line.
Files are checked for existence only: decoding waits until a clip is first used.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ...cli_parser import ArgumentParser
from .category_map import BUNDLED_MAP, CategoryMap, CategoryMapError
from .index_format import EXAMPLES, INDEX_FORMAT, check_collection_name, relative_inside, report_lines, write_index
from .sound_formats import SOUND_FORMATS, ClipRow, MetadataError, ReadOptions

#: The kinds of rows left out, in the order the report lists them.
PROBLEMS = ("ambiguous", "missing", "outside", "unlabelled")


def build_index(fmt: str, metadata: Path, root: Path | None = None, category_map: CategoryMap | None = None,
                options: ReadOptions | None = None, licence: str | None = None,
                check_files: bool = True, collection: str | None = None) -> dict:
    """The index of one collection (see the module docstring); ``collection`` names it in keys
    and records (default: the format's name). Raises MetadataError or CategoryMapError for a
    metadata or map file that cannot be used, ValueError for a bad collection name."""
    collection = fmt if collection is None else collection
    why = check_collection_name(collection)
    if why is not None:
        raise ValueError(f"collection name {why}")
    spec = SOUND_FORMATS[fmt]
    metadata = Path(metadata)
    root = Path(root) if root is not None else spec.default_root(metadata)
    cmap = category_map or CategoryMap.load(BUNDLED_MAP)
    options = options or ReadOptions()
    collection_licence = licence if licence is not None else spec.collection_licence
    categories: dict[str, list[dict]] = {}
    rows = 0
    problems = {k: {"count": 0, "examples": []} for k in PROBLEMS}

    def problem(kind: str, row: ClipRow, why: str) -> None:
        p = problems[kind]
        p["count"] += 1
        if len(p["examples"]) < EXAMPLES:
            p["examples"].append({"line": row.line, "file": row.file, "why": why})

    for row in spec.read(metadata, options):
        rows += 1
        if not row.labels:
            problem("unlabelled", row, "no label")
            continue
        cats = cmap.categories(row.labels)
        if not cats:
            continue            # counted under each of its labels in cmap.unmapped
        if len(cats) > 1:
            problem("ambiguous", row, f"labels {list(row.labels)} map to {sorted(cats)}")
            continue
        if not relative_inside(row.file):
            problem("outside", row, "the path must be relative and stay inside the root")
            continue
        if check_files and not os.path.isfile(root / row.file):
            problem("missing", row, f"no file {root / row.file}")
            continue
        entry = {"file": row.file, "start_s": row.start_s, "end_s": row.end_s,
                 "licence": row.licence or collection_licence, "labels": list(row.labels), "line": row.line}
        categories.setdefault(next(iter(cats)), []).append(entry)
    clips = sum(len(v) for v in categories.values())
    return {"format": INDEX_FORMAT, "collection": collection, "source_format": fmt, "metadata": str(metadata.resolve()),
            "root": str(root.resolve()), "map": cmap.source, "licence": collection_licence,
            "categories": {k: categories[k] for k in sorted(categories)},
            "report": {"rows": rows, "clips": clips, "per_category": {k: len(categories[k]) for k in sorted(categories)},
                       "unmapped": dict(sorted(cmap.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
                       **problems}}


def format_report(index: dict, seconds: float) -> str:
    r = index["report"]
    return "\n".join([f"{index['collection']}: {r['rows']} rows -> {r['clips']} clips in "
                      f"{len(r['per_category'])} categories ({r['rows'] / max(seconds, 1e-9):.0f} rows/s)"]
                     + report_lines(r, "rows", PROBLEMS, lambda ex: f"line {ex['line']}"))


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="simulate assets import sounds",
                        description="Index a sound collection in place from its own metadata.")
    ap.add_argument("--format", required=True, choices=sorted(SOUND_FORMATS))
    ap.add_argument("--metadata", required=True, help="the collection's label file (see docs/assets.md)")
    ap.add_argument("--root", help="the folder of the audio or video files (default: the format's layout)")
    ap.add_argument("--map", default=str(BUNDLED_MAP), help="category map YAML (default: the bundled map)")
    ap.add_argument("--out", required=True, help="the index file to write (JSON)")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing index file")
    ap.add_argument("--licence", help="the collection's licence, for clips whose metadata names none")
    ap.add_argument("--collection", help="the collection's name in asset keys and records (default: the format)")
    ap.add_argument("--file-pattern", help="vggsound/audioset: file name from {ytid}, {start}, {end}")
    ap.add_argument("--segment", choices=("file", "window"),
                    help="vggsound/audioset: each file is the clip (file) or the whole recording (window)")
    ap.add_argument("--labels", help="audioset: class_labels_indices.csv (machine id -> display name)")
    ap.add_argument("--clips-info", help="fsd50k: *_clips_info_FSD50K.json (licences)")
    args = ap.parse_args(argv)

    def fail(message: str) -> int:
        print(f"simulate assets import sounds: {message}", file=sys.stderr)
        return 2

    metadata, out = Path(args.metadata), Path(args.out)
    if args.collection is not None and check_collection_name(args.collection) is not None:
        return fail(f"--collection: {check_collection_name(args.collection)}")
    if not metadata.is_file():
        return fail(f"--metadata: no such file: {metadata}")
    for flag in ("labels", "clips_info"):
        value = getattr(args, flag)
        if value is not None and not Path(value).is_file():
            return fail(f"--{flag.replace('_', '-')}: no such file: {value}")
    root = Path(args.root) if args.root else SOUND_FORMATS[args.format].default_root(metadata)
    if not root.is_dir():
        return fail(f"--root: no such folder: {root}")
    if out.exists() and not args.overwrite:
        return fail(f"--out: {out} exists (use --overwrite to replace it)")
    if not out.parent.is_dir():
        return fail(f"--out: no such folder: {out.parent}")
    options = ReadOptions(file_pattern=args.file_pattern, segment=args.segment,
                          labels_file=Path(args.labels) if args.labels else None,
                          clips_info=Path(args.clips_info) if args.clips_info else None)
    started = time.perf_counter()
    try:
        index = build_index(args.format, metadata, root, CategoryMap.load(args.map), options, args.licence,
                            collection=args.collection)
    except (MetadataError, CategoryMapError) as exc:
        return fail(str(exc))
    write_index(index, out)
    print(format_report(index, time.perf_counter() - started))
    return 0
