"""No folder imports a folder that imports it back (issue #11: "no folder-level cycle remains").

The import contracts in pyproject.toml forbid upward arrows between floors and between the
feature packages; this checks the whole tree at the level a newcomer reads it, folder by folder,
so a cycle inside a floor (two packages of `broadcasts`, say) cannot creep in either.
"""

from __future__ import annotations

from collections import defaultdict

import grimp

PACKAGES = ("bot", "handlers", "broadcasts", "storage")


def _folder_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(*PACKAGES)
    packages = {m for m in graph.modules if graph.find_children(m)}
    folder = lambda module: module if module in packages else module.rpartition(".")[0]  # noqa: E731
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if folder(module) != folder(imported):
                edges[folder(module)].add(folder(imported))
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one folder (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_folder_imports_a_folder_that_imports_it_back():
    assert _cycles(_folder_graph()) == []


def test_the_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
