"""``authclients tokens``: list, revoke, purge, and create personal access tokens."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from authclients.store import Store
from authclients.store.grant_types import label
from authclients.store.records import (
    STATE_ACTIVE,
    STATE_REVOKED,
    TOKEN_STATES,
    IssuedToken,
    PurgeResult,
    TokenInfo,
)
from authclients.tui.cli.output import (
    TOKEN_WARNING,
    envelope,
    iso,
    plural,
    print_json,
    say,
    short,
    table,
)
from authclients.tui.cli.parser import Commands, add_page_options, client_id, days, lifetime
from authclients.tui.cli.parser import token_id as token_id_type
from authclients.tui.formatting import ago, expires_text


def register(commands: Commands) -> None:
    """Add ``tokens`` and its actions."""
    tokens = commands.noun("tokens", "List, revoke and purge access tokens; create personal ones.")
    t_list = commands.command(
        tokens,
        "list",
        "List access tokens, newest first, with their state and age.",
        _list,
        example_lines=(
            "authclients tokens list --client 3 --state active",
            "authclients tokens list --user alice --json",
        ),
        json_output=True,
    )
    t_list.add_argument("--client", type=client_id, metavar="ID", help="only this client's")
    t_list.add_argument("--user", metavar="NAME", help="only this user's")
    t_list.add_argument("--state", choices=TOKEN_STATES, help="active, expired or revoked")
    add_page_options(t_list, default_limit=500)

    t_revoke = commands.command(
        tokens,
        "revoke",
        "Revoke one token, or every token of a client or of a user.",
        _revoke,
        example_lines=(
            "authclients tokens revoke 42",
            "authclients tokens revoke --client 3",
            "authclients tokens revoke --user alice",
        ),
        json_output=True,
    )
    which = t_revoke.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "token_id", type=token_id_type, nargs="?", metavar="TOKEN_ID", help="the token's id"
    )
    which.add_argument("--client", type=client_id, metavar="ID", help="every token of client ID")
    which.add_argument("--user", metavar="NAME", help="every token of user NAME")

    t_purge = commands.command(
        tokens,
        "purge",
        "Delete tokens and codes that expired or were revoked more than DAYS ago.",
        _purge,
        example_lines=(
            "authclients tokens purge --dry-run",
            "authclients tokens purge --older-than 30",
        ),
        json_output=True,
    )
    t_purge.add_argument(
        "--older-than",
        type=days,
        default=7,
        metavar="DAYS",
        help="dead for longer than (default 7)",
    )
    t_purge.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted; delete nothing"
    )

    t_pat = commands.command(
        tokens,
        "create-pat",
        "Create a personal access token for a user; prints the token once.",
        _create_pat,
        example_lines=(
            "authclients tokens create-pat --user alice --name laptop --scopes 'read write'",
            "authclients tokens create-pat --user alice --name ci --expires-in 30 --json",
            "authclients tokens create-pat --user alice --name kiosk --expires-in never",
        ),
        json_output=True,
    )
    t_pat.add_argument("--user", required=True, metavar="NAME", help="whose token it is")
    t_pat.add_argument("--name", required=True, help="what the token is for")
    t_pat.add_argument(
        "--scopes",
        default="",
        metavar="'A B'",
        help="space-separated scopes, each defined (see `authclients scopes list`)",
    )
    t_pat.add_argument(
        "--expires-in",
        type=lifetime,
        default=None,
        metavar="DAYS|never",
        help="lifetime in days (default 365), or 'never' for a token that never expires",
    )
    t_pat.add_argument(
        "--client",
        type=client_id,
        metavar="ID",
        help="the client to issue it under (default: the first that allows personal tokens)",
    )


# -- handlers ------------------------------------------------------------------------------------


def _list(store: Store, args: argparse.Namespace) -> int:
    filters: dict[str, Any] = {"client_id": args.client, "username": args.user, "state": args.state}
    tokens = store.tokens.list(**filters, offset=args.offset, limit=args.limit)
    total = store.tokens.count(**filters)
    if args.json:
        print_json(envelope(total, args.offset, args.limit, [token_json(t) for t in tokens]))
        return 0
    if not tokens:
        say(f"No tokens on this page; {total} matched." if total else "No tokens match.")
        return 0
    now = store.clock.now()
    rows = [
        [
            str(t.id),
            f"{t.client_id} {short(t.client_name, 16)}",
            t.username or "-",
            label(t.grant_type),
            short(t.name, 16) or "-",
            short(" ".join(t.scopes), 20) or "-",
            t.state,
            ago(t.created_at, now),
            expires_text(t.expires_at, now),
        ]
        for t in tokens
    ]
    headers = ["ID", "CLIENT", "USER", "GRANT", "NAME", "SCOPES", "STATE", "AGE", "EXPIRES"]
    say(*table(headers, rows, right={0, 7}))
    if len(tokens) == total:
        say(plural(total, "token"))
    else:
        say(f"{args.offset + 1}-{args.offset + len(tokens)} of {total} tokens")
    return 0


def _revoke(store: Store, args: argparse.Namespace) -> int:
    if args.token_id is not None:
        before = store.tokens.get(args.token_id)
        token = store.tokens.revoke(args.token_id)
        if args.json:
            print_json(token_json(token))
        elif before.state == STATE_REVOKED:
            say(f"Token {token.id} was already revoked.")
        else:
            say(f"Revoked token {token.id} (client {token.client_id}, {token.client_name}).")
        return 0
    if args.client is not None:
        client = store.clients.get(args.client)
        count = store.tokens.revoke_all_of_client(client.id)
        if args.json:
            print_json({"client_id": client.id, "revoked": count})
        else:
            say(f"Revoked {plural(count, 'live token')} of client {client.id} ({client.name}).")
        return 0
    user = store.users.get(args.user)
    count = store.tokens.revoke_all_of_user(user.id)
    if args.json:
        print_json({"username": user.username, "revoked": count})
    else:
        say(f"Revoked {plural(count, 'live token')} of {user.username}.")
    return 0


def _purge(store: Store, args: argparse.Namespace) -> int:
    result = store.tokens.purge(args.older_than, dry_run=args.dry_run)
    if args.json:
        print_json(_purge_json(result, args.older_than))
        return 0
    verb = "Would delete" if result.dry_run else "Deleted"
    say(
        f"{verb} {plural(len(result.access_tokens), 'access token')}, "
        f"{plural(result.refresh_tokens, 'refresh token')} and "
        f"{plural(result.auth_codes, 'authorization code')} "
        f"dead for more than {plural(args.older_than, 'day')}."
    )
    if result.device_requests:
        say(f"{verb} {plural(result.device_requests, 'expired device request')}.")
    if result.kept_for_refresh:
        say(
            f"Kept {plural(result.kept_for_refresh, 'access token')} "
            "that live refresh tokens still need."
        )
    if result.dry_run and result.access_tokens:
        now = store.clock.now()
        rows = [
            [
                str(t.id),
                f"{t.client_id} {short(t.client_name, 16)}",
                t.username or "-",
                t.state,
                _dead_since(t, now),
            ]
            for t in result.access_tokens
        ]
        say(*table(["ID", "CLIENT", "USER", "STATE", "SINCE"], rows, right={0}))
    return 0


def _dead_since(token: TokenInfo, now: datetime) -> str:
    return ago(token.revoked_at if token.state == STATE_REVOKED else token.expires_at, now)


def _create_pat(store: Store, args: argparse.Namespace) -> int:
    issued = store.tokens.create_personal_access_token(
        args.user,
        args.name,
        scopes=args.scopes,
        lifetime=args.expires_in,
        client_id=args.client,
    )
    if args.json:
        body = token_json(issued.info)
        print_json({"id": body.pop("id"), "token": issued.access_token, **body})
        return 0
    _print_pat(issued, store.clock.now())
    return 0


def _print_pat(issued: IssuedToken, now: datetime) -> None:
    info = issued.info
    expiry = (
        "never expires"
        if info.expires_at is None
        else f"expires {expires_text(info.expires_at, now)}"
    )
    say(
        f"Created personal access token {info.id} ({info.name}) for {info.username} "
        f"under client {info.client_id} ({info.client_name}); {expiry}.",
        f"token: {issued.access_token}",
        TOKEN_WARNING,
    )


def token_json(token: TokenInfo) -> dict[str, Any]:
    """One token as ``--json`` shows it (its hint, never the token)."""
    return {
        "id": token.id,
        "client_id": token.client_id,
        "client_name": token.client_name,
        "user_id": token.user_id,
        "username": token.username,
        "name": token.name,
        "scopes": list(token.scopes),
        "grant_type": token.grant_type,
        "state": token.state,
        "active": token.state == STATE_ACTIVE,
        "token_hint": token.token_hint,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at),
        "last_used_at": iso(token.last_used_at),
    }


def _purge_json(result: PurgeResult, older_than: int) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run,
        "older_than_days": older_than,
        "access_tokens": [token_json(t) for t in result.access_tokens],
        "refresh_tokens": result.refresh_tokens,
        "auth_codes": result.auth_codes,
        "failed_attempts": result.failed_attempts,
        "device_requests": result.device_requests,
        "kept_for_refresh": result.kept_for_refresh,
    }
