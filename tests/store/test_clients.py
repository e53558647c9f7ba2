"""Clients: the secret shown once, authenticate, update, delete, and the list."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clients import SORT_KEYS
from authclients.store.clock import ManualClock
from authclients.store.errors import InvalidGrant
from authclients.store.models import AccessToken, AuditEvent, AuthCode, Client
from authclients.store.records import ClientInfo, CreatedClient, UserInfo

CALLBACK = "https://app.example.com/callback"


def exposed_values(info: ClientInfo) -> list[str]:
    return [str(v) for v in dataclasses.asdict(info).values()]


# -- the secret ---------------------------------------------------------------


def test_create_returns_the_secret_once_and_only_its_hint_afterwards(store: Store) -> None:
    created = store.clients.create("App", [CALLBACK], authorization_code=True)
    secret = created.secret
    assert secret is not None and len(secret) >= 43  # 256 bits, URL-safe base64
    assert created.client.secret_hint == secret[-4:]
    assert not any(secret in value for value in exposed_values(created.client))

    got = store.clients.get(created.client.id)
    assert got.secret_hint == secret[-4:]
    assert not hasattr(got, "secret")
    assert not any(secret in value for value in exposed_values(got))
    for row in store.clients.list().items:
        assert not any(secret in value for value in exposed_values(row))


def test_every_client_gets_a_different_secret(store: Store) -> None:
    secrets = {store.clients.create(f"App {i}", password=True).secret for i in range(20)}
    assert len(secrets) == 20


def test_authenticate_with_the_secret(store: Store, web_client: CreatedClient) -> None:
    client_id = web_client.client.id
    assert store.clients.authenticate(client_id, web_client.secret).id == client_id
    # The id arrives as text from the endpoint.
    assert store.clients.authenticate(str(client_id), web_client.secret).id == client_id
    assert store.clients.authenticate(client_id, web_client.secret + "x") is None
    assert store.clients.authenticate(client_id, web_client.secret[:-1]) is None
    assert store.clients.authenticate(client_id, "") is None
    assert store.clients.authenticate(client_id, None) is None
    assert store.clients.authenticate(client_id + 1, web_client.secret) is None
    assert store.clients.authenticate("not-a-number", web_client.secret) is None
    assert store.clients.authenticate("-1", web_client.secret) is None


def test_rotate_issues_a_new_secret_and_the_old_one_stops(
    store: Store, web_client: CreatedClient
) -> None:
    client_id = web_client.client.id
    rotated = store.clients.rotate_secret(client_id)
    assert rotated.secret and rotated.secret != web_client.secret
    assert rotated.client.id == client_id
    assert rotated.client.secret_hint == rotated.secret[-4:]
    assert store.clients.get(client_id).secret_hint == rotated.secret[-4:]
    assert store.clients.authenticate(client_id, web_client.secret) is None
    assert store.clients.authenticate(client_id, rotated.secret).id == client_id


def test_rotate_keeps_the_clients_tokens_alive(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    issued = store.tokens.issue(client, grant_type="password", user_id=alice.id)
    store.clients.rotate_secret(client.id)
    assert store.tokens.find(issued.access_token).state == "active"


def test_public_client_authenticates_by_id_alone(store: Store) -> None:
    created = store.clients.create("SPA", [CALLBACK], authorization_code=True, public=True)
    client_id = created.client.id
    assert store.clients.authenticate(client_id, None).id == client_id
    assert store.clients.authenticate(client_id, "").id == client_id
    assert store.clients.authenticate(client_id, "anything") is None
    with pytest.raises(ValidationError) as caught:
        store.clients.rotate_secret(client_id)
    assert set(caught.value.errors) == {"public"}


def test_making_a_client_public_drops_its_secret(store: Store) -> None:
    created = store.clients.create("App", [CALLBACK], authorization_code=True)
    updated = store.clients.update(created.client.id, public=True)
    assert updated.public and updated.secret_hint == ""
    assert Client.get_by_id(created.client.id).secret_hash is None
    assert store.clients.authenticate(created.client.id, created.secret) is None


# -- update -------------------------------------------------------------------


def test_update_changes_only_what_is_given(store: Store, clock: ManualClock) -> None:
    created = store.clients.create("Old", [CALLBACK], authorization_code=True, scopes="read")
    clock.advance(timedelta(minutes=5))
    updated = store.clients.update(created.client.id, name="New", password=True)
    assert updated.name == "New"
    assert updated.grant_types == ("authorization_code", "password")
    assert updated.redirect_uris == (CALLBACK,)
    assert updated.scopes == ("read",)
    assert updated.updated_at == created.client.created_at + timedelta(minutes=5)
    assert updated.created_at == created.client.created_at
    # The secret is untouched by an update.
    assert store.clients.authenticate(created.client.id, created.secret) is not None


def test_update_of_an_unknown_client_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.clients.update(999, name="x")


# -- delete -------------------------------------------------------------------


def test_delete_revokes_every_token_refresh_token_and_code(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    other = store.clients.create("Other", password=True).client
    first = store.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    second = store.tokens.issue(client, grant_type="client_credentials")
    pat = store.tokens.create_personal_access_token("alice", "laptop")
    assert pat.info.client_id == client.id
    bystander = store.tokens.issue(other, grant_type="password", user_id=alice.id)
    code = store.tokens.create_auth_code(
        client,
        user_id=alice.id,
        redirect_uri=CALLBACK,
        scopes=(),
        code_challenge=None,
        code_challenge_method=None,
    )

    revoked = store.clients.delete(client.id)

    assert revoked == 3
    for token in (first.access_token, second.access_token, pat.access_token):
        assert store.tokens.find(token).state == "revoked"
        assert store.tokens.authenticate_bearer(token) is None
        assert store.tokens.introspect(token) == {"active": False}
    assert store.tokens.introspect(first.refresh_token) == {"active": False}
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(first.refresh_token, client.id)
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(code, client.id)
    assert AuthCode.select().where(AuthCode.revoked == False).count() == 0
    # Another client's token is not touched.
    assert store.tokens.find(bystander.access_token).state == "active"


def test_deleted_client_disappears_and_stops_authenticating(
    store: Store, web_client: CreatedClient
) -> None:
    client_id = web_client.client.id
    store.clients.delete(client_id)
    with pytest.raises(NotFound):
        store.clients.get(client_id)
    assert client_id not in [c.id for c in store.clients.list().items]
    assert store.clients.list(str(client_id)).total == 0
    assert store.clients.count() == 0
    assert store.clients.authenticate(client_id, web_client.secret) is None
    assert store.clients.find_active(client_id) is None
    with pytest.raises(NotFound):
        store.clients.delete(client_id)
    with pytest.raises(NotFound):
        store.clients.rotate_secret(client_id)


def test_a_deleted_clients_id_is_never_reused(store: Store) -> None:
    first = store.clients.create("First", password=True).client.id
    last = store.clients.create("Last", password=True).client.id
    # Deleting the highest id is where SQLite would reuse a rowid.
    store.clients.delete(last)
    again = store.clients.create("Again", password=True).client.id
    assert again > last > first


def test_delete_is_one_transaction(
    store: Store, client: ClientInfo, alice: UserInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = store.tokens.issue(client, grant_type="password", user_id=alice.id)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The audit event is the last write of the delete: failing it must undo the rest.
    monkeypatch.setattr(store.audit, "record", fail)
    with pytest.raises(RuntimeError):
        store.clients.delete(client.id)
    monkeypatch.undo()
    assert store.clients.get(client.id).id == client.id
    assert store.tokens.find(issued.access_token).state == "active"


def test_delete_is_audited_without_the_secret(store: Store, web_client: CreatedClient) -> None:
    store.clients.delete(web_client.client.id)
    events = [(e.action, e.object_id) for e in AuditEvent.select()]
    assert ("client.delete", str(web_client.client.id)) in events


def test_live_token_count_is_what_delete_would_revoke(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    store.tokens.issue(client, grant_type="password", user_id=alice.id)
    store.tokens.issue(client, grant_type="client_credentials")
    dead = store.tokens.issue(client, grant_type="client_credentials")
    store.tokens.revoke(dead.info.id)
    assert store.clients.live_token_count(client.id) == 2
    assert store.clients.delete(client.id) == 2


# -- list ---------------------------------------------------------------------


@pytest.fixture
def catalogue(store: Store, clock: ManualClock) -> list[ClientInfo]:
    """Eight clients whose every sortable column orders them differently from their id."""
    specs = [
        ("delta", dict(password=True), 2),
        ("alpha", dict(redirect_uris=["https://z.example.com/cb"], authorization_code=True), 0),
        ("charlie", dict(client_credentials=True), 5),
        ("echo", dict(redirect_uris=["https://a.example.com/cb"], authorization_code=True), 1),
        ("bravo", dict(personal_access=True, password=True), 0),
        (
            "golf",
            dict(redirect_uris=["https://m.example.com/cb"], authorization_code=True, public=True),
            3,
        ),
        ("foxtrot", dict(client_credentials=True, password=True), 4),
        ("hotel", dict(password=True), 0),
    ]
    ids = []
    start = clock.now()
    # Created at moments in an order of their own (an import, a clock change...).
    for minute, (name, kwargs, _tokens) in zip((3, 6, 1, 7, 0, 4, 2, 5), specs, strict=True):
        clock.set(start + timedelta(minutes=minute))
        ids.append(store.clients.create(f"{name} app", **kwargs).client.id)
    # Updates in yet another order, so updated_at differs from both id and created_at.
    clock.set(start + timedelta(hours=1))
    for client_id in (ids[3], ids[0], ids[6], ids[1], ids[5], ids[2], ids[7], ids[4]):
        clock.advance(timedelta(minutes=1))
        store.clients.update(client_id, scopes="read")
    for client_id, (_name, _kwargs, tokens) in zip(ids, specs, strict=True):
        for _ in range(tokens):
            store.tokens.issue(store.clients.get(client_id), grant_type="client_credentials")
    # An expired and a revoked token count for nothing.
    expired = store.tokens.issue(store.clients.get(ids[7]), grant_type="client_credentials")
    AccessToken.update(expires_at=clock.now()).where(AccessToken.id == expired.info.id).execute()
    revoked = store.tokens.issue(store.clients.get(ids[7]), grant_type="client_credentials")
    store.tokens.revoke(revoked.info.id)
    # Random hints could, once in 40,320 runs, fall in id order: fix them.
    hints = ("k3Zq", "Ab_9", "zz-1", "0aaa", "M4mm", "", "b777", "Q-q2")
    for client_id, hint in zip(ids, hints, strict=True):
        if hint:
            Client.update(secret_hint=hint).where(Client.id == client_id).execute()
    return [store.clients.get(i) for i in ids]


SORT_VALUE = {
    "id": lambda c: c.id,
    "name": lambda c: c.name,
    "grants": lambda c: (c.authorization_code, c.password, c.personal_access, c.client_credentials),
    "redirect_uris": lambda c: "\n".join(c.redirect_uris),
    "secret_hint": lambda c: c.secret_hint,
    "active_tokens": lambda c: c.active_tokens,
    "created_at": lambda c: c.created_at,
    "updated_at": lambda c: c.updated_at,
}


def test_every_sort_key_has_an_expectation() -> None:
    assert set(SORT_VALUE) == set(SORT_KEYS)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_sort_by_every_key(
    store: Store, catalogue: list[ClientInfo], sort: str, descending: bool
) -> None:
    key = SORT_VALUE[sort]
    expected = [c.id for c in sorted(catalogue, key=lambda c: (key(c), c.id))]
    if descending:
        expected.reverse()
    if sort != "id":
        # Otherwise the test would pass with the sort ignored.
        assert expected != sorted(expected) and expected != sorted(expected, reverse=True)
    page = store.clients.list(sort=sort, descending=descending)
    assert [c.id for c in page.items] == expected
    assert page.total == len(catalogue)


def test_list_rows_carry_their_active_token_counts(
    store: Store, catalogue: list[ClientInfo]
) -> None:
    counts = {c.id: c.active_tokens for c in store.clients.list().items}
    assert list(counts.values()) == [2, 0, 5, 1, 0, 3, 4, 0]
    assert store.clients.get(catalogue[2].id).active_tokens == 5


def test_unknown_sort_key_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.clients.list(sort="secret_hash")
    assert set(caught.value.errors) == {"sort"}


def test_filter_by_name_substring(store: Store, catalogue: list[ClientInfo]) -> None:
    page = store.clients.list("ha")
    assert [c.name for c in page.items] == ["alpha app", "charlie app"]
    assert page.total == 2
    # Case-insensitive, trimmed.
    assert store.clients.list("  ECHO ").total == 1
    assert store.clients.list("app").total == 8
    assert store.clients.list("zulu").items == []
    assert store.clients.list("zulu").total == 0


def test_filter_by_id(store: Store, catalogue: list[ClientInfo]) -> None:
    target = catalogue[4]
    page = store.clients.list(str(target.id))
    assert [c.id for c in page.items] == [target.id]
    assert page.total == 1
    assert store.clients.list("9999").total == 0


def test_filter_by_id_also_matches_digits_in_names(store: Store) -> None:
    first = store.clients.create("first", password=True).client
    named = store.clients.create(f"mirror of {first.id}", password=True).client
    assert [c.id for c in store.clients.list(str(first.id)).items] == [first.id, named.id]


def test_filter_treats_like_wildcards_literally(store: Store) -> None:
    store.clients.create("100% uptime", password=True)
    store.clients.create("1000 uptime", password=True)
    store.clients.create("under_score", password=True)
    store.clients.create("underXscore", password=True)
    assert [c.name for c in store.clients.list("0%").items] == ["100% uptime"]
    assert [c.name for c in store.clients.list("r_s").items] == ["under_score"]


def test_paging_by_offset_and_limit(store: Store, catalogue: list[ClientInfo]) -> None:
    ids = [c.id for c in catalogue]
    pages = [store.clients.list(offset=offset, limit=3) for offset in (0, 3, 6, 9)]
    assert [[c.id for c in p.items] for p in pages] == [ids[0:3], ids[3:6], ids[6:8], []]
    assert [p.total for p in pages] == [8, 8, 8, 8]
    assert [(p.offset, p.limit) for p in pages] == [(0, 3), (3, 3), (6, 3), (9, 3)]
    # Paging composes with a filter and a sort.
    filtered = store.clients.list("o", sort="name", descending=True, offset=1, limit=2)
    names = sorted((c.name for c in catalogue if "o" in c.name), reverse=True)
    assert [c.name for c in filtered.items] == names[1:3]
    assert filtered.total == len(names)


def test_paging_arguments_are_clamped(store: Store, catalogue: list[ClientInfo]) -> None:
    page = store.clients.list(offset=-5, limit=0)
    assert (page.offset, page.limit, len(page.items)) == (0, 1, 1)
    assert store.clients.list(limit=10**9).limit == 1000


def test_count_excludes_deleted_clients(store: Store, catalogue: list[ClientInfo]) -> None:
    store.clients.delete(catalogue[0].id)
    assert store.clients.count() == 7
    assert store.clients.list().total == 7
    assert store.clients.list(limit=2).total == 7
