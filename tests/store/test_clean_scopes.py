"""``clean_scopes``: space-separated scope tokens, duplicates dropped, first order kept."""

from __future__ import annotations

from authclients.store.validation import clean_scopes


def test_duplicates_go_and_the_first_order_stays() -> None:
    assert clean_scopes("b a b  c a") == (("b", "a", "c"), None)
    assert clean_scopes(["x", " x ", "", "y"]) == (("x", "y"), None)


def test_many_names_each_kept_once() -> None:
    names = [f"s{i % 250}" for i in range(2000)]
    scopes, error = clean_scopes(" ".join(names))
    assert error is None
    assert scopes == tuple(f"s{i}" for i in range(250))


def test_a_bad_token_stops_with_what_came_before() -> None:
    scopes, error = clean_scopes('read "write" admin')
    assert scopes == ("read",)
    assert error is not None and "printable ASCII" in error
