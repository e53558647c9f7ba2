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
        found = self.server.hot_path.introspect_with_audience(token)
        if found is None:
            # Not an access token: a refresh token, or nothing.
            body = self.server.store.tokens.introspect(token)
            audience = self.server.store.resources.audience_of(token) if body.get("active") else ()
        else:
            body, audience = found
        if body.get("active"):
            mine = body.get("client_id") == str(client.id)
            if not mine and not self._serves(client.id, body, audience):
                body = {"active": False}
            elif audience:
                # RFC 7662 §2.2 / RFC 7519 §4.1.3: one audience as a string, several as an array.
                body["aud"] = audience[0] if len(audience) == 1 else list(audience)
        return client.id, body

    def _serves(self, client_id: int, body: dict[str, object], audience: tuple[str, ...]) -> bool:
        """May ``client_id`` see this token as the resource server it is bound to?

        The admin names each resource server's introspection client (``resources add
        --client``); it sees access tokens whose audience includes its resource, and
        nothing else (never a refresh token, never an unbound token).
        """
        if body.get("token_type") != "Bearer" or not audience:
            return False
        return bool(set(audience) & set(self.server.store.resources.served_by(client_id)))
