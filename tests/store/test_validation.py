"""Every input rule of issue 2 §7: a failing and a passing case, through the store."""

from __future__ import annotations

import pytest

from authclients.store import Store, ValidationError
from authclients.store.models import Client, User

from .conftest import PASSWORD

CALLBACK = "https://app.example.com/callback"


def create_error(store: Store, **kwargs) -> dict[str, str]:
    """Create a client that must be refused; returns ``ValidationError.errors``."""
    kwargs.setdefault("name", "App")
    before = Client.select().count()
    with pytest.raises(ValidationError) as caught:
        store.clients.create(**kwargs)
    # Nothing half-written: a refused client leaves no row behind.
    assert Client.select().count() == before
    return caught.value.errors


# -- name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   \t  ",
        "x" * 256,
        "bad\x07bell",
        "tab\tinside",
        "new\nline",
        "esc\x1b[31m",
        "evil\u202etxt.exe",  # right-to-left override
        "isolate\u2066x\u2069",
    ],
    ids=["empty", "whitespace", "256", "bell", "tab", "newline", "escape", "rlo", "isolate"],
)
def test_bad_names_are_refused_on_the_name_field(store: Store, name: str) -> None:
    errors = create_error(store, name=name, password=True)
    assert set(errors) == {"name"}
    assert errors["name"]


def test_255_characters_is_the_longest_name(store: Store) -> None:
    created = store.clients.create("x" * 255, password=True)
    assert store.clients.get(created.client.id).name == "x" * 255


def test_the_name_is_trimmed_before_counting_and_storing(store: Store) -> None:
    # 255 characters inside 4 spaces of padding: 259 raw, 255 after trimming.
    created = store.clients.create("  " + "y" * 255 + "  ", password=True)
    assert created.client.name == "y" * 255
    assert store.clients.get(created.client.id).name == "y" * 255


def test_unicode_names_without_controls_are_fine(store: Store) -> None:
    created = store.clients.create("Café — Zürich 東京", password=True)
    assert created.client.name == "Café — Zürich 東京"


def test_update_applies_the_same_name_rules(store: Store) -> None:
    created = store.clients.create("Good", password=True)
    with pytest.raises(ValidationError) as caught:
        store.clients.update(created.client.id, name="  ")
    assert set(caught.value.errors) == {"name"}
    assert store.clients.get(created.client.id).name == "Good"


# -- redirect URIs ------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com:8443/cb?x=1",
        "http://127.0.0.1:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]/cb",
        "http://[::1]:9000/cb",
        "http://localhost",
        "http://localhost:3000/callback",
        "HTTP://LOCALHOST/cb",
        "com.example.app:/callback",
        "com.example.app://oauth/callback",
    ],
)
def test_acceptable_redirect_uris(store: Store, uri: str) -> None:
    created = store.clients.create("App", [uri], authorization_code=True)
    assert store.clients.get(created.client.id).redirect_uris == (uri,)


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/cb",
        "http://127.0.0.1.evil.example/cb",
        "http://localhost.evil.example/cb",
        "http://10.0.0.1/cb",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "/callback",
        "callback",
        "//app.example.com/cb",
        "https://app.example.com/cb#frag",
        "https://*.example.com/cb",
        "https://app.example.com/*",
        "https://app.example.com/a b",
        "https://app.example.com/\x00",
        "myapp:/cb",
        "https://",
        "https://app.example.com:99999/cb",
    ],
)
def test_refused_redirect_uris(store: Store, uri: str) -> None:
    errors = create_error(store, redirect_uris=[uri], authorization_code=True)
    assert set(errors) == {"redirect_uris"}


def test_a_space_inside_a_uri_is_refused_even_when_trimmed(store: Store) -> None:
    # Surrounding whitespace is trimmed (typed input), inner whitespace is not.
    created = store.clients.create("App", ["  " + CALLBACK + "\n"], authorization_code=True)
    assert created.client.redirect_uris == (CALLBACK,)
    errors = create_error(store, redirect_uris=["https://app.example.com/x y"], password=True)
    assert "redirect_uris" in errors


def test_several_uris_are_kept_in_order_without_duplicates(store: Store) -> None:
    uris = ["https://b.example.com/cb", "http://127.0.0.1:8080/cb", "https://b.example.com/cb"]
    created = store.clients.create("App", uris, authorization_code=True)
    assert created.client.redirect_uris == ("https://b.example.com/cb", "http://127.0.0.1:8080/cb")


def test_one_bad_uri_among_good_ones_refuses_the_client(store: Store) -> None:
    errors = create_error(
        store, redirect_uris=[CALLBACK, "http://example.com/cb"], authorization_code=True
    )
    assert "http://example.com/cb" in errors["redirect_uris"]


def test_authorization_code_needs_a_redirect_uri(store: Store) -> None:
    errors = create_error(store, redirect_uris=[], authorization_code=True)
    assert set(errors) == {"redirect_uris"}
    # Blank entries do not count as a redirect URI.
    errors = create_error(store, redirect_uris=["", "   "], authorization_code=True)
    assert set(errors) == {"redirect_uris"}


def test_other_grants_need_no_redirect_uri(store: Store) -> None:
    created = store.clients.create("Legacy", password=True)
    assert created.client.redirect_uris == ()


