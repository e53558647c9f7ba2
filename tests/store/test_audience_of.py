"""The audience a token is bound to (RFC 8707), read by plain SQL on every introspection."""

from __future__ import annotations

from authclients.store import Store
from authclients.store.hot_path import HotPath
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


def test_the_hot_path_reads_the_same_audience_with_the_token(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    """Introspection and ``users/me`` read the token and its audience in one statement."""
    hot = HotPath(store)
    bound = store.tokens.issue(client, grant_type="password", user_id=alice.id, audience=(API, MCP))
    unbound = store.tokens.issue(client, grant_type="password", user_id=alice.id)
    for issued in (bound, unbound):
        expected = store.resources.audience_of(issued.access_token)
        found = hot.access_token_and_audience(issued.access_token)
        assert found is not None and found[1] == expected
        claims = hot.introspect_with_audience(issued.access_token)
        assert claims is not None and claims[1] == expected
        assert claims[0] == store.tokens.introspect(issued.access_token)
        bearer = hot.bearer_and_audience(issued.access_token)
        assert bearer is not None and bearer[1] == expected
    store.tokens.revoke(bound.info.id)
    assert hot.introspect_with_audience(bound.access_token) == ({"active": False}, ())
    assert hot.bearer_and_audience(bound.access_token) is None
