"""The tokens of the last token response and the countdown to their expiry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenSet:
    """The tokens of the last successful token response (RFC 6749 §5.1).

    Attributes:
        received_at: UNIX seconds by the app's clock, for the countdown.
    """

    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    refresh_token: str = ""
    scope: str = ""
    received_at: float = 0.0
    source: str = ""
    """The grant that produced it ("password grant", "personal access token")."""
    id_token: str = ""
    """OpenID Connect's ID token, when the response carried one."""

    @classmethod
    def from_response(cls, body: dict[str, object], received_at: float, source: str) -> TokenSet:
        expires = body.get("expires_in")
        return cls(
            access_token=str(body.get("access_token", "")),
            token_type=str(body.get("token_type", "Bearer")),
            expires_in=int(expires) if isinstance(expires, int | float) else None,
            refresh_token=str(body.get("refresh_token") or ""),
            scope=str(body.get("scope") or ""),
            received_at=received_at,
            source=source,
            id_token=str(body.get("id_token") or ""),
        )

    def seconds_left(self, now: float) -> int | None:
        """Seconds until expiry by ``now``; None when it does not say it expires."""
        if self.expires_in is None:
            return None
        return int(self.received_at + self.expires_in - now)


def countdown(seconds: int | None) -> str:
    """``59:58 left``, ``2 h 05 min left``, ``expired 12 s ago``, ``no expiry given``."""
    if seconds is None:
        return "no expiry given"
    if seconds <= 0:
        return f"expired {-seconds} s ago" if seconds > -120 else "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h left"
    if hours:
        return f"{hours} h {minutes:02d} min left"
    return f"{minutes:02d}:{secs:02d} left"
