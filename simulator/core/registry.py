"""Registries: named variants (image backends, room kinds, head models, conditions, sinks,
executors) that the code looks up by the name a spec or a Scene gives, instead of comparing strings.

A registry maps a name to an entry (a class or an instance). Adding a variant is one module that
defines it plus one ``REGISTRY.register(...)`` call; tests register toy variants the same way and
remove them with :meth:`Registry.unregister`. Registration happens at import time of the module
that holds the registry (built-in variants) or of a plug-in module; worker processes import the
same modules, so a plug-in that must reach worker processes is registered in an importable module
(see docs/architecture.md).
"""
from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownVariant(KeyError):
    """A name no variant of the registry has (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Name -> variant, in registration order. ``kind`` names the variants in messages
    ("image backend", "room kind", ...); ``check(name, entry)`` validates an entry when it is
    registered (raise TypeError or ValueError to refuse it)."""

    def __init__(self, kind: str, check: Callable[[str, T], None] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._check = check

    def register(self, name: str, entry: T, replace: bool = False) -> T:
        """Add ``entry`` under ``name``; returns it (so it can decorate a class)."""
        if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
            raise ValueError(f"{self.kind} name must be a non-empty identifier, got {name!r}")
        if name in self._entries and not replace:
            raise ValueError(f"a {self.kind} named {name!r} is already registered")
        if self._check is not None:
            self._check(name, entry)
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(name), list(self._entries), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownVariant(f"unknown {self.kind} {name!r}{hint}; known: {', '.join(self._entries)}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())
