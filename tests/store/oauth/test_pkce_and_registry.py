"""The OAuth layer without HTTP: PKCE S256 and the grant registry."""

from __future__ import annotations

import pytest

from authclients.store.oauth.errors import InvalidRequest, UnsupportedGrantType
from authclients.store.oauth.grants import GRANTS
from authclients.store.oauth.pkce import (
    check_challenge,
    check_verifier_syntax,
    s256,
    verifier_matches,
)

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
"""RFC 7636 Appendix B."""


def test_s256_matches_rfc_7636_appendix_b() -> None:
    assert s256(RFC_VERIFIER) == RFC_CHALLENGE
    assert verifier_matches(RFC_VERIFIER, RFC_CHALLENGE, "S256")
    assert not verifier_matches(RFC_VERIFIER, RFC_CHALLENGE, "plain")
    assert not verifier_matches(RFC_VERIFIER[:-1] + "A", RFC_CHALLENGE, "S256")


@pytest.mark.parametrize(
    ("challenge", "method", "says"),
    [
        (RFC_CHALLENGE, "", "code_challenge_method is missing"),
        (RFC_CHALLENGE, "plain", "plain is not supported"),
        (RFC_CHALLENGE, "S512", "given is not supported"),
        ("short", "S256", "43 base64url characters"),
    ],
)
def test_only_well_formed_s256_challenges_pass(challenge: str, method: str, says: str) -> None:
    check_challenge(RFC_CHALLENGE, "S256")
    with pytest.raises(InvalidRequest, match=says):
        check_challenge(challenge, method)


def test_verifier_syntax() -> None:
    check_verifier_syntax(RFC_VERIFIER)
    check_verifier_syntax("")  # absent: the grant decides whether one was needed
    with pytest.raises(InvalidRequest, match="43 to 128"):
        check_verifier_syntax("a" * 42)


def test_registry_dispatches_on_grant_type_in_metadata_order() -> None:
    assert GRANTS.grant_types == (
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    )
    for grant_type in GRANTS.grant_types:
        assert grant_type == GRANTS.lookup(grant_type).GRANT_TYPE
    with pytest.raises(InvalidRequest, match="grant_type parameter is missing"):
        GRANTS.lookup("")
    with pytest.raises(UnsupportedGrantType) as caught:
        GRANTS.lookup('implicit"§' + "x" * 100)
    # Echoed, cut to 60 characters, and within RFC 6749 section 5.2's character set.
    assert "'implicit'section " in caught.value.description
    assert caught.value.description.isascii() and '"' not in caught.value.description