def test_turning_off_the_last_redirect_uri_of_a_code_client_is_refused(store: Store) -> None:
    created = store.clients.create("App", [CALLBACK], authorization_code=True)
    with pytest.raises(ValidationError) as caught:
        store.clients.update(created.client.id, redirect_uris=[])
    assert set(caught.value.errors) == {"redirect_uris"}
    assert store.clients.get(created.client.id).redirect_uris == (CALLBACK,)


# -- grants and public clients --------------------------------------------------


def test_at_least_one_grant(store: Store) -> None:
    errors = create_error(store, redirect_uris=[CALLBACK])
    assert set(errors) == {"grants"}


@pytest.mark.parametrize(
    "grant", ["authorization_code", "password", "personal_access", "client_credentials"]
)
def test_any_single_grant_is_enough(store: Store, grant: str) -> None:
    created = store.clients.create("App", [CALLBACK], **{grant: True})
    assert created.client.grant_types == (grant,)


def test_public_client_with_only_the_code_grant_is_fine(store: Store) -> None:
    created = store.clients.create("SPA", [CALLBACK], authorization_code=True, public=True)
    assert created.client.public
    assert created.secret is None
    assert created.client.secret_hint == ""


@pytest.mark.parametrize("grant", ["password", "personal_access", "client_credentials"])
def test_public_client_may_not_use_other_grants(store: Store, grant: str) -> None:
    errors = create_error(
        store, redirect_uris=[CALLBACK], authorization_code=True, public=True, **{grant: True}
    )
    assert set(errors) == {"public"}


def test_making_a_password_client_public_is_refused(store: Store) -> None:
    created = store.clients.create("Legacy", password=True)
    with pytest.raises(ValidationError) as caught:
        store.clients.update(created.client.id, public=True)
    assert "public" in caught.value.errors
    assert not store.clients.get(created.client.id).public


# -- scopes -------------------------------------------------------------------


def test_scopes_are_space_separated_tokens(store: Store) -> None:
    created = store.clients.create("App", password=True, scopes="read  write read users:me")
    assert created.client.scopes == ("read", "write", "users:me")
    created = store.clients.create("App 2", password=True, scopes=["a", "b"])
    assert created.client.scopes == ("a", "b")


@pytest.mark.parametrize("scope", ['say"hi"', "back\\slash", "café", "bell\x07"])
def test_scopes_outside_rfc_6749_syntax_are_refused(store: Store, scope: str) -> None:
    errors = create_error(store, password=True, scopes=["read", scope])
    assert set(errors) == {"scopes"}


# -- several errors at once -----------------------------------------------------


def test_every_broken_rule_is_reported_together(store: Store) -> None:
    errors = create_error(
        store,
        name="  ",
        redirect_uris=["javascript:alert(1)"],
        authorization_code=True,
        password=True,
        public=True,
        scopes=['bad"scope'],
    )
    assert set(errors) == {"name", "redirect_uris", "scopes", "public"}
    message = str(ValidationError(errors))
    for field in errors:
        assert field in message


def test_no_grant_and_no_name_come_back_together(store: Store) -> None:
    errors = create_error(store, name="")
    assert set(errors) == {"name", "grants"}


# -- users --------------------------------------------------------------------


def add_error(store: Store, username: str, password: str = PASSWORD) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        store.users.add(username, password)
    return caught.value.errors


@pytest.mark.parametrize(
    "username",
    ["", "   ", "u" * 151, "two words", "tab\tname", "nul\x00", "bidi\u202e"],
    ids=["empty", "blank", "151", "space", "tab", "nul", "bidi"],
)
def test_bad_usernames(store: Store, username: str) -> None:
    assert set(add_error(store, username)) == {"username"}
    assert User.select().count() == 0


@pytest.mark.parametrize("username", ["a", "u" * 150, "alice.smith@example.com", "Zoë"])
def test_good_usernames(store: Store, username: str) -> None:
    assert store.users.add(username, PASSWORD).username == username


def test_username_is_trimmed(store: Store) -> None:
    assert store.users.add("  bob  ", PASSWORD).username == "bob"
    assert store.users.verify("bob", PASSWORD) is not None


def test_usernames_are_unique(store: Store) -> None:
    store.users.add("alice", PASSWORD)
    assert set(add_error(store, "alice", "another password")) == {"username"}
    assert set(add_error(store, " alice ", "another password")) == {"username"}
    assert User.select().count() == 1


def test_password_needs_8_characters(store: Store) -> None:
    assert set(add_error(store, "carol", "1234567")) == {"password"}
    assert store.users.add("carol", "12345678").username == "carol"


def test_username_and_password_errors_come_back_together(store: Store) -> None:
    assert set(add_error(store, "two words", "short")) == {"username", "password"}


def test_set_password_applies_the_same_rule(store: Store) -> None:
    store.users.add("dave", PASSWORD)
    with pytest.raises(ValidationError) as caught:
        store.users.set_password("dave", "short")
    assert set(caught.value.errors) == {"password"}
    assert store.users.verify("dave", PASSWORD) is not None


def test_error_messages_never_echo_the_password(store: Store) -> None:
    for password in ("short", "x" * 2000, "null\x00byte-password"):
        with pytest.raises(ValidationError) as caught:
            store.users.add("erin", password)
        assert password not in str(caught.value)
