"""The authorization-code flow's words: what a redirect says and what to do when it stops."""

from __future__ import annotations

from dataclasses import dataclass

from authclients.store import oauth_client as oc


@dataclass(frozen=True)
class RedirectReading:
    """A redirect read: the code (empty when none), and the outcome line to show."""

    code: str
    message: str
    hint: str = ""
    error: bool = False
    clear_code: bool = False
    """The state did not match: a code shown before must not be used either."""


def read_redirect(
    location: str, state: str, issuer: str = "", require_issuer: bool = False
) -> RedirectReading:
    """Read a redirect (captured, or pasted from a browser) and check its ``state`` and,
    when present, its ``iss`` against ``issuer`` (RFC 9207)."""
    try:
        redirect = oc.parse_redirect(location, state, issuer, require_issuer)
    except oc.StateMismatch as exc:
        return RedirectReading("", str(exc), error=True, clear_code=True)
    except ValueError as exc:
        return RedirectReading("", str(exc), error=True)
    if redirect.error:
        said = f"{redirect.error}: {redirect.error_description}".rstrip(": ")
        hint = (
            "The user chose Deny: no code was issued."
            if redirect.error == "access_denied"
            else "The server refused the authorization request (see the redirect)."
        )
        return RedirectReading("", f"Redirected with an error: {said}", hint, error=True)
    return RedirectReading(redirect.code, f"Code received (state checked): {redirect.code[:10]}…")


def stopped_hint(error: str, last: oc.Exchange | None, *, embedded: bool) -> str:
    """What to do when the sign-in dialog stopped with ``error`` after the exchange ``last``."""
    if last is not None and last.response is None and last.hint:
        return last.hint
    if not embedded and error != "Cancelled.":
        # Other servers' sign-in pages are not ours: a browser knows them.
        return (
            "This server's pages may not be readable here: Copy URL, open it in a "
            "browser, and paste the URL it sends you to."
        )
    return ""
