"""``authclients try``: the playground without the console, for scripts and CI.

Discovers the server, builds the grant's request with the playground's own
client (``store/oauth_client``), prints it masked and as a curl line, sends it,
and prints the answer; an OAuth error exits 1 with the playground's hint. Secrets
(client secret, password, refresh token) are read from stdin, one per line in
that order, never from an argument: arguments show in ``ps`` and shell history.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authclients.store import oauth_client as oc
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.oauth_client.client_auth import (
    AUTH_METHODS,
    BASIC,
    NONE,
    PRIVATE_KEY_JWT,
    SECRET_JWT,
)
from authclients.store.oauth_client.device import APPROVED
from authclients.store.oauth_client.discovery import elsewhere
from authclients.store.oauth_client.loopback import RedirectCatcher
from authclients.tui.cli.output import error, print_json, say
from authclients.tui.cli.parser import Commands
from authclients.tui.safe_text import printable
from authclients.tui.widgets.playground.hints import HintContext, explain

GRANTS = ("client_credentials", "password", "authorization_code", "refresh_token", "device")
DEFAULT_ISSUER = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
DEFAULT_REDIRECT = "http://127.0.0.1/callback"
MAX_KEY_FILE = 64 * 1024
KEY_KINDS = (("EC", "ES256"), ("RSA", "RS256"), ("OKP", "EdDSA"))
"""Key types tried for --private-key, with the algorithm each signs with."""


def register(commands: Commands) -> None:
    """Add ``try`` and its options."""
    sub = commands.command(
        commands.top,
        "try",
        "Run one grant against the embedded endpoint or any OAuth server, as the "
        "playground does: request, curl line (secrets masked), answer.",
        None,
        database=False,
        example_lines=(
            "printf '%s\\n' \"$SECRET\" | authclients try --client-id 3 "
            "--client-secret-stdin --grant client_credentials --scope read",
            "authclients try --issuer https://id.example.com/realms/dev --client-id cli "
            "--grant authorization_code --scope 'openid profile'",
            'printf \'%s\\n%s\\n\' "$SECRET" "$PASSWORD" | authclients try --client-id 2 '
            "--client-secret-stdin --grant password --username alice --password-stdin --json",
        ),
        json_output=True,
    )
    sub.add_argument(
        "--issuer",
        default=DEFAULT_ISSUER,
        metavar="URL",
        help="the server's issuer URL, or its metadata URL (…/.well-known/…); discovery "
        "tries RFC 8414 then OpenID Connect (default: the embedded endpoint, "
        f"{DEFAULT_ISSUER})",
    )
    sub.add_argument("--client-id", required=True, metavar="ID", help="the client's id")
    sub.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret from the first line of stdin",
    )
    sub.add_argument(
        "--auth-method",
        choices=AUTH_METHODS,
        default=None,
        help="how the client authenticates (default: client_secret_basic with a secret, "
        "none without; private_key_jwt needs --private-key)",
    )
    sub.add_argument(
        "--private-key",
        type=Path,
        default=None,
        metavar="FILE",
        help="the PEM or JWK private key for private_key_jwt (its kid is its thumbprint)",
    )
    sub.add_argument("--grant", required=True, choices=GRANTS, help="the grant to run")
    sub.add_argument("--scope", default="", help="space-separated scopes to ask for")
    sub.add_argument("--username", default="", help="the resource owner (password grant)")
    sub.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the user's password from the next line of stdin (password grant)",
    )
    sub.add_argument(
        "--refresh-token-stdin",
        action="store_true",
        help="read the refresh token from the next line of stdin (refresh_token grant)",
    )
    sub.add_argument(
        "--redirect-uri",
        default=DEFAULT_REDIRECT,
        metavar="URL",
        help="a loopback redirect URI registered for the client; the port is picked "
        f"when it has none (RFC 8252 §7.3; default {DEFAULT_REDIRECT})",
    )
    sub.add_argument(
        "--wait",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the browser's redirect, or for a device code's approval "
        "(default 300; the device code's own expiry may end it sooner)",
    )
    sub.add_argument(
        "--timeout",
        type=_seconds,
        default=oc.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for each HTTP answer (default {oc.DEFAULT_TIMEOUT:g})",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("give a number of seconds, more than 0, at most 86400")
    return value


class TryError(Exception):
    """The run cannot go on: exit ``status`` with this one-line message."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Run:
    """What one ``try`` did, for the human and the JSON output alike."""

    json: bool
    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A line for the person, on stderr (stdout stays the answer), at once: the
        authorization URL must reach them while we wait, ``--json`` or not."""
        self.notes.append(text)
        print(printable(text), file=sys.stderr, flush=True)

    def step(self, done: oc.Exchange, hint: str) -> None:
        request = done.request
        entry: dict[str, Any] = {
            "title": request.title,
            "request": request.display(),
            "curl": request.curl(show_secrets=False),
            "status": done.response.status if done.response else None,
            "error": done.error or None,
            "hint": hint or None,
        }
        if done.response is not None:
            entry["response"] = done.response.json()
            if entry["response"] is None:
                entry["body"] = done.response.body
        self.steps.append(entry)
        if self.json:
            return
        say(f"> {request.title}", *request.display().splitlines(), "")
        say("$ " + request.curl(show_secrets=False).replace(" \\\n  ", " "), "")
        if done.response is not None:
            say(*(f"< {line}" for line in done.response.display().splitlines()), "")
        else:
            say(f"< no answer: {done.error}", "")
        if hint:
            print(printable(f"hint: {hint}"), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Carry out ``authclients try``; returns the exit status."""
    result = Run(json=args.json)
    try:
        status = _run(args, result)
    except TryError as exc:
        if args.json:
            print_json({"ok": False, "error": str(exc), "steps": result.steps})
        return error(str(exc), exc.status)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    if args.json:
        print_json({"ok": status == 0, "notes": result.notes, "steps": result.steps})
    return status


