"""Sign-in sessions of the authorization pages, kept in this process's memory.

A session holds the signed-in user, its CSRF token and the authorization
requests it has open. Losing them (a restart, another process behind a load
balancer) only makes the user sign in again; nothing that must hold across
processes (rate limits, code replay) lives here.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from authclients.store.oauth.authorize import AuthorizationRequest

COOKIE_NAME = "authclients_session"
SESSION_TTL = 30 * 60.0
"""Idle seconds before a session is forgotten."""
PENDING_TTL = 10 * 60.0
"""Seconds an authorization request may wait for sign-in and consent."""
MAX_SESSIONS = 10_000
MAX_PENDING = 20
"""Open authorization requests per session (tabs); the oldest goes first."""


@dataclass
class BrowserSession:
    """One browser's sign-in state."""

    id: str
    csrf: str
    user_id: int | None = None
    username: str | None = None
    last_seen: float = field(default_factory=time.monotonic)
    pending: OrderedDict[str, tuple[float, AuthorizationRequest]] = field(
        default_factory=OrderedDict
    )

    def check_csrf(self, presented: str) -> bool:
        # As bytes: compare_digest refuses str with non-ASCII characters (a 500).
        return bool(presented) and hmac.compare_digest(
            presented.encode("utf-8", "surrogatepass"), self.csrf.encode("ascii")
        )

    def add_request(self, request: AuthorizationRequest) -> str:
        request_id = secrets.token_urlsafe(24)
        self.pending[request_id] = (time.monotonic(), request)
        while len(self.pending) > MAX_PENDING:
            self.pending.popitem(last=False)
        return request_id

    def request(self, request_id: str) -> AuthorizationRequest | None:
        entry = self.pending.get(request_id)
        if entry is None or time.monotonic() - entry[0] > PENDING_TTL:
            self.pending.pop(request_id, None)
            return None
        return entry[1]

    def finish(self, request_id: str) -> None:
        """A decision was made: the request cannot be approved twice."""
        self.pending.pop(request_id, None)


class BrowserSessions:
    """Thread-safe, bounded, expiring sessions keyed by a random cookie value."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, BrowserSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str | None) -> BrowserSession | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > SESSION_TTL:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            self._sessions.move_to_end(session_id)
            return session

    def create(self) -> BrowserSession:
        session = BrowserSession(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def renew(self, session: BrowserSession) -> BrowserSession:
        """A new id and CSRF token after sign-in, so a planted cookie is worthless (fixation)."""
        with self._lock:
            self._sessions.pop(session.id, None)
            session.id = secrets.token_urlsafe(32)
            session.csrf = secrets.token_urlsafe(32)
            self._sessions[session.id] = session
        return session
