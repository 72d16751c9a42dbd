"""The import graph of the project's packages (every import, at module level or inside a function):
no cycles between modules, a core that imports nothing of the project, renderers that import
nothing of simulator/ but its core, and a training package independent of the renderers."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "renderers", "training", "scenes")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod`` when
    that is a module, else ``pkg``)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_walker_sees_relative_and_function_level_imports():
    g = graph()
    assert "simulator.core.geometry" in g["simulator.core.camera"]
    assert any(m.startswith("simulator.") for m in g["simulator.cli"])
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_core_imports_nothing_of_the_project():
    bad = {m: sorted(t for t in targets if not t.startswith("simulator.core"))
           for m, targets in graph().items() if m.startswith("simulator.core")}
    assert not {m: t for m, t in bad.items() if t}


def test_renderers_import_only_the_core():
    bad = {m: sorted(t for t in targets if not (t.startswith("renderers") or t.startswith("simulator.core")))
           for m, targets in graph().items() if m.startswith("renderers")}
    assert not {m: t for m, t in bad.items() if t}


def test_training_does_not_import_the_renderers():
    bad = {m: sorted(t for t in targets if t.startswith("renderers"))
           for m, targets in graph().items() if m.startswith("training")}
    assert not {m: t for m, t in bad.items() if t}
