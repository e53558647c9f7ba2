"""The store's exceptions: one for bad input, carrying a message per field."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class ValidationError(StoreError):
    """Input broke one or more rules; ``errors`` maps each field to what to fix.

    The CLI, the TUI form and the endpoint all show these same messages, so a
    rule is explained the same way wherever it is broken. Messages never
    contain a secret, a token or a password.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class NotFound(StoreError):
    """The object asked for does not exist (or was deleted)."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key} not found")


class InvalidGrant(StoreError):
    """A presented code or refresh token is unknown, expired, used or revoked (RFC 6749 §5.2)."""


class GrantSwitchedOff(InvalidGrant):
    """A refresh token whose originating grant the client may no longer use.

    Attributes:
        family: the rotation family, for the caller to end.
        grant_type: the grant that issued the family (``authorization_code``, ``password``).
    """

    def __init__(self, message: str, *, family: str, grant_type: str) -> None:
        super().__init__(message)
        self.family = family
        self.grant_type = grant_type


class AccountLocked(StoreError):
    """Too many consecutive failed sign-ins: only an admin's ``users unlock`` lets them in again.

    Raised before any bcrypt check, so a locked account costs an attacker nothing to probe
    and gains them nothing either.
    """


class RateLimited(StoreError):
    """Too many failed attempts for one key within the window (``store.ratelimit``).

    Attributes:
        retry_after: whole seconds until the oldest counted failure leaves the window.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class StaleEdit(StoreError):
    """A save was made from a form older than the row: someone changed it meanwhile.

    ``changes`` maps each field changed since the form was loaded to
    ``(value the form started from, value now)``; ``current`` is the row now,
    for a form that offers to reload. Saving again with ``force=True``
    overwrites.
    """

    def __init__(
        self,
        kind: str,
        key: object,
        *,
        expected: int,
        found: int,
        changes: dict[str, tuple[object, object]],
        current: object = None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.expected = expected
        self.found = found
        self.changes = dict(changes)
        self.current = current
        what = ", ".join(
            f"{field} {before!r} → {after!r}" for field, (before, after) in self.changes.items()
        )
        super().__init__(
            f"{kind} {key} was changed by someone else since you opened it "
            f"(version {expected}, now {found})"
            + (f": {what}" if what else "")
            + "; reload it, or save again to overwrite."
        )


class DevicePollRefused(StoreError):
    """A device's poll (RFC 8628 §3.5) that gets no tokens yet, or never will.

    Attributes:
        error: the RFC 8628 §3.5 error code the token endpoint answers.
    """

    error = ""


class AuthorizationPending(DevicePollRefused):
    """No one has approved or denied the request yet: poll again after the interval."""

    error = "authorization_pending"


class PollTooFast(DevicePollRefused):
    """Polled before the interval passed: the interval grows by 5 seconds.

    Attributes:
        interval: the new interval, in seconds.
    """

    error = "slow_down"

    def __init__(self, message: str, interval: int) -> None:
        super().__init__(message)
        self.interval = interval


class DeviceDenied(DevicePollRefused):
    """The person denied the request."""

    error = "access_denied"


class DeviceExpired(DevicePollRefused):
    """The device code expired before it was redeemed: start again."""

    error = "expired_token"
