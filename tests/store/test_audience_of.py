"""The audience a token is bound to (RFC 8707), read by plain SQL on every introspection."""

from __future__ import annotations

from authclients.store import Store
from authclients.store.records import ClientInfo, UserInfo

API = "https://api.example.com"
MCP = "http://127.0.0.1:8000/mcp"


def test_an_access_token_and_its_refresh_token_share_its_audience(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    issued = store.tokens.issue(
        client,
        grant_type="password",
        user_id=alice.id,
        audience=(API, MCP),
        with_refresh=True,
    )
    assert issued.refresh_token
    assert store.resources.audience_of(issued.access_token) == (API, MCP)
    assert store.resources.audience_of(issued.refresh_token) == (API, MCP)


def test_an_unbound_or_unknown_token_has_none(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    unbound = store.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    assert store.resources.audience_of(unbound.access_token) == ()
    assert store.resources.audience_of(unbound.refresh_token or "") == ()
    assert store.resources.audience_of("no such token") == ()
    assert store.resources.audience_of("") == ()
