"""Refresh with rotation (RFC 6749 §6, RFC 6819 §5.2.2.3)."""

from __future__ import annotations

from authclients.store import errors as store_errors
from authclients.store.oauth.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
)
from authclients.store.oauth.grants.base import Grant
from authclients.store.oauth.resources import within
from authclients.store.oauth.scopes import check_scopes, still_allowed
from authclients.store.records import GRANT_REFRESH_TOKEN, ClientInfo, IssuedToken
from authclients.store.token_exchange import RefreshGrant


class RefreshTokenGrant(Grant):
    """Refresh with rotation (RFC 6749 §6, RFC 6819 §5.2.2.3).

    The old refresh token dies; presenting it again revokes its whole family.
    A narrower scope may be asked for, never a wider one, and never one the
    client has lost since: without a ``scope`` parameter the new token carries
    the family's scopes that the client may still have. None left is
    ``invalid_scope``, and a family whose originating grant the client may no
    longer use is ``unauthorized_client``; both end the family, whose tokens
    can never be refreshed again.
    """

    GRANT_TYPE = GRANT_REFRESH_TOKEN

    def validate(self) -> None:
        super().validate()
        self.refresh_token = self.required("refresh_token")

    def issue(self) -> IssuedToken:
        try:
            grant = self.store.tokens.find_refresh(
                self.refresh_token, self.client.id, grant_allowed=self.client.allows
            )
        except store_errors.GrantSwitchedOff as exc:
            self._end_family(exc.family, f"the {exc.grant_type} grant is switched off")
            raise UnauthorizedClient(f"{exc} Its tokens are revoked; sign in again.") from None
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None
        if grant.user_id is not None and not self.server.user_active(grant.user_id):
            raise InvalidGrant("The user of this refresh token is no longer active.")
        # The scopes are decided on the client as it is inside the write transaction,
        # not as it was at authentication: an admin's narrowing (or deletion) that
        # commits in between must bind this refresh too. A refusal's family
        # revocation commits with it, so the failure is raised after the block.
        failure: OAuthError | None = None
        with self.store.atomic():  # atomic holds the writer lock itself
            client = self.store.clients.find_active(self.client.id, lock=True)
            try:
                if client is None:
                    raise InvalidClient(f"Client {self.client.id} was deleted.")
                if not client.allows(grant.grant_type):
                    self._end_family(grant.family, f"the {grant.grant_type} grant is switched off")
                    raise UnauthorizedClient(
                        f"Client {client.id} may no longer use the {grant.grant_type} grant "
                        "that issued this refresh token. Its tokens are revoked; sign in again."
                    )
                scopes = self._scopes(grant, client)
                audience = within(self.resources, grant.audience)
                return self.store.tokens.rotate_refresh(
                    grant, client, scopes, audience, issuer=self.server.issuer()
                )
            except store_errors.InvalidGrant as exc:
                failure = InvalidGrant(str(exc))
            except OAuthError as exc:
                failure = exc
        raise failure

    def _scopes(self, grant: RefreshGrant, client: ClientInfo) -> tuple[str, ...]:
        if self.params.get("scope", ""):
            return check_scopes(self.params["scope"], client, within=grant.scopes)
        scopes = still_allowed(grant.scopes, client)
        if grant.scopes and not scopes:
            self._end_family(grant.family, "none of its scopes is allowed any more")
            raise InvalidScope(
                f"Client {client.id} may no longer have any scope of this refresh "
                "token; its tokens are revoked. Ask for a new authorization."
            )
        return scopes

    def _end_family(self, family: str, why: str) -> None:
        """Revoke every token of the family, and say why in the audit log."""
        count = self.store.tokens.revoke_family(family)
        self.store.audit.record(
            "refresh_token.refused", "client", self.client.id, f"{why}; revoked {count} tokens"
        )
