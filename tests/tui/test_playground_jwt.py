"""The playground decodes and verifies every JWT it receives: keys pressed, the screen read.

Against the embedded endpoint (JWT clients, its /oauth/jwks) and against
another server (``tests.jwt_issuer.Issuer``, real HTTP) whose tokens can be
forged, hostile or signed with a key it does not publish.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from rich.console import Console
from textual.content import Content
from textual.widgets import Select, Static, TabbedContent

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.playground import PlaygroundScreen
from authclients.tui.widgets.playground.jwt_view import JwtSection
from tests.jwt_issuer import Issuer, new_key, sign
from tests.tui.test_playground import PASSWORD, REDIRECT, fill, idle, open_playground, sign_in_here


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


@pytest.fixture
def jwt_client(store: Store) -> CreatedClient:
    return store.clients.create(
        "OIDC app",
        [REDIRECT],
        authorization_code=True,
        client_credentials=True,
        scopes="openid profile read",
        token_format="jwt",
    )


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


@pytest.fixture
def app(
    make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint, jwt_client: CreatedClient
) -> AuthClientsApp:
    built = make_app(endpoint=endpoint)
    built.secrets[jwt_client.client.id] = jwt_client.secret or ""
    return built


@pytest.fixture
def issuer(clock: ManualClock) -> Iterator[Issuer]:
    # Another server's tokens are stamped by the wall clock: the app's must agree.
    clock.set(datetime.now(UTC))
    server = Issuer(new_key("EC", "ec-1"))
    yield server
    server.close()


def plain(static: Static) -> str:
    """A Static's text; a Rich renderable (the members table) drawn 200 columns wide."""
    content = static.content
    if isinstance(content, str | Content):
        return str(content)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def section(screen: PlaygroundScreen, label: str) -> str:
    """What the decoded view shows for one token, as plain text (title, status, members)."""
    for widget in screen.query(JwtSection):
        if widget.label == label:
            assert widget.display, f"{label} is not shown"
            return "\n".join(plain(s) for s in widget.query(Static) if s.display)
    raise AssertionError(label)


async def show_token_tab(pilot, screen: PlaygroundScreen) -> None:
    screen.query_one("#pg-panels", TabbedContent).active = "tab-token"
    await pilot.pause()


async def test_jwt_client_credentials_from_the_embedded_endpoint_verifies_green(
    app: AuthClientsApp, jwt_client: CreatedClient, endpoint: TokenEndpoint
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, jwt_client)
        screen.select_grant("client_credentials")
        fill(screen, scope_client="read")
        await pilot.press("ctrl+s")
        await idle(pilot)
        [report] = screen.reports
        assert report.jwt is not None and report.jwt.typ == "at+jwt"
        assert report.signature is not None and report.signature.valid, report.signature
        assert all(check.ok for check in report.checks), report.checks
        await show_token_tab(pilot, screen)
        shown = section(screen, "access token")
        kid = report.jwt.kid
        assert f"access token: JWT · ES256 · kid {kid}" in shown
        assert f"signature valid, key kid {kid}" in shown
        assert f"iss       {endpoint.url}" not in shown  # the table, not a raw dump
        assert "client_id" in shown and str(jwt_client.client.id) in shown
        # Times as dates and "in N min" by the app's clock.
        assert "in 10 min" in shown or "in 1 h" in shown
        # The key set was fetched once, over HTTP, from the endpoint's /oauth/jwks.
        assert screen.memory.jwks.fetches == 1
        assert screen.target.jwks_url == f"{endpoint.url}/oauth/jwks"


