"""``authclients screenshots``: every screen as SVG, from data that is the same on every run.

Each scene is one small async function that drives a fresh console (fresh
temporary database, fixed clock, fixed secrets) to the state worth showing.
The same code gives the same bytes, so a re-run changes a file only when its
screen changed. To add a scene: write ``async def _my_scene(pilot, stage)`` and
list it in ``SCENES``.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from authclients.store import Store, devices
from authclients.store import oauth_client as oc
from authclients.store.clock import ManualClock
from authclients.store.crypto import deterministic_secrets
from authclients.store.demo import DemoData, seed_demo, temporary_store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.oauth_client import http as oc_http
from authclients.tui.app import AuthClientsApp, create_app
from authclients.tui.clipboard import Clipboard
from authclients.tui.playground_jwt_scene import show_decoded_scene
from authclients.tui.screens.demo_welcome import show_demo
from authclients.tui.screens.playground import PlaygroundScreen
from authclients.tui.widgets.playground.jwt_view import JwtSection

SIZE = (100, 30)
"""Columns and rows of every picture: wide enough for the tables, small enough to read."""
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SEED = "authclients screenshots: not a secret"
"""Every secret in the pictures derives from this, so they stay the same (and are public)."""
SHOWN_BASE = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
"""The endpoint address the pictures show; the real one is on a free port."""
FIXED_DATE = "Mon, 02 Mar 2026 09:30:00 GMT"
FIXED_ELAPSED_MS = 4.0


@dataclass
class Stage:
    """What a scene can use: the app, its store and clock, and the demo data in it."""

    app: AuthClientsApp
    store: Store
    clock: ManualClock
    demo: DemoData


Scene = Callable[[Pilot[None], Stage], Awaitable[None]]


# -- the data every picture shows ------------------------------------------------------------


def populate(store: Store, clock: ManualClock) -> DemoData:
    """The demo data, a few more clients and some tokens of every kind and state."""
    demo = seed_demo(store)
    user = demo.username
    web, legacy, personal, service, _tv = (c.client for c in demo.clients)
    # ECDSA signatures are randomised, so a JWT on screen would differ on every run and
    # the pictures must not: the demo web app hands out opaque tokens here.
    web = store.clients.update(web.id, token_format="opaque")
    store.clients.create(
        "Mobile app", ["com.example.app:/oauth/callback"], authorization_code=True, public=True
    )
    store.clients.create(
        "Partner portal",
        ["https://partner.example.com/oauth/callback"],
        authorization_code=True,
        scopes="read",
    )
    store.clients.create("Billing cron", client_credentials=True, scopes="billing")
    store.users.add("alice", "correct horse battery")
    store.users.add("bob", "correct horse battery")
    # Tokens of every state and of different ages: issue, then let the clock run.
    old = store.tokens.issue(
        web, grant_type="authorization_code", user_id=_user_id(store, "bob"), scopes=("read",)
    )
    store.tokens.revoke(old.info.id)
    store.tokens.issue(service, grant_type="client_credentials", scopes=("read",))  # expires
    clock.advance(timedelta(hours=3))
    store.tokens.create_personal_access_token(
        "alice", "laptop", scopes="read write", lifetime=timedelta(days=90), client_id=personal.id
    )
    clock.advance(timedelta(minutes=25))
    store.tokens.issue(
        legacy,
        grant_type="password",
        user_id=_user_id(store, user),
        scopes=("read",),
        with_refresh=True,
    )
    clock.advance(timedelta(minutes=10))
    store.tokens.issue(service, grant_type="client_credentials", scopes=("read",))
    clock.advance(timedelta(minutes=5))
    return demo


def _user_id(store: Store, username: str) -> int:
    return store.users.get(username).id


# -- the scenes ----------------------------------------------------------------------------------


async def _clients(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("down", "down")


async def _client_form_errors(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    form.query_one("#redirect_uris", Input).value = "javascript:alert(1)"
    await pilot.press("ctrl+s")


async def _secret_reveal(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("down", "r")
    await settle(pilot)
    await pilot.press("y")


async def _demo_welcome(pilot: Pilot[None], stage: Stage) -> None:
    show_demo(stage.app, stage.demo, temporary=True)


async def _users(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("u")


async def _settings(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("L")


async def _scopes(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("o")


async def _resources(pilot: Pilot[None], stage: Stage) -> None:
    # Only this picture's database holds them: the others stay as they were.
    service = stage.demo.clients[3].client
    stage.store.resources.add(
        "http://127.0.0.1:8000/mcp", "MCP server (dev)", introspection_client_id=service.id
    )
    stage.store.resources.add("https://api.example.com", "Public API")
    stage.store.registrations.set_mode("token")
    await pilot.press("R")


async def _tokens(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("T")


async def _help_keys(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("question_mark")


async def _help_grants(pilot: Pilot[None], stage: Stage) -> None:
    await pilot.press("question_mark")
    await settle(pilot)
    await pilot.press("g")


async def _devices(pilot: Pilot[None], stage: Stage) -> None:
    store, clock = stage.store, stage.clock
    tv = store.clients.create("Living-room TV", device=True, public=True, scopes="read write")
    cli = store.clients.create("Build agent CLI", device=True, scopes="deploy")
    store.devices.request(tv.client.id, "read")
    clock.advance(timedelta(minutes=4, seconds=10))
    store.devices.request(cli.client.id, "deploy")
    clock.advance(timedelta(seconds=50))
    store.devices.request(tv.client.id, "read write")
    clock.advance(timedelta(seconds=5))
    await pilot.press("v")


async def _playground_device(pilot: Pilot[None], stage: Stage) -> None:
    tv = stage.store.clients.create("Living-room TV", device=True, public=True, scopes="read")
    stage.app.push_screen(PlaygroundScreen(tv.client, pkce=_FIXED_PKCE))
    await settle(pilot)
    screen = stage.app.screen
    assert isinstance(screen, PlaygroundScreen)
    screen.query_one("#pg-scope-device", Input).value = "read"
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _open_playground(pilot: Pilot[None], stage: Stage, index: int) -> PlaygroundScreen:
    """The playground for the demo's ``index``-th client, as if opened with p from its row."""
    client = stage.demo.clients[index].client
    stage.app.push_screen(PlaygroundScreen(client, pkce=_FIXED_PKCE))
    await settle(pilot)
    screen = stage.app.screen
    assert isinstance(screen, PlaygroundScreen)
    return screen


