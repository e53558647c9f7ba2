"""Purge: what is dead for long enough goes; a dry run lists the same and keeps all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clock import ManualClock
from authclients.store.models import AccessToken, AuditEvent, AuthCode, RefreshToken
from authclients.store.records import ClientInfo, IssuedToken, UserInfo

DAY = timedelta(days=1)


@dataclass
class Scene:
    expired_long_ago: IssuedToken
    revoked_long_ago: IssuedToken
    expired_recently: IssuedToken
    revoked_recently: IssuedToken
    active: IssuedToken
    never: IssuedToken
    kept_for_refresh: IssuedToken
    old_code: str
    fresh_code: str


@pytest.fixture
def scene(store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock) -> Scene:
    """Tokens in every state, seen from ten days after the start, purging at 7 days."""

    def issue(**kwargs) -> IssuedToken:
        return store.tokens.issue(client, grant_type="password", user_id=alice.id, **kwargs)

    def code() -> str:
        return store.tokens.create_auth_code(
            client,
            user_id=alice.id,
            redirect_uri=client.redirect_uris[0],
            scopes=(),
            code_challenge=None,
            code_challenge_method=None,
        )

    # Day 0.
    expired_long_ago = issue()  # expires at day 0 + 1 h: 10 days dead
    revoked_long_ago = issue()
    store.tokens.revoke(revoked_long_ago.info.id)
    # Its access token expires within the hour; its refresh token lives 30 days.
    kept_for_refresh = issue(with_refresh=True)
    never = store.tokens.create_personal_access_token("alice", "forever", lifetime="never")
    old_code = code()
    # Day 5.
    clock.advance(5 * DAY)
    expired_recently = issue()  # dead for 5 days at day 10
    revoked_recently = issue()
    # Day 9.
    clock.advance(4 * DAY)
    store.tokens.revoke(revoked_recently.info.id)
    # Day 10.
    clock.advance(DAY)
    active = issue()
    fresh_code = code()
    return Scene(
        expired_long_ago,
        revoked_long_ago,
        expired_recently,
        revoked_recently,
        active,
        never,
        kept_for_refresh,
        old_code,
        fresh_code,
    )


def counts() -> tuple[int, int, int, int]:
    return (
        AccessToken.select().count(),
        RefreshToken.select().count(),
        AuthCode.select().count(),
        AuditEvent.select().count(),
    )


def test_purge_deletes_what_is_dead_for_longer_than_n_days(store: Store, scene: Scene) -> None:
    result = store.tokens.purge(older_than_days=7)

    assert not result.dry_run
    assert [t.id for t in result.access_tokens] == [
        scene.expired_long_ago.info.id,
        scene.revoked_long_ago.info.id,
    ]
    assert [t.state for t in result.access_tokens] == ["expired", "revoked"]
    assert result.kept_for_refresh == 1
    assert result.auth_codes == 1
    for gone in (scene.expired_long_ago, scene.revoked_long_ago):
        assert store.tokens.find(gone.access_token) is None
        with pytest.raises(NotFound):
            store.tokens.get(gone.info.id)
    for kept in (
        scene.expired_recently,
        scene.revoked_recently,
        scene.active,
        scene.never,
        scene.kept_for_refresh,
    ):
        assert store.tokens.get(kept.info.id).id == kept.info.id
    assert AuthCode.select().count() == 1
    assert "token.purge" in [e.action for e in AuditEvent.select()]


def test_dry_run_lists_the_same_and_deletes_nothing(store: Store, scene: Scene) -> None:
    before = counts()
    dry = store.tokens.purge(older_than_days=7, dry_run=True)
    assert counts() == before  # not even an audit event
    assert dry.dry_run
    real = store.tokens.purge(older_than_days=7)
    assert [t.id for t in dry.access_tokens] == [t.id for t in real.access_tokens]
    assert (dry.refresh_tokens, dry.auth_codes, dry.kept_for_refresh) == (
        real.refresh_tokens,
        real.auth_codes,
        real.kept_for_refresh,
    )
    assert AccessToken.select().count() == before[0] - len(real.access_tokens)


def test_an_access_token_a_live_refresh_token_needs_is_kept(
    store: Store, scene: Scene, client: ClientInfo
) -> None:
    held = scene.kept_for_refresh
    assert store.tokens.find(held.access_token).state == "expired"

    result = store.tokens.purge(older_than_days=0)

    assert held.info.id not in [t.id for t in result.access_tokens]
    assert store.tokens.get(held.info.id).state == "expired"
    # The refresh token still works afterwards.
    grant = store.tokens.find_refresh(held.refresh_token, client.id)
    rotated = store.tokens.rotate_refresh(grant, client, ())
    assert store.tokens.find(rotated.access_token).state == "active"


def test_once_its_refresh_token_is_used_the_access_token_goes(
    store: Store, scene: Scene, client: ClientInfo, clock: ManualClock
) -> None:
    held = scene.kept_for_refresh
    store.tokens.rotate_refresh(
        store.tokens.find_refresh(held.refresh_token, client.id), client, ()
    )
    clock.advance(8 * DAY)
    ids = [t.id for t in store.tokens.purge(older_than_days=7).access_tokens]
    assert held.info.id in ids
    assert store.tokens.find(held.access_token) is None


def test_purge_zero_days_takes_every_dead_token_but_no_live_one(store: Store, scene: Scene) -> None:
    result = store.tokens.purge(older_than_days=0)
    assert sorted(t.id for t in result.access_tokens) == sorted(
        t.info.id
        for t in (
            scene.expired_long_ago,
            scene.revoked_long_ago,
            scene.expired_recently,
            scene.revoked_recently,
        )
    )
    remaining = {t.id: t.state for t in store.tokens.list()}
    assert remaining == {
        scene.active.info.id: "active",
        scene.never.info.id: "active",
        scene.kept_for_refresh.info.id: "expired",
    }


def test_purging_twice_finds_nothing_more(store: Store, scene: Scene) -> None:
    store.tokens.purge(older_than_days=7)
    again = store.tokens.purge(older_than_days=7)
    assert again.access_tokens == [] and again.auth_codes == 0


def test_revoked_tokens_are_aged_from_their_revocation(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    # Issued long ago, revoked yesterday: not 7 days dead yet.
    issued = store.tokens.issue(
        client, grant_type="personal_access", user_id=alice.id
    )  # expires in an hour
    store.tokens.revoke(issued.info.id)
    never = store.tokens.create_personal_access_token("alice", "pat", lifetime="never")
    clock.advance(30 * DAY)
    store.tokens.revoke(never.info.id)
    clock.advance(DAY)
    ids = [t.id for t in store.tokens.purge(older_than_days=7).access_tokens]
    assert ids == [issued.info.id]


def test_negative_days_are_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.tokens.purge(older_than_days=-1)
    assert set(caught.value.errors) == {"older_than"}