def _run(args: argparse.Namespace, result: Run) -> int:
    stdin = _StdinSecrets()
    secret = stdin.next("client secret") if args.client_secret_stdin else ""
    password = stdin.next("password") if args.password_stdin else ""
    refresh = stdin.next("refresh token") if args.refresh_token_stdin else ""
    _check_combination(args, secret, password, refresh)
    method = args.auth_method or (BASIC if secret else NONE)
    key = _load_key(args.private_key) if method == PRIVATE_KEY_JWT else None
    if args.grant == "authorization_code":
        _check_loopback(args.redirect_uri)

    target = _discover(args.issuer, args.timeout, result)
    if target.auth_methods and method not in target.auth_methods:
        result.note(
            f"note: the server lists token_endpoint_auth_methods_supported "
            f"{', '.join(target.auth_methods)}; {method} may be refused."
        )
    client = oc.ClientCredentials(args.client_id, secret, method, key)
    context = HintContext(
        grant=args.grant,
        client_id=args.client_id,
        public=not secret,
        embedded=args.issuer == DEFAULT_ISSUER,
        base_url=target.base_url,
    )
    if args.grant == "device":
        return _device(args, target, client, result, context)
    try:
        if args.grant == "client_credentials":
            request = oc.client_credentials_request(target, client, args.scope)
        elif args.grant == "password":
            request = oc.password_request(target, client, args.username, password, args.scope)
        elif args.grant == "refresh_token":
            request = oc.refresh_request(target, client, refresh, args.scope)
        else:
            request = _code_exchange(args, target, client, result)
    except ValueError as exc:  # a JWT method without its secret or key
        raise TryError(str(exc), 2) from None
    done = oc.exchange(request, timeout=args.timeout)
    hint = explain(done, context)
    result.step(done, hint)
    if done.response is None:
        raise TryError(f"no answer from {target.token_url}: {done.error}")
    return 0 if done.ok else 1