async def test_code_grant_with_openid_sends_a_nonce_and_checks_the_id_token(
    app: AuthClientsApp, jwt_client: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, jwt_client)
        screen.select_grant("authorization_code")
        fill(screen, scope_code="openid read")
        await pilot.pause()
        nonce = screen.pkce.nonce
        assert f"nonce={nonce}" in screen.code_flow.url
        assert f"nonce {nonce} (openid)" in str(screen.query_one("#pg-pkce", Static).render())
        await sign_in_here(pilot, approve=True)
        await idle(pilot)
        labels = [r.label for r in screen.reports]
        assert labels[:2] == ["access token", "id_token"]
        id_report = screen.reports[1]
        assert id_report.signature is not None and id_report.signature.valid
        checks = {c.name: c.ok for c in id_report.checks}
        assert checks == {
            "iss": True,
            "aud": True,
            "exp": True,
            "iat": True,
            "nonce": True,
            "at_hash": True,
        }
        await show_token_tab(pilot, screen)
        shown = section(screen, "id_token")
        assert "✓ nonce" in shown and "the one sent" in shown
        assert "auth_time" in shown


async def test_without_openid_no_nonce_is_sent(
    app: AuthClientsApp, jwt_client: CreatedClient
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, jwt_client)
        screen.select_grant("authorization_code")
        fill(screen, scope_code="read")
        await pilot.pause()
        assert "nonce=" not in screen.code_flow.url


async def test_an_opaque_token_says_use_introspect(app: AuthClientsApp, store: Store) -> None:
    plain = store.clients.create("Plain", client_credentials=True, scopes="read")
    app.secrets[plain.client.id] = plain.secret or ""
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, None)
        screen.query_one("#pg-client-picker Select", Select).value = plain.client.id
        await pilot.pause()
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.tokens is not None
        await show_token_tab(pilot, screen)
        assert "opaque token (not a JWT): use Introspect" in section(screen, "access token")
        assert screen.memory.jwks.fetches == 0


async def other_server(pilot, screen: PlaygroundScreen, issuer: Issuer) -> None:
    screen.query_one("#pg-target-kind", Select).value = "custom"
    await pilot.pause()
    fill(screen, base_url=issuer.base, client_id="7", secret="s")
    await pilot.click("#pg-discover")
    await idle(pilot)
    assert screen.target.jwks_url == issuer.jwks_url
    screen.select_grant("client_credentials")


async def test_another_servers_forged_token_is_red_with_the_reason(
    app: AuthClientsApp, issuer: Issuer
) -> None:
    stranger = new_key("EC", "not-published")
    answers = iter(
        [
            sign(issuer.claims(), stranger, "ES256", typ="at+jwt"),
            sign(issuer.claims(exp=int(time.time()) - 3600), issuer.keys[0], "ES256"),
        ]
    )
    issuer.token_body = lambda: {"access_token": next(answers), "token_type": "Bearer"}
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        await pilot.press("ctrl+s")
        await idle(pilot)
        await show_token_tab(pilot, screen)
        shown = section(screen, "access token")
        assert "✗ unknown kid 'not-published': the issuer's JWKS holds ec-1" in shown
        # Next: signed by the published key, but expired and without typ at+jwt.
        await pilot.press("ctrl+s")
        await idle(pilot)
        shown = section(screen, "access token")
        assert "✓ signature valid, key kid ec-1" in shown
        assert "✗ exp" in shown and "expired" in shown
        assert "✗ typ" in shown
        assert issuer.jwks_hits == 1  # cached for the run


async def test_jwks_unreachable_is_said(app: AuthClientsApp, issuer: Issuer) -> None:
    issuer.jwks_body = b"<html>maintenance</html>"
    issuer.jwks_type = "text/html"
    token = sign(issuer.claims(), issuer.keys[0], "ES256", typ="at+jwt")
    issuer.token_body = lambda: {"access_token": token, "token_type": "Bearer"}
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        await pilot.press("ctrl+s")
        await idle(pilot)
        await show_token_tab(pilot, screen)
        assert f"✗ JWKS at {issuer.jwks_url} is not a JSON object (text/html)" in section(
            screen, "access token"
        )


