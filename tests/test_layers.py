"""The import layers hold: tui → endpoint → oauth → persistence, and no circle in ``store``.

Every module under ``store/`` and ``tui/`` is parsed with ``ast``, so every
import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"authclients.store": ROOT / "store", "authclients.tui": ROOT / "tui"}
OAUTH = "authclients.store.oauth"
ENDPOINT = "authclients.store.endpoint"
OAUTH_CLIENT = "authclients.store.oauth_client"
TUI = "authclients.tui"


def _module_files() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _module_files()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports, resolved to a module of ours where it names one."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                # ``from package import module`` imports the module, not the package's names.
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in MODULES else source


GRAPH: dict[str, set[str]] = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _persistence(module: str) -> bool:
    return _within(module, "authclients.store") and not any(
        _within(module, upper) for upper in (OAUTH, ENDPOINT, OAUTH_CLIENT)
    )


def _offences(source: str, *forbidden: str) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if (_persistence(name) if source == "persistence" else _within(name, source))
        for target in targets
        if any(_within(target, prefix) for prefix in forbidden)
    )


def _cycles(prefix: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), among ``prefix``."""
    nodes = [n for n in GRAPH if _within(n, prefix)]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in GRAPH or not _within(target, prefix) or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in nodes:
        if node not in index:
            visit(node)
    return found


def test_the_parser_sees_the_layers() -> None:
    # A guard for the guards: an empty graph would pass every test below.
    assert "authclients.store.service" in GRAPH
    assert "authclients.store.endpoint.server" in GRAPH
    assert "authclients.store.oauth.grants.password" in GRAPH
    assert (
        "authclients.store.oauth.authorization_server" in GRAPH["authclients.store.endpoint.routes"]
    )
    # Type-only and function-level imports are seen too.
    assert "authclients.store.endpoint" in GRAPH["authclients.tui.app"]


def test_persistence_imports_nothing_above_it() -> None:
    assert _offences("persistence", OAUTH, ENDPOINT, TUI) == []


def test_oauth_imports_neither_the_endpoint_nor_the_tui() -> None:
    assert _offences(OAUTH, ENDPOINT, TUI) == []


def test_endpoint_imports_nothing_of_the_tui() -> None:
    assert _offences(ENDPOINT, TUI) == []


def test_store_never_imports_textual() -> None:
    assert _offences("authclients.store", "textual") == []


def test_no_import_circle_in_store() -> None:
    assert _cycles("authclients.store") == []


def test_no_import_circle_in_tui() -> None:
    assert _cycles("authclients.tui") == []
