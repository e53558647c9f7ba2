# ruff: noqa: F811 (the playground tests' fixtures, imported by name)
"""The playground against servers that are not ours: discovery, auth methods, the key pair,
and the code grant through a real browser's redirect (issue 17)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from textual.widgets import Input, Select, Static

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.records import CreatedClient, UserInfo
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.public_key import PublicKeyScreen
from authclients.tui.screens.save_target import SaveTargetScreen
from authclients.tui.widgets.playground.client_picker import ClientPicker
from tests.tui.conftest import FakeLocalClipboard
from tests.tui.test_playground import (  # noqa: F401 (fixtures)
    PASSWORD,
    alice,
    app,
    endpoint,
    fill,
    idle,
    open_playground,
    web,
)


class _Realm(BaseHTTPRequestHandler):
    """A Keycloak-style server: OpenID metadata under /realms/dev only."""

    issuer_override: str | None = None

    def do_GET(self) -> None:
        origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        issuer = f"{origin}/realms/dev"
        if self.path != "/realms/dev/.well-known/openid-configuration":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(
            {
                "issuer": self.server.issuer_override or issuer,  # type: ignore[attr-defined]
                "token_endpoint": getattr(self.server, "token_endpoint", "")
                or f"{issuer}/protocol/openid-connect/token",
                "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
                "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "scopes_supported": ["openid", "email\x1b[31m"],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def realm() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Realm)
    server.issuer_override = None  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _origin(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


async def test_discovery_reads_openid_metadata_and_offers_the_servers_methods(
    app: AuthClientsApp, web: CreatedClient, realm: ThreadingHTTPServer
) -> None:
    issuer = f"{_origin(realm)}/realms/dev"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        fill(screen, base_url=issuer)
        await pilot.click("#pg-discover")
        await idle(pilot)

        tried = [(d.request.url, d.response.status) for d in screen.history[-2:]]
        assert tried == [
            (f"{_origin(realm)}/.well-known/oauth-authorization-server/realms/dev", 404),
            (f"{issuer}/.well-known/openid-configuration", 200),
        ]
        assert screen.query_one("#pg-url-token", Input).value.endswith("openid-connect/token")
        source = str(screen.query_one("#pg-metadata-source", Static).render())
        assert source.startswith("OpenID Connect Discovery at ")
        table = str(screen.query_one("#pg-metadata-table", Static).render())
        assert "jwks_uri" in table and "\x1b" not in table and "␛" in table
        # Only what the server takes; basic is not among them, so the first it lists.
        auth = screen.query_one("#pg-auth-method", Select)
        assert [value for _, value in auth._options if value != Select.BLANK] == [
            "client_secret_post",
            "private_key_jwt",
        ]
        assert auth.value == "client_secret_post"
        assert screen.target.issuer == issuer


async def test_a_document_for_another_issuer_is_refused_and_nothing_changes(
    app: AuthClientsApp, web: CreatedClient, realm: ThreadingHTTPServer
) -> None:
    realm.issuer_override = "https://evil.example"  # type: ignore[attr-defined]
    issuer = f"{_origin(realm)}/realms/dev"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        fill(screen, base_url=issuer)
        await pilot.pause()
        before = screen.query_one("#pg-url-token", Input).value
        await pilot.click("#pg-discover")
        await idle(pilot)

        assert screen.query_one("#pg-url-token", Input).value == before
        outcome = str(screen.query_one("#pg-outcome").render())
        assert "evil.example" in outcome and "RFC 8414" in outcome


async def test_the_key_pair_shows_only_its_public_half_and_signs_assertions(
    app: AuthClientsApp, web: CreatedClient, local_clipboard: FakeLocalClipboard
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-auth-method", Select).value = "private_key_jwt"
        await pilot.pause()
        assert screen.query_one("#pg-key-pair").display
        await pilot.click("#pg-key-pair")
        await pilot.pause()
        assert isinstance(app.screen, PublicKeyScreen)
        first = screen.memory.key_pair
        await pilot.press("c")
        jwks = json.loads(local_clipboard.copied[-1])
        (key,) = jwks["keys"]
        assert key["kid"] == first.kid and "d" not in key
        await pilot.press("n")  # a new pair, shown again
        await pilot.pause()
        assert isinstance(app.screen, PublicKeyScreen)
        assert screen.memory.key_pair is not first
        await pilot.press("escape")
        await pilot.pause()
        # The request is signed with the pair: an assertion, no secret on the wire.
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await idle(pilot)
        sent = screen.history[-1].request
        assert "client_assertion=" in sent.body and "client_secret" not in sent.body


@pytest.fixture
def native(store: Store) -> CreatedClient:
    """A public client registered with a loopback redirect (any port, RFC 8252 §7.3)."""
    return store.clients.create(
        "CLI", ["http://127.0.0.1/callback"], authorization_code=True, public=True
    )


def _browser(url: str, username: str) -> None:
    """What a person does in the browser: sign in, approve, follow the redirect home."""
    dance = oc.AuthorizeDance(url)
    dance.start()
    dance.sign_in(username, PASSWORD)
    location = dance.decide(True)
    requests.get(location, timeout=10)


async def test_catch_in_a_browser_exchanges_the_code_the_redirect_brings(
    app: AuthClientsApp,
    native: CreatedClient,
    alice: UserInfo,
    local_clipboard: FakeLocalClipboard,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_playground(native.client)
        await pilot.pause()
        await idle(pilot)
        screen = app.screen
        assert screen.client.id == native.client.id
        await pilot.click("#pg-catch-redirect")
        await pilot.pause()
        redirect = screen.query_one("#pg-redirect-uri", Input).value
        assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
        url = local_clipboard.copied[-1]
        assert url == screen.code_flow.url and "code_challenge=" in url

        # A local process guessing at the catcher is reported, and the wait goes on.
        await asyncio.to_thread(requests.get, redirect + "?code=forged&state=guess", timeout=5)
        await asyncio.to_thread(_browser, url, "alice")
        for _ in range(100):
            await idle(pilot)
            if screen.history and screen.history[-1].request.title == "code exchange":
                break
            await asyncio.sleep(0.05)
        done = screen.history[-1]
        assert done.request.title == "code exchange" and done.response.status == 200
        assert "code=forged" not in done.request.body
        assert screen.tokens is not None and screen.tokens.access_token
        # The catcher is closed once it caught the redirect.
        with pytest.raises(requests.ConnectionError):
            requests.get(redirect, timeout=2)


async def test_a_saved_target_comes_back_in_a_later_run_with_its_keyring_secret(
    app: AuthClientsApp,
    web: CreatedClient,
    realm: ThreadingHTTPServer,
    memory_keyring: object,
    config_dir,
) -> None:
    issuer = f"{_origin(realm)}/realms/dev"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        fill(screen, base_url=issuer)
        await pilot.click("#pg-discover")
        await idle(pilot)
        screen.query_one(ClientPicker).type_in("cli", "client_secret_post")
        await pilot.pause()
        fill(screen, secret="kept-in-the-keyring", scope_client="read")
        await pilot.click("#pg-save-target")
        await pilot.pause()
        assert isinstance(app.screen, SaveTargetScreen)
        await pilot.press("ctrl+u", *"dev realm", "enter")
        await idle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = (config_dir / "targets.json").read_text()
        assert "dev realm" in saved and "kept-in-the-keyring" not in saved
        await pilot.press("escape")  # close the playground: what comes back is saved
        await pilot.pause()

        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen.query_one("#pg-saved", Select).value = "dev realm"
        await idle(pilot)
        await app.workers.wait_for_complete()
        await idle(pilot)
        assert screen.query_one("#pg-client-id", Input).value == "cli"
        assert screen.query_one("#pg-secret", Input).value == "kept-in-the-keyring"
        assert screen.query_one("#pg-auth-method", Select).value == "client_secret_post"
        assert screen.query_one("#pg-scope-client", Input).value == "read"
        # And its endpoints discovered again.
        assert screen.query_one("#pg-url-token", Input).value.endswith("openid-connect/token")


async def test_a_token_endpoint_on_another_host_is_used_and_named(
    app: AuthClientsApp, web: CreatedClient, realm: ThreadingHTTPServer
) -> None:
    """Allowed (Google's is), but the secret goes there: the outcome line says where."""
    realm.token_endpoint = "https://tokens.example.net/token"  # type: ignore[attr-defined]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_playground(pilot, web)
        screen.query_one("#pg-target-kind", Select).value = "custom"
        await pilot.pause()
        fill(screen, base_url=f"{_origin(realm)}/realms/dev")
        await pilot.click("#pg-discover")
        await idle(pilot)
        assert screen.query_one("#pg-url-token", Input).value == "https://tokens.example.net/token"
        outcome = str(screen.query_one("#pg-outcome").render())
        assert "on another host: https://tokens.example.net/token" in outcome
