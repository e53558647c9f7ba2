"""The console's modules import one way only: no circle inside ``authclients.tui``.

Every import counts, as Python or a type checker would follow it: module
level, inside functions, and under ``if TYPE_CHECKING:``. Screens reach the
app through ``tui.console.Console``, never by importing ``tui.app``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import authclients.tui
from authclients.tui.console import Console

PACKAGE = "authclients.tui"
ROOT = Path(authclients.tui.__file__).resolve().parent


def module_names() -> dict[str, Path]:
    """Every module of the package, by dotted name (``authclients.tui.screens.base``)."""
    modules: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([PACKAGE, *parts])] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> set[str]:
    """The package modules that importing ``name`` runs: it and its parent packages."""
    found: set[str] = set()
    while name.startswith(PACKAGE):
        if name in modules:
            found.add(name)
        name = name.rpartition(".")[0]
    return found


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``module`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):  # walks into functions and TYPE_CHECKING blocks too
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets |= _resolve(alias.name, modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            targets |= _resolve(base, modules)
            for alias in node.names:  # ``from authclients.tui import oauth_client``
                targets |= _resolve(f"{base}.{alias.name}", modules)
    targets.discard(module)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # Module level, package-relative name ("from authclients.tui import oauth_client"),
    # function level and TYPE_CHECKING-only imports are all edges.
    assert "authclients.tui.screens.clients" in graph["authclients.tui.app"]
    assert "authclients.tui.screens.tokens" in graph["authclients.tui.app"]  # in a method
    assert "authclients.tui.console" in graph["authclients.tui.screens.base"]  # TYPE_CHECKING
    # The CLI starts the console from inside a function (``tui/cli.py`` or ``tui/cli/``).
    assert any(
        "authclients.tui.app" in targets
        for name, targets in graph.items()
        if name == f"{PACKAGE}.cli" or name.startswith(f"{PACKAGE}.cli.")
    )


def test_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_screen_or_widget_imports_the_app() -> None:
    graph = import_graph()
    offenders = sorted(
        name
        for name, targets in graph.items()
        if name.startswith((f"{PACKAGE}.screens.", f"{PACKAGE}.widgets."))
        and f"{PACKAGE}.app" in targets
    )
    assert offenders == []


def test_no_import_circle_in_the_console() -> None:
    assert cycles(import_graph()) == []


def test_the_app_provides_what_screens_ask_of_it(make_app) -> None:
    """The Protocol is checked by nothing at run time: this keeps it true to the app."""
    app = make_app()
    members = set(Console.__annotations__) | {
        name for name in vars(Console) if not name.startswith("_")
    }
    assert {"store", "copy_text", "open_tokens", "endpoint_url"} <= members
    missing = sorted(name for name in members if not hasattr(app, name))
    assert missing == []
