"""The package's import graph: no import cycles, and one export list per public module.

The layers themselves are import contracts in ``pyproject.toml`` (``lint-imports``); this file
checks what a contract cannot say: that no modules import each other, in a ring of any length,
and that every public module says what it exports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

import grimp
import pytest

PACKAGE = "nextevi_widgets"

# Imports that close a cycle on purpose (also allowed by the layers contract in pyproject.toml).
# The test fails once such an edge is gone, so that its line goes too.
KNOWN_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset(
    {
        # VoiceSession.record() starts a Recorder, which records a VoiceSession.
        ("nextevi_widgets.session", "nextevi_widgets.recording"),
    }
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports made only for type checking count too: they tie the modules as tightly.
    return grimp.build_graph(PACKAGE, cache_dir=None)


def strongly_connected(
    nodes: Iterable[str], successors: Callable[[str], Iterable[str]]
) -> list[list[str]]:
    """The groups of two or more nodes that all reach each other (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(successors(node)):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(groups)


def one_cycle(group: list[str], successors: Callable[[str], Iterable[str]]) -> list[str]:
    """A shortest ring through the group's first node, as ``[a, b, ..., a]``."""
    members = set(group)
    start = group[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(successors(node)):
                if nxt == start:
                    ring = [node]
                    while ring[-1] != start:
                        ring.append(came_from[ring[-1]])
                    return [start, *reversed(ring[:-1]), start] if node != start else [start]
                if nxt in members and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{group} is not a cycle")


def module_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {
        module: set(graph.find_modules_directly_imported_by(module)) - {module}
        for module in graph.modules
        if module == PACKAGE or module.startswith(PACKAGE + ".")
    }


def sibling_edges(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """Imports between the children of ``package``, each child standing for its subtree."""
    children = graph.find_children(package)

    def child_of(module: str) -> str | None:
        if not module.startswith(package + "."):
            return None
        return package + "." + module[len(package) + 1 :].split(".")[0]

    edges: dict[str, set[str]] = {child: set() for child in children}
    for child in children:
        for module in (child, *graph.find_descendants(child)):
            for imported in graph.find_modules_directly_imported_by(module):
                if (module, imported) in KNOWN_CYCLE_EDGES:
                    continue
                target = child_of(imported)
                if target is not None and target != child:
                    edges[child].add(target)
    return edges


def import_cycles(edges: dict[str, set[str]]) -> list[str]:
    def successors(node: str) -> set[str]:
        return {n for n in edges.get(node, ()) if (node, n) not in KNOWN_CYCLE_EDGES}

    return [
        " -> ".join(one_cycle(group, successors)) for group in strongly_connected(edges, successors)
    ]


def all_cycles(graph: grimp.ImportGraph) -> list[str]:
    """Module cycles, then cycles between sibling subpackages/modules of every package."""
    cycles = import_cycles(module_edges(graph))
    packages = sorted(m for m in module_edges(graph) if graph.find_children(m))
    for package in packages:
        for cycle in import_cycles(sibling_edges(graph, package)):
            if cycle not in cycles:
                cycles.append(cycle)
    return cycles


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycles = all_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_known_cycle_edges_still_exist(graph: grimp.ImportGraph) -> None:
    gone = sorted(
        f"{importer} -> {imported}"
        for importer, imported in KNOWN_CYCLE_EDGES
        if not {importer, imported} <= graph.modules
        or not graph.direct_import_exists(importer=importer, imported=imported)
    )
    assert not gone, "no longer imported; remove from KNOWN_CYCLE_EDGES:\n" + "\n".join(gone)


def test_cycle_finder_names_a_ring() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert import_cycles(edges) == ["a -> b -> c -> a"]


def public_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(
        module
        for module in module_edges(graph)
        if not any(part.startswith("_") for part in module.split(".")[1:])
    )


def test_every_public_module_declares_its_exports(graph: grimp.ImportGraph) -> None:
    missing = []
    unknown = []
    for name in public_modules(graph):
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            missing.append(name)
            continue
        unknown += [f"{name}.{n}" for n in exported if not hasattr(module, n)]
    assert not missing, "public modules without __all__:\n" + "\n".join(missing)
    assert not unknown, "__all__ names that do not exist:\n" + "\n".join(unknown)
