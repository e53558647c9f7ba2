"""Access and refresh tokens, authorization codes: issue, find, revoke, introspect, purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.errors import InvalidGrant, NotFound, ValidationError
from authclients.store.models import (
    AccessToken,
    AuditEvent,
    AuthCode,
    Client,
    FailedAttempt,
    RefreshToken,
    User,
)
from authclients.store.records import (
    GRANT_PERSONAL_ACCESS,
    STATE_ACTIVE,
    STATE_EXPIRED,
    STATE_REVOKED,
    TOKEN_STATES,
    ClientInfo,
    IssuedToken,
    PurgeResult,
    TokenInfo,
)

if TYPE_CHECKING:
    from authclients.store.service import Store

NEVER: Literal["never"] = "never"
"""The lifetime an admin must choose explicitly for a token that never expires."""


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code was issued for, once it has been consumed."""

    id: int
    client_id: int
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass(frozen=True)
class RefreshGrant:
    """A live refresh token's context, before rotation."""

    id: int
    client_id: int
    user_id: int | None
    scopes: tuple[str, ...]
    family: str
    grant_type: str


class Tokens:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- issuing (the endpoint) -------------------------------------------

    def issue(
        self,
        client: ClientInfo,
        *,
        grant_type: str,
        user_id: int | None = None,
        scopes: tuple[str, ...] = (),
        with_refresh: bool = False,
        auth_code_id: int | None = None,
        family: str | None = None,
    ) -> IssuedToken:
        """Issue an access token (and a refresh token) in one transaction.

        The response is built only after the commit, so every token handed out
        is already in the database.
        """
        with self._store.db.atomic():
            return self._issue(
                client.id,
                client.name,
                grant_type=grant_type,
                user_id=user_id,
                scopes=scopes,
                with_refresh=with_refresh,
                auth_code_id=auth_code_id,
                family=family,
            )

    def create_auth_code(
        self,
        client: ClientInfo,
        *,
        user_id: int,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
        code_challenge_method: str | None,
    ) -> str:
        """A fresh single-use code, stored as a digest; returned in full once."""
        code = crypto.new_secret()
        now = self._store.clock.now()
        AuthCode.create(
            code_hash=crypto.digest(code),
            client=client.id,
            user=user_id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            created_at=now,
            expires_at=now + self._store.lifetimes.auth_code,
        )
        return code

    def consume_auth_code(self, code: str, client_id: int) -> CodeGrant:
        """Mark the code used, exactly once, even across processes.

        A second presentation revokes every token issued from the code
        (RFC 6749 §4.1.2) and raises ``InvalidGrant``.
        """
        now = self._store.clock.now()
        row = AuthCode.get_or_none(AuthCode.code_hash == crypto.digest(code or ""))
        if row is None or row.client_id != client_id:
            raise InvalidGrant("The authorization code is unknown or was issued to another client.")
        if row.revoked:
            raise InvalidGrant("The authorization code was revoked.")
        claimed = (
            AuthCode.update(used_at=now)
            .where(
                (AuthCode.id == row.id) & AuthCode.used_at.is_null() & (AuthCode.revoked == False)
            )
            .execute()
        )
        if claimed != 1:
            with self._store.db.atomic():
                AuthCode.update(revoked=True).where(AuthCode.id == row.id).execute()
                ids = [
                    t.id
                    for t in AccessToken.select(AccessToken.id).where(
                        AccessToken.auth_code == row.id
                    )
                ]
                count = self._revoke_ids(ids)
                self._store.as_actor("endpoint").audit.record(
                    "auth_code.replay",
                    "client",
                    row.client_id,
                    f"revoked {count} tokens issued from it",
                )
            raise InvalidGrant(
                "The authorization code was already used; tokens issued from it are revoked."
            )
        if row.expires_at <= now:
            raise InvalidGrant("The authorization code expired; start the authorization again.")
        return CodeGrant(
            id=row.id,
            client_id=row.client_id,
            user_id=row.user_id,
            redirect_uri=row.redirect_uri,
            scopes=tuple(row.scopes.split()),
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
        )

    def find_refresh(self, refresh_token: str, client_id: int) -> RefreshGrant:
        """The refresh token's context, if it may still be used by this client."""
        row = (
            RefreshToken.select(RefreshToken, AccessToken)
            .join(AccessToken)
            .where(RefreshToken.token_hash == crypto.digest(refresh_token or ""))
            .first()
        )
        if row is None or row.access_token.client_id != client_id:
            raise InvalidGrant("The refresh token is unknown or was issued to another client.")
        if row.revoked:
            raise InvalidGrant("The refresh token was revoked.")
        if row.used_at is None and row.expires_at <= self._store.clock.now():
            raise InvalidGrant("The refresh token expired; sign in again.")
        access = row.access_token
        return RefreshGrant(
            id=row.id,
            client_id=access.client_id,
            user_id=access.user_id,
            scopes=tuple(access.scopes.split()),
            family=row.family,
            grant_type=access.grant_type,
        )

    def rotate_refresh(
        self, grant: RefreshGrant, client: ClientInfo, scopes: tuple[str, ...]
    ) -> IssuedToken:
        """Use the refresh token once: a new access and refresh token of the same family.

        Presenting it again revokes the whole family (RFC 6819 §5.2.2.3) and
        raises ``InvalidGrant``.
        """
        now = self._store.clock.now()
        with self._store.db.atomic():
            claimed = (
                RefreshToken.update(used_at=now)
                .where(
                    (RefreshToken.id == grant.id)
                    & RefreshToken.used_at.is_null()
                    & (RefreshToken.revoked == False)
                )
                .execute()
            )
            if claimed == 1:
                # The old access token dies with its refresh token.
                old = RefreshToken.get_by_id(grant.id)
                AccessToken.update(revoked=True, revoked_at=now).where(
                    (AccessToken.id == old.access_token_id) & (AccessToken.revoked == False)
                ).execute()
                return self._issue(
                    client.id,
                    client.name,
                    grant_type=grant.grant_type,
                    user_id=grant.user_id,
                    scopes=scopes,
                    with_refresh=True,
                    family=grant.family,
                )
        count = self.revoke_family(grant.family)
        self._store.as_actor("endpoint").audit.record(
            "refresh_token.reuse", "client", client.id, f"revoked a family of {count} tokens"
        )
        raise InvalidGrant(
            "The refresh token was already used; every token of its line is revoked."
        )

    def revoke_family(self, family: str) -> int:
        with self._store.db.atomic():
            RefreshToken.update(revoked=True).where(RefreshToken.family == family).execute()
            ids = [
                r.access_token_id
                for r in RefreshToken.select(RefreshToken.access_token).where(
                    RefreshToken.family == family
                )
            ]
            return self._revoke_ids(ids)

    # -- using (the endpoint and the playground) ----------------------------

    def find(self, token: str) -> TokenInfo | None:
        """The access token presented, in any state, by its digest."""
        row = self._query().where(AccessToken.token_hash == crypto.digest(token or "")).first()
        return self._info(row) if row else None

    def authenticate_bearer(self, token: str) -> TokenInfo | None:
        """The active access token presented, touching its last use; None if not active."""
        info = self.find(token)
        if info is None or info.state != STATE_ACTIVE:
            return None
        now = self._store.clock.now()
        AccessToken.update(last_used_at=now).where(AccessToken.id == info.id).execute()
        return info

    def introspect(self, token: str) -> dict[str, object]:
        """RFC 7662 §2.2: ``{"active": false}`` for anything not live, else its claims.

        Accepts an access token or a refresh token.
        """
        info = self.find(token)
        token_type = "access_token"
        if info is None:
            refresh = (
                RefreshToken.select(RefreshToken, AccessToken)
                .join(AccessToken)
                .where(RefreshToken.token_hash == crypto.digest(token or ""))
                .first()
            )
            if refresh is None or refresh.revoked or refresh.used_at is not None:
                return {"active": False}
            if refresh.expires_at <= self._store.clock.now():
                return {"active": False}
            info = self._info(
                self._query().where(AccessToken.id == refresh.access_token_id).first()
            )
            expires_at: datetime | None = refresh.expires_at
            token_type = "refresh_token"
        else:
            if info.state != STATE_ACTIVE:
                return {"active": False}
            expires_at = info.expires_at
        body: dict[str, object] = {
            "active": True,
            "scope": " ".join(info.scopes),
            "client_id": str(info.client_id),
            "token_type": "Bearer" if token_type == "access_token" else "refresh_token",
            "iat": int(info.created_at.timestamp()),
        }
        if expires_at is not None:
            body["exp"] = int(expires_at.timestamp())
        if info.username:
            body["username"] = info.username
            body["sub"] = str(info.user_id)
        return body

    # -- admin -------------------------------------------------------------

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
        with self._store.db.atomic():
            info = self.get(token_id)
            self._revoke_ids([info.id])
            self._store.audit.record("token.revoke", "token", info.id, f"client={info.client_id}")
        return self.get(token_id)

    def revoke_token(self, token: str) -> bool:
        """RFC 7009: revoke the access or refresh token presented; False when unknown."""
        digest = crypto.digest(token or "")
        with self._store.db.atomic():
            row = AccessToken.get_or_none(AccessToken.token_hash == digest)
            if row is not None:
                self._revoke_ids([row.id])
                return True
            refresh = RefreshToken.get_or_none(RefreshToken.token_hash == digest)
            if refresh is not None:
                # Revoking a refresh token ends its whole line (RFC 7009 §2.1).
                self.revoke_family(refresh.family)
                return True
        return False

    def owner_of(self, token: str) -> int | None:
        """The client id an access or refresh token was issued to (RFC 7009 §2.1 check)."""
        digest = crypto.digest(token or "")
        row = AccessToken.get_or_none(AccessToken.token_hash == digest)
        if row is not None:
            return row.client_id
        refresh = (
            RefreshToken.select(RefreshToken, AccessToken)
            .join(AccessToken)
            .where(RefreshToken.token_hash == digest)
            .first()
        )
        return refresh.access_token.client_id if refresh else None

    def revoke_all_of_client(self, client_id: int, *, _audit: bool = True) -> int:
        """Revoke every token of the client; returns how many were live."""
        with self._store.db.atomic():
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
        with self._store.db.atomic():
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
        with self._store.db.atomic():
            user = User.get_or_none(User.username == (username or "").strip())
            if user is None:
                raise NotFound("user", username)
            if not user.active:
                raise ValidationError.single(
                    "user", f"{user.username} is deactivated; activate the user first."
                )
            client = self._personal_access_client(client_id)
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
        stale_attempts = FailedAttempt.at <= now - timedelta(days=1)
        with self._store.db.atomic():
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
            if not dry_run:
                RefreshToken.delete().where(
                    dead_refresh | RefreshToken.access_token.in_(doomed_ids)
                ).execute()
                for chunk in _chunks(doomed_ids, 500):
                    AccessToken.delete().where(AccessToken.id.in_(chunk)).execute()
                # A code whose tokens remain keeps them: the FK is SET NULL.
                AuthCode.delete().where(dead_codes).execute()
                FailedAttempt.delete().where(stale_attempts).execute()
                self._store.audit.record(
                    "token.purge",
                    "token",
                    "",
                    f"older than {older_than_days} d: {len(doomed)} access, "
                    f"{refresh_count} refresh, {code_count} codes; "
                    f"kept {kept} for live refresh tokens",
                )
        return PurgeResult(
            access_tokens=doomed,
            refresh_tokens=refresh_count,
            auth_codes=code_count,
            failed_attempts=attempt_count,
            kept_for_refresh=kept,
            dry_run=dry_run,
        )

    # -- internals ---------------------------------------------------------

    def _issue(
        self,
        client_id: int,
        client_name: str,
        *,
        grant_type: str,
        user_id: int | None,
        scopes: tuple[str, ...],
        with_refresh: bool = False,
        auth_code_id: int | None = None,
        family: str | None = None,
        name: str = "",
        lifetime: timedelta | None = None,
        never_expires: bool = False,
    ) -> IssuedToken:
        now = self._store.clock.now()
        lifetime = lifetime or self._store.lifetimes.access
        expires_at = None if never_expires else now + lifetime
        token = crypto.new_secret()
        row = AccessToken.create(
            token_hash=crypto.digest(token),
            token_hint=crypto.hint(token),
            client=client_id,
            user=user_id,
            auth_code=auth_code_id,
            name=name,
            scopes=" ".join(scopes),
            grant_type=grant_type,
            created_at=now,
            expires_at=expires_at,
        )
        refresh = None
        if with_refresh:
            refresh = crypto.new_secret()
            RefreshToken.create(
                token_hash=crypto.digest(refresh),
                access_token=row.id,
                family=family or crypto.new_secret()[:32],
                created_at=now,
                expires_at=now + self._store.lifetimes.refresh,
            )
        username = None
        if user_id is not None:
            username = User.select(User.username).where(User.id == user_id).scalar()
        info = TokenInfo(
            id=row.id,
            client_id=client_id,
            client_name=client_name,
            user_id=user_id,
            username=username,
            name=name,
            scopes=tuple(scopes),
            grant_type=grant_type,
            created_at=now,
            expires_at=expires_at,
            revoked=False,
            revoked_at=None,
            last_used_at=None,
            token_hint=crypto.hint(token),
            state=STATE_ACTIVE,
        )
        expires_in = None if expires_at is None else int(lifetime.total_seconds())
        return IssuedToken(
            info=info, access_token=token, refresh_token=refresh, expires_in=expires_in
        )

    def _revoke_ids(self, ids: list[int]) -> int:
        """Revoke these access tokens and their refresh tokens; returns how many were live."""
        if not ids:
            return 0
        now = self._store.clock.now()
        live = 0
        for chunk in _chunks(ids, 500):
            live += (
                AccessToken.select()
                .where(AccessToken.id.in_(chunk) & self._state_condition(STATE_ACTIVE))
                .count()
            )
            AccessToken.update(revoked=True, revoked_at=now).where(
                AccessToken.id.in_(chunk) & (AccessToken.revoked == False)
            ).execute()
            RefreshToken.update(revoked=True).where(RefreshToken.access_token.in_(chunk)).execute()
        return live

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

    def _state_condition(self, state: str) -> pw.Expression:
        now = self._store.clock.now()
        if state == STATE_ACTIVE:
            return (AccessToken.revoked == False) & (
                AccessToken.expires_at.is_null() | (AccessToken.expires_at > now)
            )
        if state == STATE_EXPIRED:
            return (AccessToken.revoked == False) & (AccessToken.expires_at <= now)
        if state == STATE_REVOKED:
            return AccessToken.revoked == True
        raise ValidationError.single("state", f"State is one of: {', '.join(TOKEN_STATES)}.")

    @staticmethod
    def _query() -> pw.ModelSelect:
        return (
            AccessToken.select(
                AccessToken, Client.id, Client.name, Client.revoked, User.id, User.username
            )
            .join(Client, on=(AccessToken.client == Client.id))
            .switch(AccessToken)
            .join(User, pw.JOIN.LEFT_OUTER, on=(AccessToken.user == User.id))
        )

    def _info(self, row: AccessToken) -> TokenInfo:
        now = self._store.clock.now()
        # A deleted client's tokens are dead even if their own row says otherwise: a
        # token whose INSERT raced the deletion (another process, or the endpoint's
        # writer queued behind the delete) commits unrevoked after it.
        if row.revoked or row.client.revoked:
            state = STATE_REVOKED
        elif row.expires_at is not None and row.expires_at <= now:
            state = STATE_EXPIRED
        else:
            state = STATE_ACTIVE
        user = getattr(row, "user", None) if row.user_id is not None else None
        return TokenInfo(
            id=row.id,
            client_id=row.client_id,
            client_name=row.client.name,
            user_id=row.user_id,
            username=user.username if user is not None else None,
            name=row.name,
            scopes=tuple(row.scopes.split()),
            grant_type=row.grant_type,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked=row.revoked,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            token_hint=row.token_hint,
            state=state,
        )


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
