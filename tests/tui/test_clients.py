"""Pilot flows on the client list, the client form and the secret reveal."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Switch

from authclients.store import Store, crypto
from authclients.store.grant_types import CLIENT_GRANTS
from authclients.store.models import Client
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from authclients.tui.widgets.client_table import ClientTable
from tests.tui.conftest import notifications, screen_text, settle, type_text

SIZE = (80, 24)
SWITCH_ORDER = tuple(grant.name for grant in CLIENT_GRANTS)

COMBINATIONS = [
    ("authorization_code",),
    ("password",),
    ("personal_access",),
    ("client_credentials",),
    ("authorization_code", "password"),
    ("password", "client_credentials"),
    ("authorization_code", "password", "personal_access", "client_credentials"),
]


async def fill_new_client(
    pilot, name: str, redirect: str, grants: tuple[str, ...], *, type_all: bool = False
) -> None:
    """From the client list: n, then the name, the redirect URL and the grant switches.

    Key presses cost ~0.1 s each under the Pilot, so long URLs are pasted
    (set) unless ``type_all``; the switches are always toggled with keys.
    """
    await pilot.press("n")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, ClientFormScreen)
    await type_text(pilot, name)
    await pilot.press("tab")
    if type_all:
        await type_text(pilot, redirect)
    else:
        form.query_one("#redirect_uris", Input).insert_text_at_cursor(redirect)
    for key in SWITCH_ORDER:
        await pilot.press("tab")
        if key in grants:
            await pilot.press("space")


@pytest.mark.parametrize("grants", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
async def test_create_client_with_each_grant_combination(store: Store, make_app, grants) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        redirect = "https://app.example.com/cb" if "authorization_code" in grants else ""
        await fill_new_client(pilot, "Mobile app", redirect, grants, type_all=len(grants) == 4)
        await pilot.press("ctrl+s")
        await settle(pilot)

        reveal = app.screen
        assert isinstance(reveal, SecretRevealScreen)
        secret = reveal.reveal.secret
        assert secret and len(secret) >= 43
        assert secret in screen_text(app)

        page = store.clients.list()
        assert page.total == 1
        client = page.items[0]
        assert client.name == "Mobile app"
        assert set(client.grant_types) == set(grants)
        # Only the digest and the hint are stored; the secret authenticates.
        row = Client.get_by_id(client.id)
        assert row.secret_hash == crypto.digest(secret)
        assert secret not in (row.secret_hash, row.secret_hint, row.name, row.redirect_uris)
        assert store.clients.authenticate(client.id, secret) is not None
        assert app.secrets[client.id] == secret

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert "Mobile app" in screen_text(app)


async def test_public_client_has_no_secret(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill_new_client(pilot, "SPA", "https://spa.example.com/cb", ("authorization_code",))
        await pilot.press("tab", "space")  # public
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SecretRevealScreen)
        assert app.screen.reveal.secret is None
        client = store.clients.list().items[0]
        assert client.public and Client.get_by_id(client.id).secret_hash is None


async def test_a_public_device_client_from_the_form(store: Store, make_app) -> None:
    """The Device switch (from ``CLIENT_GRANTS``) with Public: a TV app, no secret."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill_new_client(pilot, "TV app", "", ("device",))
        assert "Device" in screen_text(app)
        await pilot.press("tab", "space")  # public
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SecretRevealScreen)
        assert app.screen.reveal.secret is None
        client = store.clients.list().items[0]
        assert client.device and client.public and client.grant_types == ("device",)


async def test_validation_errors_beside_fields_and_input_kept(store: Store, make_app) -> None:
    app = make_app(notifications=True) if False else make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        # Authorization code without a redirect URL, and a bad scope.
        await fill_new_client(pilot, "Web app", "", ("authorization_code", "password"))
        await pilot.press("tab", "tab", "tab")  # past "public" and "JWT", into scopes
        await type_text(pilot, 'read "x"')
        await pilot.press("ctrl+s")
        await settle(pilot)

        form = app.screen
        assert isinstance(form, ClientFormScreen)
        redirect_error = form.query_one("#redirect_uris-error")
        assert redirect_error.display
        assert "redirect URL" in str(redirect_error.render())
        assert form.query_one("#scopes-error").display
        assert not form.query_one("#name-error").display
        # Nothing typed is lost.
        assert form.query_one("#name", Input).value == "Web app"
        assert form.query_one("#scopes", Input).value == 'read "x"'
        assert form.query_one("#password", Switch).value is True
        assert store.clients.count() == 0
        assert any("Not saved" in m for m in notifications(app))

        # Fix both and save: it goes through.
        form.query_one("#scopes", Input).value = "read"
        form.query_one("#redirect_uris", Input).focus()
        await type_text(pilot, "https://web.example.com/cb")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SecretRevealScreen)
        assert store.clients.list().items[0].redirect_uris == ("https://web.example.com/cb",)


