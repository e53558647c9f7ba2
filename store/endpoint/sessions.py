"""Browser sessions of the authorization pages, as the endpoint holds them.

They live in the database (``store.browser_sessions``), so every process on
it serves every signed-in browser and a restart signs no one out; the pages
themselves keep no state (``store.endpoint.form_tokens``).
"""

from __future__ import annotations

from authclients.store.browser_sessions import BrowserSessionStore as BrowserSessions
from authclients.store.browser_sessions import LiveSession, SessionsFull
from authclients.store.endpoint.public_url import FORM_COOKIE, SESSION_COOKIE

COOKIE_NAME = SESSION_COOKIE

__all__ = ["COOKIE_NAME", "FORM_COOKIE", "BrowserSessions", "LiveSession", "SessionsFull"]
