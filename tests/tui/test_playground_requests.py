"""The playground's request builders and redirect reading, without a screen."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from authclients.store import oauth_client as oc
from authclients.tui.widgets.playground.code_flow import read_redirect, stopped_hint
from authclients.tui.widgets.playground.grant_requests import (
    NO_CLIENT,
    NotReady,
    PersonalTokenOrder,
    follow_up_request,
    grant_request,
)

TARGET = oc.Target.from_base("http://127.0.0.1:8765")
WEB = oc.ClientCredentials("3", "s3cret")
TOKENS = oc.TokenSet(access_token="at", refresh_token="rt", expires_in=60)


def _form(**values: str):  # type: ignore[no-untyped-def]
    def value(input_id: str, *, strip: bool = True) -> str:
        raw = values.get(input_id.removeprefix("pg-").replace("-", "_"), "")
        return raw.strip() if strip else raw

    return value


def test_grant_requests_read_the_form() -> None:
    form = _form(username=" alice ", password=" pass ", scope_password="read")
    request = grant_request("password", TARGET, WEB, form, "verifier")
    body = parse_qs(request.body)
    # The username is trimmed; the password is sent exactly as typed.
    assert body["username"] == ["alice"] and body["password"] == [" pass "]
    code = grant_request(
        "authorization_code", TARGET, WEB, _form(code="c0de", redirect_uri="https://x/cb"), "v"
    )
    assert parse_qs(code.body)["code_verifier"] == ["v"]


@pytest.mark.parametrize(
    ("grant", "creds", "said"),
    [
        ("password", oc.ClientCredentials(""), NO_CLIENT),
        ("authorization_code", WEB, "No code yet"),
        ("refresh_token", WEB, "No refresh token: get one"),
    ],
)
def test_grant_requests_say_what_is_missing(
    grant: str, creds: oc.ClientCredentials, said: str
) -> None:
    with pytest.raises(NotReady, match=said):
        grant_request(grant, TARGET, creds, _form(), "v")


def test_follow_ups() -> None:
    assert "token=at" in follow_up_request("introspect", TARGET, WEB, TOKENS).body
    assert follow_up_request("revoke", TARGET, WEB, TOKENS).url == TARGET.revoke_url
    api = follow_up_request("api", TARGET, oc.ClientCredentials(""), TOKENS, api_path="/x")
    assert api.url == "http://127.0.0.1:8765/x"  # the API needs no client
    typed = follow_up_request("refresh_token", TARGET, WEB, None, typed_refresh="typed")
    assert parse_qs(typed.body)["refresh_token"] == ["typed"]
    with pytest.raises(NotReady, match="No access token yet"):
        follow_up_request("introspect", TARGET, oc.ClientCredentials(""), None)
    with pytest.raises(NotReady, match="Choose a client"):
        follow_up_request("revoke", TARGET, oc.ClientCredentials(""), TOKENS)
    with pytest.raises(NotReady, match="No refresh token in the last response"):
        follow_up_request("refresh_token", TARGET, WEB, None)


def test_personal_token_order_is_a_store_entry() -> None:
    order = PersonalTokenOrder.from_form(_form(username="bob", pat_name="laptop", pat_days="x"))
    assert order == PersonalTokenOrder("bob", "laptop", "", 0)
    request = order.as_request()
    assert request.method == "STORE" and parse_qs(request.body)["name"] == ["laptop"]


def test_read_redirect() -> None:
    good = read_redirect("https://app/cb?code=abcdefghijkl&state=s1", "s1")
    assert good.code == "abcdefghijkl" and not good.error
    assert good.message == "Code received (state checked): abcdefghij…"
    forged = read_redirect("https://app/cb?code=abc&state=evil", "s1")
    assert forged.error and forged.clear_code and not forged.code
    denied = read_redirect("https://app/cb?error=access_denied&state=s1", "s1")
    assert denied.error and "chose Deny" in denied.hint
    empty = read_redirect("https://app/cb", "s1")
    assert empty.error and "neither a code nor an error" in empty.message


def test_stopped_hint() -> None:
    refused = oc.Exchange(oc.HttpRequest("authorize", "GET", "http://x"), None, "refused", "h")
    assert stopped_hint("refused", refused, embedded=True) == "h"
    assert "Copy URL" in stopped_hint("HTTP 404", None, embedded=False)
    assert stopped_hint("Cancelled.", None, embedded=False) == ""
    assert stopped_hint("HTTP 404", None, embedded=True) == ""
