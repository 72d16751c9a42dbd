"""Safe YAML loading that remembers the line of every key, for error messages."""
from __future__ import annotations

from typing import Any

import yaml

from .errors import SpecError
from .limits import MAX_YAML_DEPTH, MAX_YAML_NODES

KeyPath = tuple  # tuple of str (mapping keys) and int (list indices)


def load_yaml_with_lines(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML safely; return (data, lines) where ``lines[path]`` is the 1-based line of
    the node at ``path``. Duplicate keys are an error (YAML would silently keep the last)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise SpecError(f"YAML nested too deeply (more than {MAX_YAML_DEPTH} levels)", source=source) from None
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
    _check_size(node, source)
    loader = yaml.SafeLoader("")
    return _build(node, (), lines, loader, source), lines


def _check_size(root: yaml.Node, source: str) -> None:
    """Refuse YAML that is nested too deeply or expands (through anchors and aliases, which may
    nest) to more than MAX_YAML_NODES nodes, before building anything (linear in the text)."""
    sizes: dict[int, int] = {}
    shared = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_YAML_DEPTH:
            raise SpecError(f"YAML nested too deeply (more than {MAX_YAML_DEPTH} levels)",
                            line=node.start_mark.line + 1, source=source)
        known = sizes.get(id(node))
        if known is not None:
            shared.add(id(node))
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v, depth + 1)
        total = min(total, MAX_YAML_NODES + 1)
        sizes[id(node)] = total
        return total

    if size(root, 0) > MAX_YAML_NODES:
        raise SpecError(f"YAML expands to more than {MAX_YAML_NODES} nodes (anchors and aliases reused "
                        f"{len(shared)} times); a spec is a page of keys", source=source)


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
