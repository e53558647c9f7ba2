"""The playground's device grant (RFC 8628) with real keys against the embedded endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.device_sign_in import DeviceSignInScreen
from authclients.tui.screens.playground import PlaygroundScreen
from authclients.tui.widgets.playground.qr_code import QrCode
from tests.tui.conftest import screen_text
from tests.tui.test_playground import idle

PASSWORD = "correct horse battery"


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


@pytest.fixture
def tv(store: Store) -> CreatedClient:
    """A public client with only the device grant, as a TV app would be."""
    return store.clients.create("Living-room TV", device=True, public=True, scopes="read write")


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


@pytest.fixture
def app(make_app: Callable[..., AuthClientsApp], endpoint: TokenEndpoint) -> AuthClientsApp:
    return make_app(endpoint=endpoint)


async def open_on(pilot: Pilot, client: CreatedClient) -> PlaygroundScreen:
    app = pilot.app
    await idle_app(pilot)
    app.open_playground(client.client)
    await pilot.pause()
    await idle(pilot)
    screen = app.screen
    assert isinstance(screen, PlaygroundScreen)
    return screen


async def idle_app(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot: Pilot, condition: Callable[[], bool], seconds: float = 6.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("the playground did not get there in time")


def titles(screen: PlaygroundScreen) -> list[str]:
    return [done.request.title for done in screen.history]


def errors(screen: PlaygroundScreen) -> list[str]:
    """Each device poll's answer: its ``error``, or ``tokens``."""
    out = []
    for done in screen.history:
        if done.request.title != "device poll":
            continue
        body = done.response.json() if done.response else {}
        out.append("tokens" if body and "access_token" in body else str(body.get("error")))
    return out


