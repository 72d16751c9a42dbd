"""Safe YAML loading that remembers the line of every key, for error messages."""
from __future__ import annotations

from typing import Any

import yaml

from .errors import SpecError

KeyPath = tuple  # tuple of str (mapping keys) and int (list indices)


def load_yaml_with_lines(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML safely; return (data, lines) where ``lines[path]`` is the 1-based line of
    the node at ``path``. Duplicate keys are an error (YAML would silently keep the last)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context_mark", None)
        opened = f" ({exc.context} at line {context.line + 1})" if context is not None and getattr(exc, "context", None) \
            and context.line != (mark.line if mark else None) else ""
        raise SpecError(f"not valid YAML: {problem}{opened}", line=mark.line + 1 if mark else None,
                        source=source) from None
    lines: dict[KeyPath, int] = {}
    if node is None:
        return None, lines
    loader = yaml.SafeLoader("")
    return _build(node, (), lines, loader, source), lines


def _build(node: yaml.Node, path: KeyPath, lines: dict, loader: yaml.SafeLoader, source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, path, source)
            if not isinstance(key, str):
                raise SpecError(f"keys must be strings, got {key!r}", key=_dotted(path) or None,
                                line=key_node.start_mark.line + 1, source=source)
            if key in out:
                raise SpecError("duplicate key", key=_dotted(path + (key,)), line=key_node.start_mark.line + 1,
                                source=source)
            out[key] = _build(value_node, path + (key,), lines, loader, source)
            lines[path + (key,)] = key_node.start_mark.line + 1  # errors point at the key's line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path + (i,), lines, loader, source) for i, v in enumerate(node.value)]
    return _construct(loader, node, path, source)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, source: str) -> Any:
    """A scalar's value; unknown tags or values a tag cannot take are spec errors."""
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"cannot read value {node.value!r}: {problem}", key=_dotted(path) or None,
                        line=node.start_mark.line + 1, source=source) from None


def _dotted(path: KeyPath) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def dotted(path: KeyPath) -> str:
    """``('camera', 'hfov_deg')`` -> ``'camera.hfov_deg'``; list indices as ``[i]``."""
    return _dotted(path)


def nearest_line(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path`` or of its closest existing ancestor."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]
