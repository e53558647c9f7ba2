"""Plain dataclasses the store returns: the UI and CLI never see a Peewee row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from authclients.store.grant_types import (  # the names are re-exported: modules import them here
    CLIENT_GRANTS,
    GRANT_AUTHORIZATION_CODE,  # noqa: F401
    GRANT_CLIENT_CREDENTIALS,  # noqa: F401
    GRANT_DEVICE,
    GRANT_DEVICE_CODE,
    GRANT_PASSWORD,  # noqa: F401
    GRANT_PERSONAL_ACCESS,  # noqa: F401
    GRANT_REFRESH_TOKEN,
)

STATE_ACTIVE = "active"
STATE_EXPIRED = "expired"
STATE_REVOKED = "revoked"
TOKEN_STATES = (STATE_ACTIVE, STATE_EXPIRED, STATE_REVOKED)


@dataclass(frozen=True)
class Lifetimes:
    """How long what we issue lives; every one configurable."""

    access: timedelta = timedelta(hours=1)
    refresh: timedelta = timedelta(days=30)
    personal_access: timedelta = timedelta(days=365)
    auth_code: timedelta = timedelta(minutes=10)
    device_code: timedelta = timedelta(minutes=10)
    """A device request's ``expires_in`` (RFC 8628 §3.2): short codes, so short-lived."""


LIFETIME_KINDS = ("access", "refresh", "personal_access", "auth_code")
"""The fields of ``Lifetimes`` and ``ClientLifetimes``, in the order they are shown."""


@dataclass(frozen=True)
class ClientLifetimes:
    """One client's own lifetimes (Passport's ``tokensExpireIn`` family); None: the default."""

    access: timedelta | None = None
    refresh: timedelta | None = None
    personal_access: timedelta | None = None
    auth_code: timedelta | None = None

    @property
    def is_default(self) -> bool:
        """Does the client use the database's defaults for everything?"""
        return all(getattr(self, kind) is None for kind in LIFETIME_KINDS)

    def over(self, defaults: Lifetimes) -> Lifetimes:
        """The lifetimes this client's tokens get: its own where set, else ``defaults``."""
        if self.is_default:
            return defaults
        return Lifetimes(
            **{kind: getattr(self, kind) or getattr(defaults, kind) for kind in LIFETIME_KINDS}
        )


_GRANT_NAMES = frozenset(grant.name for grant in CLIENT_GRANTS)
"""The grants a client switches on or off: each is a field of ``ClientInfo``."""


@dataclass(frozen=True)
class ClientInfo:
    """A client as the admin sees it: never its secret, only the hint."""

    id: int
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    authorization_code: bool
    password: bool
    personal_access: bool
    client_credentials: bool
    public: bool
    revoked: bool
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    active_tokens: int = 0
    version: int = 1
    """Bumped by every change: a form saves with the version it loaded."""
    device: bool = False
    """The device authorization grant (RFC 8628); last, so it can have a default."""
    registered: bool = False
    """The client registered itself (RFC 7591); an admin did not create it."""
    disabled: bool = False
    """An admin disabled it (or it registered while new registrations start disabled)."""
    token_format: str = "opaque"
    """``opaque`` or ``jwt`` (RFC 9068 access tokens)."""
    lifetimes: ClientLifetimes = field(default_factory=ClientLifetimes)
    """The client's own token lifetimes, where they differ from the defaults."""

    @property
    def grant_types(self) -> tuple[str, ...]:
        """Enabled grants, in the platform's order."""
        return tuple(grant.name for grant in CLIENT_GRANTS if getattr(self, grant.name))

    def allows(self, grant_type: str) -> bool:
        """May this client use ``grant_type`` at the token endpoint?"""
        if grant_type == GRANT_REFRESH_TOKEN:
            return self.authorization_code or self.password or self.device
        if grant_type == GRANT_DEVICE_CODE:
            grant_type = GRANT_DEVICE
        return grant_type in _GRANT_NAMES and bool(getattr(self, grant_type))


@dataclass(frozen=True)
class Impact:
    """What a change ends (or would end): live tokens and codes revoked."""

    access_tokens: int = 0
    refresh_tokens: int = 0
    auth_codes: int = 0
    personal_tokens_kept: int = 0
    """Live personal access tokens left alone (``keep_personal_tokens``)."""

    @property
    def nothing(self) -> bool:
        return not (self.access_tokens or self.refresh_tokens or self.auth_codes)

    def describe(self) -> str:
        """For a confirmation: ``ends 3 access tokens and 1 refresh token``."""
        parts = [
            _count(n, what)
            for n, what in (
                (self.access_tokens, "access token"),
                (self.refresh_tokens, "refresh token"),
                (self.auth_codes, "pending authorization code"),
            )
            if n
        ]
        if not parts:
            return "ends no live token"
        text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return "ends " + text


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class CreatedClient:
    """A client just created or rotated: the only time its secret is seen in full."""

    client: ClientInfo
    secret: str | None
    ended: Impact = field(default_factory=Impact)
    """Rotation: what the old secret's tokens were (revoked)."""
    scopes_added: tuple[str, ...] = ()
    """Scopes this save defined because no one had yet (say so to the admin)."""