class _StdinSecrets:
    """Secrets from stdin, one per line, in the order the options name them."""

    def __init__(self) -> None:
        self._lines: list[str] | None = None

    def next(self, what: str) -> str:
        if self._lines is None:
            if sys.stdin is None or sys.stdin.isatty():
                raise TryError(f"the {what} is read from stdin: pipe it in, one per line", 2)
            self._lines = sys.stdin.read(64 * 1024).splitlines()
        if not self._lines:
            raise TryError(f"stdin ended before the {what}: give one secret per line", 2)
        value = self._lines.pop(0).strip()
        if not value:
            raise TryError(f"the {what} read from stdin is empty", 2)
        return value


def _check_combination(args: argparse.Namespace, secret: str, password: str, refresh: str) -> None:
    if args.auth_method in (BASIC, "client_secret_post", SECRET_JWT) and not secret:
        raise TryError(f"--auth-method {args.auth_method} needs --client-secret-stdin", 2)
    if args.auth_method == PRIVATE_KEY_JWT and args.private_key is None:
        raise TryError("--auth-method private_key_jwt needs --private-key FILE", 2)
    if args.private_key is not None and args.auth_method != PRIVATE_KEY_JWT:
        raise TryError("--private-key is only for --auth-method private_key_jwt", 2)
    if args.grant == "password" and not (args.username and password):
        raise TryError("the password grant needs --username and --password-stdin", 2)
    if args.grant == "refresh_token" and not refresh:
        raise TryError("the refresh_token grant needs --refresh-token-stdin", 2)
    if args.grant == "client_credentials" and not secret and args.auth_method != PRIVATE_KEY_JWT:
        raise TryError(
            "client_credentials needs the client to authenticate: --client-secret-stdin, "
            "or --auth-method private_key_jwt with --private-key",
            2,
        )


def _check_loopback(redirect_uri: str) -> None:
    """Refuse a redirect the catcher cannot listen for before anything is sent."""
    try:
        RedirectCatcher(redirect_uri).close()
    except ValueError as exc:
        raise TryError(str(exc), 2) from None


def _discover(issuer: str, timeout: float, result: Run) -> oc.Target:
    found = oc.discover(issuer, send=lambda request: oc.exchange(request, timeout=timeout))
    if found.ok:
        result.note(f"discovery: {found.kind} at {found.url}")
        target = found.target()
        for name, url in elsewhere(target):
            result.note(f"note: the {name} is on another host than the issuer: {url}")
        return target
    if found.refused:
        raise TryError(found.error)
    if found.attempts and all(a.response is None for a in found.attempts):
        raise TryError(found.error)
    result.note(f"discovery: {found.error} Using Passport's paths under {found.issuer}.")
    return oc.Target.from_base(found.issuer)


