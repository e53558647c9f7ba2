"""A small OAuth 2.0 client for the playground: requests as data, sent with the standard library.

Nothing here imports Textual: the screen builds ``HttpRequest`` values, shows
them (masked) and as curl, sends them in a worker with ``send``, and explains
failures with ``explain``. The authorization-code dance against an HTML
sign-in and consent form is ``AuthorizeDance``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import shlex
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urljoin, urlsplit

DEFAULT_TIMEOUT = 10.0
"""Seconds before a request is given up; the UI never waits longer than this."""
API_PATH = "/api/1.0/users/me"
METADATA_PATH = "/.well-known/oauth-authorization-server"
MASK = "••••••"
FORM_TYPE = "application/x-www-form-urlencoded"


# -- requests and responses as data -------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request, complete, so it can be shown, copied as curl, sent and sent again.

    Attributes:
        title: what it is for ("password grant", "introspect"), for the history.
        method: ``GET`` or ``POST``.
        url: the full URL, query included.
        headers: (name, value) pairs in order.
        body: the form-encoded body, or empty.
        secrets: values that are masked on screen unless asked for (client secret,
            password, tokens, the Basic header).
    """

    title: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    secrets: tuple[str, ...] = ()

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by a mask (longest first)."""
        for value in sorted({s for s in self.secrets if s}, key=len, reverse=True):
            text = text.replace(value, MASK)
            # In the body a secret appears form-encoded.
            for encoded in {quote(value, safe=""), quote_plus(value, safe="")} - {value}:
                text = text.replace(encoded, MASK)
        return text

    def display(self, *, show_secrets: bool = False) -> str:
        """Request line, headers and body as an HTTP message."""
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.method} {target or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body:
            lines += ["", self.body.replace("&", "\n&")]
        text = "\n".join(lines)
        return text if show_secrets else self.mask(text)

    def curl(self, *, show_secrets: bool = True) -> str:
        """The same request as a curl command, one option per line."""
        head = ["curl", "-sS", "-i"]
        if self.method != "GET" or self.body:
            head += ["-X", self.method]
        head.append(self.url)
        options = [("-H", f"{name}: {value}") for name, value in self.headers]
        if self.body:
            options += [("--data-raw", self.body)]
        lines = [shlex.join(head)]
        lines += [f"{flag} {shlex.quote(value)}" for flag, value in options]
        text = " \\\n  ".join(lines)
        return text if show_secrets else self.mask(text)


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, headers, body, how long it took."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str
    elapsed_ms: float = 0.0

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> dict[str, object] | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def display(self) -> str:
        """Status line, headers and the body, JSON pretty-printed."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}".rstrip()]
        lines += [f"{name}: {value}" for name, value in self.headers]
        body = self.json()
        text = json.dumps(body, indent=2, ensure_ascii=False) if body is not None else self.body
        if text:
            lines += ["", text]
        return "\n".join(lines)


class TransportError(Exception):
    """No HTTP answer at all: refused, timed out, name unknown. ``message`` says which."""

    def __init__(self, message: str, *, refused: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused
        self.timed_out = timed_out


@dataclass
class Exchange:
    """A request, its answer (or why there was none), and what to do about a failure.

    Attributes:
        request: what was sent.
        response: what came back; None on a transport error.
        error: the transport error's message, or a local failure ("state mismatch").
        hint: what to do about a failure, in words; empty on success.
    """

    request: HttpRequest
    response: HttpResponse | None = None
    error: str = ""
    hint: str = ""

    @property
    def status_text(self) -> str:
        if self.response is not None:
            return str(self.response.status)
        return "refused" if "refused" in self.error else "error"

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response.ok and not self.error


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to show (the authorize 302 carries the code), never followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def send(
    request: HttpRequest, *, timeout: float = DEFAULT_TIMEOUT, cookies: CookieJar | None = None
) -> HttpResponse:
    """Send ``request``; any HTTP status is a response, only transport failures raise.

    Raises:
        TransportError: refused, timed out, unknown host, bad URL.
    """
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TransportError(f"Not an http(s) URL: {request.url!r}.")
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if cookies is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(cookies))
    opener = urllib.request.build_opener(*handlers)
    data = request.body.encode("utf-8") if request.body or request.method == "POST" else None
    raw = urllib.request.Request(
        request.url, data=data, headers=dict(request.headers), method=request.method
    )
    started = time.perf_counter()
    try:
        try:
            with opener.open(raw, timeout=timeout) as answer:
                status, reason = answer.status, answer.reason
                headers = tuple(answer.headers.items())
                body = answer.read()
        except urllib.error.HTTPError as exc:
            # 3xx (not followed), 4xx and 5xx are answers like any other.
            status, reason = exc.code, exc.reason
            headers = tuple(exc.headers.items()) if exc.headers else ()
            body = exc.read()
            exc.close()
    except urllib.error.URLError as exc:
        raise _transport_error(request.url, exc.reason, timeout) from None
    except TimeoutError as exc:
        raise _transport_error(request.url, exc, timeout) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # HTTPException: something answered that does not speak HTTP (ssh, TLS on http://).
        raise _transport_error(request.url, exc, timeout) from None
    elapsed = (time.perf_counter() - started) * 1000.0
    return HttpResponse(
        status=status,
        reason=str(reason or ""),
        headers=headers,
        body=body.decode("utf-8", "replace"),
        elapsed_ms=elapsed,
    )


