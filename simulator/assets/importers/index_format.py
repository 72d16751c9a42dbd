"""What an imported collection's index file is (sounds and meshes alike): its format tag, the
rules for its name and file paths, its atomic write, and the report lines the import prints."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from ..library_names import RESERVED_NAMES

INDEX_FORMAT = "avsim-sound-index/1"


def relative_inside(rel: str) -> bool:
    """Is ``rel`` a ``/``-separated path that stays inside the collection's root (not empty, not
    absolute, no ``..``, ``.`` or empty part, no backslash or NUL)? String tests only: it runs
    once per clip when an index of 200,000 clips loads."""
    return bool(rel) and "\\" not in rel and "\x00" not in rel and \
        not any(p in _BAD_PARTS for p in rel.split("/"))


_BAD_PARTS = frozenset({"", ".", ".."})


def check_collection_name(name: str) -> str | None:
    """Why ``name`` cannot name a collection (it prefixes the asset keys: ``name:file``), or None."""
    if not name.isidentifier() or not name.isascii():
        return f"{name!r} is not a name (letters, digits and _, not starting with a digit)"
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved (one of {sorted(RESERVED_NAMES)})"
    return None


#: How many examples of each problem an index's report keeps.
EXAMPLES = 20


def write_index(index: dict, out: Path) -> None:
    """Write ``index`` to ``out`` atomically (a temporary file beside it, then a rename)."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def report_lines(report: dict, noun: str, kinds: tuple[str, ...], where: Callable[[dict], str]) -> list[str]:
    """The import's printed report after its first line: assets per category, unmapped labels
    with their counts, and each problem ``kind`` left out with examples (``where(example)``
    names the metadata entry); ``noun`` is what was indexed (clips, meshes)."""
    lines = [f"  {cat:<14} {n:>7}" for cat, n in report["per_category"].items()]
    unmapped = report["unmapped"]
    if unmapped:
        lines.append(f"unmapped labels ({len(unmapped)}; {noun} with that label):")
        lines += [f"  {n:>7}  {label}" for label, n in list(unmapped.items())[:EXAMPLES]]
        if len(unmapped) > EXAMPLES:
            lines.append(f"  ... and {len(unmapped) - EXAMPLES} more (all in the index's report.unmapped)")
    for kind in kinds:
        p = report[kind]
        if p["count"]:
            lines.append(f"{kind}: {p['count']} {noun} left out, e.g.")
            lines += [f"  {where(ex)}: {ex['file']}: {ex['why']}" for ex in p["examples"][:5]]
    return lines
