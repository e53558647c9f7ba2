"""PKCE (RFC 7636), S256 only: the one ``s256`` and the checks of challenge and verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from authclients.store.oauth.errors import InvalidRequest

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
"""RFC 7636 §4.1: code-verifier = 43*128unreserved."""
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters."""


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str, method: str) -> None:
    """Validate PKCE parameters of an authorization request (RFC 7636 §4.3): S256 only."""
    if not method:
        raise InvalidRequest(
            "code_challenge_method is missing; only S256 is supported (plain is refused)."
        )
    if method != "S256":
        raise InvalidRequest(
            f"code_challenge_method {'plain' if method == 'plain' else 'given'} is not "
            "supported; use S256 (RFC 7636 section 4.2)."
        )
    if not _S256_CHALLENGE.match(challenge):
        raise InvalidRequest("code_challenge must be 43 base64url characters (S256).")


def check_verifier_syntax(verifier: str) -> None:
    """A presented ``code_verifier`` has RFC 7636 §4.1's form."""
    if verifier and not VERIFIER.match(verifier):
        raise InvalidRequest(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ "
            "(RFC 7636 section 4.1)."
        )


def verifier_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """Does ``verifier`` hash to the stored S256 ``challenge`` (RFC 7636 §4.6)? Constant time."""
    if method != "S256":
        return False
    return hmac.compare_digest(s256(verifier).encode("ascii"), challenge.encode("utf-8"))