def _transport_error(url: str, reason: object, timeout: float) -> TransportError:
    netloc = urlsplit(url).netloc
    if isinstance(reason, ConnectionRefusedError):
        return TransportError(f"Connection refused by {netloc}.", refused=True)
    if isinstance(reason, TimeoutError | socket.timeout):
        return TransportError(f"No answer from {netloc} within {timeout:g} s.", timed_out=True)
    if isinstance(reason, socket.gaierror):
        return TransportError(f"Unknown host in {url}: {reason.strerror or reason}.")
    return TransportError(f"Could not reach {netloc}: {reason}.")


def exchange(
    request: HttpRequest, *, timeout: float = DEFAULT_TIMEOUT, cookies: CookieJar | None = None
) -> Exchange:
    """``send`` that never raises: a transport failure becomes an ``Exchange`` with ``error``."""
    try:
        return Exchange(request, send(request, timeout=timeout, cookies=cookies))
    except TransportError as exc:
        return Exchange(request, None, exc.message)


# -- where to send: the target server ------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A server's base URL and its endpoints (Passport's paths unless its metadata says else)."""

    base_url: str
    token_url: str
    authorize_url: str
    revoke_url: str
    introspect_url: str
    issuer_url: str = ""
    """The issuer its metadata names; empty: the base URL is taken for it."""

    @property
    def issuer(self) -> str:
        """Who must have answered an authorization request (RFC 9207 ``iss``)."""
        return self.issuer_url or self.base_url

    @classmethod
    def from_base(cls, base_url: str) -> Target:
        base = base_url.strip().rstrip("/")
        return cls(
            base_url=base,
            token_url=f"{base}/oauth/token",
            authorize_url=f"{base}/oauth/authorize",
            revoke_url=f"{base}/oauth/revoke",
            introspect_url=f"{base}/oauth/introspect",
        )

    def with_metadata(self, metadata: dict[str, object]) -> Target:
        """The endpoints an RFC 8414 document names; the others unchanged."""
        names = {
            "token_url": "token_endpoint",
            "authorize_url": "authorization_endpoint",
            "revoke_url": "revocation_endpoint",
            "introspect_url": "introspection_endpoint",
        }
        found = {
            attr: value
            for attr, key in names.items()
            if isinstance(value := metadata.get(key), str) and value
        }
        issuer = metadata.get("issuer")
        if isinstance(issuer, str) and issuer:
            found["issuer_url"] = issuer
        return replace(self, **found)

    def api_url(self, path: str) -> str:
        """``path`` against the base URL; a full URL is used as it is."""
        path = path.strip() or API_PATH
        if "://" in path:
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))


def discovery_request(base_url: str) -> HttpRequest:
    """GET the RFC 8414 metadata of ``base_url``."""
    base = base_url.strip().rstrip("/")
    return HttpRequest(
        "discovery", "GET", f"{base}{METADATA_PATH}", (("Accept", "application/json"),)
    )


# -- the client and its credentials -----------------------------------------------


@dataclass(frozen=True)
class ClientCredentials:
    """The client as the playground presents it; the secret lives in memory only.

    Attributes:
        client_id: the id, as text.
        secret: the secret, or empty for a public client.
        basic: HTTP Basic (True) or the form body (False) for the secret.
    """

    client_id: str
    secret: str = ""
    basic: bool = True

    def apply(self, params: dict[str, str]) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
        """Headers and body parameters that authenticate the client (RFC 6749 §2.3.1)."""
        params = dict(params)
        if self.secret and self.basic:
            # §2.3.1: id and secret are form-urlencoded before base64.
            pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
            token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
            return (("Authorization", f"Basic {token}"),), params
        params["client_id"] = self.client_id
        if self.secret:
            params["client_secret"] = self.secret
        return (), params

    def secrets(self) -> tuple[str, ...]:
        if not self.secret:
            return ()
        pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return (self.secret, basic)


def _form_request(
    title: str,
    url: str,
    client: ClientCredentials,
    params: dict[str, str],
    secrets_: tuple[str, ...] = (),
) -> HttpRequest:
    headers, body = client.apply({k: v for k, v in params.items() if v})
    return HttpRequest(
        title=title,
        method="POST",
        url=url,
        headers=(("Content-Type", FORM_TYPE), ("Accept", "application/json"), *headers),
        body=urlencode(body),
        secrets=(*client.secrets(), *secrets_),
    )


