"""Refresh with rotation (RFC 6749 §6, RFC 6819 §5.2.2.3)."""

from __future__ import annotations

from authclients.store import errors as store_errors
from authclients.store.oauth.errors import InvalidGrant
from authclients.store.oauth.grants.base import Grant
from authclients.store.records import GRANT_REFRESH_TOKEN, IssuedToken


class RefreshTokenGrant(Grant):
    """Refresh with rotation (RFC 6749 §6, RFC 6819 §5.2.2.3).

    The old refresh token dies; presenting it again revokes its whole family.
    A narrower scope may be asked for, never a wider one.
    """

    GRANT_TYPE = GRANT_REFRESH_TOKEN

    def validate(self) -> None:
        super().validate()
        self.refresh_token = self.required("refresh_token")

    def issue(self) -> IssuedToken:
        try:
            grant = self.store.tokens.find_refresh(self.refresh_token, self.client.id)
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None
        if grant.user_id is not None and not self.server.user_active(grant.user_id):
            raise InvalidGrant("The user of this refresh token is no longer active.")
        scopes = self.requested_scopes(within=grant.scopes)
        try:
            with self.server.writing():
                return self.store.tokens.rotate_refresh(grant, self.client, scopes)
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None
