"""Authorization server metadata (RFC 8414) as an endpoint class."""

from __future__ import annotations

from authclients.store.jwt_tokens import OIDC_SCOPES
from authclients.store.oauth.requests import AUTH_METHODS
from authclients.store.signing_keys import ALGORITHMS


class MetadataEndpoint:
    """RFC 8414 §2: what this server offers, under the issuer it is reached at."""

    def __init__(self, grant_types: tuple[str, ...]) -> None:
        self.grant_types = grant_types

    def document(self, issuer: str) -> dict[str, object]:
        """The metadata document for ``issuer`` (``http://HOST:PORT``)."""
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(self.grant_types),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS[:2]),
            "code_challenge_methods_supported": ["S256"],
            # RFC 9207 §3: every authorization response carries iss.
            "authorization_response_iss_parameter_supported": True,
            "jwks_uri": f"{issuer}/oauth/jwks",
        }

    def openid_document(self, issuer: str) -> dict[str, object]:
        """OpenID Connect Discovery 1.0 §3: the same data plus the OpenID Provider fields."""
        return {
            **self.document(issuer),
            "userinfo_endpoint": f"{issuer}/oauth/userinfo",
            "scopes_supported": list(OIDC_SCOPES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "at_hash",
                "azp",
                "name",
                "preferred_username",
                "email",
            ],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }
