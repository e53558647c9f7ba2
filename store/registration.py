"""Self-registered clients (RFC 7591) as the store keeps them: mode, initial access tokens,
the per-address limit, the cap, and the row itself.

The protocol (which metadata means what, which error code) is
``store.oauth.registration``; this module stores what it decided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from authclients.store import crypto
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, RateLimited, ValidationError
from authclients.store.models import Client, FailedAttempt, InitialAccessToken, Setting
from authclients.store.ratelimit import source_key

MODE_OFF = "off"
MODE_OPEN = "open"
MODE_TOKEN = "token"
MODES = (MODE_OFF, MODE_OPEN, MODE_TOKEN)
"""``off``: no registration endpoint. ``open``: anyone may register. ``token``: only with
an initial access token (RFC 7591 §3)."""

MODE_SETTING = "registration_mode"
START_DISABLED_SETTING = "registration_start_disabled"
KIND_REGISTRATION = "registration"
"""``failed_attempt`` rows counting registration attempts per address (a rate, not failures)."""

DEFAULT_CAP = 100
"""Self-registered clients that may exist at once (deleted ones do not count)."""
DEFAULT_PER_ADDRESS = 20
DEFAULT_WINDOW = timedelta(hours=1)
METADATA_MAX = 48 * 1024
"""The largest registration body kept (and accepted): bytes of JSON."""

_CAP_LOCK_KEY = 0x61637265676361  # "acregca": serialises the cap check on PostgreSQL


@dataclass(frozen=True)
class InitialTokenInfo:
    """An initial access token as an admin sees it: never the token, only its hint."""

    id: int
    hint: str
    created_at: datetime
    expires_at: datetime | None
    uses_left: int | None
    used: int
    revoked: bool

    def usable(self, now: datetime) -> bool:
        return (
            not self.revoked
            and (self.expires_at is None or self.expires_at > now)
            and (self.uses_left is None or self.uses_left > 0)
        )


@dataclass(frozen=True)
class Registration:
    """What a self-registered client told us about itself."""

    client_uri: str = ""
    software_id: str = ""
    software_version: str = ""
    metadata: str = ""
    """The JSON body as received."""


class Registrations:
    """The registration switch, initial access tokens and the self-registered clients."""

    cap: int = DEFAULT_CAP
    """Self-registered clients that may exist at once."""
    per_address: int = DEFAULT_PER_ADDRESS
    """Registration attempts one address (an IPv6 /64) may make per ``window``."""
    window: timedelta = DEFAULT_WINDOW

    def __init__(self, store: StoreContext) -> None:
        self._store = store

    # -- the switch ----------------------------------------------------------------

    def mode(self) -> str:
        value = Setting.select(Setting.value).where(Setting.name == MODE_SETTING).scalar()
        return value if value in MODES else MODE_OFF

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValidationError.single("mode", f"Registration is one of: {', '.join(MODES)}.")
        self._put(MODE_SETTING, mode)
        self._store.audit.record("registration.mode", "setting", MODE_SETTING, mode)

    def start_disabled(self) -> bool:
        value = Setting.select(Setting.value).where(Setting.name == START_DISABLED_SETTING)
        return value.scalar() == "1"

    def set_start_disabled(self, on: bool) -> None:
        self._put(START_DISABLED_SETTING, "1" if on else "0")
        self._store.audit.record(
            "registration.start_disabled", "setting", START_DISABLED_SETTING, str(bool(on))
        )

    def _put(self, name: str, value: str) -> None:
        with self._store.atomic():
            if Setting.update(value=value).where(Setting.name == name).execute() == 0:
                Setting.insert(name=name, value=value).on_conflict(
                    conflict_target=[Setting.name], update={Setting.value: value}
                ).execute()

    # -- initial access tokens (RFC 7591 §3) ------------------------------------------

    def create_token(
        self, *, expires_in: timedelta | None = None, uses: int | None = None
    ) -> tuple[str, InitialTokenInfo]:
        """A new initial access token, returned in full here only."""
        errors = {}
        if expires_in is not None and expires_in <= timedelta(0):
            errors["expires_in"] = "Give a positive lifetime, such as 1h or 7d."
        if uses is not None and uses < 1:
            errors["uses"] = "Give at least 1 use, or none for any number."
        if errors:
            raise ValidationError(errors)
        token = crypto.new_secret()
        now = self._store.clock.now()
        with self._store.atomic():
            row = InitialAccessToken.create(
                token_hash=crypto.digest(token),
                token_hint=crypto.hint(token),
                created_at=now,
                expires_at=now + expires_in if expires_in else None,
                uses_left=uses,
            )
            self._store.audit.record(
                "registration.token_create", "initial_token", row.id, f"uses={uses}"
            )
        return token, _token_info(row)

    def tokens(self) -> list[InitialTokenInfo]:
        query = InitialAccessToken.select().order_by(InitialAccessToken.id.desc())
        return [_token_info(row) for row in query]

    def revoke_token(self, token_id: int) -> InitialTokenInfo:
        with self._store.atomic():
            row = InitialAccessToken.get_or_none(InitialAccessToken.id == token_id)
            if row is None:
                raise NotFound("initial access token", token_id)
            row.revoked = True
            row.save()
            self._store.audit.record("registration.token_revoke", "initial_token", row.id, "")
        return _token_info(row)

    def token_usable(self, token: str) -> bool:
        """Is ``token`` a live initial access token with a use left? (Spends nothing.)"""
        row = InitialAccessToken.get_or_none(
            InitialAccessToken.token_hash == crypto.digest(token or "")
        )
        return row is not None and _token_info(row).usable(self._store.clock.now())

    def use_token(self, token: str) -> bool:
        """Spend one use of an initial access token; False when unknown or spent.

        One conditional UPDATE: two registrations racing for the last use
        (in any process) cannot both win it.
        """
        now = self._store.clock.now()
        digest = crypto.digest(token or "")
        live = (
            (InitialAccessToken.token_hash == digest)
            & (InitialAccessToken.revoked == False)
            & (InitialAccessToken.expires_at.is_null() | (InitialAccessToken.expires_at > now))
        )
        with self._store.atomic():
            spent = (
                InitialAccessToken.update(
                    uses_left=InitialAccessToken.uses_left - 1,
                    used=InitialAccessToken.used + 1,
                )
                .where(live & (InitialAccessToken.uses_left > 0))
                .execute()
            )
            if not spent:
                spent = (
                    InitialAccessToken.update(used=InitialAccessToken.used + 1)
                    .where(live & InitialAccessToken.uses_left.is_null())
                    .execute()
                )
        return bool(spent)

    # -- limits ------------------------------------------------------------------------

    def check_rate(self, address: str) -> None:
        """Count this attempt against ``address``; ``RateLimited`` past the limit."""
        key = source_key(address or "")
        now = self._store.clock.now()
        with self._store.atomic():
            # This address's rows that left the window go: the table holds at most
            # ``per_address`` rows per address that registered within the hour.
            FailedAttempt.delete().where(
                (FailedAttempt.kind == KIND_REGISTRATION)
                & (FailedAttempt.key == key)
                & (FailedAttempt.at <= now - self.window)
            ).execute()
            recent = (
                FailedAttempt.select(FailedAttempt.at)
                .where(
                    (FailedAttempt.kind == KIND_REGISTRATION)
                    & (FailedAttempt.key == key)
                    & (FailedAttempt.at > now - self.window)
                )
                .order_by(FailedAttempt.at.asc())
                .limit(self.per_address)
            )
            times = [row.at for row in recent]
            if len(times) >= self.per_address:
                wait = max(1, int((times[0] + self.window - now).total_seconds()) + 1)
                raise RateLimited(
                    f"Too many registrations from this address; try again in {wait} s.", wait
                )
            FailedAttempt.create(kind=KIND_REGISTRATION, key=key, at=now)

    def count(self) -> int:
        """Self-registered clients that exist now."""
        live = (Client.registered == True) & (Client.revoked == False)
        return Client.select().where(live).count()

    # -- the client --------------------------------------------------------------------

    def create_client(
        self, fields: dict[str, object], origin: Registration, *, public: bool
    ) -> tuple[int, str | None, bool]:
        """Store a validated self-registered client; (id, secret or None, disabled).

        ``fields`` come from ``Clients.validated``. Past the cap,
        ``ValidationError`` on ``cap``; nothing is stored.
        """
        secret = None if public else crypto.new_secret()
        now = self._store.clock.now()
        disabled = self.start_disabled()
        with self._store.atomic():
            if isinstance(self._store.db, pw.PostgresqlDatabase):
                # Count and insert under one lock: two processes cannot both take the last place.
                self._store.db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_CAP_LOCK_KEY,))
            if self.count() >= self.cap:
                raise ValidationError.single(
                    "cap",
                    f"This server already holds {self.cap} self-registered clients; "
                    "an admin must delete some before another may register.",
                )
            row = Client.create(
                **fields,
                secret_hash=crypto.digest(secret) if secret else None,
                secret_hint=crypto.hint(secret) if secret else "",
                created_at=now,
                updated_at=now,
                registered=True,
                disabled=disabled,
                client_uri=origin.client_uri,
                software_id=origin.software_id,
                software_version=origin.software_version,
                registration_metadata=origin.metadata[:METADATA_MAX],
            )
            self._store.audit.record(
                "client.register",
                "client",
                row.id,
                f"name={fields['name']!r}; {'public' if public else 'confidential'}"
                + ("; disabled" if disabled else ""),
            )
        return row.id, secret, disabled

    def origin(self, client_id: int) -> Registration | None:
        """What a self-registered client sent; None for an admin's client."""
        row = Client.get_or_none(Client.id == client_id)
        if row is None:
            raise NotFound("client", client_id)
        if not row.registered:
            return None
        return Registration(
            client_uri=row.client_uri,
            software_id=row.software_id,
            software_version=row.software_version,
            metadata=row.registration_metadata,
        )


def pretty_metadata(raw: str) -> str:
    """The metadata indented for reading (as received when it is not JSON)."""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return raw


def _token_info(row: InitialAccessToken) -> InitialTokenInfo:
    return InitialTokenInfo(
        id=row.id,
        hint=row.token_hint,
        created_at=row.created_at,
        expires_at=row.expires_at,
        uses_left=row.uses_left,
        used=row.used,
        revoked=row.revoked,
    )
