"""The device verification page's HTML (RFC 8628 §3.3): sign in, enter the code, approve.

Every value is escaped, the code a person typed included; the pages load
nothing and refuse to be framed, as the authorization pages do.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from authclients.store.endpoint.pages import hidden_fields, page
from authclients.store.records import DeviceInfo

_CODE_FIELD = (
    '<input type="text" id="user_code" name="user_code" value="{value}" '
    'autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" '
    'placeholder="BCDF-GHJK"{extra}>'
)


def _error(error: str | None) -> str:
    return f'<p class="error" role="alert">{escape(error)}</p>' if error else ""


def sign_in_page(
    hidden: Mapping[str, str],
    *,
    action: str,
    error: str | None = None,
    username: str = "",
    user_code: str = "",
) -> str:
    """Username, password and the code the device shows (already there from its link)."""
    code = _CODE_FIELD.format(value=escape(user_code), extra="")
    return page(
        "Connect a device",
        f"<h1>Sign in to connect a device</h1>{_error(error)}"
        f'<form method="post" action="{escape(action)}">'
        f"{hidden_fields(hidden)}"
        '<input type="hidden" name="action" value="sign_in">'
        '<label for="username">Username</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" '
        'autocomplete="current-password" required>'
        '<label for="user_code">Code shown on the device</label>'
        f"{code}"
        '<button type="submit">Sign in</button></form>',
    )


def code_page(
    hidden: Mapping[str, str],
    *,
    action: str,
    username: str,
    error: str | None = None,
    user_code: str = "",
) -> str:
    """The code the device shows, typed (or brought by its link) and sent once more."""
    code = _CODE_FIELD.format(value=escape(user_code), extra=" required autofocus")
    return page(
        "Connect a device",
        "<h1>Enter the code shown on your device</h1>"
        f"<p>Signed in as <strong>{escape(username)}</strong>.</p>{_error(error)}"
        f'<form method="post" action="{escape(action)}">'
        f"{hidden_fields(hidden)}"
        '<input type="hidden" name="action" value="lookup">'
        '<label for="user_code">Code</label>'
        f"{code}"
        '<button type="submit">Continue</button></form>',
    )


def confirm_page(
    hidden: Mapping[str, str], *, action: str, username: str, device: DeviceInfo
) -> str:
    """The client, its code to compare with the device's screen, the scopes; Approve / Deny."""
    if device.scopes:
        items = "".join(f"<li><code>{escape(s)}</code></li>" for s in device.scopes)
        scopes = f"<p>It asks for these scopes:</p><ul>{items}</ul>"
    else:
        scopes = "<p>It asks for no particular scope.</p>"
    return page(
        "Connect a device",
        f"<h1>Connect {escape(device.client_name)}?</h1>"
        f"<p>Signed in as <strong>{escape(username)}</strong>.</p>"
        f"<p>Only approve if your device shows the code "
        f"<strong><code>{escape(device.user_code)}</code></strong> and you started this "
        "sign-in yourself.</p>"
        f"<p><strong>{escape(device.client_name)}</strong> wants to act on your behalf.</p>"
        f"{scopes}"
        f'<form method="post" action="{escape(action)}">'
        f"{hidden_fields(hidden)}"
        '<button type="submit" name="action" value="approve">Approve</button>'
        '<button type="submit" name="action" value="deny">Deny</button></form>',
    )


def done_page(device: DeviceInfo, *, approved: bool) -> str:
    """What was decided; the device carries on by itself."""
    if approved:
        heading = f"{escape(device.client_name)} is connected"
        text = "You can go back to your device: it signs in within a few seconds."
    else:
        heading = "Request denied"
        text = f"{escape(device.client_name)} was not given access. You can close this page."
    return page("Connect a device", f"<h1>{heading}</h1><p>{text}</p>")
