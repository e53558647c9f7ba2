"""What the screens need of the console app, as a Protocol: screens never import ``tui.app``.

``tui.app`` imports every screen it opens; a screen that imported the app back
(even for a type) closed an import circle. Screens name this Protocol instead,
and ``AuthClientsApp`` satisfies it structurally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from authclients.store import Store
    from authclients.store.clock import Clock
    from authclients.store.records import ClientInfo


class Console(Protocol):
    """The app as a screen sees it: the store, the clock, the endpoint, app-wide actions."""

    store: Store
    clock: Clock
    secrets: dict[int, str]
    """Client id → secret created or rotated in this run, for the playground to prefill."""
    database_label: str
    """Where the data lives, as the header shows it."""

    @property
    def endpoint_url(self) -> str:
        """Where the token endpoint listens, or would by default."""
        ...

    @property
    def endpoint_running(self) -> bool: ...

    def copy_text(self, text: str, what: str) -> None:
        """Copy to the clipboard and say where it went."""
        ...

    def open_tokens(self, client: ClientInfo | None) -> None: ...

    def open_users(self) -> None: ...

    def open_scopes(self) -> None: ...

    def open_devices(self) -> None: ...

    def open_playground(self, client: ClientInfo | None) -> None: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast; the app shows its text literally, control characters made visible."""
        ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any:
        """Textual's ``App.push_screen``."""
        ...
