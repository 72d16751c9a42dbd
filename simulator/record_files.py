"""Reading dataset files that may come from anyone (records, manifests, dataset.json): regular
files only, bounded sizes, JSON that cannot blow the stack, and one-line reasons when they fail."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Iterator

#: Largest record read, bytes (a record is a few kB to a few MB of JSON).
MAX_RECORD_BYTES = 64_000_000
#: Largest manifest line, bytes.
MAX_MANIFEST_LINE = 1_000_000


class BadFile(ValueError):
    """A dataset file that cannot be read as what it should be (the message is one line)."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 300 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def read_text(path: Path, limit: int = MAX_RECORD_BYTES) -> str:
    """A regular file's UTF-8 text of at most ``limit`` bytes (BadFile otherwise; a FIFO or a
    device is never opened)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadFile(exc.strerror or one_line(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise BadFile("not a regular file")
    if st.st_size > limit:
        raise BadFile(f"{st.st_size} bytes, more than the {limit} such a file may have")
    try:
        with open(path, "rb") as fh:
            data = fh.read(min(limit, st.st_size) + 1)  # a file that grew meanwhile is cut, then refused
        if len(data) > limit:
            raise BadFile(f"more than the {limit} bytes such a file may have")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFile(one_line(exc)) from None


def parse_json(text: str | bytes) -> Any:
    """JSON that may be hostile: BadFile for invalid or too deeply nested JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise BadFile("JSON nested too deeply") from None
    except ValueError as exc:
        raise BadFile(f"not JSON ({one_line(exc)})") from None


def read_json(path: Path, limit: int = MAX_RECORD_BYTES) -> Any:
    return parse_json(read_text(path, limit))


def read_record(path: Path) -> dict[str, Any]:
    """A sample record: a JSON object (BadFile otherwise)."""
    record = read_json(path)
    if not isinstance(record, dict):
        raise BadFile("not a JSON object")
    return record


def manifest_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, entry or None, problem) for each line of a manifest (entries are JSON objects)."""
    text = read_text(path, limit=2**40)
    for n, raw in enumerate(text.splitlines(), 1):
        if len(raw) > MAX_MANIFEST_LINE:
            yield n, None, f"manifest line {n} is longer than {MAX_MANIFEST_LINE} bytes"
            continue
        try:
            entry = parse_json(raw)
        except BadFile as exc:
            yield n, None, f"manifest line {n}: {exc}"
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
            yield n, None, f"manifest line {n} is not a sample entry"
            continue
        yield n, entry, None


def within(path: Path, folder: Path) -> bool:
    """True if ``path`` is ``folder`` or lies below it, as written or with links resolved (a
    command that must never write into a dataset checks its output place with this)."""
    a_path, a_folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    try:
        r_path, r_folder = a_path.resolve(), a_folder.resolve()
    except (OSError, RuntimeError):
        r_path, r_folder = a_path, a_folder
    return a_path.is_relative_to(a_folder) or r_path.is_relative_to(r_folder)


def inside(root: Path, rel: str) -> bool:
    """True if the dataset-relative name ``rel`` stays inside ``root`` (manifests and records come
    from anyone: no absolute path, no ``..``, no link out)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or ".." in Path(rel).parts or "\x00" in rel:
        return False
    try:
        return (root / rel).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False
