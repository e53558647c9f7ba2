"""Token lifetimes on the command line: ``settings``, and the clients' ``--…-ttl`` options."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from authclients.store import Store
from authclients.store.lifetime_settings import RULES, format_duration, parse_duration
from authclients.store.records import ClientLifetimes, Lifetimes
from authclients.tui.cli.output import print_json, say, table
from authclients.tui.cli.parser import CommandParser, Commands, UsageError

DEFAULT_WORD = "default"
"""What a client's option or ``settings set`` takes to go back to the default."""


def register(commands: Commands) -> None:
    """Add ``settings show`` and ``settings set``."""
    settings = commands.noun("settings", "Show and set the default token lifetimes.")
    commands.command(
        settings,
        "show",
        "Show the default token lifetimes, which every process uses.",
        _show,
        example_lines=("authclients settings show", "authclients settings show --json"),
        json_output=True,
        read_only=True,
    )
    s_set = commands.command(
        settings,
        "set",
        "Set a default token lifetime (a running `serve` uses it within 5 seconds).",
        _set,
        example_lines=(
            "authclients settings set access-token-ttl 15m",
            "authclients settings set refresh-token-ttl 14d",
            "authclients settings set personal-token-ttl 90d",
            "authclients settings set auth-code-ttl default",
        ),
        json_output=True,
    )
    keys = ", ".join(f"{rule.key} ({rule.range_text})" for rule in RULES)
    s_set.add_argument(
        "key",
        metavar="KEY",
        choices=[rule.key for rule in RULES],
        help=f"one of: {keys}",
    )
    s_set.add_argument(
        "value",
        metavar="VALUE",
        help="a duration such as 90s, 15m, 1h, 30d, 2w or 1y, or 'default' for the built-in one",
    )


def add_lifetime_options(parser: CommandParser, *, update: bool) -> None:
    """``--access-token-ttl`` and its siblings: the client's own lifetimes."""
    group = parser.add_argument_group(
        "token lifetimes",
        "the client's own lifetimes (Passport's tokensExpireIn); a duration such as 15m, 1h "
        "or 30d"
        + (", or 'default' to use the default again" if update else "")
        + "; see `authclients settings show` for the defaults",
    )
    for rule in RULES:
        group.add_argument(
            f"--{rule.key}",
            dest=f"ttl_{rule.kind}",
            metavar="DURATION",
            default=None,
            help=f"{rule.label.lower()}, {rule.range_text}",
        )


def lifetimes_from(args: argparse.Namespace) -> dict[str, timedelta | None]:
    """The lifetimes given as options: kind → duration, or None for ``default``.

    A bad duration raises the store's ``ValidationError`` on the option's name
    (exit 2, with the allowed range).
    """
    given: dict[str, timedelta | None] = {}
    for rule in RULES:
        text = getattr(args, f"ttl_{rule.kind}", None)
        if text is None:
            continue
        if text.strip().lower() == DEFAULT_WORD:
            given[rule.kind] = None
        else:
            given[rule.kind] = parse_duration(text, rule)
    return given


def lifetime_rows(own: ClientLifetimes, defaults: Lifetimes) -> list[tuple[str, str]]:
    """(label, value) per kind for a client's view: its own value, or the default's, said so."""
    rows = []
    for rule in RULES:
        value = getattr(own, rule.kind)
        if value is None:
            rows.append(
                (rule.label.lower(), f"{format_duration(getattr(defaults, rule.kind))} (default)")
            )
        else:
            rows.append((rule.label.lower(), f"{format_duration(value)} (this client's own)"))
    return rows


def client_lifetimes_json(own: ClientLifetimes) -> dict[str, str | None]:
    """A client's own lifetimes for ``--json``: the duration, or null for the default."""
    return {
        rule.key: None
        if getattr(own, rule.kind) is None
        else format_duration(getattr(own, rule.kind))
        for rule in RULES
    }


def _settings_json(store: Store) -> dict[str, Any]:
    stored = store.lifetime_settings.stored()
    current = store.lifetime_settings.current()
    built_in = Lifetimes()
    return {
        rule.key: {
            "value": format_duration(getattr(current, rule.kind)),
            "default": stored[rule.kind] is None,
            "built_in": format_duration(getattr(built_in, rule.kind)),
            "min": format_duration(rule.low),
            "max": format_duration(rule.high),
        }
        for rule in RULES
    }


def _show(store: Store, args: argparse.Namespace) -> int:
    values = _settings_json(store)
    if args.json:
        print_json(values)
        return 0
    rows = [
        [
            rule.key,
            values[rule.key]["value"] + (" (built-in)" if values[rule.key]["default"] else ""),
            f"{values[rule.key]['min']} to {values[rule.key]['max']}",
            rule.label,
        ]
        for rule in RULES
    ]
    say(*table(["KEY", "VALUE", "ALLOWED", "WHAT"], rows, right=set()))
    return 0


def _set(store: Store, args: argparse.Namespace) -> int:
    rule = next(rule for rule in RULES if rule.key == args.key)
    if not args.value.strip():
        raise UsageError(f"give a value for {rule.key}: a duration such as 15m, or 'default'")
    value = None if args.value.strip().lower() == DEFAULT_WORD else parse_duration(args.value, rule)
    store.lifetime_settings.set({rule.kind: value})
    current = _settings_json(store)[rule.key]
    if args.json:
        print_json({"key": rule.key, **current})
        return 0
    shown = current["value"] + (" (built-in)" if current["default"] else "")
    say(
        f"{rule.label} now live {shown} by default, in every process "
        "(a running `authclients serve` within 5 seconds)."
    )
    return 0
