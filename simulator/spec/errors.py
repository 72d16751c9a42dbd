"""Errors raised for bad user input: they name the spec key, the YAML line and the file."""
from __future__ import annotations


class SpecError(Exception):
    """A problem with a spec, an override or an input file.

    ``key`` is the dotted key path (``camera.hfov_deg``), ``line`` the 1-based YAML line (or
    None), ``source`` the file name or ``--set``. ``str()`` gives one short line for the user.
    """

    def __init__(self, message: str, key: str | None = None, line: int | None = None,
                 source: str | None = None):
        super().__init__(message)
        self.message = message
        self.key = key
        self.line = line
        self.source = source

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class SpecErrors(SpecError):
    """Several problems found in one validation pass (all are reported, not just the first)."""

    def __init__(self, errors: list[SpecError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
