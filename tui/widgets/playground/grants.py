"""Which grants the playground offers for a client, and why one is not usable."""

from __future__ import annotations

from dataclasses import dataclass

from authclients.store.grant_types import GRANT_TYPES
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
    ClientInfo,
)

GRANTS = tuple(
    (name, GRANT_TYPES[name].playground)
    for name in (
        GRANT_PASSWORD,
        GRANT_CLIENT_CREDENTIALS,
        GRANT_AUTHORIZATION_CODE,
        GRANT_REFRESH_TOKEN,
        GRANT_PERSONAL_ACCESS,
        GRANT_DEVICE,
    )
)
"""The grants offered, in the order shown."""


@dataclass(frozen=True)
class GrantOffer:
    """A grant as the playground offers it for one client: usable, or why not."""

    grant: str
    label: str
    enabled: bool
    reason: str = ""


def grant_offers(client: ClientInfo | None, *, embedded: bool) -> list[GrantOffer]:
    """Which grants the chosen client may use here, and the reason for each that it may not.

    A client typed by hand is not known to us: every grant is offered and the
    server decides, except personal access tokens, which need a stored client.
    """
    offers: list[GrantOffer] = []
    for grant, label in GRANTS:
        reason = ""
        if grant == GRANT_PERSONAL_ACCESS:
            if not embedded:
                reason = "only for the embedded endpoint (made in the store)"
            elif client is None:
                reason = "choose a client from the list"
            elif not client.personal_access:
                reason = _off(GRANT_PERSONAL_ACCESS)
        elif client is not None:
            if client.revoked:
                reason = "the client is revoked"
            elif grant == GRANT_PASSWORD and not client.password:
                reason = _off(GRANT_PASSWORD)
            elif grant == GRANT_CLIENT_CREDENTIALS and client.public:
                reason = "a public client has no secret"
            elif grant == GRANT_CLIENT_CREDENTIALS and not client.client_credentials:
                reason = _off(GRANT_CLIENT_CREDENTIALS)
            elif grant == GRANT_AUTHORIZATION_CODE and not client.authorization_code:
                reason = "“Authorization code” is off for this client"
            elif grant == GRANT_AUTHORIZATION_CODE and not client.redirect_uris:
                reason = "the client has no redirect URL"
            elif grant == GRANT_DEVICE and not client.device:
                reason = _off(GRANT_DEVICE)
            elif grant == GRANT_REFRESH_TOKEN and not client.allows(GRANT_REFRESH_TOKEN):
                reason = f"needs {_switch(GRANT_AUTHORIZATION_CODE)} or {_switch(GRANT_PASSWORD)}"
        offers.append(GrantOffer(grant, label, not reason, reason))
    return offers


def _switch(grant: str) -> str:
    return f"“{GRANT_TYPES[grant].title}”"


def _off(grant: str) -> str:
    return f"{_switch(grant)} is off for this client"
