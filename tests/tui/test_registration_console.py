"""The console's side of issue 15: where a client came from, disabling it, resources, the switch."""

from __future__ import annotations

from authclients.store import Store
from authclients.store.models import Client, ResourceServer
from authclients.store.registration import Registration
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.resource_form import ResourceFormScreen
from authclients.tui.screens.resources import ResourcesScreen
from tests.tui.conftest import screen_text, settle, type_text

SIZE = (80, 24)
CALLBACK = "http://127.0.0.1:33418/callback"


def self_registered(store: Store, name: str, metadata: str = "{}", **origin: str) -> int:
    """A client as ``POST /oauth/register`` stores it (the endpoint's own path)."""
    fields = store.clients.validated(
        name=name,
        redirect_uris=[CALLBACK],
        authorization_code=True,
        password=False,
        personal_access=False,
        client_credentials=False,
        public=True,
        scopes="",
    )
    client_id, _secret, _disabled = store.registrations.create_client(
        fields, Registration(metadata=metadata, **origin), public=True
    )
    return client_id


async def test_the_list_marks_self_registered_and_disabled_clients(store: Store, make_app) -> None:
    store.clients.create("Admin's app", password=True)
    self_registered(store, "Claude Desktop")
    odd = self_registered(store, "Unexpected")
    store.clients.set_disabled(odd, True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "1 Admin's app" in text and "◇ Admin's app" not in text
        assert "2 ◇ Claude Desktop" in text
        assert "3 ⊘ ◇ Unexpected" in text


async def test_x_disables_after_asking_and_enables_at_once(store: Store, make_app) -> None:
    client_id = self_registered(store, "Claude Desktop")
    client = store.clients.get(client_id)
    user = store.users.add("alice", "password-alice")
    live = store.tokens.issue(client, grant_type="authorization_code", user_id=user.id)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "It registered itself" in screen_text(app)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert not store.clients.get(client_id).disabled
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert store.clients.get(client_id).disabled
        assert store.tokens.get(live.info.id).revoked
        assert "⊘ ◇ Claude Desktop" in screen_text(app)
        await pilot.press("x")  # enabling asks nothing
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert not store.clients.get(client_id).disabled


async def test_the_form_shows_what_the_client_sent_literally(store: Store, make_app) -> None:
    self_registered(
        store,
        "Claude Desktop",
        metadata='{"client_name": "Claude Desktop", "evil\\u001b[2J": "\\u009b31m"}',
        client_uri="https://claude.example/",
        software_id="claude-desktop",
        software_version="1.2.3",
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        text = screen_text(app)
        assert "Registered itself" in text
        assert "client_uri https://claude.example/" in text
        assert "software claude-desktop 1.2.3" in text
        # JSON escapes C0 itself; the C1 CSI the JSON decoded is made visible.
        assert '"evil\\u001b[2J": "<U+009B>31m"' in text
        assert "\x1b" not in text and "\x9b" not in text


async def test_an_admins_client_has_no_registration_section(store: Store, make_app) -> None:
    store.clients.create("Admin's app", password=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.screen.query("#registration-origin")
        assert "Registered itself" not in screen_text(app)


async def test_resources_screen_adds_refuses_and_deletes(store: Store, make_app) -> None:
    machine = store.clients.create("MCP server", client_credentials=True).client
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        assert "No resource servers" in screen_text(app)
        assert "Registration off" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ResourceFormScreen)
        await type_text(pilot, "https://api.example.com/#frag")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "no #fragment" in screen_text(app)
        assert ResourceServer.select().count() == 0
        await pilot.press(*["backspace"] * 5)
        await pilot.press("tab")
        await type_text(pilot, "API")
        await pilot.press("tab")
        await type_text(pilot, str(machine.id))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        row = ResourceServer.get()
        assert (row.uri, row.name, row.introspection_client_id) == (
            "https://api.example.com/",
            "API",
            machine.id,
        )
        assert "https://api.example.com/ API" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert ResourceServer.select().count() == 0


async def test_the_registration_switch(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("m")  # off → open asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert store.registrations.mode() == "off"
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert store.registrations.mode() == "open"
        assert "Registration open" in screen_text(app)
        await pilot.press("m")
        await settle(pilot)
        assert store.registrations.mode() == "token"
        await pilot.press("b")
        await settle(pilot)
        assert store.registrations.start_disabled()
        assert "new ones start disabled" in screen_text(app)
        await pilot.press("m")
        await settle(pilot)
        assert store.registrations.mode() == "off"
        assert Client.select().count() == 0
