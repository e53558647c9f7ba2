"""What every screen of the console shares: the store, the clock and running store jobs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual import events
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Label
from textual.worker import Worker

from authclients.store.errors import NotFound
from authclients.tui.jobs import failure_message, run_store_job
from authclients.tui.safe_display import literal

if TYPE_CHECKING:
    from authclients.store import Store
    from authclients.tui.console import Console

T = TypeVar("T")
R = TypeVar("R")


class ConsoleAccess:
    """Mixed into screens: typed access to the app's store, clock and clipboard."""

    PALETTE: tuple[tuple[str, str, str], ...] = ()
    """(title, action, help) offered by the command palette while this screen is on top."""

    @property
    def console(self) -> Console:
        """The app, typed by what screens may use of it (``tui.console.Console``)."""
        return cast("Console", self.app)  # type: ignore[attr-defined]

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
        """Run store calls off the UI thread; see ``tui.jobs.run_store_job``.

        Without ``failed``, a failure becomes an error notification, and a row
        that no longer exists (deleted by another process) also reloads the screen.
        """
        return run_store_job(
            cast(Any, self),
            self.store,
            job,
            done,
            group=group,
            exclusive=exclusive,
            failed=failed or self.store_failed,
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        kind: str = "",
    ) -> None:
        """A toast of this screen: it shows while the screen is on top and goes with it.

        Args:
            kind: a newer toast of the same kind replaces this one (default: the title,
                else the message).
        """
        self.console.notify(
            message,
            title=title,
            severity=severity,
            timeout=timeout,
            markup=markup,
            kind=kind,
            screen=cast(Screen[object], self),
        )

    def store_failed(self, exc: BaseException) -> None:
        """Say what went wrong; when the row was deleted elsewhere, show the list as it is."""
        self.notify(failure_message(exc), title="Could not finish", severity="error", timeout=8)
        refresh = getattr(self, "refresh_data", None)
        if isinstance(exc, NotFound) and refresh is not None:
            refresh()

    def show_field_errors(
        self, errors: Mapping[str, str], fields: Sequence[str], focus: Mapping[str, str]
    ) -> None:
        """Each message in the label under its field (``#KEY-error``), the rest as one
        toast, and the focus on the first field in error (``focus`` maps key → selector)."""
        for key in fields:
            label = cast(Widget, self).query_one(f"#{key}-error", Label)
            label.update(literal(errors.get(key, "")))
            label.display = key in errors
        leftover = [msg for key, msg in errors.items() if key not in fields]
        if leftover:
            self.notify(" ".join(leftover), severity="error")
        for key, selector in focus.items():
            if key in errors:
                cast(Widget, self).query_one(selector).focus()
                break


class ConsoleScreen(ConsoleAccess, Screen[T]):
    """A full screen of the console."""


class ConsoleModal(ConsoleAccess, ModalScreen[T]):
    """A dialog over another screen.

    A dialog's scrolling part (class ``dialog-body``) is cut to the room its screen
    leaves, so the title and the buttons stay on screen at any height (60x20 too).
    """

    MIN_BODY_HEIGHT = 3
    """Lines a dialog body keeps however short the terminal: a scrollbar needs some."""
    NARROW_WIDTH = 70
    """Below this many columns (``-narrow``) a dialog's buttons take two per row."""

    def _on_mount(self) -> None:
        self.set_class(self.app.size.width < self.NARROW_WIDTH, "-narrow")
        self.call_after_refresh(self.fit_dialog_body)

    def _on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < self.NARROW_WIDTH, "-narrow")
        self.call_after_refresh(self.fit_dialog_body)

    def fit_dialog_body(self) -> None:
        """Give each ``.dialog-body`` the height left by its dialog's other parts."""
        docked = sum(w.outer_size.height for w in self.children if w.styles.dock == "bottom")
        for body in self.query(".dialog-body"):
            dialog = body.parent
            if not isinstance(dialog, Widget):
                continue
            others = sum(
                child.outer_size.height + child.styles.margin.height
                for child in dialog.children
                if child is not body and child.display
            )
            room = self.size.height - docked - dialog.styles.gutter.height - others
            body.styles.max_height = max(self.MIN_BODY_HEIGHT, room - body.styles.margin.height)
