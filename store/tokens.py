"""Tokens as the admin sees them: list, revoke, purge, personal access tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import peewee as pw

from authclients.store import validation
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import (
    AccessToken,
    AuditEvent,
    AuthCode,
    Client,
    DeviceRequest,
    FailedAttempt,
    RefreshToken,
    User,
)
from authclients.store.ratelimit import KIND_PASSWORD_RUN
from authclients.store.records import (
    GRANT_PERSONAL_ACCESS,
    STATE_REVOKED,
    IssuedToken,
    PurgeResult,
    TokenInfo,
)
from authclients.store.token_exchange import CodeGrant, RefreshGrant, TokenExchange
from authclients.store.token_rows import chunks

NEVER: Literal["never"] = "never"
"""The lifetime an admin must choose explicitly for a token that never expires."""


class Tokens(TokenExchange):
    """Every token operation of the store: the endpoint's (``TokenExchange``) and the admin's.

    Admins list, revoke and purge tokens and create personal access tokens.
    """

    def get(self, token_id: int) -> TokenInfo:
        row = self._query().where(AccessToken.id == token_id).first()
        if row is None:
            raise NotFound("token", token_id)
        return self._info(row)

    def list(
        self,
        *,
        client_id: int | None = None,
        username: str | None = None,
        state: str | None = None,
        offset: int = 0,
        limit: int = 500,
    ) -> list[TokenInfo]:
        """Newest first, filtered by client, user and state."""
        query = self._matching(client_id, username, state)
        query = (
            query.order_by(AccessToken.id.desc())
            .offset(max(0, offset))
            .limit(min(max(1, limit), 10_000))
        )
        return [self._info(r) for r in query]

    def count(
        self,
        *,
        client_id: int | None = None,
        username: str | None = None,
        state: str | None = None,
    ) -> int:
        """How many tokens :meth:`list` pages through with these filters."""
        return self._matching(client_id, username, state).count()

    def _matching(
        self, client_id: int | None, username: str | None, state: str | None
    ) -> pw.ModelSelect:
        query = self._query()
        if client_id is not None:
            query = query.where(AccessToken.client == client_id)
        if username is not None:
            user = User.get_or_none(User.username == username.strip())
            if user is None:
                raise NotFound("user", username)
            query = query.where(AccessToken.user == user.id)
        if state is not None:
            condition = self._state_condition(state)
            # As in _info: a deleted client's tokens are revoked whatever their row says,
            # so the filter never disagrees with the state it shows.
            if state == STATE_REVOKED:
                condition = condition | (Client.revoked == True)
            else:
                condition = condition & (Client.revoked == False)
            query = query.where(condition)
        return query

    def change_stamp(self) -> tuple[int, int]:
        """A value that changes when tokens are issued or an admin changes tokens or users.

        (largest access token id, largest audit event id): primary-key seeks
        only. Revocations, purges and user changes made through the store are
        audited, so they move the second number; a token revoked by its own
        client over RFC 7009 is not audited and shows at the next other change.
        """
        top_token = AccessToken.select(pw.fn.MAX(AccessToken.id)).scalar() or 0
        top_event = AuditEvent.select(pw.fn.MAX(AuditEvent.id)).scalar() or 0
        return top_token, top_event

    def revoke(self, token_id: int) -> TokenInfo:
        with self._store.atomic():
            info = self.get(token_id)
            self._revoke_ids([info.id])
            self._store.audit.record("token.revoke", "token", info.id, f"client={info.client_id}")
        return self.get(token_id)

    def revoke_all_of_client(self, client_id: int, *, _audit: bool = True) -> int:
        """Revoke every token of the client; returns how many were live."""
        with self._store.atomic():
            ids = [
                t.id
                for t in AccessToken.select(AccessToken.id).where(AccessToken.client == client_id)
            ]
            count = self._revoke_ids(ids)
            if _audit:
                self._store.audit.record(
                    "token.revoke_client", "client", client_id, f"revoked {count}"
                )
        return count

    def revoke_all_of_user(self, user_id: int, *, _audit: bool = True) -> int:
        with self._store.atomic():
            ids = [
                t.id for t in AccessToken.select(AccessToken.id).where(AccessToken.user == user_id)
            ]
            count = self._revoke_ids(ids)
            if _audit:
                self._store.audit.record("token.revoke_user", "user", user_id, f"revoked {count}")
        return count

    def create_personal_access_token(
        self,
        username: str,
        name: str,
        *,
        scopes: tuple[str, ...] | str = (),
        lifetime: timedelta | Literal["never"] | None = None,
        client_id: int | None = None,
    ) -> IssuedToken:
        """A token a user holds as an alternate password; shown in full once.

        ``lifetime`` None means the default (1 year); a token that never
        expires must be asked for with ``NEVER``.
        """
        errors: dict[str, str] = {}
        name, error = validation.clean_name(name, maximum=validation.TOKEN_NAME_MAX)
        if error:
            errors["name"] = error.replace("a name", "the token a name")
        scope_list, error = validation.clean_scopes(scopes)
        if error:
            errors["scopes"] = error
        if lifetime is not None and lifetime != NEVER:
            if not isinstance(lifetime, timedelta) or lifetime <= timedelta(0):
                errors["lifetime"] = "Give a positive lifetime, or choose 'never' explicitly."
            elif lifetime > timedelta(days=3650):
                errors["lifetime"] = (
                    "At most 10 years; choose 'never' explicitly for a token that never expires."
                )
        if errors:
            raise ValidationError(errors)
        with self._store.atomic():
            user = User.get_or_none(User.username == (username or "").strip())
            if user is None:
                raise NotFound("user", username)
            if not user.active:
                raise ValidationError.single(
                    "user", f"{user.username} is deactivated; activate the user first."
                )
            client = self._personal_access_client(client_id)
            unknown = self._store.scopes.undefined(scope_list)
            if unknown:
                # The endpoint answers invalid_scope for these; an admin is told the same.
                raise ValidationError.single(
                    "scopes",
                    f"Not a defined scope: {' '.join(unknown[:10])}. "
                    "Define it first (authclients scopes add NAME).",
                )
            if client.scopes:
                wider = [s for s in scope_list if s not in client.scopes.split()]
                if wider:
                    raise ValidationError.single(
                        "scopes", f"Client {client.id} does not allow: {' '.join(wider)}."
                    )
            effective = (
                None if lifetime == NEVER else (lifetime or self._store.lifetimes.personal_access)
            )
            issued = self._issue(
                client.id,
                client.name,
                grant_type=GRANT_PERSONAL_ACCESS,
                user_id=user.id,
                scopes=scope_list,
                name=name,
                lifetime=effective,
                never_expires=lifetime == NEVER,
            )
            expiry = (
                "never expires"
                if lifetime == NEVER
                else f"expires {issued.info.expires_at:%Y-%m-%d}"
            )
            self._store.audit.record(
                "token.create_personal",
                "token",
                issued.info.id,
                f"user={user.username!r}; name={name!r}; {expiry}",
            )
        return issued

    def purge(self, older_than_days: int = 7, *, dry_run: bool = False) -> PurgeResult:
        """Delete tokens and codes dead for more than ``older_than_days``.

        An access token that a live refresh token still points at is kept:
        deleting it would take the refresh token with it.
        """
        if older_than_days < 0:
            raise ValidationError.single("older_than", "Give a number of days, 0 or more.")
        now = self._store.clock.now()
        cutoff = now - timedelta(days=older_than_days)
        live_refresh = RefreshToken.select(RefreshToken.access_token).where(
            (RefreshToken.revoked == False)
            & RefreshToken.used_at.is_null()
            & (RefreshToken.expires_at > now)
        )
        dead = ((AccessToken.revoked == True) & (AccessToken.revoked_at <= cutoff)) | (
            (AccessToken.revoked == False) & (AccessToken.expires_at <= cutoff)
        )
        keep_condition = AccessToken.id.in_(live_refresh)
        dead_refresh = (RefreshToken.expires_at <= cutoff) | (
            ((RefreshToken.revoked == True) | RefreshToken.used_at.is_null(False))
            & (RefreshToken.created_at <= cutoff)
        )
        dead_codes = (AuthCode.expires_at <= cutoff) & (
            AuthCode.used_at.is_null() | (AuthCode.used_at <= cutoff)
        )
        # A username's completed runs stay: its escalation (and lock) is counted from
        # them when no user has that name, from ``users.failure_runs`` when one has.
        # Purging them made an unknown username start afresh while a known one kept
        # climbing, and the next wait told the two apart.
        # Every device request is dead once expired (10 minutes); deleting a redeemed one
        # leaves its tokens alone (the request points at its token, not the other way).
        dead_devices = DeviceRequest.expires_at <= cutoff
        stale_attempts = (FailedAttempt.at <= now - timedelta(days=1)) & (
            FailedAttempt.kind != KIND_PASSWORD_RUN
        )
        with self._store.atomic():
            doomed = [
                self._info(r)
                for r in self._query().where(dead & ~keep_condition).order_by(AccessToken.id)
            ]
            kept = AccessToken.select().where(dead & keep_condition).count()
            doomed_ids = [t.id for t in doomed]
            refresh_query = RefreshToken.select().where(
                dead_refresh | RefreshToken.access_token.in_(doomed_ids)
            )
            refresh_count = refresh_query.count()
            code_count = AuthCode.select().where(dead_codes).count()
            attempt_count = FailedAttempt.select().where(stale_attempts).count()
            device_count = DeviceRequest.select().where(dead_devices).count()
            if not dry_run:
                RefreshToken.delete().where(
                    dead_refresh | RefreshToken.access_token.in_(doomed_ids)
                ).execute()
                for chunk in chunks(doomed_ids, 500):
                    AccessToken.delete().where(AccessToken.id.in_(chunk)).execute()
                # A code whose tokens remain keeps them: the FK is SET NULL.
                AuthCode.delete().where(dead_codes).execute()
                FailedAttempt.delete().where(stale_attempts).execute()
                DeviceRequest.delete().where(dead_devices).execute()
                self._store.audit.record(
                    "token.purge",
                    "token",
                    "",
                    f"older than {older_than_days} d: {len(doomed)} access, "
                    f"{refresh_count} refresh, {code_count} codes, {device_count} device "
                    "requests; "
                    f"kept {kept} for live refresh tokens",
                )
        return PurgeResult(
            access_tokens=doomed,
            refresh_tokens=refresh_count,
            auth_codes=code_count,
            failed_attempts=attempt_count,
            device_requests=device_count,
            kept_for_refresh=kept,
            dry_run=dry_run,
        )

    def _personal_access_client(self, client_id: int | None) -> Client:
        query = Client.select().where(
            (Client.revoked == False) & (Client.grant_personal_access == True)
        )
        if client_id is not None:
            row = query.where(Client.id == client_id).first()
            if row is None:
                raise ValidationError.single(
                    "client",
                    f"Client {client_id} does not exist or does not allow personal access tokens.",
                )
            return row
        row = query.order_by(Client.id).first()
        if row is None:
            raise ValidationError.single(
                "client",
                "No client allows personal access tokens: "
                "create one with personal access tokens turned on.",
            )
        return row


__all__ = ["NEVER", "CodeGrant", "RefreshGrant", "Tokens"]
