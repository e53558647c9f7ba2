"""Resource owners: add, list, set password, deactivate, delete, verify."""

from __future__ import annotations

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, StaleEdit, ValidationError
from authclients.store.models import AccessToken, AuthCode, FailedAttempt, User
from authclients.store.ratelimit import KIND_PASSWORD, KIND_PASSWORD_RUN
from authclients.store.records import Impact, UpdatedUser, UserInfo
from authclients.store.revocation import end_access, not_personal

_UNSET = object()


class Users:
    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def add(
        self, username: str, password: str, *, email: str | None = None, name: str | None = None
    ) -> UserInfo:
        """A new active user; ``email`` and ``name`` are the optional OpenID Connect claims."""
        username = self._check(username, password)
        email, name = _clean_claims(email, name)
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
                    email=email,
                    name=name,
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

    def set_password(
        self,
        username: str,
        password: str,
        *,
        keep_personal_tokens: bool = False,
        expected_version: int | None = None,
        base: UserInfo | None = None,
    ) -> UpdatedUser:
        """A new password ends every access the old one gave, in one transaction.

        Access and refresh tokens, codes not yet exchanged and browser sessions
        (the session generation moves on) all end; personal access tokens too,
        unless ``keep_personal_tokens``. ``expected_version`` (or ``base``, the
        record the form loaded) refuses a stale save with ``StaleEdit``.
        """
        error = validation.check_password(password)
        if error:
            raise ValidationError.single("password", error)
        password_hash = crypto.hash_password(password)  # bcrypt outside the write lock
        with self._store.atomic():
            row = self._row(username)
            self._check_version(row, expected_version, base)
            ended = self._end_sessions(row, keep_personal_tokens=keep_personal_tokens)
            row.password_hash = password_hash
            self._save(row)
            self._store.audit.record("user.set_password", "user", row.id, _ended_detail(ended))
        return self._updated(row, ended)

    def set_active(
        self,
        username: str,
        active: bool,
        *,
        keep_personal_tokens: bool = False,
        expected_version: int | None = None,
        base: UserInfo | None = None,
    ) -> UpdatedUser:
        """Deactivating stops sign-in and ends the user's access and sessions at once."""
        with self._store.atomic():
            row = self._row(username)
            self._check_version(row, expected_version, base)
            ended = Impact()
            if not active and row.active:
                ended = self._end_sessions(row, keep_personal_tokens=keep_personal_tokens)
            row.active = active
            self._save(row)
            self._store.audit.record(
                "user.activate" if active else "user.deactivate",
                "user",
                row.id,
                "" if active else _ended_detail(ended),
            )
        return self._updated(row, ended)

    def delete(
        self,
        username: str,
        *,
        expected_version: int | None = None,
        base: UserInfo | None = None,
    ) -> int:
        """Remove the user and every token and code of theirs; returns live tokens revoked.

        The id is never handed out again (AUTOINCREMENT, sequences), so
        anything still naming it (a browser session) names no one.
        """
        with self._store.atomic():
            row = self._row(username)
            self._check_version(row, expected_version, base)
            ended = self._end_sessions(row, keep_personal_tokens=False)
            # Tokens go with the user (cascade): a deleted user's history has no owner to show.
            row.delete_instance(recursive=True, delete_nullable=True)
            self._store.audit.record(
                "user.delete",
                "user",
                row.id,
                f"username={row.username!r}; revoked {ended.access_tokens} tokens",
            )
        return ended.access_tokens

    def unlock(self, username: str) -> UserInfo:
        """Let a user locked by failed sign-ins try again, from a clean slate.

        Clears the lock, the run counter and the username's failure rows; the
        password is unchanged (pass a new one with ``set_password`` if it may
        have been guessed). Unlocking a user who is not locked is harmless.
        """
        with self._store.atomic():
            row = self._row(username)
            was_locked = row.locked_at is not None
            key = crypto.keyed_digest(self._store.settings.attempt_key(), row.username)
            FailedAttempt.delete().where(
                FailedAttempt.kind.in_([KIND_PASSWORD, KIND_PASSWORD_RUN])
                & (FailedAttempt.key == key)
            ).execute()
            User.update(
                locked_at=None,
                failure_runs=0,
                version=User.version + 1,
                updated_at=self._store.clock.now(),
            ).where(User.id == row.id).execute()
            self._store.audit.record(
                "user.unlock", "user", row.id, "was locked" if was_locked else "was not locked"
            )
        return self._info(User.get_by_id(row.id))

    def set_profile(
        self,
        username: str,
        *,
        email: str | object | None = _UNSET,
        name: str | object | None = _UNSET,
        expected_version: int | None = None,
        base: UserInfo | None = None,
    ) -> UserInfo:
        """Change the ``email`` and ``name`` claims (None or "" clears one); tokens live on.

        ID tokens already issued keep the old values until they expire.
        """
        given_email = None if email is _UNSET else email
        given_name = None if name is _UNSET else name
        clean_email, clean_name = _clean_claims(given_email, given_name)  # type: ignore[arg-type]
        with self._store.atomic():
            row = self._row(username)
            self._check_version(row, expected_version, base)
            changed = []
            if email is not _UNSET and row.email != clean_email:
                row.email = clean_email
                changed.append("email")
            if name is not _UNSET and row.name != clean_name:
                row.name = clean_name
                changed.append("name")
            if changed:
                self._save(row)
            self._store.audit.record(
                "user.update", "user", row.id, "changed: " + (", ".join(changed) or "nothing")
            )
        return self._info(User.get_by_id(row.id))

    def impact(self, username: str, *, keep_personal_tokens: bool = False) -> Impact:
        """What a password change, deactivation or deletion would end, changing nothing."""
        row = self._row(username)
        return self._end_sessions(row, keep_personal_tokens=keep_personal_tokens, dry_run=True)

    # -- browser sessions (the endpoint) -------------------------------------

    def session_generation(self, user_id: int) -> int | None:
        """The generation a new browser session of this user starts in; None if no such
        active user."""
        row = (
            User.select(User.session_generation, User.active)
            .where(User.id == user_id)
            .tuples()
            .first()
        )
        if row is None or not row[1]:
            return None
        return row[0]

    def session_valid(self, user_id: int, generation: int) -> bool:
        """Is a browser session begun in ``generation`` still the user's? Read from the
        database, so a password change in any process ends it everywhere."""
        return self.session_generation(user_id) == generation

    def verify(self, username: str, password: str) -> UserInfo | None:
        """The active user with this password, or None; always pays one bcrypt check."""
        row = User.get_or_none(User.username == (username or "").strip())
        if row is None or not row.active:
            # At the cost the stored passwords were hashed with, which need not be this
            # process's setting: an unknown name must take as long as a known one.
            like = row.password_hash if row is not None else self._newest_hash()
            crypto.burn_password_check(password, like)
            return None
        if not crypto.check_password(password, row.password_hash):
            return None
        return self._info(row)

    @staticmethod
    def _newest_hash() -> str | None:
        """The newest user's password hash (its cost is the one to match); one indexed read."""
        row = User.select(User.password_hash).order_by(User.id.desc()).tuples().first()
        return row[0] if row else None

    def find_by_id(self, user_id: int) -> UserInfo | None:
        row = User.get_or_none(User.id == user_id)
        return self._info(row) if row else None

    def _end_sessions(
        self, row: User, *, keep_personal_tokens: bool, dry_run: bool = False
    ) -> Impact:
        """Revoke the user's tokens and pending codes and move their session generation on."""
        mine = AccessToken.user == row.id
        ended = end_access(
            self._store.clock.now(),
            access=(mine & not_personal()) if keep_personal_tokens else mine,
            codes=AuthCode.user == row.id,
            kept=(mine & ~not_personal()) if keep_personal_tokens else None,
            dry_run=dry_run,
        )
        if not dry_run:
            row.session_generation += 1
        return ended

    def _save(self, row: User) -> None:
        """Write the row, bumping its version; refused if another save got there first."""
        updated = (
            User.update(
                password_hash=row.password_hash,
                active=row.active,
                session_generation=row.session_generation,
                email=row.email,
                name=row.name,
                version=User.version + 1,
                updated_at=self._store.clock.now(),
            )
            .where((User.id == row.id) & (User.version == row.version))
            .execute()
        )
        if updated != 1:
            fresh = User.get_or_none(User.id == row.id)
            raise StaleEdit(
                "user",
                row.username,
                expected=row.version,
                found=fresh.version if fresh else 0,
                changes=_user_changes(self._info(row), self._info(fresh)) if fresh else {},
                current=self._info(fresh) if fresh else None,
            )
        fresh = User.get_by_id(row.id)
        row.version, row.session_generation, row.updated_at = (
            fresh.version,
            fresh.session_generation,
            fresh.updated_at,
        )

    def _check_version(
        self, row: User, expected_version: int | None, base: UserInfo | None
    ) -> None:
        expected = base.version if base is not None else expected_version
        if expected is None or expected == row.version:
            return
        now = self._info(row)
        raise StaleEdit(
            "user",
            row.username,
            expected=expected,
            found=row.version,
            changes=_user_changes(base, now) if base is not None else {},
            current=now,
        )

    def _updated(self, row: User, ended: Impact) -> UpdatedUser:
        info = self._info(row)
        return UpdatedUser(**{f: getattr(info, f) for f in _USER_FIELDS}, ended=ended)

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
        query = User.select().where(User.username == (username or "").strip())
        if isinstance(self._store.db, pw.PostgresqlDatabase) and self._store.db.in_transaction():
            # Row locked until commit: a concurrent change waits instead of being lost.
            # (SQLite's writes are serialised by BEGIN IMMEDIATE already.)
            query = query.for_update()
        row = query.first()
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
            version=row.version,
            locked_at=row.locked_at,
            session_generation=row.session_generation,
            email=row.email,
            name=row.name,
        )


def _clean_claims(email: str | None, name: str | None) -> tuple[str | None, str | None]:
    errors: dict[str, str] = {}
    email, error = validation.clean_email(email)
    if error:
        errors["email"] = error
    name, error = validation.clean_person_name(name)
    if error:
        errors["name"] = error
    if errors:
        raise ValidationError(errors)
    return email, name


_USER_FIELDS = tuple(UserInfo.__dataclass_fields__)
_COMPARED = ("active", "email", "name")
"""What an admin edits on a user and a stale save reports; a password is never shown."""


def _user_changes(base: UserInfo, now: UserInfo) -> dict[str, tuple[object, object]]:
    changes = {
        f: (getattr(base, f), getattr(now, f))
        for f in _COMPARED
        if getattr(base, f) != getattr(now, f)
    }
    if not changes and base.version != now.version:
        # Only the password (never shown) or the sessions changed.
        changes["password or sessions"] = ("", "changed")
    return changes


def _ended_detail(ended: Impact) -> str:
    return ended.describe().replace("ends", "ended", 1)
