"""A hostile "another server" cannot reach the admin's terminal through the playground.

The server answers discovery and token requests with escape sequences in its
reason phrase, header names and values and JSON values: OSC 0 (retitle the
window), OSC 52 (write the clipboard), CSI 2J (clear the screen), a C1 CSI and
a bidi override. The Pilot drives the playground against it, and what the
screen renders must show them as visible characters (␛), never obey them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static, TabbedContent

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.playground import PlaygroundScreen

OSC_TITLE = "\x1b]0;PWNED\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b"
BIDI = "\u202e"
HOSTILE = OSC_TITLE + OSC_CLIPBOARD + CLEAR + C1_CSI + "31m" + BIDI + "gnp.exe"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e")


class HostileServer:
    """An HTTP server on 127.0.0.1 writing raw bytes: escapes in every place it can put them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.paths: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                peer, _ = self.sock.accept()
            except OSError:
                return  # closed
            with peer:
                self._answer(peer)

    def _answer(self, peer: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = peer.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(body) < length:
            body += peer.recv(65536)
        path = lines[0].split(" ")[1]
        self.paths.append(path)
        if path.startswith("/oauth/authorize"):
            page = (
                f"<html><h1>Sign in {HOSTILE}</h1><p class='error'>{HOSTILE}</p>"
                "<form method='post'><input type='hidden' name='csrf' value='x'>"
                "<input name='username'><input type='password' name='password'></form></html>"
            ).encode()
            peer.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: " + str(len(page)).encode() + b"\r\nConnection: close\r\n\r\n"
            )
            peer.sendall(page)
            return
        if path.startswith("/.well-known/"):
            document: dict[str, object] = {
                "issuer": HOSTILE,
                "token_endpoint": f"{self.base}/oauth/token",
                "revocation_endpoint": f"{self.base}/oauth/revoke{OSC_TITLE}",
                "grant_types_supported": [HOSTILE],
            }
        else:
            document = {
                "access_token": "at-" + HOSTILE,
                "token_type": "Bearer" + CLEAR,
                "expires_in": 3600,
                "scope": "read " + HOSTILE,
                "refresh_token": "rt-" + OSC_CLIPBOARD,
                HOSTILE: HOSTILE,
            }
        # ASCII JSON with \\u escapes: the parsed values carry the real control characters.
        payload = json.dumps(document).encode("ascii")
        reason = ("OK " + OSC_TITLE + CLEAR).encode("latin-1") + BIDI.encode("utf-8")
        headers = [
            b"Content-Type: application/json",
            b"Content-Length: " + str(len(payload)).encode(),
            b"X-Title: " + OSC_TITLE.encode("latin-1"),
            b"X-Clipboard: " + OSC_CLIPBOARD.encode("latin-1"),
            b"X-Csi: " + (CLEAR + C1_CSI + "31m").encode("latin-1"),
            b"X-Bidi: " + BIDI.encode("utf-8") + b"txt.exe",
            b"X-" + C1_CSI.encode("latin-1") + b"Name: value",
            b"Connection: close",
        ]
        peer.sendall(b"HTTP/1.1 200 " + reason + b"\r\n" + b"\r\n".join(headers))
        peer.sendall(b"\r\n\r\n" + payload)

    def close(self) -> None:
        # close() alone does not wake a thread blocked in accept() (Linux): each test
        # waited out the join's 5 s. shutdown() makes accept() fail at once.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


async def _idle(pilot: Pilot, screen: PlaygroundScreen) -> None:
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if screen.pending == 0 and not pilot.app.workers._workers:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the playground did not settle")


def _shown_text(screen: PlaygroundScreen) -> str:
    """What every widget of the screen shows (a password input shows bullets, not its value)."""
    parts: list[str] = []
    for widget in screen.query("*"):
        if isinstance(widget, Label | Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, Input) and not widget.password:
            parts.append(widget.value)
        elif isinstance(widget, DataTable):
            parts += [" ".join(map(str, widget.get_row_at(r))) for r in range(widget.row_count)]
    return "\n".join(parts)


def _assert_safe(text: str, where: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, f"{where} carries {char!r}"


async def test_a_hostile_server_shows_as_visible_escapes(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, hostile: HostileServer
) -> None:
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(120, 60), notifications=True) as pilot:
        await pilot.pause()
        app.open_playground(None)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        await _idle(pilot, screen)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#pg-base-url", Input).value = hostile.base
        await pilot.click("#pg-discover")
        await _idle(pilot, screen)
        assert hostile.paths == ["/.well-known/oauth-authorization-server"]
        # A metadata URL with control characters in it is not used.
        assert screen.query_one("#pg-url-revoke", Input).value == f"{hostile.base}/oauth/revoke"
        assert screen.query_one("#pg-url-token", Input).value == f"{hostile.base}/oauth/token"
        screen.query_one("#pg-client-id", Input).value = "1"
        screen.query_one("#pg-secret", Input).value = "s3cret"
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await _idle(pilot, screen)
        assert hostile.paths[-1] == "/oauth/token"
        assert screen.tokens is not None and OSC_TITLE in screen.tokens.access_token
        await pilot.press("ctrl+t")  # introspect: the hostile server answers that too
        await _idle(pilot, screen)

        panels = screen.query_one("#pg-panels", TabbedContent)
        rendered: dict[str, str] = {}
        for tab in ("tab-request", "tab-curl", "tab-response", "tab-token", "tab-history"):
            panels.active = tab
            await pilot.pause()
            panels.scroll_visible(animate=False)
            await pilot.pause()
            rendered[tab] = app.export_screenshot()
            _assert_safe(rendered[tab], f"the screen with {tab}")
        text = _shown_text(screen)
        _assert_safe(text, "the playground's widgets")
        for message in (n.message for n in app._notifications):
            _assert_safe(message, "a toast")

        # What was there is shown, visibly: headers with ␛, reason phrase, JSON escaped.
        response = str(screen.query_one("#pg-response").render())
        assert "X-Title: ␛]0;PWNED␇" in response
        assert "X-Clipboard: ␛]52;c;" in response
        assert "X-Csi: ␛[2J<U+009B>31m" in response
        assert response.startswith("HTTP/1.1 200 OK ␛]0;PWNED␇␛[2J")
        token = str(screen.query_one("#pg-token").render())
        assert "access token  at-␛]0;PWNED␇␛]52;c;" in token
        assert "<U+202E>gnp.exe" in token
        assert "refresh token rt-␛]52;c;" in token
        assert "\\u001b]0;PWNED" in token  # the introspection answer, as JSON
        assert "␛" in rendered["tab-token"]
        assert "<U+009B>" in rendered["tab-response"] or "U+009B" in rendered["tab-response"]


async def test_a_hostile_sign_in_page_shows_as_visible_escapes(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, hostile: HostileServer
) -> None:
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_playground(None)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        await _idle(pilot, screen)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        screen.query_one("#pg-base-url", Input).value = hostile.base
        screen.query_one("#pg-client-id", Input).value = "1"
        screen.query_one("#pg-redirect-uri", Input).value = "https://app.example/cb"
        await pilot.pause()
        await pilot.press("ctrl+n")
        for _ in range(200):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            if hostile.paths and not pilot.app.workers._workers:
                break
            await asyncio.sleep(0.02)
        await pilot.pause()
        dialog = app.screen
        assert dialog is not screen and hostile.paths[-1].startswith("/oauth/authorize")
        status = str(dialog.query_one("#az-status", Static).render())
        assert "␛]0;PWNED␇" in status
        _assert_safe(status, "the sign-in dialog's status")
        _assert_safe(app.export_screenshot(), "the screen with the sign-in dialog")
