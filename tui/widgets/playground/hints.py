"""What to do about a failed playground request, in words that name the console's keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from authclients.store.grant_types import (
    CLIENT_GRANTS,
    GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
    GRANT_TYPES,
)
from authclients.store.oauth_client import Exchange
from authclients.store.records import ClientInfo


@dataclass(frozen=True)
class HintContext:
    """What the hint may name: the client, the grant, where the endpoint is."""

    grant: str = ""
    """The grant_type sent, or the action (``revoke``, ``introspect``, ``api``)."""
    client_id: str = ""
    client_name: str = ""
    public: bool = False
    embedded: bool = True
    base_url: str = ""


def hint_context(
    grant: str,
    client_id: str,
    chosen: ClientInfo | None,
    clients: Mapping[int, ClientInfo],
    *,
    embedded: bool,
    base_url: str,
) -> HintContext:
    """The context for ``grant`` sent as ``client_id`` (the chosen client, or one typed)."""
    known = chosen
    if known is None and client_id.isdigit():
        # Typed by hand, but maybe one of ours: the hint can then name it.
        known = clients.get(int(client_id))
    return HintContext(
        grant=grant,
        client_id=client_id,
        client_name=known.name if known else "",
        public=bool(known and known.public),
        embedded=embedded,
        base_url=base_url,
    )


SWITCHES = {
    **{grant.name: grant.title for grant in CLIENT_GRANTS if grant.name != GRANT_PERSONAL_ACCESS},
    GRANT_REFRESH_TOKEN: " or ".join(
        GRANT_TYPES[name].title for name in (GRANT_AUTHORIZATION_CODE, GRANT_PASSWORD)
    ),
}
"""The client form's switch that enables each grant at the token endpoint."""


DEVICE_HINTS = {
    "authorization_pending": "Nobody has approved the code yet: approve it here (ctrl+n), "
    "on the verification page, or on the Devices screen (v). Polling goes on.",
    "slow_down": "Polled too often: the interval grows by 5 s, and the playground follows it.",
    "access_denied": "The code was denied: the device gets no tokens. Request new codes.",
    "expired_token": "The codes expired before they were approved: request new ones.",
}
"""RFC 8628 §3.5: what each poll answer means for the person at the device."""


def explain(done: Exchange, context: HintContext) -> str:
    """What to do about a failed exchange, in one or two sentences; empty on success."""
    if done.response is None:
        if "refused" in done.error:
            if context.embedded:
                return (
                    "The embedded endpoint is not running (see the header): restart the "
                    "console, or run `authclients serve` and target its URL."
                )
            return "Nothing listens there: check the base URL and that the server runs."
        if "within" in done.error:
            return "The server is too slow, or the address drops packets: check the URL."
        return "Check the base URL."
    response = done.response
    if response.ok or response.status in (301, 302, 303):
        return ""
    body = response.json() or {}
    error = str(body.get("error", ""))
    description = str(body.get("error_description", ""))
    said = f"{error}: {description}" if description else error
    if context.grant == GRANT_DEVICE and error in DEVICE_HINTS:
        return f"{error} — {DEVICE_HINTS[error]}"
    who = f"client {context.client_id}" + (
        f" (“{context.client_name}”)" if context.client_name else ""
    )
    if error == "unauthorized_client":
        if context.public and context.grant == "client_credentials":
            return f"{said} — A public client has no secret, so it cannot use client credentials."
        switch = SWITCHES.get(context.grant)
        if switch and context.embedded:
            return (
                f"{said} — Turn on “{switch}” for {who}: Clients screen, highlight it, "
                "e (Edit), tick the switch, Save."
            )
        return f"{said} — The server does not allow this grant for {who}; enable it there."
    if error == "invalid_client":
        if context.public and context.grant == "introspect":
            return f"{said} — Only confidential clients can introspect."
        return (
            f"{said} — The secret of {who} is wrong or was rotated, or the id is wrong. "
            "Rotate it on the Clients screen (r) and paste the new secret here."
        )
    if error == "invalid_grant":
        lowered = description.lower()
        if "code_verifier" in lowered:
            return (
                f"{said} — PKCE mismatch: send the code_verifier whose S256 challenge "
                "went to /oauth/authorize (start the flow again for a fresh pair)."
            )
        if "redirect_uri" in lowered:
            return (
                f"{said} — Redirect URI mismatch: use exactly the redirect_uri of the "
                "authorization request."
            )
        if context.grant == "password":
            return f"{said} — Check the username and password (and that the user is active)."
        if context.grant == "refresh_token":
            return (
                f"{said} — The refresh token was used already (rotation), expired or was "
                "revoked: get new tokens with a grant."
            )
        return f"{said} — The code was used already, expired (10 min) or belongs to another client."
    if error == "invalid_scope":
        return (
            f"{said} — Ask only for scopes {who} allows (its Scopes field), separated by "
            "spaces, or leave the scope empty."
        )
    if error == "invalid_token" or (response.status == 401 and context.grant == "api"):
        return f"{said or 'HTTP 401'} — Get a new token (Send), or refresh it if it only expired."
    if error == "slow_down" or response.status == 429:
        wait = response.header("Retry-After") or "a while"
        return f"{said} — Too many failed attempts: wait {wait} s and try again."
    if error == "unsupported_grant_type":
        return f"{said} — This server does not know the grant; see its metadata (Discover)."
    if error == "access_denied":
        return f"{said} — The user chose Deny on the consent page: no code was issued."
    if response.status == 404:
        return (
            f"HTTP 404 at {done.request.url} — Wrong URL: check the base URL, or "
            "Discover the server's endpoints."
        )
    if said:
        return said
    return f"HTTP {response.status} {response.reason}".strip()
