"""Typed dataclasses <-> plain JSON data, checked field by field.

:func:`to_plain` turns dataclasses (and tuples, numpy values) into dicts, lists, floats, ints,
strings, bools and None; :func:`from_plain` rebuilds a dataclass from such data following its
type hints, and raises :class:`PlainError` naming the field path (``objects[2].position_m``) for
anything that does not fit: an unknown or missing field, a wrong type (a string for a number, a
bool for an int, a list of the wrong length), a float that is not finite, a number outside the
range or a name outside the choices a field declares (:func:`bounded`, :func:`one_of`).

A family of dataclasses stored under one field (an image backend's options, a sample's image
source) derives from :class:`Variant`: its members are registered by name in the family's
registry and written with the name under the family's ``tag`` key, which picks the member when
the data are read back.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, ClassVar

from .registry import Registry, UnknownVariant


class PlainError(ValueError):
    """Plain data that do not fit the dataclass they should describe (the message names the field)."""


class Variant:
    """Base of a family of dataclasses told apart by a name under the key ``tag``. A family root
    sets ``tag`` and ``members`` (a :class:`Registry` of member classes); each member sets
    ``name`` and is registered with ``members.register(name, cls)``."""

    tag: ClassVar[str] = "type"
    name: ClassVar[str] = ""
    members: ClassVar[Registry]


def to_plain(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists, floats, ...) for a dataclass or any part of one."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
               if not (f.metadata.get("omit_none") and getattr(value, f.name) is None)}
        if isinstance(value, Variant):
            out = {type(value).tag: type(value).name, **out}
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy array or scalar
        return to_plain(value.tolist())
    return value


def from_plain(tp: Any, value: Any, path: str = "") -> Any:
    """Rebuild ``value`` as type ``tp`` (dataclasses, variants, tuples, lists, dicts, optionals,
    numbers, strings, bools, ``Any``); PlainError names the first field that does not fit."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return from_plain(options[0], value, path)
        problems = []
        for option in options:
            try:
                return from_plain(option, value, path)
            except PlainError as exc:
                problems.append(str(exc))
        raise PlainError(problems[0])
    if value is None:
        raise _error(path, "must not be null")
    if isinstance(tp, type) and issubclass(tp, Variant) and "members" in vars(tp):
        if not isinstance(value, dict):
            raise _error(path, f"expected a mapping, got {_what(value)}")
        try:
            member = tp.members.get(value.get(tp.tag))
        except UnknownVariant as exc:
            raise _error(_join(path, tp.tag), str(exc)) from None
        return from_plain(member, {k: v for k, v in value.items() if k != tp.tag}, path)
    if dataclasses.is_dataclass(tp):
        return _dataclass(tp, value, path)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _error(path, f"expected a list, got {_what(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise _error(path, f"expected {len(args)} values, got {len(value)}")
        return tuple(from_plain(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if origin is list:
        if not isinstance(value, list):
            raise _error(path, f"expected a list, got {_what(value)}")
        return [from_plain(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _error(path, f"expected a mapping, got {_what(value)}")
        for k in value:
            if not isinstance(k, str):
                raise _error(path, f"keys must be strings, got {k!r}")
        return {k: from_plain(args[1], v, _join(path, k)) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _error(path, f"expected a number, got {_what(value)}")
        if not math.isfinite(value):
            raise _error(path, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(path, f"expected an integer, got {_what(value)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _error(path, f"expected true or false, got {_what(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _error(path, f"expected a string, got {_what(value)}")
        return value
    raise TypeError(f"{path or 'value'}: cannot read type {tp!r}")


def _dataclass(tp: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise _error(path, f"expected a mapping ({tp.__name__}), got {_what(value)}")
    hints = typing.get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _error(path, f"unknown field(s) for {tp.__name__}: {unknown}")
    missing = sorted(name for name, f in fields.items() if name not in value
                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    if missing:
        raise _error(path, f"missing field(s) for {tp.__name__}: {missing}")
    values = {}
    for k, v in value.items():
        here = _join(path, k)
        values[k] = from_plain(hints[k], v, here)
        _check_metadata(fields[k].metadata, values[k], here)
    return tp(**values)


def bounded(low: float, high: float, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field whose numbers (the value, or each element of a tuple or list) must lie in
    [low, high] when read by :func:`from_plain` (None passes where the type allows it)."""
    return dataclasses.field(default=default, metadata={"range": (low, high)})


def one_of(choices: tuple, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field whose value must be one of ``choices`` (None passes where the type allows it)."""
    return dataclasses.field(default=default, metadata={"choices": tuple(choices)})


def omitted_if_none(low: float | None = None, high: float | None = None) -> Any:
    """An optional dataclass field (default None) that :func:`to_plain` leaves out while it is None,
    so data written before the field existed keep their bytes (:func:`from_plain` reads its absence
    as None). ``low``, ``high``: the range its numbers must lie in, as :func:`bounded`."""
    metadata: dict[str, Any] = {"omit_none": True}
    if low is not None and high is not None:
        metadata["range"] = (low, high)
    return dataclasses.field(default=None, metadata=metadata)


def _check_metadata(meta, value: Any, path: str) -> None:
    if value is None or not meta:
        return
    if "range" in meta:
        low, high = meta["range"]
        for x in _numbers(value):
            if not low <= x <= high:
                raise _error(path, f"{x!r} is outside [{low}, {high}]")
    if "choices" in meta and value not in meta["choices"]:
        raise _error(path, f"{value!r} is not one of {', '.join(map(repr, meta['choices']))}")


def _numbers(value: Any):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _what(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def _error(path: str, message: str) -> PlainError:
    return PlainError(f"{path}: {message}" if path else message)
