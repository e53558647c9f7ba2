"""The device authorization grant (RFC 8628) from the device's side: ask, then poll politely.

``device_code_request`` asks for the codes (§3.1), ``DeviceCodes`` reads the
answer (§3.2), and ``DevicePolling`` decides when to poll and what each answer
means (§3.4-3.5). No sockets and no clock of its own: the caller sends the
requests and passes the time in, so the UI's timer and the tests drive it alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from authclients.store.oauth_client.discovery import Target
from authclients.store.oauth_client.http import Exchange, HttpRequest
from authclients.store.oauth_client.requests import ClientCredentials, _form_request

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5
"""Seconds between polls when the server names none (RFC 8628 §3.2)."""
SLOW_DOWN_STEP = 5
"""``slow_down`` adds this to the interval, for this and every later poll (§3.5)."""
MAX_BACKOFF = 60
"""The longest wait after failed connections (§3.5 asks for exponential back-off)."""

WAITING = "waiting"
APPROVED = "approved"
DENIED = "denied"
EXPIRED = "expired"
FAILED = "failed"
CANCELLED = "cancelled"
ENDED = (APPROVED, DENIED, EXPIRED, FAILED, CANCELLED)


def device_code_request(target: Target, client: ClientCredentials, scope: str = "") -> HttpRequest:
    """RFC 8628 §3.1: the device authorization request."""
    return _form_request("device code", target.device_url, client, {"scope": scope})


def device_token_request(
    target: Target, client: ClientCredentials, device_code: str
) -> HttpRequest:
    """RFC 8628 §3.4: one poll of the token endpoint."""
    params = {"grant_type": DEVICE_GRANT_TYPE, "device_code": device_code}
    return _form_request("device poll", target.token_url, client, params, (device_code,))


class NotDeviceCodes(ValueError):
    """The answer to a device authorization request lacks what §3.2 requires."""


@dataclass(frozen=True)
class DeviceCodes:
    """RFC 8628 §3.2: what the server gave the device."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str = ""
    expires_in: int = 0
    interval: int = DEFAULT_INTERVAL

    @classmethod
    def from_response(cls, body: dict[str, object] | None) -> DeviceCodes:
        """Read the JSON body; a missing or mistyped required field raises ``NotDeviceCodes``."""
        if body is None:
            raise NotDeviceCodes("the answer is not a JSON object")
        missing = [
            name
            for name in ("device_code", "user_code", "verification_uri")
            if not isinstance(body.get(name), str) or not body.get(name)
        ]
        expires = body.get("expires_in")
        if not isinstance(expires, int) or isinstance(expires, bool) or expires <= 0:
            missing.append("expires_in")
        if missing:
            raise NotDeviceCodes(f"the answer lacks {', '.join(missing)} (RFC 8628 §3.2)")
        interval = body.get("interval")
        complete = body.get("verification_uri_complete")
        return cls(
            device_code=str(body["device_code"]),
            user_code=str(body["user_code"]),
            verification_uri=str(body["verification_uri"]),
            verification_uri_complete=complete if isinstance(complete, str) else "",
            expires_in=int(expires),
            # A silly interval (0, negative, a string) is the default, never a busy loop.
            interval=interval
            if isinstance(interval, int) and not isinstance(interval, bool) and interval > 0
            else DEFAULT_INTERVAL,
        )


@dataclass
class DevicePolling:
    """The polling of one device code: when the next poll is due and where it stands.

    Times are UNIX seconds by the caller's clock.
    """

    codes: DeviceCodes
    started_at: float
    interval: int = DEFAULT_INTERVAL
    next_poll_at: float = 0.0
    state: str = WAITING
    message: str = ""
    """The last answer in words, for the status line."""
    polls: int = 0
    in_flight: bool = False
    failures: int = 0
    """Polls in a row that got no HTTP answer (back-off grows with them)."""
    answers: list[str] = field(default_factory=list)
    """Each poll's outcome, in order (``authorization_pending``, ``slow_down``, ``tokens``)."""

    @classmethod
    def start(cls, codes: DeviceCodes, now: float) -> DevicePolling:
        return cls(
            codes,
            started_at=now,
            interval=codes.interval,
            next_poll_at=now + codes.interval,
            message="Waiting for someone to approve the code.",
        )

    @property
    def expires_at(self) -> float:
        return self.started_at + self.codes.expires_in

    @property
    def active(self) -> bool:
        return self.state == WAITING

    def seconds_to_poll(self, now: float) -> int:
        return max(0, round(self.next_poll_at - now))

    def seconds_left(self, now: float) -> int:
        return int(self.expires_at - now)

    def due(self, now: float) -> bool:
        """Is it time to send the next poll? Past the codes' life it stops on its own.

        Polls go on until the codes expire; the server then says ``expired_token``.
        One interval past expiry with no such answer (an unreachable server), the
        polling ends here rather than knocking forever.
        """
        if not self.active or self.in_flight:
            return False
        if now >= self.expires_at + self.interval:
            self.state = EXPIRED
            self.message = "The codes expired before anyone approved them."
            return False
        return now >= self.next_poll_at

    def sent(self) -> None:
        self.in_flight = True
        self.polls += 1

    def answered(self, done: Exchange, now: float) -> str:
        """Read one poll's answer (§3.5) and plan the next poll.

        Returns:
            The outcome: ``tokens``, an RFC error code, or ``no answer``.
        """
        self.in_flight = False
        outcome = self._outcome(done)
        self.answers.append(outcome)
        if not self.active:
            # Stopped while the poll was out: the plan stays stopped. Tokens that came
            # anyway are still the screen's to show: the server has spent the code.
            return outcome
        wait = self.interval
        if outcome == "tokens":
            self.state, self.message = APPROVED, "Approved: the tokens came."
        elif outcome == "authorization_pending":
            self.failures = 0
            self.message = "Not approved yet (authorization_pending)."
        elif outcome == "slow_down":
            self.failures = 0
            self.interval += SLOW_DOWN_STEP
            wait = self.interval
            self.message = f"The server asked to slow down: every {self.interval} s now."
        elif outcome == "access_denied":
            self.state, self.message = DENIED, "Denied: the user said no (access_denied)."
        elif outcome == "expired_token":
            self.state = EXPIRED
            self.message = "The codes expired (expired_token): request new ones."
        elif outcome == "no answer":
            self.failures += 1
            wait = min(MAX_BACKOFF, self.interval * 2**self.failures)
            self.message = f"No answer ({done.error}); trying again in {wait} s."
        else:
            self.state, self.message = FAILED, f"Stopped: the server answered {outcome}."
        self.next_poll_at = now + wait
        return outcome

    @staticmethod
    def _outcome(done: Exchange) -> str:
        response = done.response
        if response is None:
            return "no answer"
        body = response.json() or {}
        if response.ok and isinstance(body.get("access_token"), str):
            return "tokens"
        error = body.get("error")
        if isinstance(error, str) and error:
            return error
        return f"HTTP {response.status}"

    def cancel(self) -> None:
        if self.active:
            self.state, self.message = CANCELLED, "Polling stopped: cancelled here."

    def status(self, now: float) -> str:
        """One line: what happened last, and the two countdowns while it waits."""
        if not self.active:
            return self.message
        left = self.seconds_left(now)
        expiry = f"codes expire in {_mm_ss(left)}" if left > 0 else "codes expired"
        if self.in_flight:
            return f"Polling… · {expiry} · every {self.interval} s"
        poll = self.seconds_to_poll(now)
        return f"Next poll in {poll} s · {expiry} · every {self.interval} s · {self.message}"


def _mm_ss(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