def password_request(
    target: Target, client: ClientCredentials, username: str, password: str, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §4.3.2."""
    params = {"grant_type": "password", "username": username, "password": password, "scope": scope}
    return _form_request("password grant", target.token_url, client, params, (password,))


def client_credentials_request(
    target: Target, client: ClientCredentials, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §4.4.2."""
    params = {"grant_type": "client_credentials", "scope": scope}
    return _form_request("client credentials", target.token_url, client, params)


def code_exchange_request(
    target: Target, client: ClientCredentials, code: str, redirect_uri: str, verifier: str
) -> HttpRequest:
    """RFC 6749 §4.1.3 with RFC 7636 §4.5."""
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _form_request("code exchange", target.token_url, client, params, (code, verifier))


def refresh_request(
    target: Target, client: ClientCredentials, refresh_token: str, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §6."""
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scope}
    return _form_request("refresh", target.token_url, client, params, (refresh_token,))


def revoke_request(
    target: Target, client: ClientCredentials, token: str, hint: str = ""
) -> HttpRequest:
    """RFC 7009 §2.1."""
    params = {"token": token, "token_type_hint": hint}
    return _form_request("revoke", target.revoke_url, client, params, (token,))


def introspect_request(target: Target, client: ClientCredentials, token: str) -> HttpRequest:
    """RFC 7662 §2.1."""
    return _form_request("introspect", target.introspect_url, client, {"token": token}, (token,))


def api_request(target: Target, access_token: str, path: str = API_PATH) -> HttpRequest:
    """A protected resource with the token in the header (RFC 6750 §2.1)."""
    return HttpRequest(
        title=f"GET {path.strip() or API_PATH}",
        method="GET",
        url=target.api_url(path),
        headers=(("Authorization", f"Bearer {access_token}"), ("Accept", "application/json")),
        secrets=(access_token,),
    )


# -- tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    """The tokens of the last successful token response (RFC 6749 §5.1).

    Attributes:
        received_at: UNIX seconds by the app's clock, for the countdown.
    """

    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    refresh_token: str = ""
    scope: str = ""
    received_at: float = 0.0
    source: str = ""
    """The grant that produced it ("password grant", "personal access token")."""

    @classmethod
    def from_response(cls, body: dict[str, object], received_at: float, source: str) -> TokenSet:
        expires = body.get("expires_in")
        return cls(
            access_token=str(body.get("access_token", "")),
            token_type=str(body.get("token_type", "Bearer")),
            expires_in=int(expires) if isinstance(expires, int | float) else None,
            refresh_token=str(body.get("refresh_token") or ""),
            scope=str(body.get("scope") or ""),
            received_at=received_at,
            source=source,
        )

    def seconds_left(self, now: float) -> int | None:
        """Seconds until expiry by ``now``; None when it does not say it expires."""
        if self.expires_in is None:
            return None
        return int(self.received_at + self.expires_in - now)


def countdown(seconds: int | None) -> str:
    """``59:58 left``, ``2 h 05 min left``, ``expired 12 s ago``, ``no expiry given``."""
    if seconds is None:
        return "no expiry given"
    if seconds <= 0:
        return f"expired {-seconds} s ago" if seconds > -120 else "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h left"
    if hours:
        return f"{hours} h {minutes:02d} min left"
    return f"{minutes:02d}:{secs:02d} left"


# -- PKCE and the authorization request ----------------------------------------------


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Pkce:
    """The state, verifier and S256 challenge of one authorization request."""

    state: str
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        # 64 characters of base64url: within RFC 7636's 43 to 128.
        verifier = secrets.token_urlsafe(48)
        return cls(state=secrets.token_urlsafe(12), verifier=verifier, challenge=s256(verifier))

    @classmethod
    def fixed(cls, state: str, verifier: str) -> Pkce:
        """Known values, for screenshots and tests."""
        return cls(state=state, verifier=verifier, challenge=s256(verifier))


def authorize_url(target: Target, client_id: str, redirect_uri: str, scope: str, pkce: Pkce) -> str:
    """The authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": pkce.state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
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


def parse_redirect(url: str, expected_state: str, expected_issuer: str = "") -> Redirect:
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
    # Compared as RFC 9207 §2.4 says: simple string comparison, no normalisation.
    if issuer is not None and expected_issuer and issuer != expected_issuer.rstrip("/"):
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


# -- errors explained ---------------------------------------------------------------


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


SWITCHES = {
    "password": "Password grant",
    "authorization_code": "Authorization code",
    "client_credentials": "Client credentials",
    "refresh_token": "Authorization code or Password grant",
}
"""The client form's switch that enables each grant at the token endpoint."""


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
