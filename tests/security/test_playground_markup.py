"""A hostile "other server" cannot put Textual markup on the admin's screen.

Its RFC 8414 document names a token endpoint whose URL holds markup. The
playground uses it (it has no control characters, so it passes the discovery
filter), sends the request there, and lists it in the History tab: a
``DataTable`` reads a ``str`` cell as markup, so the URL became a link.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
from textual.widgets import DataTable, Input, Select, TabbedContent

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.playground import PlaygroundScreen
from tests.tui.test_playground_terminal_safety import HostileServer, _idle

MARKUP = "[link=https://evil.example/]x[/link][reverse]"


class MarkupServer(HostileServer):
    """The hostile server, whose discovery names a token endpoint with markup in its URL."""

    def _answer(self, peer: socket.socket) -> None:
        peer.settimeout(5)
        head = peer.recv(65536)
        if b" /.well-known/" not in head.split(b"\r\n", 1)[0]:
            # Not discovery: answer as the hostile server does (request already read).
            self.paths.append(head.split(b" ")[1].decode("latin-1"))
            payload = json.dumps({"access_token": "at", "token_type": "Bearer"}).encode()
            peer.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + payload
            )
            return
        self.paths.append("/.well-known/oauth-authorization-server")
        # RFC 8414 §3.3: the issuer must be the one asked for, or the document is refused.
        payload = json.dumps({"issuer": self.base, "token_endpoint": f"{self.base}/{MARKUP}"})
        payload = payload.encode()
        peer.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + payload
        )


@pytest.fixture
def markup_server() -> Iterator[MarkupServer]:
    server = MarkupServer()
    yield server
    server.close()


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


async def test_history_shows_a_hostile_url_literally(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, markup_server: MarkupServer
) -> None:
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.open_playground(None)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        await _idle(pilot, screen)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#pg-base-url", Input).value = markup_server.base
        await pilot.click("#pg-discover")
        await _idle(pilot, screen)
        token_url = screen.query_one("#pg-url-token", Input).value
        assert MARKUP in token_url
        screen.query_one("#pg-client-id", Input).value = "1"
        screen.query_one("#pg-secret", Input).value = "s3cret"
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await _idle(pilot, screen)
        screen.query_one("#pg-panels", TabbedContent).active = "tab-history"
        await pilot.pause()
        table = screen.query_one("#pg-history", DataTable)
        assert table.row_count == 2
        # What the table draws for the token request's row (line 0 is the header).
        drawn = table.render_line(2)
        assert "[link=https://evil.example/]x[/link]" in drawn.text, drawn.text
        assert not any(seg.style and seg.style.link for seg in drawn), "the URL became a link"