async def test_edit_client(store: Store, make_app) -> None:
    created = store.clients.create("Old name", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        assert form.query_one("#name", Input).value == "Old name"
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "New name")
        form.query_one("#password", Switch).focus()
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        client = store.clients.get(created.client.id)
        assert client.name == "New name"
        assert client.password and client.client_credentials
        # Editing does not change the secret.
        assert store.clients.authenticate(client.id, created.secret) is not None
        assert "New name" in screen_text(app)


async def test_escape_asks_before_discarding(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")  # nothing typed: closes at once
        await pilot.pause()
        assert isinstance(app.screen, ClientsScreen)

        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Draft")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, ClientFormScreen)
        assert app.screen.query_one("#name", Input).value == "Draft"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ClientsScreen)
        assert store.clients.count() == 0


async def test_rotate_secret(store: Store, make_app) -> None:
    created = store.clients.create("Service", client_credentials=True)
    old = created.secret
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SecretRevealScreen)
        new = app.screen.reveal.secret
        assert new and new != old
        assert store.clients.authenticate(created.client.id, old) is None
        assert store.clients.authenticate(created.client.id, new) is not None
        assert app.secrets[created.client.id] == new
        # The curl line is ready for the running endpoint.
        curl = app.screen.reveal.curl
        assert curl.startswith("curl -X POST http://127.0.0.1:8765/oauth/token \\\n")
        assert "grant_type=client_credentials" in curl and new in curl


async def test_rotate_cancelled_keeps_secret(store: Store, make_app) -> None:
    created = store.clients.create("Service", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "n")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert store.clients.authenticate(created.client.id, created.secret) is not None


async def test_delete_with_confirm_revokes_tokens(store: Store, make_app) -> None:
    created = store.clients.create("Doomed app", client_credentials=True)
    store.clients.create("Survivor", client_credentials=True)
    for _ in range(3):
        store.tokens.issue(created.client, grant_type="client_credentials")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        message = screen_text(app)
        assert "Doomed app" in message and "3 live tokens" in message
        await pilot.press("y")
        await settle(pilot)
        assert store.clients.live_token_count  # still callable
        assert store.clients.count() == 1
        assert all(t.state == "revoked" for t in store.tokens.list(client_id=created.client.id))
        assert store.clients.authenticate(created.client.id, created.secret) is None
        assert any("revoked 3 tokens" in m for m in notifications(app))
        names = [c.name for c in app.screen.query_one(ClientTable).items]
        assert names == ["Survivor"]


