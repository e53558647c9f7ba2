"""Resource owners: add, list, set password, deactivate, delete, verify."""

from __future__ import annotations

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import AccessToken, AuthCode, User
from authclients.store.records import UserInfo


class Users:
    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def add(self, username: str, password: str) -> UserInfo:
        username = self._check(username, password)
        now = self._store.clock.now()
        # bcrypt before the transaction: it must not hold the process's writer lock.
        password_hash = crypto.hash_password(password)
        try:
            with self._store.atomic():
                row = User.create(
                    username=username,
                    password_hash=password_hash,
                    created_at=now,
                    updated_at=now,
                )
                self._store.audit.record("user.add", "user", row.id, f"username={username!r}")
        except pw.IntegrityError:
            raise ValidationError.single(
                "username", f"{username!r} is taken; choose another username."
            ) from None
        return self._info(row)

    def get(self, username: str) -> UserInfo:
        return self._info(self._row(username))

    def list(
        self, filter: str = "", *, offset: int = 0, limit: int | None = None
    ) -> list[UserInfo]:
        """By username; ``offset``/``limit`` page through them (no limit: every match)."""
        query = self._matching(filter).order_by(User.username).offset(max(0, offset))
        if limit is not None:
            query = query.limit(max(1, limit))
        rows = list(query)
        counts = self._active_counts([r.id for r in rows])
        return [self._info(r, counts.get(r.id, 0)) for r in rows]

    def count(self, filter: str = "") -> int:
        """How many users :meth:`list` would page through with this filter."""
        return self._matching(filter).count()

    @staticmethod
    def _matching(filter: str) -> pw.ModelSelect:
        query = User.select()
        if filter.strip():
            query = query.where(User.username.contains(filter.strip()))
        return query

    def set_password(self, username: str, password: str) -> UserInfo:
        error = validation.check_password(password)
        if error:
            raise ValidationError.single("password", error)
        password_hash = crypto.hash_password(password)
        with self._store.atomic():
            row = self._row(username)
            row.password_hash = password_hash
            row.updated_at = self._store.clock.now()
            row.save()
            self._store.audit.record("user.set_password", "user", row.id)
        return self._info(row)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Deactivating stops sign-in and revokes the user's tokens."""
        with self._store.atomic():
            row = self._row(username)
            row.active = active
            row.updated_at = self._store.clock.now()
            row.save()
            detail = ""
            if not active:
                revoked = self._store.tokens.revoke_all_of_user(row.id, _audit=False)
                # Codes approved but not yet exchanged die too: they would become tokens.
                AuthCode.update(revoked=True).where(
                    (AuthCode.user == row.id) & AuthCode.used_at.is_null()
                ).execute()
                detail = f"revoked {revoked} tokens"
            self._store.audit.record(
                "user.activate" if active else "user.deactivate", "user", row.id, detail
            )
        return self._info(row)

    def delete(self, username: str) -> int:
        """Remove the user and every token and code of theirs; returns live tokens revoked."""
        with self._store.atomic():
            row = self._row(username)
            revoked = self._store.tokens.revoke_all_of_user(row.id, _audit=False)
            AuthCode.delete().where(AuthCode.user == row.id).execute()
            # Tokens go with the user (cascade): a deleted user's history has no owner to show.
            row.delete_instance(recursive=True, delete_nullable=True)
            self._store.audit.record(
                "user.delete",
                "user",
                row.id,
                f"username={row.username!r}; revoked {revoked} tokens",
            )
        return revoked

    def verify(self, username: str, password: str) -> UserInfo | None:
        """The active user with this password, or None; always pays one bcrypt check."""
        row = User.get_or_none(User.username == (username or "").strip())
        if row is None or not row.active:
            crypto.burn_password_check(password)
            return None
        if not crypto.check_password(password, row.password_hash):
            return None
        return self._info(row)

    def find_by_id(self, user_id: int) -> UserInfo | None:
        row = User.get_or_none(User.id == user_id)
        return self._info(row) if row else None

    def _check(self, username: str, password: str) -> str:
        errors: dict[str, str] = {}
        username, error = validation.clean_username(username)
        if error:
            errors["username"] = error
        error = validation.check_password(password)
        if error:
            errors["password"] = error
        if errors:
            raise ValidationError(errors)
        return username

    def _row(self, username: str) -> User:
        row = User.get_or_none(User.username == (username or "").strip())
        if row is None:
            raise NotFound("user", username)
        return row

    def _active_counts(self, user_ids: list[int]) -> dict[int, int]:
        if not user_ids:
            return {}
        now = self._store.clock.now()
        query = (
            AccessToken.select(AccessToken.user, pw.fn.COUNT(AccessToken.id))
            .where(
                AccessToken.user.in_(user_ids)
                & (AccessToken.revoked == False)
                & (AccessToken.expires_at.is_null() | (AccessToken.expires_at > now))
            )
            .group_by(AccessToken.user)
            .tuples()
        )
        return dict(query)

    @staticmethod
    def _info(row: User, active_tokens: int = 0) -> UserInfo:
        return UserInfo(
            id=row.id,
            username=row.username,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
            active_tokens=active_tokens,
        )
