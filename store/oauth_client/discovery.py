"""Where requests go: a server's base URL, its endpoints and its RFC 8414 metadata."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urljoin

from authclients.store.oauth_client.http import HttpRequest

API_PATH = "/api/1.0/users/me"
METADATA_PATH = "/.well-known/oauth-authorization-server"
OPENID_METADATA_PATH = "/.well-known/openid-configuration"
"""OpenID Connect Discovery 1.0 §4: where Keycloak, Google and most OIDC providers publish."""
JWKS_PATH = "/oauth/jwks"
"""Where Passport-like servers (and the embedded endpoint) publish their signing keys."""


@dataclass(frozen=True)
class Target:
    """A server's base URL and its endpoints (Passport's paths unless its metadata says else)."""

    base_url: str
    token_url: str
    authorize_url: str
    revoke_url: str
    introspect_url: str
    issuer_url: str = ""
    """The issuer its metadata names; empty: the base URL is taken for it."""
    jwks_url: str = ""
    """Its JSON Web Key Set (the metadata's ``jwks_uri``); empty: none known."""

    @property
    def issuer(self) -> str:
        """Who must have answered an authorization request (RFC 9207 ``iss``)."""
        return self.issuer_url or self.base_url

    @classmethod
    def from_base(cls, base_url: str) -> Target:
        base = base_url.strip().rstrip("/")
        return cls(
            base_url=base,
            token_url=f"{base}/oauth/token",
            authorize_url=f"{base}/oauth/authorize",
            revoke_url=f"{base}/oauth/revoke",
            introspect_url=f"{base}/oauth/introspect",
            jwks_url=f"{base}{JWKS_PATH}",
        )

    def with_metadata(self, metadata: dict[str, object]) -> Target:
        """The endpoints an RFC 8414 document names; the others unchanged."""
        names = {
            "token_url": "token_endpoint",
            "authorize_url": "authorization_endpoint",
            "revoke_url": "revocation_endpoint",
            "introspect_url": "introspection_endpoint",
            "jwks_url": "jwks_uri",
        }
        found = {
            attr: value
            for attr, key in names.items()
            if isinstance(value := metadata.get(key), str) and value
        }
        issuer = metadata.get("issuer")
        if isinstance(issuer, str) and issuer:
            found["issuer_url"] = issuer
        return replace(self, **found)

    def api_url(self, path: str) -> str:
        """``path`` against the base URL; a full URL is used as it is."""
        path = path.strip() or API_PATH
        if "://" in path:
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))


def discovery_request(base_url: str, *, openid: bool = False) -> HttpRequest:
    """GET the RFC 8414 metadata of ``base_url`` (with ``openid``: its OpenID Connect
    Discovery document, which names the same endpoints and ``jwks_uri``)."""
    base = base_url.strip().rstrip("/")
    path = OPENID_METADATA_PATH if openid else METADATA_PATH
    return HttpRequest("discovery", "GET", f"{base}{path}", (("Accept", "application/json"),))
