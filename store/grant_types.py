"""Every grant type's names and words, written once: the store, the CLI, the console and the
playground all read them from here."""

from __future__ import annotations

from dataclasses import dataclass

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_PASSWORD = "password"
GRANT_PERSONAL_ACCESS = "personal_access"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_DEVICE = "device"
"""The device grant's flag (``grant_device``), ``--device`` and its tokens' ``grant_type`` column:
the wire name below is too long for the column and unreadable in a table."""
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
"""The ``grant_type`` a device sends to the token endpoint (RFC 8628 §3.4)."""


@dataclass(frozen=True)
class GrantType:
    """One grant as each part of the product names it."""

    name: str
    """The client's flag, the token's ``grant_type`` column and the CLI's ``--name`` stem."""
    title: str
    """Forms, help and hints: "Authorization code"."""
    label: str
    """CLI tables: "code"."""
    abbreviation: str
    """The console's grants cell: all four fit 16 columns at 80x24."""
    summary: str
    """One line under the client form's switch: who it is for."""
    playground: str
    """The playground's radio button."""


CLIENT_GRANTS = (
    GrantType(
        GRANT_AUTHORIZATION_CODE,
        "Authorization code",
        "code",
        "code",
        "web and mobile apps; needs a redirect URL",
        "Auth code + PKCE",
    ),
    GrantType(
        GRANT_PASSWORD,
        "Password grant",
        "password",
        "pass",
        "legacy apps send a user's password; least secure",
        "Password",
    ),
    GrantType(
        GRANT_PERSONAL_ACCESS,
        "Personal access tokens",
        "personal",
        "pat",
        "users create tokens used as a password",
        "Personal token",
    ),
    GrantType(
        GRANT_CLIENT_CREDENTIALS,
        "Client credentials",
        "client",
        "cc",
        "machine to machine, no user",
        "Client credentials",
    ),
    GrantType(
        GRANT_DEVICE,
        "Device",
        "device",
        "dev",
        "TVs, CLIs and boxes without a browser",
        "Device",
    ),
)
"""The grants a client switches on, in the platform's order."""

REFRESH = GrantType(
    GRANT_REFRESH_TOKEN,
    "Refresh token",
    "refresh",
    "refresh",
    "comes with the authorization code, password and device grants",
    "Refresh token",
)
"""Not a switch of its own: a client that has the code or password grant may refresh."""

GRANT_TYPES = {grant.name: grant for grant in (*CLIENT_GRANTS, REFRESH)}
GRANT_TYPES[GRANT_DEVICE_CODE] = GRANT_TYPES[GRANT_DEVICE]
"""By name, and the device grant by its wire name too (request logs, errors)."""


def grant_type(name: str) -> GrantType | None:
    """The grant called ``name``; None for a name written by something else."""
    return GRANT_TYPES.get(name)


def label(name: str) -> str:
    """The CLI's short label, or the name itself for a grant we do not know."""
    grant = GRANT_TYPES.get(name)
    return grant.label if grant else name


def abbreviation(name: str) -> str:
    """The console's narrow label, or the name itself for a grant we do not know."""
    grant = GRANT_TYPES.get(name)
    return grant.abbreviation if grant else name
