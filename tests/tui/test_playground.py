"""The token playground driven by Pilot against a real endpoint on an ephemeral port."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerState

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.authorize_here import AuthorizeHereScreen
from authclients.tui.screens.playground import PlaygroundScreen

PASSWORD = "correct horse battery"
REDIRECT = "https://app.example.com/callback"


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


@pytest.fixture
def web(store: Store) -> CreatedClient:
    """A confidential client with every grant."""
    return store.clients.create(
        "Web app",
        [REDIRECT],
        authorization_code=True,
        password=True,
        personal_access=True,
        client_credentials=True,
        scopes="read write",
    )


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


@pytest.fixture
def app(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, web: CreatedClient
) -> AuthClientsApp:
    built = make_app(endpoint=endpoint)
    # As if the secret had been revealed in this run: the playground prefills it.
    built.secrets[web.client.id] = web.secret or ""
    return built


async def idle(pilot: Pilot) -> None:
    """Wait until every request of the playground has come back and been shown."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = _playground(app)
        if screen.pending == 0 and not app.workers._workers:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the playground did not settle")


def _playground(app: AuthClientsApp) -> PlaygroundScreen:
    for screen in reversed(app.screen_stack):
        if isinstance(screen, PlaygroundScreen):
            return screen
    raise AssertionError("no playground open")


async def open_playground(pilot: Pilot, client: CreatedClient | None) -> PlaygroundScreen:
    """From the clients screen: highlight the client and press p (or the palette's way)."""
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    if client is None:
        app.open_playground(None)
    else:
        await pilot.press("p")
    await pilot.pause()
    await idle(pilot)
    return _playground(app)


