"""Reading a spec-like YAML file safely: a regular file of bounded size in UTF-8 (never a FIFO or a
device, which could block or never end)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import SpecError
from .limits import MAX_SPEC_BYTES


def read_spec_file(path: Path, source: str) -> str:
    """The text of a spec file: a regular file (not a FIFO, device or folder, which could block or
    never end) of at most MAX_SPEC_BYTES, in UTF-8."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SpecError("spec file not found", source=source) from None
    except OSError as exc:
        raise SpecError(f"cannot read spec file: {exc.strerror or exc}", source=source) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else \
            "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket or special file"
        raise SpecError(f"spec must be a regular file, this is {kind}", source=source)
    if st.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"spec file is {st.st_size} bytes, more than the {MAX_SPEC_BYTES} a spec may have",
                        source=source)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read spec file: {exc.strerror or exc}", source=source) from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"spec file is larger than the {MAX_SPEC_BYTES} bytes a spec may have", source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec file is not UTF-8 text (byte {exc.start})", source=source) from None
