"""The outcome line over the tabs of the last exchange: request, curl, response, token, history."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from authclients.store import oauth_client as oc
from authclients.tui.widgets.playground.exchange_panels import (
    CurlPanel,
    OutcomeLine,
    RequestPanel,
    ResponsePanel,
)
from authclients.tui.widgets.playground.history import HistoryTable
from authclients.tui.widgets.playground.jwt_view import JwtView
from authclients.tui.widgets.playground.token_panel import TokenPanel


class ExchangeView(Vertical):
    """What was sent and what came back, this run's history, and the tokens.

    It shows; it does not send: the screen hands it exchanges as they come back.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pg-section")
        self.history: list[oc.Exchange] = []
        """This run's exchanges; the screen shares its list (it outlives the screen)."""
        self.shown: oc.Exchange | None = None
        self.show_secrets = False

    def compose(self) -> ComposeResult:
        yield OutcomeLine("Choose a grant, fill it in, and Send (ctrl+s).", id="pg-outcome")
        with TabbedContent(id="pg-panels"):
            with TabPane("Request", id="tab-request"):
                yield RequestPanel("", id="pg-request", classes="pg-panel")
            with TabPane("curl", id="tab-curl"):
                yield CurlPanel("", id="pg-curl", classes="pg-panel")
            with TabPane("Response", id="tab-response"):
                yield ResponsePanel("", id="pg-response", classes="pg-panel")
            with TabPane("Token", id="tab-token"):
                yield TokenPanel("No token yet.", id="pg-token", classes="pg-panel")
                yield JwtView(id="pg-jwt", classes="pg-panel")
            with TabPane("History", id="tab-history"):
                yield HistoryTable(id="pg-history")

    def restore(self, history: list[oc.Exchange]) -> None:
        """Use ``history`` (earlier openings' requests) and list it."""
        self.history = history
        table = self.query_one(HistoryTable)
        for index, done in enumerate(history):
            table.add_exchange(index, done)

    def say(self, message: str, hint: str = "", *, error: bool = False) -> None:
        self.query_one(OutcomeLine).say(message, hint, error=error)

    def record(self, done: oc.Exchange) -> None:
        self.history.append(done)
        self.query_one(HistoryTable).add_exchange(len(self.history) - 1, done)

    def show(self, done: oc.Exchange | None) -> None:
        """Fill the request, curl and response panels with ``done`` (or say nothing yet)."""
        self.shown = done
        self.query_one(RequestPanel).show(done, show_secrets=self.show_secrets)
        self.query_one(CurlPanel).show(done, show_secrets=self.show_secrets)
        self.query_one(ResponsePanel).show(done)

    def received(self, done: oc.Exchange) -> None:
        """Record and show an answer, say how it went, and turn to the response."""
        self.record(done)
        self.show(done)
        response = done.response
        if done.request.method == "STORE" and done.ok:
            self.say(f"Created in the store · {done.request.title}")
        elif response is not None and done.ok:
            self.say(
                f"{response.status} {response.reason} · {done.request.title}"
                f" · {response.elapsed_ms:.0f} ms"
            )
        else:
            fallback = f"{done.status_text} · {done.request.title}"
            self.say(done.error or fallback, done.hint, error=True)

    def to_response(self) -> None:
        """Turn to the response tab, unless the admin is reading the history."""
        panels = self.query_one(TabbedContent)
        if panels.active != "tab-history":
            panels.active = "tab-response"

    def toggle_secrets(self) -> bool:
        """Show or mask secrets in the panels; True when they are shown now."""
        self.show_secrets = not self.show_secrets
        self.show(self.shown)
        return self.show_secrets

    def show_tokens(
        self,
        tokens: oc.TokenSet | None,
        introspection: dict[str, object] | None,
        now: float,
        *,
        revoked: bool = False,
    ) -> None:
        self.query_one(TokenPanel).show(tokens, introspection, now, revoked=revoked)

    def show_decoded(self, reports: list[oc.TokenReport], now: float) -> None:
        """The tokens decoded, their signatures and checks (``JwtView``)."""
        self.query_one(JwtView).show(reports, now)

    def show_history(self) -> None:
        self.query_one(TabbedContent).active = "tab-history"
        # The pane shows on the next refresh; focusing it then scrolls it into view.
        self.call_after_refresh(self.query_one(HistoryTable).focus)

    @on(HistoryTable.Chosen)
    def _chosen(self, event: HistoryTable.Chosen) -> None:
        done = self.history[event.index]
        self.show(done)
        status = "store" if done.request.method == "STORE" else done.status_text
        self.say(f"History #{event.index + 1}: {status} · {done.request.title}", done.hint)
        self.query_one(TabbedContent).active = "tab-response"
