"""The building blocks of the spec schema: leaf fields, lists, mappings and sections, and the value
kinds they take (plug-ins describe their own spec keys with these, e.g. a condition's options)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .distributions import Kind


@dataclass(frozen=True)
class Field:
    """One leaf key. ``random``: may be a distribution (sampled per sample); otherwise a
    constant. ``default`` of ``REQUIRED`` makes the key mandatory; ``None`` means unset."""

    kind: Kind
    default: Any
    doc: str
    random: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class ListField:
    """A list of values of one kind (not random), e.g. category names."""

    kind: Kind
    default: Any
    doc: str
    min_items: int = 1


@dataclass(frozen=True)
class StrMapField:
    """A mapping of names to names (or null), e.g. ``photos.category_map``; not random."""

    default: Any
    doc: str


@dataclass(frozen=True)
class MapField:
    """A free mapping of dotted key paths to lists (the ``sweep`` block)."""

    doc: str


@dataclass(frozen=True)
class Section:
    doc: str
    fields: dict[str, Any] = field(default_factory=dict)


REQUIRED = object()


def num(lo: float | None = None, hi: float | None = None, ol: bool = False, oh: bool = False) -> Kind:
    """A float in [lo, hi] (``ol``/``oh``: open at that end)."""
    return Kind("float", low=lo, high=hi, open_low=ol, open_high=oh)


def integer(lo: int | None = None, hi: int | None = None) -> Kind:
    """An integer in [lo, hi]."""
    return Kind("int", low=lo, high=hi)


def enum(*choices: str) -> Kind:
    """One of the given names."""
    return Kind("str", choices=tuple(choices))
