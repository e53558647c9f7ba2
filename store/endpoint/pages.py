"""The minimal HTML of the authorization endpoint: sign-in, consent and error pages.

Every value is escaped; the pages load nothing from anywhere (RFC 6749 §10.13:
they also refuse to be framed, see the headers in ``store.endpoint.http``).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from authclients.store.oauth.authorize import AuthorizationRequest

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2330; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .45rem; box-sizing: border-box; }
button { margin-top: 1.2rem; padding: .5rem 1.2rem; margin-right: .5rem; }
.error { color: #a40e26; }
code { background: #eef; padding: 0 .2rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · authclients</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _hidden(fields: Mapping[str, str]) -> str:
    """The form's hidden fields: the authorization request itself and its form token."""
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )


def sign_in_page(
    request: AuthorizationRequest,
    hidden: Mapping[str, str],
    *,
    action: str = "/oauth/authorize",
    error: str | None = None,
    username: str = "",
) -> str:
    """Username and password, for the application named on the page."""
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _page(
        "Sign in",
        f"<h1>Sign in to continue to {escape(request.client_name)}</h1>{message}"
        f'<form method="post" action="{escape(action)}">'
        f"{_hidden(hidden)}"
        '<input type="hidden" name="action" value="sign_in">'
        '<label for="username">Username</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>',
    )


def consent_page(
    request: AuthorizationRequest,
    hidden: Mapping[str, str],
    *,
    username: str,
    action: str = "/oauth/authorize",
) -> str:
    """The application, the scopes it asks for, and Approve / Deny."""
    if request.scopes:
        items = "".join(f"<li><code>{escape(s)}</code></li>" for s in request.scopes)
        scopes = f"<p>It asks for these scopes:</p><ul>{items}</ul>"
    else:
        scopes = "<p>It asks for no particular scope.</p>"
    return _page(
        "Authorize",
        f"<h1>Authorize {escape(request.client_name)}?</h1>"
        f"<p>Signed in as <strong>{escape(username)}</strong>.</p>"
        f"<p><strong>{escape(request.client_name)}</strong> wants to act on your behalf.</p>"
        f"{scopes}"
        f'<form method="post" action="{escape(action)}">'
        f"{_hidden(hidden)}"
        '<button type="submit" name="action" value="approve">Approve</button>'
        '<button type="submit" name="action" value="deny">Deny</button></form>',
    )


def error_page(message: str, error: str | None = None) -> str:
    """An authorization request we will not redirect anywhere (RFC 6749 §4.1.2.1)."""
    code = f'<p class="code">Error code: <code>{escape(error)}</code></p>' if error else ""
    return _page(
        "Authorization error",
        "<h1>This sign-in request cannot continue</h1>"
        f'<p class="error">{escape(message)}</p>{code}'
        "<p>Go back to the application and start again; if it keeps happening, "
        "tell its administrator.</p>",
    )


page = _page
"""The page frame, for the other flows' pages (``store.endpoint.device_pages``)."""
hidden_fields = _hidden
"""Hidden form fields, escaped, for the other flows' pages."""