async def _send(pilot: Pilot[None], screen: PlaygroundScreen) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)
    screen.query_one("#pg-panels").scroll_visible(animate=False)


async def _playground_password(pilot: Pilot[None], stage: Stage) -> None:
    screen = await _open_playground(pilot, stage, 1)
    screen.query_one("#pg-username", Input).value = stage.demo.username
    screen.query_one("#pg-password", Input).value = stage.demo.password
    screen.query_one("#pg-scope-password", Input).value = "read"
    await _send(pilot, screen)


async def _playground_client_credentials(pilot: Pilot[None], stage: Stage) -> None:
    screen = await _open_playground(pilot, stage, 3)
    screen.query_one("#pg-scope-client", Input).value = "read"
    await _send(pilot, screen)


async def _playground_authorization_code(pilot: Pilot[None], stage: Stage) -> None:
    screen = await _open_playground(pilot, stage, 0)
    screen.select_grant("authorization_code")
    screen.query_one("#pg-scope-code", Input).value = "read"
    await pilot.press("ctrl+n")
    await settle(pilot, requests=False)
    modal = stage.app.screen
    modal.query_one("#az-username", Input).value = stage.demo.username
    modal.query_one("#az-password", Input).value = stage.demo.password
    modal.query_one("#az-password", Input).focus()
    await pilot.press("enter")
    await settle(pilot, requests=False)
    await pilot.press("enter")  # Approve has the focus
    await settle(pilot)
    screen.query_one("#pg-panels").scroll_visible(animate=False)


