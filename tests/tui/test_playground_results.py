"""Issue 16: what the playground says after a revoke, for a personal token, and in its hints."""

from __future__ import annotations

from datetime import timedelta

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.records import CreatedClient, UserInfo
from authclients.tui.app import AuthClientsApp
from authclients.tui.widgets.playground.hints import explain, hint_context
from tests.tui import test_playground as pg
from tests.tui.test_playground import PASSWORD, fill, idle, last, open_playground, text_of

# The playground tests' fixtures: a live endpoint, a client with every grant, a user.
endpoint = pg.endpoint
web = pg.web
alice = pg.alice
app = pg.app


async def test_after_a_revoke_the_token_tab_says_revoked(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        fill(screen, username="alice", password=PASSWORD)
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert "1 h 00 min left" in text_of(screen, "#pg-token")
        await pilot.press("ctrl+g")
        await idle(pilot)
        assert screen.history[-1].response.status == 200
        token = text_of(screen, "#pg-token")
        assert "revoked" in token and "left" not in token, token
        # The countdown tick keeps saying so.
        await pilot.pause(1.2)
        assert "left" not in text_of(screen, "#pg-token")
        # A new token is live again.
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert "1 h 00 min left" in text_of(screen, "#pg-token")


async def test_introspection_saying_inactive_is_shown_as_such(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        fill(screen, username="alice", password=PASSWORD)
        await pilot.press("ctrl+s")
        await idle(pilot)
        # Revoked behind the playground's back (the Tokens screen, the CLI).
        info = store.tokens.find(screen.tokens.access_token)
        store.tokens.revoke(info.id)
        await pilot.press("ctrl+t")
        await idle(pilot)
        assert last(screen)["active"] is False
        token = text_of(screen, "#pg-token")
        assert "not active" in token and "left" not in token.split("introspection")[0]


async def test_personal_token_result_is_not_a_fake_http_status_and_lasts_the_default(
    app: AuthClientsApp, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(pilot, web)
        screen.select_grant("personal_access")
        await pilot.pause()
        # The box shows the store's own default, the one every other path uses.
        days = store.lifetimes.personal_access.days
        assert screen.form.value("pg-pat-days") == str(days)
        fill(screen, pat_username="alice", pat_name="laptop")
        await pilot.press("ctrl+s")
        await idle(pilot)
        response = text_of(screen, "#pg-response")
        outcome = text_of(screen, "#pg-outcome")
        assert "HTTP/1.1" not in response and "created in the store" not in response
        assert response.startswith("Made in the store, not over HTTP")
        assert outcome.startswith("Created in the store"), outcome
        info = store.tokens.find(screen.tokens.access_token)
        assert info.expires_at - info.created_at == store.lifetimes.personal_access
        # Left empty, the box means that same default.
        fill(screen, pat_days="", pat_name="laptop 2")
        await pilot.press("ctrl+s")
        await idle(pilot)
        info = store.tokens.find(screen.tokens.access_token)
        assert info.expires_at - info.created_at == store.lifetimes.personal_access
        assert "--expires-in" not in text_of(screen, "#pg-curl")
        assert info.expires_at - info.created_at != timedelta(days=30)


def _invalid_grant(request: oc.HttpRequest) -> oc.Exchange:
    body = '{"error": "invalid_grant", "error_description": "The grant is not valid"}'
    return oc.Exchange(request, oc.HttpResponse(400, "Bad Request", (), body))


def test_used_code_hint_only_for_the_code_grants_token_request() -> None:
    target = oc.Target.from_base("http://127.0.0.1:8765")
    where = {"embedded": True, "base_url": target.base_url}
    code = explain(
        _invalid_grant(oc.discovery_request(target.base_url)),
        hint_context("authorization_code", "1", None, {}, **where),
    )
    assert "The code was used already" in code
    for grant in ("discovery", "client_credentials", "introspect", "revoke", "api"):
        said = explain(
            _invalid_grant(oc.discovery_request(target.base_url)),
            hint_context(grant, "1", None, {}, **where),
        )
        assert "code" not in said.lower(), (grant, said)
        assert said.startswith("invalid_grant")
