"""The authorization request, its redirect, and a browser's sign-in and consent done over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from authclients.store.oauth_client.discovery import Target
from authclients.store.oauth_client.http import (
    DEFAULT_TIMEOUT,
    FORM_TYPE,
    Exchange,
    HttpRequest,
    HttpResponse,
    exchange,
)
from authclients.store.oauth_client.pkce import Pkce


def authorize_url(target: Target, client_id: str, redirect_uri: str, scope: str, pkce: Pkce) -> str:
    """The authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3); with ``openid`` in the
    scope, the nonce the id_token must echo (OIDC Core §3.1.2.1)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": pkce.state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "nonce": pkce.nonce if "openid" in scope.split() else "",
    }
    query = urlencode({k: v for k, v in params.items() if v})
    separator = "&" if urlsplit(target.authorize_url).query else "?"
    return f"{target.authorize_url}{separator}{query}"


@dataclass(frozen=True)
class Redirect:
    """Where the authorization server sent the user agent back, read (RFC 6749 §4.1.2)."""

    location: str
    code: str = ""
    state: str = ""
    error: str = ""
    error_description: str = ""


class StateMismatch(Exception):
    """The redirect's ``state`` is not the one we sent: possible CSRF, the code is not used."""


class IssuerMismatch(StateMismatch):
    """The redirect's ``iss`` names another server than the one we asked (RFC 9207 §2.4:
    a mix-up attack); refused like a state mismatch, the code is not used."""


def parse_redirect(
    url: str, expected_state: str, expected_issuer: str = "", require_issuer: bool = False
) -> Redirect:
    """Read a redirect URL (captured, or pasted from a browser); check its ``state`` and,
    when it carries one, its ``iss`` (RFC 9207).

    Raises:
        StateMismatch: ``state`` missing or different while we sent one.
        IssuerMismatch: ``iss`` present and not ``expected_issuer``.
        ValueError: neither a code nor an error in it.
    """
    url = url.strip()
    query = parse_qs(urlsplit(url).query)
    if not query and "code=" in url:
        query = parse_qs(url.split("?", 1)[-1])
    values = {k: v[0] for k, v in query.items()}
    redirect = Redirect(
        location=url,
        code=values.get("code", ""),
        state=values.get("state", ""),
        error=values.get("error", ""),
        error_description=values.get("error_description", ""),
    )
    if not redirect.code and not redirect.error:
        raise ValueError("The URL has neither a code nor an error in its query.")
    if expected_state and redirect.state != expected_state:
        got = repr(redirect.state) if redirect.state else "no state"
        raise StateMismatch(
            f"State mismatch: sent {expected_state!r}, got {got}. The code is not used "
            "(a forged or stale redirect, RFC 6749 §10.12); start the flow again."
        )
    issuer = values.get("iss")
    if issuer is None and require_issuer:
        raise IssuerMismatch(
            "No iss in the redirect, though the server says it sends one (RFC 9207 §2.4): "
            "the code is not used (a mix-up attack?); start the flow again."
        )
    # Compared as RFC 9207 §2.4 says: simple string comparison, no normalisation (the
    # expected issuer is the metadata's own spelling, trailing slash and all).
    if issuer is not None and expected_issuer and issuer != expected_issuer:
        raise IssuerMismatch(
            f"Issuer mismatch: asked {expected_issuer!r}, answered by {issuer!r}. The code "
            "is not used (a mix-up attack, RFC 9207); start the flow again."
        )
    return redirect


# -- the sign-in and consent pages, read without a browser ---------------------------


@dataclass
class PageForm:
    """What the authorization page showed: its form's hidden fields and its words."""

    kind: str
    """``sign_in``, ``consent`` or ``error``."""
    hidden: dict[str, str] = field(default_factory=dict)
    heading: str = ""
    message: str = ""
    """An error on the page (wrong password, bad redirect URI)."""
    scopes: list[str] = field(default_factory=list)
    signed_in_as: str = ""
    action: str = ""