async def test_delete_cancel_keeps_client(store: Store, make_app) -> None:
    store.clients.create("Keep me", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert store.clients.count() == 1


async def test_filter_as_you_type(store: Store, make_app) -> None:
    for name in ("Alpha web", "Beta mobile", "Gamma web", "Delta"):
        store.clients.create(name, client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "web")
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        assert [c.name for c in table.items] == ["Alpha web", "Gamma web"]
        await pilot.press("backspace", "backspace", "backspace", "2")  # by id
        await settle(pilot)
        assert [c.name for c in table.items] == ["Beta mobile"]
        await type_text(pilot, "zzz")
        await settle(pilot)
        assert "No client matches" in screen_text(app)
        await pilot.press("escape")  # clears the filter
        await settle(pilot)
        assert table.match_count == 4
        await pilot.press("escape")  # back to the table
        assert table.has_focus


async def test_empty_state_says_how_to_start(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No clients yet. Press n" in screen_text(app)


async def test_sort_by_column(store: Store, make_app) -> None:
    for name in ("b", "c", "a"):
        store.clients.create(name, client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        assert [c.name for c in table.items] == ["b", "c", "a"]
        await pilot.press("s")  # id → name
        await settle(pilot)
        assert [c.name for c in table.items] == ["a", "b", "c"]
        await pilot.press("S")  # reverse
        await settle(pilot)
        assert [c.name for c in table.items] == ["c", "b", "a"]
        # Clicking a header sorts by it too.
        await pilot.click(ClientTable, offset=(2, 0))
        await settle(pilot)
        assert table.sort_key == "id"


async def test_paging_through_many_clients(store: Store, make_app) -> None:
    with store.db.atomic():
        for i in range(250):
            store.clients.create(f"client {i:03}", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        assert table.match_count == 250 and len(table.items) == ClientTable.WINDOW
        await pilot.press("G")  # the last client: another window is fetched
        await settle(pilot)
        assert table.current is not None and table.current.name == "client 249"
        assert len(table.items) <= ClientTable.WINDOW
        await pilot.press("g")
        await settle(pilot)
        assert table.window_start == 0
        # Walk off the end of the first window with real keys.
        table.go_to(ClientTable.WINDOW - 2)
        await pilot.press("down", "down", "down", "down")
        await settle(pilot)
        assert table.current.name == f"client {ClientTable.WINDOW + 2:03}"
        assert table.window_start > 0
        assert "row 103" in screen_text(app)
        await pilot.press("pageup")
        await settle(pilot)
        assert table.absolute_cursor < ClientTable.WINDOW + 2


async def test_copy_client_id_with_working_local_clipboard(
    store: Store, make_app, local_clipboard
) -> None:
    created = store.clients.create("Copy me", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert local_clipboard.copied == [str(created.client.id)]
        assert app.clipboard == ""  # OSC 52 not needed
        assert any("copied to the clipboard" in m for m in notifications(app))


async def test_copy_secret_falls_back_to_terminal(store: Store, make_app, local_clipboard) -> None:
    local_clipboard.works = False
    store.clients.create("Service", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r", "y")
        await settle(pilot)
        secret = app.screen.reveal.secret
        await pilot.press("c")
        assert app.clipboard == secret
        assert any("OSC 52" in m for m in notifications(app))
        await pilot.press("i")
        assert app.clipboard == "1"
        assert local_clipboard.copied == []


async def test_copy_secret_with_working_local_clipboard(
    store: Store, make_app, local_clipboard
) -> None:
    store.clients.create("Service", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "y")
        await settle(pilot)
        secret = app.screen.reveal.secret
        await pilot.press("c", "i")
        assert local_clipboard.copied == [secret, "1"]


async def test_playground_key_opens_it_with_the_highlighted_client(store: Store, make_app) -> None:
    from authclients.tui.screens.playground import PlaygroundScreen

    service = store.clients.create("Service", client_credentials=True).client
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PlaygroundScreen)
        assert app.screen.client is not None and app.screen.client.id == service.id


async def test_key_typed_right_after_slash_lands_in_the_filter(store: Store, make_app) -> None:
    from textual import events

    store.clients.create("Web shop", client_credentials=True)
    store.clients.create("Batch job", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # One terminal read with both keys: they are queued before either is handled.
        for key, char in (("slash", "/"), ("w", "w")):
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # what the terminal driver does per key
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == "w"
        assert [c.name for c in app.screen.query_one(ClientTable).items] == ["Web shop"]
        # A "/" typed in the filter is text, not the filter key again.
        await pilot.press("slash", "x")
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == "w/x"


async def test_over_ssh_the_copy_goes_to_the_admins_terminal(
    store: Store, make_app, local_clipboard
) -> None:
    from authclients.tui.clipboard import Clipboard

    store.clients.create("Service", client_credentials=True)
    # pyperclip would work, but on the server: over SSH the admin's terminal gets it.
    app = make_app(clipboard=Clipboard(local_clipboard, over_ssh=True))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert app.clipboard == "1"
        assert local_clipboard.copied == []
        assert any("OSC 52" in m for m in notifications(app))


def test_ssh_session_is_detected_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, local_clipboard
) -> None:
    from authclients.tui.clipboard import Clipboard

    class Host:
        clipboard = ""

        def copy_to_clipboard(self, text: str) -> None:
            self.clipboard = text

    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    host = Host()
    assert Clipboard(local_clipboard).copy(host, "abc", "Client id").via == "terminal"
    assert host.clipboard == "abc" and local_clipboard.copied == []
    monkeypatch.delenv("SSH_CONNECTION")
    assert Clipboard(local_clipboard).copy(host, "xyz", "Client id").via == "system"
    assert local_clipboard.copied == ["xyz"]


async def test_the_jwt_switch_sets_the_token_format(store: Store, make_app) -> None:
    client = store.clients.create("Service", client_credentials=True).client
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        assert "JWT access tokens" in screen_text(app)
        form.query_one("#jwt").focus()
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert store.clients.get(client.id).token_format == "jwt"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#jwt").value is True
