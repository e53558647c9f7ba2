"""``authclients keys``: list, rotate and retire the keys that sign JWTs (never a private key)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from authclients.store import Store
from authclients.store.signing_keys import ALGORITHMS, DEFAULT_ALG, GRACE, SigningKeyInfo
from authclients.tui.cli import prompts
from authclients.tui.cli.output import envelope, iso, plural, print_json, say, table
from authclients.tui.cli.parser import Commands, add_page_options

_NEVER = "-"


def register(commands: Commands) -> None:
    """Add ``keys`` and its actions."""
    keys = commands.noun(
        "keys",
        "The keys that sign JWT access tokens and ID tokens; their public halves are "
        "published at /oauth/jwks. The private key never leaves the database file.",
    )
    k_list = commands.command(
        keys,
        "list",
        "List the signing keys: next (published, not yet signing), active, retiring "
        "(published until what it signed has expired), retired.",
        _list,
        example_lines=("authclients keys list", "authclients keys list --json"),
        json_output=True,
    )
    add_page_options(k_list, default_limit=100)

    k_rotate = commands.command(
        keys,
        "rotate",
        f"Make a new key, published at once; it signs after the grace period "
        f"({int(GRACE.total_seconds())} s, the JWKS cache lifetime), when every key "
        "before it stops signing.",
        _rotate,
        example_lines=(
            "authclients keys rotate",
            "authclients keys rotate --alg RS256 --yes",
            "authclients keys rotate --grace 0 --yes   # sign with it at once",
        ),
        json_output=True,
    )
    k_rotate.add_argument(
        "--alg",
        default=DEFAULT_ALG,
        choices=ALGORITHMS,
        help=f"signature algorithm (default {DEFAULT_ALG})",
    )
    k_rotate.add_argument(
        "--grace",
        type=_seconds,
        default=int(GRACE.total_seconds()),
        metavar="SECONDS",
        help="seconds before it signs; a relying party holding an older JWKS "
        "refetches it on an unknown kid, or fails until its cache expires",
    )
    k_rotate.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )

    k_retire = commands.command(
        keys,
        "retire",
        "Stop signing with a key now (the next key, or a new one, signs at once); it stays "
        "published until every token it signed has expired.",
        _retire,
        example_lines=("authclients keys retire KID", "authclients keys retire KID --yes"),
        json_output=True,
    )
    k_retire.add_argument("kid", metavar="KID", help="the key id, as `keys list` shows it")
    k_retire.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )


def _seconds(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        raise argparse.ArgumentTypeError("a whole number of seconds, 0 to 9999999")
    return int(text)


def _list(store: Store, args: argparse.Namespace) -> int:
    every = store.signing_keys.list()
    page = every[args.offset : args.offset + args.limit]
    if args.json:
        print_json(envelope(len(every), args.offset, args.limit, [key_json(k) for k in page]))
        return 0
    if not page:
        say(
            f"No keys on this page; {len(every)} in all."
            if every
            else "No signing key yet: one is made when the first JWT is signed "
            "(or run `authclients keys rotate`)."
        )
        return 0
    rows = [
        [
            k.kid,
            k.alg,
            k.state,
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.active_from:%Y-%m-%d %H:%M}",
            f"{k.retired_at:%Y-%m-%d %H:%M}" if k.retired_at else _NEVER,
        ]
        for k in page
    ]
    say(*table(["KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "STOPS"], rows, right=set()))
    say(plural(len(every), "key"))
    return 0


def _rotate(store: Store, args: argparse.Namespace) -> int:
    if not args.yes:
        prompts.confirm(
            f"Make a new {args.alg} key that signs in {args.grace} s? "
            "The keys before it stop signing then.",
            refusal="to rotate keys without a terminal, pass --yes",
        )
    key = store.signing_keys.rotate(args.alg, grace=timedelta(seconds=args.grace))
    if args.json:
        print_json(key_json(key))
    else:
        start = f"{key.active_from:%H:%M:%S} UTC"
        say(f"New {key.alg} key {key.kid}: published now, signs from {start}.")
    return 0


def _retire(store: Store, args: argparse.Namespace) -> int:
    if not args.yes:
        prompts.confirm(
            f"Retire key {args.kid}? It stops signing now; relying parties keep verifying "
            "what it signed until that expires.",
            refusal="to retire a key without a terminal, pass --yes",
        )
    key = store.signing_keys.retire(args.kid)
    if args.json:
        print_json(key_json(key))
    else:
        until = f"{key.published_until:%Y-%m-%d %H:%M} UTC" if key.published_until else "now"
        say(f"Retired key {key.kid}; published until {until}.")
    return 0


def key_json(key: SigningKeyInfo) -> dict[str, Any]:
    """One key as ``--json`` shows it: public facts only."""
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": key.state,
        "created_at": iso(key.created_at),
        "active_from": iso(key.active_from),
        "retired_at": iso(key.retired_at) if key.retired_at else None,
        "published_until": iso(key.published_until) if key.published_until else None,
    }
