"""How the playground proves who the client is: every method of RFC 6749 §2.3 and RFC 7523.

``client_secret_basic`` and ``client_secret_post`` send the secret itself;
``client_secret_jwt`` and ``private_key_jwt`` send a short-lived signed assertion
instead (RFC 7523 §2.2), HMAC with the secret or a signature with a key pair the
playground made; ``none`` is a public client, which proves nothing and relies on
PKCE. JOSE is joserfc's: no signature code is written here (imported when a JWT
method is used, so the CLI's other commands do not pay its ~50 ms).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from joserfc.jwk import Key

BASIC = "client_secret_basic"
POST = "client_secret_post"
SECRET_JWT = "client_secret_jwt"
PRIVATE_KEY_JWT = "private_key_jwt"
NONE = "none"
AUTH_METHODS = (BASIC, POST, SECRET_JWT, PRIVATE_KEY_JWT, NONE)
"""Every method the playground speaks, in the order it offers them."""

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60
"""Seconds an assertion is good for: long enough for a slow server, short for a thief."""
KEY_ALGORITHMS = ("ES256", "RS256")


def generate_key_pair(alg: str = "ES256") -> Key:
    """A fresh key pair for ``private_key_jwt``, kept in memory; its kid is its thumbprint."""
    from joserfc.jwk import ECKey, RSAKey

    if alg == "ES256":
        key: Key = ECKey.generate_key("P-256", parameters={"alg": alg, "use": "sig"})
    elif alg == "RS256":
        key = RSAKey.generate_key(2048, parameters={"alg": alg, "use": "sig"})
    else:
        raise ValueError(f"Unsupported key algorithm {alg!r}: choose one of {KEY_ALGORITHMS}.")
    key.ensure_kid()
    return key


def public_jwks(key: Key) -> str:
    """The JWKS to paste into the other server's client registration: public parts only."""
    return json.dumps({"keys": [key.as_dict(private=False)]}, indent=2)


@dataclass(frozen=True)
class ClientCredentials:
    """The client as the playground presents it; secret and key live in memory only.

    Attributes:
        client_id: the id, as text.
        secret: the secret, or empty for a public client.
        method: one of ``AUTH_METHODS``; with no secret the basic and post methods
            send the id alone, as a public client does.
        key: the private key for ``private_key_jwt``.
    """

    client_id: str
    secret: str = ""
    method: str = BASIC
    key: Key | None = field(default=None, repr=False, compare=False)

    def apply(
        self, params: dict[str, str], audience: str
    ) -> tuple[tuple[tuple[str, str], ...], dict[str, str], tuple[str, ...]]:
        """Headers, body parameters and the values to mask, for a request to ``audience``.

        Raises:
            ValueError: the method needs something this client lacks (a secret, a key).
        """
        params = dict(params)
        method = self.method if self.method in AUTH_METHODS else BASIC
        if method in (SECRET_JWT, PRIVATE_KEY_JWT):
            assertion = self._assertion(method, audience)
            params["client_id"] = self.client_id
            params["client_assertion_type"] = ASSERTION_TYPE
            params["client_assertion"] = assertion
            return (), params, (*self._secret_values(), assertion)
        if self.secret and method == BASIC:
            return (("Authorization", f"Basic {self._basic()}"),), params, self._secret_values()
        params["client_id"] = self.client_id
        if self.secret and method == POST:
            params["client_secret"] = self.secret
        return (), params, self._secret_values()

    def _assertion(self, method: str, audience: str) -> str:
        """RFC 7523 §3: iss and sub the client, aud the endpoint, a unique jti, a short exp."""
        from joserfc import jwt
        from joserfc.jwk import OctKey

        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        if method == SECRET_JWT:
            if not self.secret:
                raise ValueError("client_secret_jwt signs with the client secret: enter one.")
            key: Key = OctKey.import_key(self.secret)
            header = {"alg": "HS256"}
        else:
            if self.key is None:
                raise ValueError("private_key_jwt needs a key pair: generate one first.")
            key = self.key
            header = {"alg": str(key.alg or "ES256"), "kid": str(key.kid)}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    def _basic(self) -> str:
        # §2.3.1: id and secret are form-urlencoded before base64.
        pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
        return base64.b64encode(pair.encode("utf-8")).decode("ascii")

    def _secret_values(self) -> tuple[str, ...]:
        return (self.secret, self._basic()) if self.secret else ()

    def secrets(self) -> tuple[str, ...]:
        """What to mask wherever this client's requests are shown."""
        return self._secret_values()