HOSTILE = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eevil\x9b31m[link=https://evil]x[/]"


async def test_hostile_claims_reach_the_screen_as_visible_text(
    app: AuthClientsApp, issuer: Issuer
) -> None:
    claims = issuer.claims(
        sub=HOSTILE,
        huge="A" * 20_000,
        nested={"a": [{"b": [HOSTILE] * 3}]},
        **{HOSTILE: "name too"},
    )
    token = sign(claims, issuer.keys[0], "ES256", typ="at+jwt", kid=HOSTILE)
    issuer.token_body = lambda: {"access_token": token, "token_type": "Bearer"}
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        await pilot.press("ctrl+s")
        await idle(pilot)
        await show_token_tab(pilot, screen)
        shown = section(screen, "access token")
        assert not any(c in shown for c in ("\x1b", "\x07", "\x9b", "\u202e"))
        assert "␛]52;c;ZXZpbA==␇␛[2J" in shown
        assert "[link=https://evil]x[/]" in shown  # literal, not a link
        assert "… (20000 characters)" in shown
        # The kid is unknown to the JWKS: said, made safe.
        assert "✗ unknown kid '" in shown
        # The whole screen, as drawn, holds no raw control character either.
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg


async def test_a_malformed_token_is_not_a_jwt_and_nothing_breaks(
    app: AuthClientsApp, issuer: Issuer
) -> None:
    issuer.token_body = lambda: {"access_token": "eyJhbGciOi.!!!.x", "token_type": "Bearer"}
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        await pilot.press("ctrl+s")
        await idle(pilot)
        await show_token_tab(pilot, screen)
        assert "not a JWT: the header is not JSON" in section(screen, "access token")
        assert issuer.jwks_hits == 0


async def test_the_decoded_view_survives_closing_and_reopening(
    app: AuthClientsApp, jwt_client: CreatedClient
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, jwt_client)
        screen.select_grant("client_credentials")
        await pilot.press("ctrl+s")
        await idle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_playground(pilot, jwt_client)
        await idle(pilot)
        assert screen.reports and screen.reports[0].signature is not None
        assert screen.reports[0].signature.valid
        # The key set came from the run's cache: no second fetch.
        assert screen.memory.jwks.fetches == 1


def test_inspect_context_issuer_is_the_endpoints(endpoint: TokenEndpoint) -> None:
    assert oc.Target.from_base(endpoint.url).issuer == endpoint.issuer


async def test_discover_falls_back_to_openid_configuration(
    app: AuthClientsApp, issuer: Issuer
) -> None:
    issuer.openid_only = True
    token = sign(issuer.claims(), issuer.keys[0], "ES256", typ="at+jwt")
    issuer.token_body = lambda: {"access_token": token, "token_type": "Bearer"}
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        urls = [done.request.url for done in screen.history]
        assert urls[-2:] == [
            f"{issuer.base}/.well-known/oauth-authorization-server",
            f"{issuer.base}/.well-known/openid-configuration",
        ]
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.reports[0].signature is not None and screen.reports[0].signature.valid


async def test_a_slow_jwks_never_blocks_the_console(app: AuthClientsApp, issuer: Issuer) -> None:
    token = sign(issuer.claims(), issuer.keys[0], "ES256", typ="at+jwt")
    issuer.token_body = lambda: {"access_token": token, "token_type": "Bearer"}
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_playground(pilot, None)
        await other_server(pilot, screen, issuer)
        issuer.jwks_delay = 2.0
        await pilot.press("ctrl+s")
        for _ in range(100):
            await pilot.pause(0.02)
            if screen.tokens is not None:
                break
        assert screen.tokens is not None
        # Decoded at once; the signature is being checked in a worker meanwhile.
        await show_token_tab(pilot, screen)
        assert "… checking the signature against the JWKS" in section(screen, "access token")
        assert "iss" in section(screen, "access token")
        # The console answers keys while the worker waits for the JWKS.
        started = time.monotonic()
        await pilot.press("f3")
        await pilot.pause()
        assert screen.query_one("#pg-panels", TabbedContent).active == "tab-history"
        assert time.monotonic() - started < 1.0
        assert screen.reports[0].signature is None
        await idle(pilot)
        assert screen.reports[0].signature is not None and screen.reports[0].signature.valid