def fill(screen: PlaygroundScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#pg-{name.replace('_', '-')}", Input).value = value


def text_of(screen: PlaygroundScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def last(screen: PlaygroundScreen) -> dict:
    done = screen.history[-1]
    assert done.response is not None, done.error
    return done.response.json() or {}


async def call_api(pilot: Pilot, screen: PlaygroundScreen) -> int:
    await pilot.press("ctrl+o")
    await idle(pilot)
    done = screen.history[-1]
    assert done.request.title.startswith("GET /api/1.0/users/me")
    assert done.response is not None
    return done.response.status


async def test_password_grant_keyboard_only_then_api_introspect_refresh_revoke(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo, clock: ManualClock
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        assert screen.client is not None and screen.client.id == web.client.id
        # The secret revealed in this run is prefilled, not shown.
        assert screen.query_one("#pg-secret", Input).value == web.secret
        assert screen.grant == "password"
        screen.query_one("#pg-username", Input).focus()
        await pilot.press(*"alice", "tab", *PASSWORD, "tab", *"read")
        await pilot.press("ctrl+s")
        await idle(pilot)
        body = last(screen)
        assert body["token_type"] == "Bearer" and body["scope"] == "read"
        assert screen.tokens is not None and screen.tokens.access_token == body["access_token"]
        # The request panel masks the password and the Basic header; the curl line too.
        request = text_of(screen, "#pg-request")
        assert PASSWORD.replace(" ", "+") not in request and "password=••••••" in request
        assert "Authorization: Basic ••••••" in request
        assert web.secret not in text_of(screen, "#pg-curl")
        assert '"access_token"' in text_of(screen, "#pg-response")
        assert "expires       1 h 00 min left" in text_of(screen, "#pg-token")
        # The countdown follows the app's clock.
        clock.advance(timedelta(seconds=61))
        await pilot.pause(1.1)
        assert "expires       58:59 left" in text_of(screen, "#pg-token")

        assert await call_api(pilot, screen) == 200
        assert last(screen)["user"] == {"id": alice.id, "username": "alice"}

        await pilot.press("ctrl+t")
        await idle(pilot)
        assert last(screen)["active"] is True
        assert '"active": true' in text_of(screen, "#pg-token")

        old = screen.tokens.access_token
        await pilot.press("ctrl+r")
        await idle(pilot)
        assert screen.history[-1].request.title == "refresh"
        assert screen.tokens.access_token != old
        assert await call_api(pilot, screen) == 200

        await pilot.press("ctrl+g")
        await idle(pilot)
        assert screen.history[-1].request.title == "revoke"
        assert screen.history[-1].response.status == 200
        assert await call_api(pilot, screen) == 401
        assert "Get a new token (Send)" in screen.history[-1].hint


async def test_copy_actions_and_history(
    app: AuthClientsApp, web: CreatedClient, local_clipboard: object
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await idle(pilot)
        token = screen.tokens.access_token
        await pilot.press("ctrl+y")
        await pilot.press("ctrl+l")
        await pilot.pause()
        copied = local_clipboard.copied  # type: ignore[attr-defined]
        assert copied[0] == token
        assert copied[1].startswith("curl -sS -i -X POST ") and "Authorization: Basic" in copied[1]
        assert "••" not in copied[1]
        assert await call_api(pilot, screen) == 200
        assert last(screen)["user"] is None
        # History: select the first request; its response shows again.
        await pilot.press("f3")
        await pilot.pause()
        assert app.focused is screen.query_one("#pg-history", DataTable)
        table = screen.query_one("#pg-history", DataTable)
        assert table.row_count == 2
        table.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.shown is screen.history[0]
        assert '"token_type": "Bearer"' in text_of(screen, "#pg-response")

        # Closed and opened again in the same run: the history and the token are still there.
        await pilot.press("escape")
        await pilot.pause()
        again = await open_playground(pilot, web)
        assert again is not screen
        assert again.query_one("#pg-history", DataTable).row_count == 2
        assert again.tokens is not None and again.tokens.access_token == token
        assert token in text_of(again, "#pg-token")


async def test_authorization_code_with_pkce_signed_in_here(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.select_grant("authorization_code")
        fill(screen, scope_code="read write")
        await pilot.pause()
        url = str(screen.query_one("#pg-authorize-url", Static).render())
        assert "code_challenge_method=S256" in url.replace("\n", "")
        assert screen.pkce.challenge in text_of(screen, "#pg-pkce")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, AuthorizeHereScreen)
        assert "Sign in to continue to Web app" in str(modal.query_one("#az-status").render())
        # A wrong password: the server's page says so, the dialog stays.
        modal.query_one("#az-username", Input).value = "alice"
        modal.query_one("#az-password", Input).focus()
        await pilot.press(*"wrong", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "incorrect" in str(modal.query_one("#az-status").render())
        modal.query_one("#az-password", Input).value = PASSWORD
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        consent = str(modal.query_one("#az-consent-text").render())
        assert "Authorize Web app?" in consent and "alice" in consent
        assert "read, write" in consent
        await pilot.press("enter")  # Approve has the focus
        await idle(pilot)
        assert app.screen is screen
        titles = [d.request.title for d in screen.history]
        assert titles == [
            "authorize",
            "authorize: sign in",
            "authorize: sign in",
            "authorize: approve",
            "code exchange",
        ]
        assert screen.history[3].response.status == 302
        assert screen.query_one("#pg-code", Input).value
        body = last(screen)
        assert body["scope"] == "read write" and body["refresh_token"]
        assert await call_api(pilot, screen) == 200
        assert last(screen)["grant_type"] == "authorization_code"


async def test_authorization_code_deny(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        modal = app.screen
        modal.query_one("#az-username", Input).value = "alice"
        modal.query_one("#az-password", Input).value = PASSWORD
        await pilot.click("#az-submit")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.click("#az-deny")
        await idle(pilot)
        assert app.screen is screen
        assert screen.history[-1].request.title == "authorize: deny"
        assert "access_denied" in screen.history[-1].response.header("Location")
        outcome = text_of(screen, "#pg-outcome")
        assert "access_denied" in outcome and "Deny" in outcome
        assert screen.tokens is None and screen.query_one("#pg-code", Input).value == ""


async def test_pasted_redirect_state_mismatch_and_match(
    app: AuthClientsApp, web: CreatedClient
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.select_grant("authorization_code")
        fill(screen, redirect_paste=f"{REDIRECT}?code=abc&state=forged")
        screen.query_one("#pg-redirect-paste", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "State mismatch" in text_of(screen, "#pg-outcome")
        assert screen.query_one("#pg-code", Input).value == ""
        # The right state: the code is taken (and, being made up, refused on exchange).
        fill(screen, redirect_paste=f"{REDIRECT}?code=abc&state={screen.pkce.state}")
        screen.query_one("#pg-redirect-paste", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#pg-code", Input).value == "abc"
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert last(screen)["error"] == "invalid_grant"
        assert "code was used already, expired" in screen.history[-1].hint


async def test_personal_access_token_through_the_store(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.select_grant("personal_access")
        fill(screen, pat_username="alice", pat_name="laptop", pat_scopes="read", pat_days="7")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.tokens is not None and screen.tokens.source == "personal access token"
        info = store.tokens.find(screen.tokens.access_token)
        assert info is not None and info.name == "laptop" and info.scopes == ("read",)
        shell = text_of(screen, "#pg-curl")
        assert "authclients tokens create-pat" in shell
        assert "--user alice" in shell and "--name laptop" in shell and "--scopes read" in shell
        assert await call_api(pilot, screen) == 200
        assert last(screen)["grant_type"] == "personal_access"

        # A name with a space reaches the shell line decoded and quoted.
        fill(screen, pat_name="my laptop")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert "--name 'my laptop'" in text_of(screen, "#pg-curl")

        # Two quick Sends: both tokens are made, and both are shown (each only once).
        made = len(store.tokens.list(username="alice"))
        sent = len(screen.history)
        await pilot.press("ctrl+s", "ctrl+s")
        await idle(pilot)
        assert screen.pending == 0
        assert len(store.tokens.list(username="alice")) == made + 2
        assert len(screen.history) == sent + 2

        # A mistyped user is named as such, not as "deleted elsewhere".
        fill(screen, pat_username="alcie")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert "No user named 'alcie'." in text_of(screen, "#pg-outcome")


async def test_grants_the_client_lacks_are_disabled_with_the_reason(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, store: Store
) -> None:
    batch = store.clients.create("Batch job", client_credentials=True)
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, batch)
        assert screen.grant == "client_credentials"
        assert screen.query_one("#pg-grant-password").disabled
        notes = text_of(screen, "#pg-grant-notes")
        assert "Password: “Password grant” is off for this client" in notes
        # Signing in here needs the code grant: refused with the reason, nothing opened.
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "is off for this client" in text_of(screen, "#pg-outcome")
        assert app.screen is screen and screen.grant == "client_credentials"
        # Its secret was not revealed in this run: typed by hand.
        assert screen.query_one("#pg-secret", Input).value == ""
        fill(screen, secret=batch.secret or "")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.tokens is not None
        assert await call_api(pilot, screen) == 200


async def test_hint_unauthorized_client_names_the_switch(
    app: AuthClientsApp, store: Store, alice: UserInfo
) -> None:
    batch = store.clients.create("Batch job", client_credentials=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, None)
        # Typed by hand: every grant is offered, the server decides.
        assert screen.query_one("#pg-client", Select).value == -1
        fill(screen, client_id=str(batch.client.id), secret=batch.secret or "")
        screen.select_grant("password")
        fill(screen, username="alice", password=PASSWORD)
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert last(screen)["error"] == "unauthorized_client"
        outcome = text_of(screen, "#pg-outcome")
        assert f"Turn on “Password grant” for client {batch.client.id} (“Batch job”)" in outcome


async def test_palette_and_back(
    app: AuthClientsApp, web: CreatedClient, local_clipboard: object
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_playground()
        await pilot.pause()
        await idle(pilot)
        screen = _playground(app)
        assert screen.client is None
        options = [value for _, value in screen.query_one("#pg-client", Select)._options]
        assert web.client.id in options
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "No access token yet" in text_of(screen, "#pg-outcome")
        # The palette offers the screen's actions: copy the authorize URL for a browser.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"copy authorize")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        copied = local_clipboard.copied  # type: ignore[attr-defined]
        assert copied and "/oauth/authorize?response_type=code" in copied[-1]
        assert f"state={screen.pkce.state}" in copied[-1]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PlaygroundScreen)


async def sign_in_here(pilot: Pilot, *, approve: bool) -> None:
    """ctrl+n, then sign in as alice and answer the consent, keyboard only."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, AuthorizeHereScreen)
    await pilot.press(*"alice", "tab", *PASSWORD, "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    if not approve:
        await pilot.press("tab")  # from Approve to Deny
    await pilot.press("enter")
    await idle(pilot)


async def test_public_client_code_flow_then_refresh_without_a_secret(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, store: Store, alice: UserInfo
) -> None:
    mobile = store.clients.create(
        "Mobile app", ["com.example.app:/callback"], authorization_code=True, public=True
    )
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, mobile)
        assert screen.grant == "authorization_code"
        assert screen.query_one("#pg-grant-client_credentials").disabled
        assert "public client has no secret" in text_of(screen, "#pg-grant-notes")
        await sign_in_here(pilot, approve=True)
        body = last(screen)
        assert body["refresh_token"] and "client_id=" in screen.history[-1].request.body
        old = screen.tokens.access_token
        await pilot.press("ctrl+r")
        await idle(pilot)
        assert screen.tokens.access_token != old
        # The old access token died with its rotated refresh token.
        assert await call_api(pilot, screen) == 200


async def test_closing_with_a_request_out_drops_its_answer(
    app: AuthClientsApp, web: CreatedClient
) -> None:
    # A server that accepts and never answers: the request is still out when we leave.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_playground(pilot, web)
            # Long enough that escape lands first even on a loaded machine.
            screen.timeout = 3.0
            fill(screen, url_token=f"http://127.0.0.1:{port}/oauth/token")
            screen.select_grant("client_credentials")
            await pilot.press("ctrl+s")
            # Wait until the worker thread runs (it then waits on the silent server).
            for _ in range(250):
                if any(w.state == WorkerState.RUNNING for w in app.workers):
                    break
                await pilot.pause(0.02)
            assert screen.pending == 1
            await pilot.press("escape")
            # The screen's worker is forgotten with it; its thread ends at the timeout.
            for _ in range(600):
                await pilot.pause(0.02)
                if screen.pending == 0:
                    break
            assert not isinstance(app.screen, PlaygroundScreen)
            # The timeout came to a closed screen: nothing was drawn or recorded.
            assert screen.pending == 0 and screen.history == []


async def test_refresh_token_grant_from_the_form_with_a_narrower_scope(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        fill(screen, username="alice", password=PASSWORD, scope_password="read write")
        await pilot.press("ctrl+s")
        await idle(pilot)
        first = last(screen)
        screen.select_grant("refresh_token")
        # Prefilled from the last response; a pasted one would do the same.
        assert screen.query_one("#pg-refresh-token", Input).value == first["refresh_token"]
        fill(screen, scope_refresh="read")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert last(screen)["scope"] == "read"
        assert screen.tokens.scope == "read"
        # Rotation: the same refresh token again is refused, and the hint says why.
        fill(screen, refresh_token=first["refresh_token"])
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert last(screen)["error"] == "invalid_grant"
        assert "used already (rotation)" in text_of(screen, "#pg-outcome")


async def test_unregistered_redirect_is_named_by_the_dialog(
    app: AuthClientsApp, web: CreatedClient, endpoint: TokenEndpoint
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        fill(screen, base_url=endpoint.url, redirect_uri="https://evil.example/cb")
        screen.query_one("#pg-base-url", Input).focus()
        await pilot.press("enter")  # the typed base URL sets the endpoint URLs
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AuthorizeHereScreen)
        status = str(dialog.query_one("#az-status").render())
        assert "redirect_uri is not registered" in status
        await pilot.press("enter")  # Close
        await idle(pilot)
        outcome = text_of(screen, "#pg-outcome")
        assert "Authorization stopped: The redirect_uri is not registered" in outcome
        assert "open it in a browser" in outcome
        assert screen.history[-1].response.status == 400


class _MetadataOnly(BaseHTTPRequestHandler):
    """A server whose RFC 8414 metadata names paths that are not Passport's."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        body = json.dumps(
            {"issuer": base, "token_endpoint": f"{base}/v2/token", "revocation_endpoint": ""}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


async def test_hints_invalid_client_then_stopped_endpoint(
    app: AuthClientsApp, web: CreatedClient, endpoint: TokenEndpoint
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        fill(screen, secret="not-the-secret")
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.history[-1].response.status == 401
        assert last(screen)["error"] == "invalid_client"
        assert "wrong or was rotated" in text_of(screen, "#pg-outcome")

        endpoint.stop()
        await pilot.press("ctrl+s")
        await idle(pilot)
        done = screen.history[-1]
        assert done.response is None and "refused" in done.error
        outcome = text_of(screen, "#pg-outcome")
        assert "Connection refused" in outcome and "endpoint is not running" in outcome
        assert screen.query_one("#pg-history", DataTable).get_row_at(1)[1].plain == "refused"


async def test_other_server_discovery_and_edited_urls(
    app: AuthClientsApp, web: CreatedClient, endpoint: TokenEndpoint
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _MetadataOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_playground(pilot, web)
            screen.query_one("#pg-target-kind", Select).value = "custom"
            await pilot.pause()
            # A personal token is made in the store: not for another server.
            assert screen.query_one("#pg-grant-personal_access").disabled
            fill(screen, base_url="http://203.0.113.9")
            await pilot.pause()
            # Typing a base URL moves the endpoint URLs with it.
            token_url = screen.query_one("#pg-url-token", Input)
            assert token_url.value == "http://203.0.113.9/oauth/token"
            fill(screen, base_url=base + "/")
            await pilot.click("#pg-discover")
            await idle(pilot)
            assert (
                screen.history[-1].request.url == f"{base}/.well-known/oauth-authorization-server"
            )
            # The metadata's URLs are kept; what it leaves out keeps Passport's path.
            assert token_url.value == f"{base}/v2/token"
            assert screen.query_one("#pg-url-revoke", Input).value == f"{base}/oauth/revoke"
            assert screen.query_one("#pg-base-url", Input).value == base
            # An edited URL is used as typed: a wrong one is a 404, explained.
            fill(screen, url_token=f"{endpoint.url}/nowhere")
            screen.select_grant("client_credentials")
            await pilot.press("ctrl+s")
            await idle(pilot)
            assert screen.history[-1].response.status == 404
            assert "Wrong URL" in screen.history[-1].hint
    finally:
        server.shutdown()
        server.server_close()