def text(screen: PlaygroundScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def request_codes(pilot: Pilot, screen: PlaygroundScreen, scope: str = "read") -> str:
    assert screen.grant == "device"  # the client's only grant is chosen for it
    screen.query_one("#pg-scope-device", Input).value = scope
    await pilot.press("ctrl+s")
    await idle(pilot)
    assert titles(screen)[-1] == "device code", screen.history[-1].error
    return screen.device.user_code


async def next_poll(pilot: Pilot, screen: PlaygroundScreen, clock: ManualClock) -> str:
    """Let the interval pass on the app's clock; the poll goes out and its answer comes back."""
    polls = len(errors(screen))
    clock.advance(timedelta(seconds=screen.device.polling.interval))
    await wait_for(pilot, lambda: len(errors(screen)) > polls and screen.pending == 0)
    await idle(pilot)
    return errors(screen)[-1]


async def test_request_approve_here_then_tokens_the_api_and_refresh(
    app: AuthClientsApp, store: Store, clock: ManualClock, tv: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_on(pilot, tv)
        code = await request_codes(pilot, screen)
        # The user code large, the URL, and a QR code of the complete URL.
        assert text(screen, "#pg-device-user-code") == " ".join(code)
        shown = text(screen, "#pg-device-uri")
        assert "/oauth/device" in shown and f"user_code={code}" in shown.replace("\n", "")
        qr = screen.query_one(QrCode)
        assert qr.display and qr.data.endswith(f"/oauth/device?user_code={code}")
        # The exact request, as for every grant, and its curl line.
        sent = screen.history[-1].request
        assert sent.url.endswith("/oauth/device/code") and "scope=read" in sent.body
        assert "Next poll in 5 s" in text(screen, "#pg-device-status")

        assert await next_poll(pilot, screen, clock) == "authorization_pending"
        assert "authorization_pending" in text(screen, "#pg-device-status")

        await pilot.press("ctrl+n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DeviceSignInScreen)
        await pilot.press(*"alice", "tab", *"wrong password", "enter")
        await idle_app(pilot)
        await wait_for(pilot, lambda: "Wrong username or password" in screen_text(app))
        (waiting,) = store.devices.pending()
        dialog.query_one("#az-password", Input).focus()
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        approved = store.devices.get(waiting.id)
        assert (approved.status, approved.username) == ("approved", "alice")

        assert await next_poll(pilot, screen, clock) == "tokens"
        assert screen.tokens is not None and screen.tokens.refresh_token
        assert "Approved" in text(screen, "#pg-device-status")
        token = store.tokens.list(limit=5)[0]
        assert (token.grant_type, token.username) == ("device", "alice")
        # Polling is over: time passes, nothing more is sent.
        clock.advance(timedelta(seconds=30))
        await pilot.pause(1.2)
        assert errors(screen) == ["authorization_pending", "tokens"]

        await pilot.press("ctrl+o")
        await idle(pilot)
        assert screen.history[-1].response.json()["user"]["username"] == "alice"
        old = screen.tokens.access_token
        await pilot.press("ctrl+r")
        await idle(pilot)
        assert screen.history[-1].request.title == "refresh"
        assert screen.tokens.access_token != old

        # The Tokens screen lists them like any other, naming the grant.
        app.open_tokens(None)
        await idle_app(pilot)
        await pilot.pause()
        listed = screen_text(app)
        assert listed.count("Living-room TV") >= 2 and "dev" in listed and "alice" in listed


async def test_denied_in_the_sign_in_dialog_is_shown_and_polling_stops(
    app: AuthClientsApp, clock: ManualClock, tv: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        await request_codes(pilot, screen)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"alice", "tab", *PASSWORD)
        await pilot.click("#ds-deny")
        await wait_for(pilot, lambda: app.screen is screen)
        assert await next_poll(pilot, screen, clock) == "access_denied"
        assert "Denied" in text(screen, "#pg-device-status")
        assert "denied" in screen.history[-1].hint
        clock.advance(timedelta(seconds=60))
        await pilot.pause(1.2)
        assert errors(screen) == ["access_denied"]


async def test_expiry_is_shown(app: AuthClientsApp, clock: ManualClock, tv: CreatedClient) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        await request_codes(pilot, screen)
        clock.advance(timedelta(minutes=10, seconds=1))
        await wait_for(pilot, lambda: errors(screen) == ["expired_token"])
        await idle(pilot)
        assert "expired" in text(screen, "#pg-device-status")
        assert "request new ones" in screen.history[-1].hint


async def test_slow_down_grows_the_interval(
    app: AuthClientsApp, clock: ManualClock, tv: CreatedClient
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        await request_codes(pilot, screen)
        assert await next_poll(pilot, screen, clock) == "authorization_pending"
        # A device that polls early (here: told to) hears slow_down, and then waits longer.
        screen.device.polling.next_poll_at = clock.now().timestamp()
        await wait_for(pilot, lambda: len(errors(screen)) == 2)
        await idle(pilot)
        assert errors(screen)[-1] == "slow_down"
        assert screen.device.polling.interval == 10
        assert "every 10 s" in text(screen, "#pg-device-status")
        clock.advance(timedelta(seconds=5))
        await pilot.pause(1.2)
        assert len(errors(screen)) == 2  # 5 s is no longer enough
        assert await next_poll(pilot, screen, clock) == "authorization_pending"


async def test_leaving_or_stopping_ends_the_polling(
    app: AuthClientsApp, clock: ManualClock, tv: CreatedClient
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        await request_codes(pilot, screen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Stop device polling")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        clock.advance(timedelta(seconds=20))
        await pilot.pause(1.2)
        assert errors(screen) == []
        assert "stopped" in text(screen, "#pg-device-status")

        await request_codes(pilot, screen)
        history = screen.history
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PlaygroundScreen)
        clock.advance(timedelta(seconds=20))
        await pilot.pause(1.2)
        await app.workers.wait_for_complete()
        assert [d.request.title for d in history].count("device poll") == 0


async def test_approve_here_needs_codes_and_the_embedded_endpoint(
    app: AuthClientsApp, tv: CreatedClient
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen
        assert "Request codes first" in text(screen, "#pg-outcome")


async def test_a_client_without_the_grant_hears_unauthorized_client(
    app: AuthClientsApp, store: Store
) -> None:
    other = store.clients.create("Nightly job", client_credentials=True)
    app.secrets[other.client.id] = other.secret or ""
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, other)
        assert "“Device” is off for this client" in text(screen, "#pg-grant-notes")
        screen.form.select_grant("device")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert screen.history[-1].response.json()["error"] == "unauthorized_client"
        assert screen.device.polling is None  # no codes, no polling


async def test_hostile_codes_are_shown_not_obeyed(app: AuthClientsApp, tv: CreatedClient) -> None:
    """Another server's answer: escapes in the code and URL, a javascript: link for the QR."""
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_on(pilot, tv)
        screen.device.begin(
            oc.DeviceCodes(
                device_code="d",
                user_code="AB\x1b[2JCD",
                verification_uri="https://evil.example/\x1b]52;c;aGk=\x07",
                verification_uri_complete="javascript:alert(1)",
                expires_in=600,
                interval=5,
            )
        )
        await pilot.pause()
        shown = screen_text(app)
        assert "\x1b" not in shown and "\x07" not in shown
        assert "␛[2J" in text(screen, "#pg-device-user-code").replace(" ", "")
        assert not screen.query_one(QrCode).display  # no QR code for a non-http link
        screen.device.stop()
