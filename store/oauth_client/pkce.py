"""PKCE (RFC 7636): the state, verifier and S256 challenge of one authorization request."""

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

    @classmethod
    def new(cls) -> Pkce:
        # 64 characters of base64url: within RFC 7636's 43 to 128.
        verifier = secrets.token_urlsafe(48)
        return cls(state=secrets.token_urlsafe(12), verifier=verifier, challenge=s256(verifier))

    @classmethod
    def fixed(cls, state: str, verifier: str) -> Pkce:
        """Known values, for screenshots and tests."""
        return cls(state=state, verifier=verifier, challenge=s256(verifier))
