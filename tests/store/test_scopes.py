"""Scopes the server knows: list, add, delete, defined/undefined, and clients defining them."""

from __future__ import annotations

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.jwt_tokens import OIDC_SCOPES
from authclients.store.records import ClientInfo


def test_add_list_delete(store: Store) -> None:
    store.scopes.add("write", "Change things")
    store.scopes.add("read")
    listed = [s for s in store.scopes.list() if s.name not in OIDC_SCOPES]
    assert [(s.name, s.description) for s in listed] == [("read", ""), ("write", "Change things")]
    store.scopes.delete("read")
    assert [s.name for s in store.scopes.list() if s.name not in OIDC_SCOPES] == ["write"]
    with pytest.raises(NotFound):
        store.scopes.delete("read")


@pytest.mark.parametrize(
    "name",
    ["", "two words", 'quo"te', "back\\slash", "x" * 101, "é", "tab\there"],
)
def test_names_are_rfc_6749_scope_tokens(store: Store, name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        store.scopes.add(name)
    assert set(caught.value.errors) == {"name"}


def test_a_name_is_defined_once_and_descriptions_are_one_line(store: Store) -> None:
    store.scopes.add("users:read")
    with pytest.raises(ValidationError, match="already defined"):
        store.scopes.add("users:read")
    with pytest.raises(ValidationError) as caught:
        store.scopes.add("other", "line\x1b[2Jbreak")
    assert set(caught.value.errors) == {"description"}


def test_defined_and_undefined(store: Store) -> None:
    store.scopes.add("read")
    store.scopes.add("write")
    assert store.scopes.defined(["read", "admin", "write"]) == {"read", "write"}
    assert store.scopes.undefined(["admin", "read", "admin", "root"]) == ["admin", "root"]
    assert store.scopes.undefined([]) == []


def test_clients_define_the_scopes_they_list_and_say_which(store: Store) -> None:
    store.scopes.add("read")
    created = store.clients.create("Cron", client_credentials=True, scopes="read write")
    assert created.scopes_added == ("write",)
    updated = store.clients.update(created.client.id, scopes="read write admin")
    assert updated.scopes_added == ("admin",)
    assert store.clients.update(created.client.id, name="Cron 2").scopes_added == ()
    assert store.scopes.undefined(["read", "write", "admin"]) == []


def test_a_scope_a_client_lists_cannot_be_deleted(store: Store, client: ClientInfo) -> None:
    store.clients.update(client.id, scopes="read")
    assert store.scopes.get("read").clients == (client.id,)
    with pytest.raises(ValidationError, match=f"client {client.id}: remove it"):
        store.scopes.delete("read")
    store.clients.update(client.id, scopes="")
    store.scopes.delete("read")
    # A deleted client lists nothing.
    store.clients.update(client.id, scopes="gone")
    store.clients.delete(client.id)
    store.scopes.delete("gone")
