"""Token revocation (RFC 7009) as an endpoint class."""

from __future__ import annotations

from collections.abc import Mapping

from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.requests import ClientCredentials, token_param


class RevocationEndpoint:
    """RFC 7009 §2.1: a client revokes one of its own tokens."""

    def __init__(self, server: ServerContext) -> None:
        self.server = server

    def revoke(self, params: Mapping[str, str], credentials: ClientCredentials) -> int:
        """Revoke a token of the requesting client; unknown tokens are fine (RFC 7009 §2.2).

        Returns the client id (for the request log). A token of another client
        is left alone but answered the same way, so nothing is revealed.
        """
        client = self.server.authenticate_client(credentials)
        token = token_param(params)
        tokens = self.server.store.tokens
        if tokens.owner_of(token) == client.id:
            tokens.revoke_token(token)
        return client.id
