"""Fixtures for the console's tests: the app over a real SQLite store, a fake clipboard."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from authclients.store import Store
from authclients.tui.app import AuthClientsApp, create_app
from authclients.tui.clipboard import Clipboard


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin is installed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**args))
    return True


@dataclass
class FakeLocalClipboard:
    """Stands in for pyperclip: records what it got, or fails like a missing xclip."""

    works: bool = True
    copied: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> None:
        if not self.works:
            raise RuntimeError("could not find a copy/paste mechanism")
        self.copied.append(text)


@dataclass
class FakeEndpoint:
    """A started endpoint, as far as the header and the curl line care."""

    url: str = "http://127.0.0.1:8765"
    running: bool = True

    def stop(self) -> None:
        self.running = False


@pytest.fixture
def local_clipboard() -> FakeLocalClipboard:
    return FakeLocalClipboard()


@pytest.fixture
def make_app(store: Store, local_clipboard: FakeLocalClipboard) -> Callable[..., AuthClientsApp]:
    def build(**kwargs: object) -> AuthClientsApp:
        kwargs.setdefault("endpoint", FakeEndpoint())
        kwargs.setdefault("clipboard", Clipboard(local_clipboard, over_ssh=False))
        # No change polling unless a test asks: screens must not reload mid-assertion.
        kwargs.setdefault("poll_interval", None)
        return create_app(store, **kwargs)  # type: ignore[arg-type]

    return build


async def settle(pilot: object) -> None:
    """Wait until every store job has reported back and the screen has redrawn."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


async def type_text(pilot: object, text: str) -> None:
    """Type ``text`` key by key, as a person would."""
    await pilot.press(*text)  # type: ignore[attr-defined]


def notifications(app: AuthClientsApp) -> list[str]:
    """Every notification message shown so far (needs ``run_test(notifications=True)``)."""
    return [n.message for n in app._notifications]


def screen_text(app: AuthClientsApp) -> str:
    """The visible text of the top screen, for asserting on what the admin reads."""
    from textual.widgets import DataTable, Input, Label, Static

    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Label | Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, Input):
            parts.append(widget.value)
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                parts.append(" ".join(str(c) for c in widget.get_row_at(row)))
    return "\n".join(parts)
