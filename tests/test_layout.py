"""The code's layout: no import circles, and no module over 500 lines but the known exceptions
listed here until they are split by responsibility (each may only shrink)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGE = ROOT / "schoolperf"
MAX_LINES = 500
# modules still over the limit, with their length today: they may shrink, never grow
TOO_LONG: dict[str, int] = {}


def _modules() -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        names[name] = path
    graph = {}
    for name, path in names.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("schoolperf"):
                imported.add(node.module)
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name.startswith("schoolperf")}
        graph[name] = {m for m in imported if m in names and m != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


RESULT_RULES = ("points", "eligibility", "prior_attainment")
# The direction of flow: a module imports only from its own layer or the layers before it.
LAYERS = [
    ["schoolperf.version", "schoolperf.frames", "schoolperf.errors", "schoolperf.reference"],
    # the rules a single result or pupil is read by, applied as the cohort is modelled
    ["schoolperf.engine", *(f"schoolperf.measures.{m}" for m in RESULT_RULES)],
    ["schoolperf.ingest"],
    ["schoolperf.cohort"],
    ["schoolperf.measures"],
    ["schoolperf.analysis"],
    ["schoolperf.outputs", "schoolperf.reports", "schoolperf.tracking", "schoolperf.comparisons"],
    ["schoolperf.cli", "schoolperf.bench", "schoolperf.__main__", "schoolperf"],
]


def _layer(module: str) -> int:
    """The layer of ``module``: that of the longest prefix listed."""
    found = [
        (len(prefix), number)
        for number, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert found, f"{module} is in no layer: add it to LAYERS"
    return max(found)[1]


def test_imports_flow_one_way():
    """reference/errors ← the rules of one result ← ingest ← cohort ← measures ← analysis ←
    outputs, reports, tracking, comparisons ← cli."""
    backwards = [
        (module, imported)
        for module, imports in _modules().items()
        for imported in imports
        if _layer(imported) > _layer(module)
    ]
    assert backwards == []


def test_no_import_circles():
    assert _circles(_modules()) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_module_over_500_lines_but_the_known_ones_which_only_shrink():
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= TOO_LONG.get(name, MAX_LINES), (name, lines)
