"""Authorization server metadata (RFC 8414) as an endpoint class."""

from __future__ import annotations

from authclients.store.oauth.requests import AUTH_METHODS


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
            "device_authorization_endpoint": f"{issuer}/oauth/device/code",  # RFC 8628 §4
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(self.grant_types),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS[:2]),
            "code_challenge_methods_supported": ["S256"],
            # RFC 9207 §3: every authorization response carries iss.
            "authorization_response_iss_parameter_supported": True,
        }
