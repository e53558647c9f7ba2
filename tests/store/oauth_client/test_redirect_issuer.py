"""The playground's OAuth client checks RFC 9207 ``iss`` against the target's issuer."""

from __future__ import annotations

import pytest

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.endpoint import TokenEndpoint


def test_iss_when_present_must_be_the_targets_issuer() -> None:
    issuer = "https://auth.example.com"
    ok = oc.parse_redirect(f"https://app/cb?code=c&state=st&iss={issuer}", "st", issuer)
    assert ok.code == "c"
    # Absent: servers without RFC 9207 still work.
    assert oc.parse_redirect("https://app/cb?code=c&state=st", "st", issuer).code == "c"
    for other in ("https://evil.example", "https://auth.example.com/", "HTTPS://auth.example.com"):
        with pytest.raises(oc.IssuerMismatch, match="mix-up"):
            oc.parse_redirect(f"https://app/cb?code=c&state=st&iss={other}", "st", issuer)
    # An error response is checked too: a mixed-up server's error is not ours either.
    with pytest.raises(oc.IssuerMismatch):
        oc.parse_redirect("https://app/cb?error=access_denied&state=st&iss=x", "st", issuer)
    # The playground catches StateMismatch: an issuer mismatch is refused the same way.
    assert issubclass(oc.IssuerMismatch, oc.StateMismatch)


def test_the_targets_issuer_comes_from_its_metadata() -> None:
    target = oc.Target.from_base("http://10.0.0.7:8765/")
    assert target.issuer == "http://10.0.0.7:8765"
    public = target.with_metadata({"issuer": "https://auth.example.com"})
    assert public.issuer == "https://auth.example.com"
    assert public.with_metadata({"issuer": 5}).issuer == "https://auth.example.com"


def test_a_real_authorization_response_names_the_embedded_endpoint(store: Store) -> None:
    client = store.clients.create("Web", ["https://app/cb"], authorization_code=True)
    store.users.add("alice", "correct horse battery")
    with TokenEndpoint(store, port=0) as endpoint:
        target = oc.Target.from_base(endpoint.url)
        pkce = oc.Pkce.new()
        dance = oc.AuthorizeDance(
            oc.authorize_url(target, str(client.client.id), "https://app/cb", "", pkce)
        )
        assert dance.start() is not None
        assert dance.sign_in("alice", "correct horse battery") is not None
        location = dance.decide(approve=True)
    redirect = oc.parse_redirect(location, pkce.state, target.issuer)
    assert redirect.code
    with pytest.raises(oc.IssuerMismatch):
        oc.parse_redirect(location, pkce.state, "http://127.0.0.1:1")


def test_a_server_that_says_it_sends_iss_must_send_it() -> None:
    """RFC 9207 §2.4: with ``authorization_response_iss_parameter_supported`` a response
    without ``iss`` is refused (a mix-up attacker's server would leave it out)."""
    issuer = "https://auth.example.com"
    target = oc.Target.from_base(issuer).with_metadata(
        {"issuer": issuer, "authorization_response_iss_parameter_supported": True}
    )
    assert target.iss_required
    with pytest.raises(oc.IssuerMismatch, match="RFC 9207"):
        oc.parse_redirect("https://app/cb?code=c&state=st", "st", issuer, target.iss_required)
    ok = oc.parse_redirect(f"https://app/cb?code=c&state=st&iss={issuer}", "st", issuer, True)
    assert ok.code == "c"
    # A server that does not say so may leave it out.
    assert not oc.Target.from_base(issuer).with_metadata({"issuer": issuer}).iss_required
