"""PKCE (RFC 7636): the state, verifier and S256 challenge of one authorization request,
and the OpenID Connect nonce sent beside them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# The one S256 of the project: the server checks with it, the client derives with it.
from authclients.store.oauth.pkce import s256


@dataclass(frozen=True)
class Pkce:
    """The state, verifier and S256 challenge of one authorization request."""

    state: str
    verifier: str
    challenge: str
    nonce: str = ""
    """Sent when the scope asks for ``openid``; the id_token must echo it (OIDC Core §3.1.2.1)."""

    @classmethod
    def new(cls) -> Pkce:
        # 64 characters of base64url: within RFC 7636's 43 to 128.
        verifier = secrets.token_urlsafe(48)
        return cls(
            state=secrets.token_urlsafe(12),
            verifier=verifier,
            challenge=s256(verifier),
            nonce=secrets.token_urlsafe(16),
        )

    @classmethod
    def fixed(cls, state: str, verifier: str, nonce: str = "") -> Pkce:
        """Known values, for screenshots and tests (the nonce derived from the state if not
        given)."""
        return cls(state, verifier, s256(verifier), nonce or f"{state}-nonce")