def _read_key_file(path: Path) -> bytes:
    """At most ``MAX_KEY_FILE + 1`` bytes of a regular file: /dev/zero would fill memory
    and a FIFO would block ``try`` forever, so neither is opened for reading."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise TryError(f"cannot read the private key {path}: {exc.strerror}", 2) from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TryError(f"{path} is not a regular file: not a key", 2)
        try:
            return file.read(MAX_KEY_FILE + 1)
        except OSError as exc:
            raise TryError(f"cannot read the private key {path}: {exc.strerror}", 2) from None


def _load_key(path: Path) -> Any:
    """A private key from a PEM or JWK file; its kid is its RFC 7638 thumbprint."""
    from joserfc.errors import JoseError
    from joserfc.jwk import import_key

    data = _read_key_file(path)
    if len(data) > MAX_KEY_FILE:
        raise TryError(f"{path} is larger than {MAX_KEY_FILE // 1024} KiB: not a key", 2)
    source: Any = data
    if data.lstrip().startswith(b"{"):
        try:
            source = json.loads(data)
        except (ValueError, RecursionError):
            raise TryError(f"{path} is not valid JSON: not a JWK", 2) from None
    key = None
    for kind, alg in KEY_KINDS:
        try:
            key = import_key(source, kind, parameters={"alg": alg})  # type: ignore[call-overload]
        except (JoseError, ValueError, TypeError, KeyError):
            continue
        break
    if key is None:
        raise TryError(f"{path} is not a PEM or JWK private key (EC, RSA or Ed25519)", 2)
    if not key.is_private:
        raise TryError(f"{path} holds a public key: private_key_jwt signs with the private one", 2)
    key.ensure_kid()
    return key


def _code_exchange(
    args: argparse.Namespace,
    target: oc.Target,
    client: oc.ClientCredentials,
    result: Run,
) -> oc.HttpRequest:
    """The code grant through the loopback catcher: print the URL, catch, check, exchange."""
    try:
        catcher = RedirectCatcher(args.redirect_uri)
    except ValueError as exc:
        raise TryError(str(exc), 2) from None
    pkce = oc.Pkce.new()
    with catcher:
        url = oc.authorize_url(target, args.client_id, catcher.redirect_uri, args.scope, pkce)
        result.note("Open this URL in a browser on this machine to sign in:")
        result.note(url)
        result.note(f"Waiting up to {args.wait:g} s for the redirect to {catcher.redirect_uri} …")
        # One deadline for the whole wait: a local process sending forged redirects
        # must not keep ``try`` waiting past --wait by restarting the clock each time.
        deadline = time.monotonic() + args.wait
        while True:
            try:
                location = catcher.wait(max(0.0, deadline - time.monotonic()))
            except TimeoutError as exc:
                raise TryError(str(exc)) from None
            try:
                redirect = oc.parse_redirect(
                    location, pkce.state, target.issuer, target.iss_required
                )
            except oc.StateMismatch as exc:
                # Any local process can reach the catcher: a forged redirect is reported
                # and the real one still awaited.
                result.note(f"ignored a redirect: {exc}")
                continue
            except ValueError as exc:
                result.note(f"ignored a redirect: {exc}")
                continue
            break
    if redirect.error:
        said = redirect.error + (
            f": {redirect.error_description}" if redirect.error_description else ""
        )
        raise TryError(f"the server answered the authorization request with {said}")
    return oc.code_exchange_request(
        target, client, redirect.code, catcher.redirect_uri, pkce.verifier
    )


def _device(
    args: argparse.Namespace,
    target: oc.Target,
    client: oc.ClientCredentials,
    result: Run,
    context: HintContext,
) -> int:
    """RFC 8628: ask for the codes, say where to approve them, poll at the server's pace."""
    try:
        asked = oc.exchange(
            oc.device_code_request(target, client, args.scope), timeout=args.timeout
        )
    except ValueError as exc:  # a JWT method without its secret or key
        raise TryError(str(exc), 2) from None
    result.step(asked, explain(asked, context))
    if not asked.ok:
        if asked.response is None:
            raise TryError(f"no answer from {target.device_url}: {asked.error}")
        return 1
    try:
        codes = oc.DeviceCodes.from_response(asked.response.json() if asked.response else None)
    except oc.NotDeviceCodes as exc:
        raise TryError(f"not a device authorization answer: {exc}") from None
    result.note(f"Code: {codes.user_code}")
    result.note(f"Open {codes.verification_uri} on any device, sign in and enter the code,")
    if codes.verification_uri_complete:
        result.note(f"or open {codes.verification_uri_complete}")
    polling = oc.DevicePolling.start(codes, time.time())
    deadline = time.monotonic() + args.wait
    done: oc.Exchange | None = None
    while polling.active:
        if time.monotonic() >= deadline:
            raise TryError(f"nobody approved the code within {args.wait:g} s")
        now = time.time()
        if not polling.due(now):
            if not polling.active:
                break
            time.sleep(min(1.0, max(0.05, polling.next_poll_at - now)))
            continue
        polling.sent()
        done = oc.exchange(
            oc.device_token_request(target, client, codes.device_code), timeout=args.timeout
        )
        outcome = polling.answered(done, time.time())
        result.note(f"poll {polling.polls}: {outcome}")
    if done is None:
        raise TryError(polling.message)
    result.step(done, explain(done, context))
    return 0 if polling.state == APPROVED and done.ok else 1
