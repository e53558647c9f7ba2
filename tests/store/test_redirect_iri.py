"""Non-ASCII redirect URIs are stored as the URI they map to (RFC 3987 §3.1)."""

from __future__ import annotations

import pytest

from authclients.store import Store, ValidationError
from authclients.store.validation import clean_redirect_uris, to_ascii_uri

CALLBACK = "https://app.example/コールバック"
ENCODED = "https://app.example/%E3%82%B3%E3%83%BC%E3%83%AB%E3%83%90%E3%83%83%E3%82%AF"


@pytest.mark.parametrize(
    ("iri", "uri"),
    [
        (CALLBACK, ENCODED),
        ("https://app.example/cb?lang=é&x=%41", "https://app.example/cb?lang=%C3%A9&x=%41"),
        ("https://bücher.example:8443/ü", "https://xn--bcher-kva.example:8443/%C3%BC"),
        ("com.example.app:/コ", "com.example.app:/%E3%82%B3"),
        ("https://ascii.example/cb?q=1", "https://ascii.example/cb?q=1"),
    ],
)
def test_iris_become_ascii_uris(iri: str, uri: str) -> None:
    assert to_ascii_uri(iri) == (uri, None)
    assert clean_redirect_uris([iri]) == ((uri,), None)
    assert to_ascii_uri(uri) == (uri, None)  # already a URI: unchanged, never escaped twice


@pytest.mark.parametrize(
    "iri",
    [
        "https://app.example/\u202ecb",  # a bidi override
        "https://app.example/\x9bcb",  # a C1 control: encoding must not hide it
        "https://app.example/コール バック",
        "https://bücher.example:99999/",
        "https://xn--.example\u3002\u3002/",
    ],
)
def test_controls_and_malformed_iris_are_refused(iri: str) -> None:
    _uri, error = to_ascii_uri(iri)
    assert error is not None
    assert clean_redirect_uris([iri])[1] is not None


def test_a_registered_iri_is_stored_and_matched_exactly(store: Store) -> None:
    created = store.clients.create("Japanese app", [CALLBACK], authorization_code=True)
    assert created.client.redirect_uris == (ENCODED,)
    assert store.clients.get(created.client.id).redirect_uris == (ENCODED,)
    assert created.client.redirect_uris[0].isascii()
    # Saved again from a form showing the stored value: nothing changes.
    again = store.clients.update(created.client.id, redirect_uris=[ENCODED, CALLBACK])
    assert again.redirect_uris == (ENCODED,)


def test_a_control_character_is_refused_at_registration(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.clients.create("App", ["https://app.example/\x85cb"], authorization_code=True)
    assert set(caught.value.errors) == {"redirect_uris"}
