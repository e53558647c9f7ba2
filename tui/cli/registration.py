"""``authclients registration``: the RFC 7591 switch and its initial access tokens."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from typing import Any

from authclients.store import Store
from authclients.store.registration import MODE_TOKEN, MODES, InitialTokenInfo
from authclients.tui.cli.output import TOKEN_WARNING, iso, print_json, say, table
from authclients.tui.cli.parser import Commands, positive_int

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """``30m``, ``12h`` or ``7d``."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError("give a duration such as 30m, 12h or 7d")
    value = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if value > timedelta(days=3650):
        raise argparse.ArgumentTypeError("at most 10 years")
    return value


def register(commands: Commands) -> None:
    """Add ``registration`` and its actions."""
    noun = commands.noun(
        "registration",
        "Dynamic client registration (RFC 7591): whether clients may register themselves.",
    )
    mode = commands.command(
        noun,
        "mode",
        "Show or set who may register at POST /oauth/register: off (the default), open "
        "(anyone who can reach the endpoint) or token (an initial access token is needed). "
        "The console and every `serve` on this database follow it.",
        _mode,
        example_lines=(
            "authclients registration mode",
            "authclients registration mode token --start-disabled",
            "authclients registration mode off",
        ),
        json_output=True,
    )
    mode.add_argument("mode", nargs="?", choices=MODES, metavar="MODE", help="off, open or token")
    disabled = mode.add_mutually_exclusive_group()
    disabled.add_argument(
        "--start-disabled",
        dest="start_disabled",
        action="store_const",
        const=True,
        default=None,
        help="new registrations start disabled: no token until an admin enables them",
    )
    disabled.add_argument(
        "--start-enabled",
        dest="start_disabled",
        action="store_const",
        const=False,
        help="new registrations may get tokens at once (the default)",
    )

    tokens = commands.command(
        noun, "token", "Initial access tokens for `registration mode token`."
    ).add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = commands.command(
        tokens,
        "create",
        "Make an initial access token; it is shown once and stored as a digest.",
        _create,
        example_lines=(
            "authclients registration token create --expires-in 1d --uses 1",
            "authclients registration token create --json",
        ),
        json_output=True,
    )
    create.add_argument("--expires-in", type=duration, metavar="DURATION", help="e.g. 1h, 7d")
    create.add_argument(
        "--uses",
        type=positive_int("a number of registrations of 1 or more"),
        metavar="N",
        help="registrations it allows (default: any number until it expires)",
    )
    commands.command(
        tokens,
        "list",
        "List initial access tokens (their hints, never the tokens).",
        _list,
        json_output=True,
    )
    revoke = commands.command(
        tokens, "revoke", "Revoke an initial access token.", _revoke, json_output=True
    )
    revoke.add_argument(
        "id",
        type=positive_int("a token id as shown by `authclients registration token list`"),
        metavar="ID",
    )


def _mode(store: Store, args: argparse.Namespace) -> int:
    registrations = store.registrations
    if args.mode is not None:
        registrations.set_mode(args.mode)
    if args.start_disabled is not None:
        registrations.set_start_disabled(args.start_disabled)
    current, start_disabled = registrations.mode(), registrations.start_disabled()
    if args.json:
        print_json(
            {
                "mode": current,
                "start_disabled": start_disabled,
                "registered_clients": registrations.count(),
                "cap": registrations.cap,
            }
        )
        return 0
    say(f"Registration: {current}" + (" (new clients start disabled)" if start_disabled else ""))
    say(f"Self-registered clients: {registrations.count()} of at most {registrations.cap}.")
    now = store.clock.now()
    if current == MODE_TOKEN and not any(t.usable(now) for t in registrations.tokens()):
        say("No usable initial access token yet: `authclients registration token create`.")
    return 0


def _create(store: Store, args: argparse.Namespace) -> int:
    token, info = store.registrations.create_token(expires_in=args.expires_in, uses=args.uses)
    if args.json:
        print_json({**token_json(info), "token": token})
        return 0
    say(f"Initial access token {info.id}:", "", f"  {token}", "", TOKEN_WARNING)
    say("Send it as `Authorization: Bearer <token>` with POST /oauth/register.")
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    items = store.registrations.tokens()
    if args.json:
        print_json({"items": [token_json(t) for t in items]})
        return 0
    if not items:
        say("No initial access tokens (make one with `authclients registration token create`).")
        return 0
    now = store.clock.now()
    rows = [
        [
            str(t.id),
            f"…{t.hint}",
            "usable" if t.usable(now) else ("revoked" if t.revoked else "spent or expired"),
            "any" if t.uses_left is None else str(t.uses_left),
            str(t.used),
            iso(t.expires_at) or "never",
        ]
        for t in items
    ]
    say(*table(["ID", "TOKEN", "STATE", "USES LEFT", "USED", "EXPIRES"], rows, right={0, 3, 4}))
    return 0


def _revoke(store: Store, args: argparse.Namespace) -> int:
    info = store.registrations.revoke_token(args.id)
    if args.json:
        print_json(token_json(info))
    else:
        say(f"Revoked initial access token {info.id}.")
    return 0


def token_json(info: InitialTokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "hint": info.hint,
        "created_at": iso(info.created_at),
        "expires_at": iso(info.expires_at),
        "uses_left": info.uses_left,
        "used": info.used,
        "revoked": info.revoked,
    }
