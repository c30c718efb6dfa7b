"""The shape of the code, checked: no import cycles, kinds dispatched through one table, modules
that fit in a head. These read the source (ast), they run nothing."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssl_attention.kinds import KINDS, kind_named

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "ssl_attention": ROOT / "src" / "ssl_attention",
    "precompute": ROOT / "precompute",
    "app.backend": ROOT / "app" / "backend",
}
MAX_MODULE_LINES = 450
MAX_COMPONENT_LINES = 250


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module this one imports at run time (module level or inside functions), resolved to
    modules of the project; imports under `if TYPE_CHECKING:` are left out."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                yield from (n for stmt in child.orelse for n in visit(stmt))
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")
                    parent = parent[: len(parent) - (child.level - 1)]
                    base = ".".join([*parent, base] if base else parent)
                for alias in child.names:
                    yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            yield from visit(child)

    for target in visit(tree):
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            yield target


def _graph() -> dict[str, set[str]]:
    return {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), i.e. import cycles.
    A package's __init__ importing its own submodules is not a cycle of the code's layers."""
    edges = {
        name: {t for t in targets if not (t.startswith(name + ".") and MODULES[name].name == "__init__.py")}
        for name, targets in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_the_import_graph_is_read():
    graph = _graph()
    assert "ssl_attention.store.layout" in graph["ssl_attention.kinds"]
    assert "ssl_attention.kinds" in graph["ssl_attention.metrics.compute"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"ssl_attention.kinds": {"ssl_attention.values"}, "ssl_attention.values": {"ssl_attention.kinds"}}
    assert _cycles(graph) == [["ssl_attention.kinds", "ssl_attention.values"]]


LAYERS_BELOW = {
    # a layer and what it must never import (directly or not): math knows no storage, storage
    # and data know no torch-side code, the API imports neither precompute nor models/attention.
    "ssl_attention.attention": ("ssl_attention.store", "ssl_attention.metrics", "ssl_attention.data"),
    # models load with the capture backend (models.base → attention.capture, which needs only
    # models.token_layout): no module cycle, and neither side touches storage.
    "ssl_attention.models": ("ssl_attention.store", "ssl_attention.metrics", "ssl_attention.data"),
    "ssl_attention.data": ("ssl_attention.store", "ssl_attention.models", "ssl_attention.attention"),
    "ssl_attention.store": (
        "ssl_attention.models",
        "ssl_attention.attention",
        "ssl_attention.metrics",
        "precompute",
    ),
    "ssl_attention.values": ("ssl_attention.",),
    "app.backend": ("precompute", "ssl_attention.models", "ssl_attention.attention"),
}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("layer", sorted(LAYERS_BELOW))
def test_layers_import_only_downwards(layer: str):
    graph = _graph()
    bad = []
    for name in (n for n in graph if n == layer or n.startswith(layer + ".")):
        for reached in _reachable(graph, name):
            if reached.startswith(LAYERS_BELOW[layer]) and not reached.startswith(layer):
                bad.append(f"{name} → {reached}")
    assert bad == []


KIND_BRANCH = re.compile(r"isinstance\([^)]*\b(VitAttrs|VlmAttrs)\b|\.is_vlm\b|\bis_vlm\(")


def _own_modules_of(kind: str) -> set[str]:
    """Where a kind's own code lives: its precompute module and its API module, and the store layout."""
    return {
        f"precompute/{kind}.py",
        f"app/backend/services/{kind}.py",
    }


def test_no_kind_branching_outside_the_table_and_each_kinds_modules():
    allowed = {"src/ssl_attention/kinds.py"}.union(*(_own_modules_of(k) for k in KINDS))
    offenders = []
    for path in MODULES.values():
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if KIND_BRANCH.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


def test_modules_fit_in_a_head():
    long = {
        path.relative_to(ROOT).as_posix(): n
        for path in MODULES.values()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_react_components_fit_in_a_head():
    src = ROOT / "app" / "frontend" / "src"
    long = {
        path.relative_to(src).as_posix(): n
        for path in src.rglob("*.tsx")
        if not path.name.endswith(".test.tsx")
        and (n := len(path.read_text().splitlines())) > MAX_COMPONENT_LINES
    }
    assert long == {}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_row_names_hooks_that_exist(name: str):
    kind = kind_named(name)
    assert kind.attrs.kind == name
    assert set(kind.attrs.__dataclass_fields__) >= {"key", "base_key", "checkpoint", "weights", "per_head"}
    for hook in ("precompute", "api", "scorer", "shift"):
        assert kind.hook(hook) is not None, f"{name}: {hook} hook {getattr(kind, hook)} is missing"
    if kind.faithfulness is not None:  # optional: a kind without a faithfulness target is skipped
        assert callable(kind.hook("faithfulness")), (
            f"{name}: faithfulness hook {kind.faithfulness} is missing"
        )
    else:
        with pytest.raises(LookupError, match="no faithfulness hook"):
            kind.hook("faithfulness")
