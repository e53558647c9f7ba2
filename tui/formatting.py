"""Plain text for the console: relative times, grant labels, curl lines. No Textual here."""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta

from authclients.store.grant_types import abbreviation
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    ClientInfo,
)

OWN_LIFETIMES_MARK = "⧗"
"""Marks a client with its own token lifetimes in the lists (one column wide, not an emoji)."""


def grant_summary(client: ClientInfo) -> str:
    """``code pass`` for a client with both grants; ``code (public)`` for a public one."""
    labels = " ".join(abbreviation(g) for g in client.grant_types)
    return f"{labels} (public)" if client.public else labels


def plural(count: int, noun: str) -> str:
    """``1 token``, ``0 tokens``, ``3 tokens``: every count the console prints."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def count_text(value: int) -> str:
    """100000 → ``100,000``."""
    return f"{value:,}"


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    # Rounded, not floored: a one-year token made a second ago expires "in 365 d", not 364.
    days = round(seconds / 86_400)
    if days < 730:
        return f"{days} d"
    return f"{days // 365} y"


def ago(moment: datetime | None, now: datetime) -> str:
    """``3 d ago``, ``just now``; an em dash for never."""
    if moment is None:
        return "—"
    if abs((now - moment).total_seconds()) < 1:
        return "just now"
    if moment > now:
        return f"in {_span(moment - now)}"
    return f"{_span(now - moment)} ago"


def expires_text(expires_at: datetime | None, now: datetime) -> str:
    """``in 52 min`` / ``expired 3 d ago`` / ``never``."""
    if expires_at is None:
        return "never"
    if expires_at > now:
        return f"in {_span(expires_at - now)}"
    return f"expired {_span(now - expires_at)} ago"


def date_text(moment: datetime) -> str:
    """A date as the tables show it, in UTC so it matches the database."""
    return f"{moment:%Y-%m-%d}"


def shell_lines(head: list[str], options: list[tuple[str, str]]) -> str:
    """A command quoted for the shell, one option per line with backslash continuations.

    Wrapped on screen at option boundaries, it still pastes as one command.
    """
    lines = [shlex.join(head)]
    lines += [f"{shlex.quote(flag)} {shlex.quote(value)}" for flag, value in options]
    return " \\\n  ".join(lines)


def curl_for(client: ClientInfo, secret: str | None, endpoint_url: str) -> tuple[str, str]:
    """A ready curl line for the client's first enabled grant, and what it does.

    Placeholders in capitals (USERNAME, CODE...) are the parts only the admin knows.

    Returns:
        (title, command): a one-line explanation and the shell command.
    """
    base = endpoint_url.rstrip("/")
    auth: list[tuple[str, str]] = [("-d", f"client_id={client.id}")]
    if secret:
        auth.append(("-d", f"client_secret={secret}"))
    grant = client.grant_types[0] if client.grant_types else ""
    if grant == GRANT_CLIENT_CREDENTIALS:
        title = "Getting an access token (client credentials):"
        form = [("-d", "grant_type=client_credentials"), *auth]
    elif grant == GRANT_PASSWORD:
        title = "Getting an access token (password grant; put in a user's name and password):"
        form = [
            ("-d", "grant_type=password"),
            *auth,
            ("-d", "username=USERNAME"),
            ("--data-urlencode", "password=PASSWORD"),
        ]
    elif grant == GRANT_AUTHORIZATION_CODE:
        redirect = client.redirect_uris[0] if client.redirect_uris else "REDIRECT_URL"
        title = (
            f"Exchanging a code (authorization code: get CODE from {base}/oauth/authorize "
            "with PKCE S256):"
        )
        form = [
            ("-d", "grant_type=authorization_code"),
            *auth,
            ("-d", f"redirect_uri={redirect}"),
            ("-d", "code=CODE"),
            ("-d", "code_verifier=VERIFIER"),
        ]
    elif grant == GRANT_PERSONAL_ACCESS:
        title = "Using a personal access token (create one on the tokens screen, t):"
        command = shell_lines(
            ["curl", f"{base}/api/1.0/users/me"], [("-H", "Authorization: Bearer TOKEN")]
        )
        return title, command
    else:
        return "No grant enabled: edit the client to enable one.", ""
    return title, shell_lines(["curl", "-X", "POST", f"{base}/oauth/token"], form)
