"""Resource owner password credentials (RFC 6749 §4.3)."""

from __future__ import annotations

from authclients.store import errors as store_errors
from authclients.store import validation
from authclients.store.oauth.errors import InvalidGrant
from authclients.store.oauth.grants.base import Grant
from authclients.store.records import GRANT_PASSWORD, IssuedToken


class PasswordGrant(Grant):
    """Resource owner password credentials (RFC 6749 §4.3); bcrypt, with a refresh token."""

    GRANT_TYPE = GRANT_PASSWORD

    def validate(self) -> None:
        super().validate()
        self.username = self.required("username", validation.USERNAME_MAX)
        self.password = self.required("password", validation.PASSWORD_MAX)
        self.scopes = self.requested_scopes()

    def issue(self) -> IssuedToken:
        user = self.server.sign_in(self.username, self.password)
        try:
            return self.store.tokens.issue(
                self.client,
                grant_type=self.GRANT_TYPE,
                user_id=user.id,
                scopes=self.scopes,
                with_refresh=True,
                owner_generation=user.session_generation,
            )
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None
