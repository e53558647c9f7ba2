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
        return self.server.hot_path.issue_client_token(
            self.client, self.GRANT_TYPE, self.scopes, self.server.issuer()
        )
