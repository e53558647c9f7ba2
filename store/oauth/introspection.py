"""Token introspection (RFC 7662) as an endpoint class."""

from __future__ import annotations

from collections.abc import Mapping

from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import InvalidClient
from authclients.store.oauth.requests import ClientCredentials, token_param


class IntrospectionEndpoint:
    """RFC 7662 §2: what a token is, told only to the client it was issued to."""

    def __init__(self, server: ServerContext) -> None:
        self.server = server

    def introspect(
        self, params: Mapping[str, str], credentials: ClientCredentials
    ) -> tuple[int, dict[str, object]]:
        """The token's claims, or ``{"active": false}``; with the client id (for the log).

        A client sees only its own tokens: another client's token is reported
        inactive (RFC 7662 §4, against token scanning). Public clients cannot
        introspect: they cannot authenticate.
        """
        client = self.server.authenticate_client(credentials)
        if client.public:
            raise InvalidClient("A public client cannot use token introspection.")
        token = token_param(params)
        body = self.server.hot_path.introspect(token)
        if body is None:
            # Not an access token: a refresh token, or nothing.
            body = self.server.store.tokens.introspect(token)
        if body.get("active") and body.get("client_id") != str(client.id):
            body = {"active": False}
        return client.id, body
