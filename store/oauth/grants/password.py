"""Resource owner password credentials (RFC 6749 §4.3)."""

from __future__ import annotations

from authclients.store import errors as store_errors
from authclients.store import validation
from authclients.store.oauth.errors import InvalidGrant, UnauthorizedClient
from authclients.store.oauth.grants.base import Grant
from authclients.store.oauth.scopes import check_scopes
from authclients.store.records import GRANT_PASSWORD, ClientInfo, IssuedToken


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
            with self.store.atomic():
                # bcrypt took a while: the scopes are checked again on the client as it
                # is now (row locked on PostgreSQL), so a narrowing committed meanwhile
                # is not granted. Nothing is written before a refusal.
                client = self.store.clients.find_active(self.client.id, lock=True)
                if client is None or not client.allows(self.GRANT_TYPE):
                    raise UnauthorizedClient(
                        f"Client {self.client.id} may no longer use the {self.GRANT_TYPE} grant."
                    )
                scopes = self.requested_scopes_for(client)
                return self.store.tokens.issue(
                    client,
                    grant_type=self.GRANT_TYPE,
                    user_id=user.id,
                    scopes=scopes,
                    with_refresh=True,
                    owner_generation=user.session_generation,
                    audience=self.resources,
                    issuer=self.server.issuer(),
                )
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None

    def requested_scopes_for(self, client: ClientInfo) -> tuple[str, ...]:
        raw = self.params.get("scope", "")
        return check_scopes(raw, client) if raw else ()
