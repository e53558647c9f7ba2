"""``authclients clients``: list, show, create, update, delete and rotate-secret."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from authclients.store import Store
from authclients.store.clients import SORT_KEYS
from authclients.store.grant_types import CLIENT_GRANTS, label
from authclients.store.records import ClientInfo, CreatedClient
from authclients.tui.cli import prompts
from authclients.tui.cli.output import (
    SECRET_WARNING,
    ended_text,
    envelope,
    impact_json,
    iso,
    plural,
    print_json,
    say,
    short,
    table,
)
from authclients.tui.cli.parser import (
    CommandParser,
    Commands,
    Failure,
    UsageError,
    add_page_options,
    client_id,
)
from authclients.tui.formatting import ago, date_text


def register(commands: Commands) -> None:
    """Add ``clients`` and its actions."""
    clients = commands.noun("clients", "Create, list, change and delete client applications.")
    c_list = commands.command(
        clients,
        "list",
        "List client applications, a page at a time, with the total that matched.",
        _list,
        example_lines=(
            "authclients clients list --filter web --sort name",
            "authclients clients list --sort created_at --desc --limit 20 --offset 40 --json",
        ),
        json_output=True,
    )
    c_list.add_argument(
        "--filter",
        default="",
        metavar="TEXT",
        help="only clients whose name contains TEXT, or whose id is TEXT",
    )
    c_list.add_argument(
        "--sort",
        choices=SORT_KEYS,
        default="id",
        metavar="COLUMN",
        help=f"sort by one of: {', '.join(SORT_KEYS)} (default id)",
    )
    c_list.add_argument("--desc", action="store_true", help="sort in descending order")
    add_page_options(c_list, default_limit=50)

    c_show = commands.command(
        clients,
        "show",
        "Show one client: grants, redirect URLs, scopes, secret hint, live tokens.",
        _show,
        example_lines=("authclients clients show 3",),
        json_output=True,
    )
    c_show.add_argument("id", type=client_id, metavar="ID", help="the client id")

    c_create = commands.command(
        clients,
        "create",
        "Create a client application; prints its secret once.",
        _create,
        example_lines=(
            "authclients clients create --name 'Web app' --redirect https://app.example/callback",
            "authclients clients create --name 'Legacy' --password-grant",
            "authclients clients create --name 'Mobile' --public --redirect com.example.app:/cb",
            "authclients clients create --name 'Cron' --client-credentials --scopes 'read' --json",
            "authclients clients create --name 'TV app' --public --device --scopes read",
        ),
        json_output=True,
    )
    c_create.add_argument("--name", required=True, help="what admins and users see")
    _add_grant_flags(c_create, update=False)

    c_update = commands.command(
        clients,
        "update",
        "Change a client; options not given stay as they are.",
        _update,
        example_lines=(
            "authclients clients update 3 --name 'Web app v2'",
            "authclients clients update 3 --redirect https://new.example/cb   # replaces all",
            "authclients clients update 3 --add-redirect http://127.0.0.1:8080/cb",
            "authclients clients update 3 --clear-redirects --password-grant",
            "authclients clients update 3 --no-password-grant --personal-access",
        ),
        json_output=True,
    )
    c_update.add_argument("id", type=client_id, metavar="ID", help="the client id")
    c_update.add_argument("--name", help="a new name")
    _add_grant_flags(c_update, update=True)
    c_update.add_argument(
        "--yes",
        action="store_true",
        help="do not ask when switching a grant off ends live tokens; required when not on "
        "a terminal",
    )

    c_delete = commands.command(
        clients,
        "delete",
        "Delete a client: every token it holds stops working at once.",
        _delete,
        example_lines=("authclients clients delete 3", "authclients clients delete 3 --yes"),
        json_output=True,
    )
    c_delete.add_argument("id", type=client_id, metavar="ID", help="the client id")
    c_delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )

    c_rotate = commands.command(
        clients,
        "rotate-secret",
        "Give a client a new secret; the old one stops working at once, and so do its "
        "client_credentials tokens and every refresh token (users' access tokens live on "
        "to expiry, personal access tokens are untouched).",
        _rotate,
        example_lines=(
            "authclients clients rotate-secret 3",
            "authclients clients rotate-secret 3 --yes --json",
        ),
        json_output=True,
    )
    c_rotate.add_argument("id", type=client_id, metavar="ID", help="the client id")
    c_rotate.add_argument(
        "--yes",
        action="store_true",
        help="do not ask when it ends live tokens; required when not on a terminal",
    )


def _add_grant_flags(parser: CommandParser, *, update: bool) -> None:
    """The grant options; ``update`` adds the --no-... forms and the redirect edits."""
    flag: dict[str, Any] = (
        {"action": argparse.BooleanOptionalAction, "default": None}
        if update
        else {"action": "store_true"}
    )
    # --redirect and --clear-redirects contradict each other.
    redirects = parser.add_mutually_exclusive_group() if update else parser
    redirects.add_argument(
        "--redirect",
        action="append",
        metavar="URL",
        help=(
            "redirect URL, repeatable; turns the authorization code grant on"
            + ("; replaces every current URL" if update else "")
        ),
    )
    if update:
        redirects.add_argument(
            "--clear-redirects",
            action="store_true",
            help="remove every redirect URL (turns the authorization code grant off)",
        )
        parser.add_argument(
            "--add-redirect",
            action="append",
            metavar="URL",
            help="add a redirect URL, repeatable; turns the authorization code grant on",
        )
        parser.add_argument(
            "--remove-redirect",
            action="append",
            metavar="URL",
            help="remove this redirect URL (exactly as listed), repeatable",
        )
        parser.add_argument(
            "--authorization-code",
            **flag,
            help="the authorization code grant (web and mobile apps); needs a redirect URL",
        )
    parser.add_argument(
        "--password-grant", **flag, help="the password grant (legacy apps; least secure)"
    )
    parser.add_argument("--personal-access", **flag, help="personal access tokens")
    parser.add_argument(
        "--client-credentials", **flag, help="the client credentials grant (machine to machine)"
    )
    parser.add_argument(
        "--device",
        **flag,
        help="the device grant (RFC 8628: TVs, CLIs and boxes without a browser)",
    )
    parser.add_argument(
        "--public",
        **flag,
        help="no secret (native, browser and device apps): authorization code with PKCE "
        "and the device grant only",
    )
    parser.add_argument(
        "--scopes",
        default=None,
        metavar="'A B'",
        help="space-separated scopes the client may ask for (empty: any defined scope); "
        "a scope not yet defined is defined, and the output says so",
    )


# -- handlers ------------------------------------------------------------------------------------


def _list(store: Store, args: argparse.Namespace) -> int:
    page = store.clients.list(
        args.filter, sort=args.sort, descending=args.desc, offset=args.offset, limit=args.limit
    )
    if args.json:
        items = [client_json(c) for c in page.items]
        print_json(envelope(page.total, page.offset, page.limit, items))
        return 0
    if not page.items:
        say(f"No clients on this page; {page.total} matched.")
        return 0
    rows = [
        [
            str(c.id),
            short(c.name, 32),
            ",".join(label(g) for g in c.grant_types),
            "public" if c.public else (f"…{c.secret_hint}" if c.secret_hint else "none"),
            str(c.active_tokens),
            _redirect_summary(c.redirect_uris),
        ]
        for c in page.items
    ]
    say(*table(["ID", "NAME", "GRANTS", "SECRET", "TOKENS", "REDIRECT"], rows, right={0, 4}))
    say(f"{page.offset + 1}-{page.offset + len(page.items)} of {page.total} clients")
    return 0


def _show(store: Store, args: argparse.Namespace) -> int:
    client = store.clients.get(args.id)
    if args.json:
        print_json(client_json(client))
        return 0
    _print_client(client, store.clock.now())
    return 0


def _create(store: Store, args: argparse.Namespace) -> int:
    created = store.clients.create(
        args.name,
        args.redirect or (),
        authorization_code=bool(args.redirect),
        password=args.password_grant,
        personal_access=args.personal_access,
        client_credentials=args.client_credentials,
        device=args.device,
        public=args.public,
        scopes=args.scopes or "",
    )
    _print_created(created, args, "Created")
    return 0


def _update(store: Store, args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.scopes is not None:
        changes["scopes"] = args.scopes
    for option, key in (
        ("authorization_code", "authorization_code"),
        ("password_grant", "password"),
        ("personal_access", "personal_access"),
        ("client_credentials", "client_credentials"),
        ("device", "device"),
        ("public", "public"),
    ):
        if getattr(args, option) is not None:
            changes[key] = getattr(args, option)
    edits_redirects = bool(
        args.redirect or args.clear_redirects or args.add_redirect or args.remove_redirect
    )
    if not changes and not edits_redirects:
        raise UsageError(
            "nothing to change; give at least one option (see `authclients clients update --help`)"
        )
    before = store.clients.get(args.id)
    if edits_redirects:
        changes["redirect_uris"] = _edited_redirects(before, args, changes)
    ends = store.clients.impact(args.id, **changes)
    if not ends.nothing and not args.yes:
        prompts.confirm(
            f"Save client {before.id} ({before.name})? Switching "
            f"{_switched_off(before, changes)} off {ended_text(ends, done=False)}.",
            refusal="switching a grant off ends live tokens; to do it without a terminal, "
            "pass --yes",
            cancelled="cancelled; nothing was changed",
        )
    # The base the question was about: a change made meanwhile is refused, not clobbered.
    client = store.clients.update(args.id, **changes, base=before)
    if args.json:
        print_json(
            {
                **client_json(client),
                "ended": impact_json(client.ended),
                "scopes_defined": list(client.scopes_added),
            }
        )
        return 0
    say(f"Updated client {client.id} ({client.name}).")
    if not client.ended.nothing:
        say(f"Switching {_switched_off(before, changes)} off {ended_text(client.ended)}.")
    _say_defined(client.scopes_added)
    _print_client(client, store.clock.now())
    if before.public and not client.public and not client.secret_hint:
        say(
            f"It has no secret yet: run `authclients clients rotate-secret {client.id}` "
            "to give it one."
        )
    return 0


def _edited_redirects(
    before: ClientInfo, args: argparse.Namespace, changes: dict[str, Any]
) -> list[str]:
    """The redirect list after --redirect, --clear-redirects, --add- and --remove-redirect."""
    uris = list(before.redirect_uris)
    if args.redirect:
        uris = list(args.redirect)
    if args.clear_redirects:
        uris = []
        changes.setdefault("authorization_code", False)
    for uri in args.add_redirect or ():
        if uri.strip() not in uris:
            uris.append(uri.strip())
    for uri in args.remove_redirect or ():
        if uri.strip() not in uris:
            raise Failure(
                f"{uri.strip()} is not a redirect URL of client {args.id} "
                f"(see `authclients clients show {args.id}`)"
            )
        uris.remove(uri.strip())
    if args.redirect or args.add_redirect:
        changes.setdefault("authorization_code", True)
    return uris


def _delete(store: Store, args: argparse.Namespace) -> int:
    client = store.clients.get(args.id)
    live = store.clients.live_token_count(args.id)
    if not args.yes:
        prompts.confirm(
            f"Delete client {client.id} ({client.name})? It revokes {plural(live, 'live token')}.",
            refusal="to delete a client without a terminal, pass --yes",
        )
    revoked = store.clients.delete(args.id)
    if args.json:
        print_json({"id": client.id, "name": client.name, "deleted": True, "revoked": revoked})
        return 0
    say(f"Deleted client {client.id} ({client.name}); revoked {plural(revoked, 'live token')}.")
    return 0


def _rotate(store: Store, args: argparse.Namespace) -> int:
    client = store.clients.get(args.id)
    ends = store.clients.impact(args.id, rotate_secret=True)
    if not ends.nothing and not args.yes:
        prompts.confirm(
            f"Rotate the secret of client {client.id} ({client.name})? The old secret stops "
            f"working at once; this {ended_text(ends, done=False)}.",
            refusal="rotating this secret ends live tokens; to do it without a terminal, "
            "pass --yes",
            cancelled="cancelled; the secret is unchanged",
        )
    _print_created(store.clients.rotate_secret(args.id), args, "Rotated the secret of")
    return 0


def _switched_off(before: ClientInfo, changes: dict[str, Any]) -> str:
    """``the password grant`` / ``the password and authorization_code grants``."""
    off = [
        grant.name
        for grant in CLIENT_GRANTS
        if getattr(before, grant.name) and changes.get(grant.name) is False
    ]
    if not off:
        return "a grant"
    names = off[0] if len(off) == 1 else ", ".join(off[:-1]) + " and " + off[-1]
    return f"the {names} grant{'s' if len(off) > 1 else ''}"


def _say_defined(added: tuple[str, ...]) -> None:
    if added:
        say(
            f"Defined new scope{'s' if len(added) > 1 else ''}: {' '.join(added)} "
            "(see `authclients scopes list`)."
        )


# -- output --------------------------------------------------------------------------------------


def _print_created(created: CreatedClient, args: argparse.Namespace, verb: str) -> None:
    client = created.client
    if args.json:
        body = client_json(client)
        # The secret sits right after the name, where a reader looks first.
        print_json(
            {
                "id": body.pop("id"),
                "name": body.pop("name"),
                "secret": created.secret,
                **body,
                "ended": impact_json(created.ended),
                "scopes_defined": list(created.scopes_added),
            }
        )
        return
    kind = "public" if client.public else "confidential"
    say(f"{verb} {kind} client {client.id} ({client.name}); grants: {_grants(client)}.")
    if not created.ended.nothing:
        say(f"The old secret {ended_text(created.ended)}.")
    _say_defined(created.scopes_added)
    say(f"client_id:     {client.id}")
    if created.secret is None:
        say("client_secret: none (a public client proves itself with PKCE)")
        return
    say(f"client_secret: {created.secret}", SECRET_WARNING)


def _print_client(client: ClientInfo, now: datetime) -> None:
    secret = (
        "none (public client)"
        if client.public
        else (f"…{client.secret_hint}" if client.secret_hint else "none: rotate to set one")
    )
    uris = list(client.redirect_uris) or ["(none)"]
    fields = [
        ("grants", _grants(client)),
        ("type", "public" if client.public else "confidential"),
        ("secret", secret),
        ("redirect URLs", uris[0]),
        *(("", uri) for uri in uris[1:]),
        ("scopes", " ".join(client.scopes) or "(any)"),
        ("live tokens", str(client.active_tokens)),
        ("created", _when(client.created_at, now)),
        ("updated", _when(client.updated_at, now)),
    ]
    say(f"Client {client.id}: {client.name}")
    width = max(len(label) for label, _ in fields)
    say(*(f"  {label.ljust(width)}  {value}" for label, value in fields))


def _when(moment: datetime, now: datetime) -> str:
    """``2026-11-27 (3 d ago)``: the day, and how long ago as the console says it."""
    return f"{date_text(moment)} ({ago(moment, now)})"


def client_json(client: ClientInfo) -> dict[str, Any]:
    """One client as ``--json`` shows it (never its secret)."""
    return {
        "id": client.id,
        "name": client.name,
        "grant_types": list(client.grant_types),
        "authorization_code": client.authorization_code,
        "password": client.password,
        "personal_access": client.personal_access,
        "client_credentials": client.client_credentials,
        "device": client.device,
        "public": client.public,
        "redirect_uris": list(client.redirect_uris),
        "scopes": list(client.scopes),
        "secret_hint": client.secret_hint,
        "active_tokens": client.active_tokens,
        "created_at": iso(client.created_at),
        "updated_at": iso(client.updated_at),
    }


def _grants(client: ClientInfo) -> str:
    return ", ".join(client.grant_types) or "none"


def _redirect_summary(uris: tuple[str, ...]) -> str:
    if not uris:
        return "-"
    first = short(uris[0], 40)
    return first if len(uris) == 1 else f"{first} +{len(uris) - 1}"
