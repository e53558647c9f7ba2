"""Protected resource metadata (RFC 9728) for the built-in API, as an endpoint class."""

from __future__ import annotations

from authclients.store.models import Scope
from authclients.store.service import Store


class ProtectedResourceEndpoint:
    """RFC 9728 §2-3: what a client needs to get a token for ``/api/1.0``.

    The built-in API is served by the authorization server itself, so its
    resource identifier is the server's origin (the issuer), and the document
    lives at ``/.well-known/oauth-protected-resource`` with no path suffix.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def document(self, issuer: str) -> dict[str, object]:
        return {
            "resource": issuer,
            "authorization_servers": [issuer],
            # Names only, from the scope table alone (``Scopes.list`` reads every client).
            "scopes_supported": [
                name for (name,) in Scope.select(Scope.name).order_by(Scope.name).tuples()
            ],
            "bearer_methods_supported": ["header"],
            "resource_name": "authclients built-in API",
        }
