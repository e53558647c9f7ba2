"""The token panel: the last tokens, their countdown, and the introspection answer."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import Static

from authclients.store.oauth_client import TokenSet, countdown
from authclients.tui.safe_text import printable


def token_text(token: str) -> str:
    """A token for the panel: a JWT cut to its start (it is decoded below, and would fold
    over a dozen lines), any other shown whole; made safe either way."""
    if len(token) > 80 and token.count(".") == 2 and token.startswith("eyJ"):
        return f"{printable(token[:40])}… ({len(token)} characters, a JWT: decoded below)"
    return printable(token)


class TokenPanel(Static):
    """Access and refresh token, type, scopes, time left; introspection when asked."""

    def show(
        self,
        tokens: TokenSet | None,
        introspection: dict[str, object] | None,
        now: float,
        *,
        revoked: bool = False,
    ) -> None:
        """Args:
        tokens: the last token response's tokens, or None.
        introspection: the last introspection answer (a server's JSON), or None.
        now: UNIX seconds by the app's clock, for the countdown.
        revoked: the access token was revoked (the server said 200 to the revocation).
        """
        if tokens is None:
            self.update("No token yet.")
            return
        left = countdown(tokens.seconds_left(now))
        if revoked:
            left = "revoked: no longer accepted"
        elif introspection is not None and introspection.get("active") is False:
            left = "not active, says the introspection (revoked or expired)"
        lines = [
            f"access token  {token_text(tokens.access_token)}",
            f"type          {printable(tokens.token_type)} · from {printable(tokens.source)}",
            f"expires       {left}",
            f"scopes        {printable(tokens.scope) or '(none)'}",
            f"refresh token {token_text(tokens.refresh_token) or '(none)'}",
        ]
        if introspection is not None:
            # ASCII JSON: every control, C1 and bidi character in a value is a \\u escape.
            lines.append("introspection " + json.dumps(introspection, indent=2))
        self.update(Text("\n".join(lines), overflow="fold"))