async def _playground_refresh(pilot: Pilot[None], stage: Stage) -> None:
    await _playground_password(pilot, stage)
    await pilot.press("ctrl+r")
    await settle(pilot)


async def _playground_decoded_token(pilot: Pilot[None], stage: Stage) -> None:
    screen = await _open_playground(pilot, stage, 0)
    client_id = screen.client.id if screen.client is not None else 0
    show_decoded_scene(screen, secret=stage.demo.secrets.get(client_id, ""))
    await settle(pilot)
    screen.query_one("#pg-panels", TabbedContent).active = "tab-token"
    await settle(pilot)
    section = next(w for w in screen.query(JwtSection) if w.label == "id_token")
    screen.query_one("#pg-body", VerticalScroll).scroll_to_widget(section, top=True, animate=False)
    screen.set_focus(None)


async def _playground_personal_access(pilot: Pilot[None], stage: Stage) -> None:
    screen = await _open_playground(pilot, stage, 2)
    screen.select_grant("personal_access")
    screen.query_one("#pg-pat-username", Input).value = stage.demo.username
    screen.query_one("#pg-pat-name", Input).value = "laptop"
    screen.query_one("#pg-pat-scopes", Input).value = "read"
    await _send(pilot, screen)


SCENES: dict[str, Scene] = {
    "clients": _clients,
    "client-form-errors": _client_form_errors,
    "secret-reveal": _secret_reveal,
    "demo-welcome": _demo_welcome,
    "users": _users,
    "settings": _settings,
    "tokens": _tokens,
    "help-keys": _help_keys,
    "help-grants": _help_grants,
    "playground-password": _playground_password,
    "playground-client-credentials": _playground_client_credentials,
    "playground-authorization-code": _playground_authorization_code,
    "playground-refresh": _playground_refresh,
    "playground-personal-access": _playground_personal_access,
    "playground-decoded-token": _playground_decoded_token,
    "scopes": _scopes,
    "playground-device": _playground_device,
    "devices": _devices,
    "resources": _resources,
}
"""File name (without .svg) → the scene that shows it, in the order the README shows them."""

_FIXED_PKCE = oc.Pkce.fixed("screenshot-state", "screenshot-verifier-" + "0" * 43)


# -- running them ---------------------------------------------------------------------------


class SceneFailed(Exception):
    """A scene could not reach its screen (a screen changed under it): which one, and why."""