@dataclass(frozen=True)
class UpdatedClient(ClientInfo):
    """A client just saved, with what the save ended and the scopes it defined."""

    ended: Impact = field(default_factory=Impact)
    scopes_added: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientPage:
    """One page of a filtered, sorted client list and the total that matched."""

    items: list[ClientInfo]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    active: bool
    created_at: datetime
    updated_at: datetime
    active_tokens: int = 0
    version: int = 1
    """Bumped by every change: a form saves with the version it loaded."""
    locked_at: datetime | None = None
    session_generation: int = 0
    """Moved on by a password change, deactivation or deletion: what was won before ends."""
    email: str | None = None
    name: str | None = None
    """The OpenID Connect ``email`` and ``name`` claims, when an admin gave them."""


@dataclass(frozen=True)
class UpdatedUser(UserInfo):
    """A user just changed, with what the change ended."""

    ended: Impact = field(default_factory=Impact)


@dataclass(frozen=True)
class ScopeInfo:
    """A scope the server knows, and the live clients that list it."""

    name: str
    description: str
    created_at: datetime
    clients: tuple[int, ...] = ()


@dataclass(frozen=True)
class TokenInfo:
    """An access token's metadata; the token itself is never stored."""

    id: int
    client_id: int
    client_name: str
    user_id: int | None
    username: str | None
    name: str
    scopes: tuple[str, ...]
    grant_type: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    revoked_at: datetime | None
    last_used_at: datetime | None
    token_hint: str
    state: str
    token_format: str = "opaque"
    """``opaque`` or ``jwt``: how the token was issued."""

    @classmethod
    def issued(
        cls,
        *,
        id: int,
        client_id: int,
        client_name: str,
        user_id: int | None,
        username: str | None,
        name: str,
        scopes: tuple[str, ...],
        grant_type: str,
        created_at: datetime,
        expires_at: datetime | None,
        token_hint: str,
        token_format: str = "opaque",
    ) -> TokenInfo:
        """A token issued just now: live, never revoked, never used."""
        return cls(
            id=id,
            client_id=client_id,
            client_name=client_name,
            user_id=user_id,
            username=username,
            name=name,
            scopes=scopes,
            grant_type=grant_type,
            created_at=created_at,
            expires_at=expires_at,
            revoked=False,
            revoked_at=None,
            last_used_at=None,
            token_hint=token_hint,
            state=STATE_ACTIVE,
            token_format=token_format,
        )


@dataclass(frozen=True)
class IssuedToken:
    """What the token endpoint hands out, in full, once."""

    info: TokenInfo
    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None
    id_token: str | None = None
    """OpenID Connect: the code grant's ID token when ``openid`` was granted."""

    def response(self) -> dict[str, object]:
        """The RFC 6749 §5.1 body."""
        body: dict[str, object] = {"token_type": "Bearer", "access_token": self.access_token}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.info.scopes:
            body["scope"] = " ".join(self.info.scopes)
        if self.id_token:
            body["id_token"] = self.id_token
        return body


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed, or would remove on a dry run."""

    access_tokens: list[TokenInfo] = field(default_factory=list)
    refresh_tokens: int = 0
    auth_codes: int = 0
    failed_attempts: int = 0
    device_requests: int = 0
    """Device requests expired, denied or used before the cutoff."""
    kept_for_refresh: int = 0
    """Dead access tokens kept because a live refresh token still needs them."""
    dry_run: bool = False


DEVICE_PENDING = "pending"
DEVICE_APPROVED = "approved"
DEVICE_DENIED = "denied"
DEVICE_EXPIRED = "expired"
DEVICE_USED = "used"
DEVICE_STATES = (DEVICE_PENDING, DEVICE_APPROVED, DEVICE_DENIED, DEVICE_EXPIRED, DEVICE_USED)


@dataclass(frozen=True)
class DeviceInfo:
    """A device authorization request (RFC 8628) as an admin or the approval page sees it.

    Never its device code: only the user code, which the person reads off the device.
    """

    id: int
    client_id: int
    client_name: str
    user_code: str
    """As shown: ``BCDF-GHJK``."""
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    interval: int
    """Seconds the device must wait between polls; grows by 5 with each ``slow_down``."""
    status: str
    """One of ``DEVICE_STATES``: ``expired`` once past ``expires_at`` undecided or unredeemed."""
    user_id: int | None = None
    username: str | None = None
    """Who approved it (or whom an admin approved it for); None while pending or when denied."""
    decided_at: datetime | None = None
    decided_by: str = ""
    """The actor who approved or denied it: an OS user, or ``endpoint`` for the web page."""
    access_token_id: int | None = None
    """The access token the device received, once it has."""


@dataclass(frozen=True)
class DeviceRequest:
    """A device request just made: the only time its device code is seen (RFC 8628 §3.2)."""

    info: DeviceInfo
    device_code: str
    expires_in: int
    interval: int

    @property
    def user_code(self) -> str:
        return self.info.user_code


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: str
