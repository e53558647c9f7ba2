"""What every screen of the console shares: the store, the clock and running store jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from tui.jobs import run_store_job

if TYPE_CHECKING:
    from store import Store
    from tui.app import AuthClientsApp

T = TypeVar("T")
R = TypeVar("R")


class ConsoleAccess:
    """Mixed into screens: typed access to the app's store, clock and clipboard."""

    PALETTE: tuple[tuple[str, str, str], ...] = ()
    """(title, action, help) offered by the command palette while this screen is on top."""

    @property
    def console(self) -> AuthClientsApp:
        return cast("AuthClientsApp", self.app)  # type: ignore[attr-defined]

    @property
    def store(self) -> Store:
        return self.console.store

    def now(self) -> datetime:
        return self.console.clock.now()

    def run_store(
        self,
        job: Callable[[], R],
        done: Callable[[R], object],
        *,
        group: str,
        exclusive: bool = True,
        failed: Callable[[BaseException], object] | None = None,
    ) -> Worker[None]:
        """Run store calls off the UI thread; see ``tui.jobs.run_store_job``."""
        return run_store_job(
            cast(Any, self), self.store, job, done, group=group, exclusive=exclusive, failed=failed
        )


class ConsoleScreen(ConsoleAccess, Screen[T]):
    """A full screen of the console."""


class ConsoleModal(ConsoleAccess, ModalScreen[T]):
    """A dialog over another screen."""
