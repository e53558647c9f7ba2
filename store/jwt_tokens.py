"""The strings we hand out as access tokens and ID tokens: opaque, RFC 9068 JWT, OIDC ID token.

Whatever the format, the token is stored by its SHA-256 digest, so
revocation, introspection and the API treat a JWT exactly as an opaque token
(a tampered or foreign JWT is simply unknown). ``new_access_token`` is the one
function every issuing path calls.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from authclients.store import crypto
from authclients.store.context import KeyRing

FORMAT_OPAQUE = "opaque"
FORMAT_JWT = "jwt"
TOKEN_FORMATS = (FORMAT_OPAQUE, FORMAT_JWT)

ACCESS_TOKEN_TYP = "at+jwt"
"""RFC 9068 §2.1: the header ``typ`` that keeps an access token from passing as an ID token."""
API_RESOURCE_PATH = "/api/1.0"
"""The built-in API's resource identifier is the issuer plus this: the access token's ``aud``."""

SCOPE_OPENID = "openid"
SCOPE_PROFILE = "profile"
SCOPE_EMAIL = "email"
OIDC_SCOPES = {
    SCOPE_OPENID: "Sign you in with OpenID Connect (an ID token naming your user id).",
    SCOPE_PROFILE: "Your name and username (OpenID Connect profile claims).",
    SCOPE_EMAIL: "Your email address (OpenID Connect email claim).",
}


def api_audience(issuer: str) -> str:
    """The ``aud`` of our JWT access tokens: the built-in API under ``issuer``."""
    return issuer + API_RESOURCE_PATH


def new_access_token(
    keys: KeyRing,
    *,
    token_format: str,
    issuer: str | None,
    client_id: int,
    user_id: int | None,
    scopes: tuple[str, ...],
    issued_at: datetime,
    expires_at: datetime | None,
    audience: tuple[str, ...] = (),
) -> tuple[str, str | None]:
    """A new access token and its ``jti`` (None for an opaque one).

    A JWT needs an issuer and an expiry: without either (no endpoint running,
    or a token that never expires) the token is opaque, since a self-contained
    token that never expires could never be revoked for a signature-only
    resource server.
    """
    if token_format != FORMAT_JWT or issuer is None or expires_at is None:
        return crypto.new_secret(), None
    jti = crypto.new_secret()
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": str(user_id if user_id is not None else client_id),
        # RFC 8707: a token bound to resource servers names them (one as a string, as
        # RFC 9068 §2.2 writes it); an unbound one is for the built-in API.
        "aud": (audience[0] if len(audience) == 1 else list(audience))
        if audience
        else api_audience(issuer),
        "client_id": str(client_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
    }
    if scopes:
        claims["scope"] = " ".join(scopes)
    return keys.signer().sign(claims, typ=ACCESS_TOKEN_TYP), jti


@dataclass(frozen=True)
class IdentityClaims:
    """What an ID token and ``/oauth/userinfo`` may say of a user."""

    user_id: int
    username: str
    name: str | None
    email: str | None

    def for_scopes(self, scopes: tuple[str, ...]) -> dict[str, object]:
        """``sub`` always; profile and email claims only when those scopes were granted."""
        claims: dict[str, object] = {"sub": str(self.user_id)}
        if SCOPE_PROFILE in scopes:
            claims["preferred_username"] = self.username
            if self.name:
                claims["name"] = self.name
        if SCOPE_EMAIL in scopes and self.email:
            claims["email"] = self.email
        return claims


def id_token(
    keys: KeyRing,
    *,
    issuer: str,
    client_id: int,
    identity: IdentityClaims,
    scopes: tuple[str, ...],
    issued_at: datetime,
    expires_at: datetime,
    auth_time: datetime | None,
    nonce: str | None,
    access_token: str,
) -> str:
    """An OpenID Connect Core §2 ID token for the code flow (§3.1.3.6: with ``at_hash``)."""
    claims: dict[str, object] = {
        "iss": issuer,
        **identity.for_scopes(scopes),
        "aud": str(client_id),
        "azp": str(client_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "at_hash": at_hash(access_token),
    }
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    if nonce is not None:
        claims["nonce"] = nonce
    return keys.signer().sign(claims)


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of the SHA-256 of the token, base64url (ES256 and RS256)."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def token_format_of(jti: str | None) -> str:
    """The format of a stored access token: only a JWT has a ``jti``."""
    return FORMAT_JWT if jti else FORMAT_OPAQUE