class _PageParser(HTMLParser):
    """Reads forms, headings, ``.error`` paragraphs and scope items out of the pages."""

    def __init__(self) -> None:
        super().__init__()
        self.page = PageForm(kind="error")
        self._in: list[str] = []
        self._buttons: list[str] = []
        self._has_password = False
        self._capture: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.page.action:
            self.page.action = values.get("action", "")
        if tag == "input":
            if values.get("type") == "hidden" and values.get("name"):
                self.page.hidden[values["name"]] = values.get("value", "")
            if values.get("type") == "password":
                self._has_password = True
        if tag == "button" and values.get("value"):
            self._buttons.append(values["value"])
        capture = None
        if tag == "h1":
            capture = "heading"
        elif tag == "p" and "error" in values.get("class", "").split():
            capture = "message"
        elif tag == "code":
            capture = "scope"
        elif tag == "strong":
            capture = "strong"
        if capture:
            self._capture, self._text = capture, []

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._capture or tag not in ("h1", "p", "code", "strong"):
            return
        text = "".join(self._text).strip()
        if self._capture == "heading":
            self.page.heading = text
        elif self._capture == "message":
            self.page.message = text
        elif self._capture == "scope":
            self.page.scopes.append(text)
        elif self._capture == "strong" and not self.page.signed_in_as:
            self.page.signed_in_as = text
        self._capture = None

    def finish(self) -> PageForm:
        if self._has_password:
            self.page.kind = "sign_in"
        elif "approve" in self._buttons:
            self.page.kind = "consent"
        return self.page


def read_page(html: str) -> PageForm:
    """The form and words of an authorization page."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.finish()


class DanceError(Exception):
    """The dance cannot go on: ``message`` says why, ``exchange`` is the request that failed."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange


FORM_SECRETS = ("form_token", "csrf_token", "request")
"""Hidden fields of the authorization pages that are masked in the history."""


class AuthorizeDance:
    """A browser's part of the authorization-code flow, done over HTTP with cookies.

    ``start`` GETs the authorization URL (a sign-in page, or straight to
    consent, or a redirect with an error); ``sign_in`` posts the credentials
    with the page's CSRF token; ``decide`` posts approve or deny and returns
    the 302 ``Location`` (not followed: it points at the client's redirect URI).
    Every request made is kept in ``exchanges`` for the history. Blocking:
    call it from a worker thread.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self.cookies = CookieJar()
        self.exchanges: list[Exchange] = []
        self.page: PageForm | None = None
        self.location = ""

    def _send(self, request: HttpRequest) -> HttpResponse:
        done = exchange(request, timeout=self.timeout, cookies=self.cookies)
        self.exchanges.append(done)
        if done.response is None:
            raise DanceError(done.error, done)
        return done.response

    def _after(self, response: HttpResponse) -> PageForm | None:
        """Read a page, or note the redirect; None when redirected."""
        if response.status in (301, 302, 303, 307, 308):
            self.location = response.header("Location") or ""
            self.page = None
            return None
        page = read_page(response.body)
        self.page = page
        if page.kind == "error" or (response.status >= 400 and page.kind != "sign_in"):
            raise DanceError(page.message or page.heading or f"HTTP {response.status}")
        return page

    def start(self) -> PageForm | None:
        """GET the authorization URL; the sign-in (or consent) page, or None when redirected."""
        return self._after(self._send(HttpRequest("authorize", "GET", self.url)))

    def _post(
        self, title: str, fields: dict[str, str], secrets_: tuple[str, ...] = ()
    ) -> HttpResponse:
        assert self.page is not None
        action = urljoin(self.url, self.page.action or urlsplit(self.url).path)
        # The form token (or an older server's CSRF token and request id) is a secret of
        # this session; the authorization request's own fields are not.
        hidden = tuple(v for k, v in self.page.hidden.items() if k in FORM_SECRETS)
        return self._send(
            HttpRequest(
                title,
                "POST",
                action,
                (("Content-Type", FORM_TYPE),),
                urlencode({**self.page.hidden, **fields}),
                (*hidden, *secrets_),
            )
        )

    def sign_in(self, username: str, password: str) -> PageForm | None:
        """Post the sign-in form; the consent page (or the sign-in page again, with an error)."""
        if self.page is None or self.page.kind != "sign_in":
            raise DanceError("There is no sign-in form to fill.")
        response = self._post(
            "authorize: sign in", {"username": username, "password": password}, (password,)
        )
        return self._after(response)

    def decide(self, approve: bool) -> str:
        """Post approve or deny; the redirect ``Location`` with the code or the error."""
        if self.page is None or self.page.kind != "consent":
            raise DanceError("There is no consent form to answer.")
        decision = "approve" if approve else "deny"
        response = self._post(f"authorize: {decision}", {"action": decision})
        self._after(response)
        if not self.location:
            raise DanceError(f"The server answered {response.status} instead of a redirect.")
        return self.location
