"""Client credentials (RFC 6749 §4.4)."""

from __future__ import annotations

from authclients.store.oauth.errors import UnauthorizedClient
from authclients.store.oauth.grants.base import Grant
from authclients.store.records import GRANT_CLIENT_CREDENTIALS, IssuedToken


class ClientCredentialsGrant(Grant):
    """Client credentials (RFC 6749 §4.4): confidential clients only, no refresh token."""

    GRANT_TYPE = GRANT_CLIENT_CREDENTIALS

    def validate(self) -> None:
        super().validate()
        if self.client.public:
            raise UnauthorizedClient("A public client cannot use the client_credentials grant.")
        self.scopes = self.requested_scopes()

    def issue(self) -> IssuedToken:
        if not self.resources:
            return self.server.hot_path.issue_client_token(
                self.client, self.GRANT_TYPE, self.scopes, self.server.issuer()
            )
        # A token bound to resources takes the ORM's path: the hot path's batched
        # INSERT has no audience column. The client is read again under the lock,
        # so a change committed since authentication binds this token too.
        with self.store.atomic():
            client = self.store.clients.find_active(self.client.id, lock=True)
            if client is None or client.version != self.client.version:
                raise UnauthorizedClient(
                    f"Client {self.client.id} changed meanwhile; ask for the token again."
                )
            return self.store.tokens.issue(
                client,
                grant_type=self.GRANT_TYPE,
                scopes=self.scopes,
                audience=self.resources,
                issuer=self.server.issuer(),
            )
