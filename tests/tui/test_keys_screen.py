"""The Keys screen: reached by key and palette; rotate and retire with confirmation, real keys
in a real file; never a private key on screen."""

from __future__ import annotations

from joserfc.jwk import ECKey

from authclients.store import Store
from authclients.store.models import SigningKey
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.keys import KeysScreen, short_kid
from tests.tui.conftest import notifications, screen_text, settle, type_text

SIZE = (80, 24)


async def test_k_rotates_and_retires_with_confirmation(store: Store, make_app) -> None:
    first = store.signing_keys.signer().kid
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        assert short_kid(first) in screen_text(app) and "active" in screen_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing made
        await settle(pilot)
        assert len(store.signing_keys.list()) == 1
        await pilot.press("r", "y")
        await settle(pilot)
        keys = store.signing_keys.list()
        assert [k.state for k in keys] == ["next", "active"]
        assert any("signs in 5 min" in m for m in notifications(app))
        assert [k.kid for k in screen.keys] == [k.kid for k in keys]
        # Retire the active one (second row): the waiting key signs from now.
        await pilot.press("down", "t")
        await settle(pilot)
        assert "The next key, or a new one, signs from now" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        states = {k.kid: k.state for k in store.signing_keys.list()}
        assert states[first] == "retiring" and states[keys[0].kid] == "active"
        assert store.signing_keys.signer().kid == keys[0].kid
        assert [e.action for e in store.audit.recent()][:2] == ["key.retire", "key.rotate"]
        # Retiring it again is refused with the reason, nothing changed.
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("no longer signs" in m for m in notifications(app))
        text = screen_text(app)
        for (pem,) in SigningKey.select(SigningKey.private_key).tuples():
            private = str(ECKey.import_key(pem).as_dict(private=True)["d"])
            assert private[:12] not in text and "PRIVATE" not in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_the_palette_opens_keys(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "go: signing keys")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "No key yet" in screen_text(app)


async def test_a_hostile_kid_written_behind_the_console_is_shown_literally(
    store: Store, make_app
) -> None:
    kid = store.signing_keys.signer().kid
    SigningKey.update(kid="\x1b]0;PWNED\x07[b]x").where(SigningKey.kid == kid).execute()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert "␛]0;PWNED␇[b]x" in screen_text(app)