def render_all(folder: str | Path, names: list[str] | None = None) -> list[Path]:
    """Render the scenes (default: all) into ``folder`` as ``NAME.svg``.

    Returns:
        The files written, in scene order.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with _local_time_in_utc():
        for name in names or list(SCENES):
            written.append(_render_one(out, name))
    return written


@contextmanager
def _local_time_in_utc() -> Iterator[None]:
    """Local dates (the decoded token's) in UTC, so the pictures are the same everywhere."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def _render_one(out: Path, name: str) -> Path:
    try:
        svg = asyncio.run(render(SCENES[name], name))
    except Exception as exc:
        raise SceneFailed(f"screenshot {name!r}: {type(exc).__name__}: {exc}") from exc
    path = out / f"{name}.svg"
    # Unchanged pictures are not rewritten, so their modification time stays too.
    if not path.exists() or path.read_text(encoding="utf-8") != svg:
        path.write_text(svg, encoding="utf-8")
    return path


async def render(scene: Scene, name: str) -> str:
    """One scene on a fresh database and a fresh app: the SVG of the screen it ends on.

    The data is the same in every scene; what the scene itself makes (a rotated
    secret, the playground's tokens) is seeded by its name, so no two pictures
    show the same secret.
    """
    clock = ManualClock(START)
    with deterministic_secrets(SEED), temporary_store(clock=clock, actor="admin") as store:
        demo = populate(store, clock)
        # The issuer is the address shown, so the redirect's iss (RFC 9207) matches it.
        endpoint = TokenEndpoint(store, port=0, public_url=SHOWN_BASE)
        endpoint.start()
        try:
            with _shown_at(endpoint.url):
                shown = _ShownEndpoint(endpoint)
                # No change polling: nothing else writes, and a reload mid-picture could differ.
                app = create_app(
                    store,
                    endpoint=shown,
                    clock=clock,
                    clipboard=_NO_CLIPBOARD,
                    poll_interval=None,
                )
                # The temporary folder's name changes every run; the picture shows the usual one.
                app.database_label = "~/.local/share/authclients/authclients.db"
                app.secrets.update(demo.secrets)
                async with app.run_test(size=SIZE) as pilot:
                    stage = Stage(app=app, store=store, clock=clock, demo=demo)
                    await settle(pilot)
                    with deterministic_secrets(f"{SEED} / {name}"), _fixed_user_codes(name):
                        await scene(pilot, stage)
                        await settle(pilot)
                    for field in app.screen.query(Input):
                        field.cursor_blink = False
                    await pilot.pause()
                    return app.export_screenshot(title="authclients")
        finally:
            endpoint.stop()


async def settle(pilot: Pilot[None], *, requests: bool = True) -> None:
    """Wait until every worker (and every playground request) is done and drawn.

    Args:
        requests: wait for the playground's requests too; not while its sign-in
            dialog is open, which counts as one until it closes.
    """
    app = pilot.app
    for _ in range(300):
        await app.workers.wait_for_complete()
        await pilot.pause()
        in_flight = any(isinstance(s, PlaygroundScreen) and s.pending for s in app.screen_stack)
        busy = bool(app.workers._workers) or (requests and in_flight)
        if not busy:
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("a screenshot scene did not settle within 6 s")


class _ShownEndpoint:
    """The real endpoint, reporting the usual address so the header is the same every run."""

    def __init__(self, real: TokenEndpoint) -> None:
        self._real = real
        self.url = SHOWN_BASE

    @property
    def running(self) -> bool:
        return self._real.running

    def stop(self) -> None:
        self._real.stop()


@contextmanager
def _shown_at(real_base: str) -> Iterator[None]:
    """Send the playground's requests for ``SHOWN_BASE`` to the real port.

    Also fixes what varies between runs of the same exchange: the Date header
    and the measured time.
    """
    # ``exchange`` looks ``send`` up in its own module: that is the name to replace.
    original = oc_http.send

    def send(request: oc.HttpRequest, **kwargs: object) -> oc.HttpResponse:
        real = replace(request, url=request.url.replace(SHOWN_BASE, real_base, 1))
        response = original(real, **kwargs)  # type: ignore[arg-type]
        headers = tuple(
            (name, FIXED_DATE if name.lower() == "date" else value.replace(real_base, SHOWN_BASE))
            for name, value in response.headers
        )
        return replace(
            response,
            headers=headers,
            body=response.body.replace(real_base, SHOWN_BASE),
            elapsed_ms=FIXED_ELAPSED_MS,
        )

    oc_http.send = send  # type: ignore[assignment]
    try:
        yield
    finally:
        oc_http.send = original  # type: ignore[assignment]


@contextmanager
def _fixed_user_codes(name: str) -> Iterator[None]:
    """Device user codes drawn from a seeded generator, so a picture shows the same codes."""
    original = devices.secrets
    devices.secrets = random.Random(f"{SEED} / {name}")  # type: ignore[assignment]
    try:
        yield
    finally:
        devices.secrets = original


_NO_CLIPBOARD = Clipboard(lambda text: None, over_ssh=False)
"""Scenes never copy; if one did, nothing should reach the real clipboard."""
