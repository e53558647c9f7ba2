"""The demo data's one-time reveal: the demo user's password and every client's secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from authclients.store.demo import DemoData
from authclients.store.grant_types import label
from authclients.tui.safe_display import in_markup, literal
from authclients.tui.screens.base import ConsoleModal

if TYPE_CHECKING:
    from authclients.tui.console import Console


class DemoWelcomeScreen(ConsoleModal[None]):
    """Shown once after demo data is made; ``app.secrets`` keeps them for the playground."""

    CSS_PATH = "../demo.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "copy_password", "Copy password", id="demo.copy_password"),
        *(
            Binding(str(n), f"copy_secret({n - 1})", f"Copy secret {n}", id=f"demo.copy_secret{n}")
            for n in range(1, 5)
        ),
        Binding("escape,enter", "close", "Done", id="demo.close"),
    ]

    def __init__(self, demo: DemoData, *, temporary: bool) -> None:
        """
        Args:
            demo: what ``store.demo.seed_demo`` made.
            temporary: the database is thrown away on exit (``--demo``), not a real one.
        """
        super().__init__()
        self.demo = demo
        self.temporary = temporary

    def compose(self) -> ComposeResult:
        demo = self.demo
        title = "Demo mode: a throw-away database" if self.temporary else "Demo data added"
        with Vertical(classes="dialog", id="demo-dialog"):
            yield Label(title, classes="dialog-title")
            with VerticalScroll(id="demo-body", classes="dialog-body"):
                yield Static(
                    f"User [b]{in_markup(demo.username)}[/b]  password "
                    f"[b $success]{in_markup(demo.password)}[/]",
                    id="demo-user",
                )
                yield Static(
                    "Client secrets, shown only this once (keys 1-4 copy one):",
                    classes="reveal-warning",
                )
                for n, created in enumerate(demo.clients, start=1):
                    client = created.client
                    grants = ",".join(label(g) for g in client.grant_types)
                    yield Static(
                        f"[dim]{n}[/] id [b]{client.id}[/b] {in_markup(client.name)} "
                        f"[dim]({grants})[/]",
                        classes="demo-client",
                    )
                    yield Static(
                        literal(created.secret or "(public: no secret)"), classes="demo-secret"
                    )
                where = (
                    "The database is deleted when you quit."
                    if self.temporary
                    else "The secrets are kept only in memory until you quit."
                )
                yield Static(f"The playground (p) has them already. {where}", classes="reveal-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy password (w)", id="demo-copy-password", compact=True)
                yield Button("Done (enter)", id="demo-done", variant="primary", compact=True)

    def action_copy_password(self) -> None:
        self.console.copy_text(self.demo.password, f"The password of {self.demo.username}")

    def action_copy_secret(self, index: int) -> None:
        if not 0 <= index < len(self.demo.clients):
            return
        created = self.demo.clients[index]
        if created.secret:
            self.console.copy_text(
                created.secret, f"The secret of client {created.client.id} ({created.client.name})"
            )

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#demo-copy-password")
    def _copy_password(self) -> None:
        self.action_copy_password()

    @on(Button.Pressed, "#demo-done")
    def _done(self) -> None:
        self.dismiss(None)


def show_demo(app: Console, demo: DemoData, *, temporary: bool) -> None:
    """Keep the demo secrets for the playground and reveal them, once."""
    app.secrets.update(demo.secrets)
    app.push_screen(DemoWelcomeScreen(demo, temporary=temporary))
