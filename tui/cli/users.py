"""``authclients users``: add, list, passwd, deactivate, activate and delete resource owners."""

from __future__ import annotations

import argparse
from typing import Any

from authclients.store import NotFound, Store, ValidationError
from authclients.store.records import UpdatedUser, UserInfo
from authclients.tui.cli import prompts
from authclients.tui.cli.output import (
    empty_page,
    ended_text,
    envelope,
    impact_json,
    iso,
    plural,
    print_json,
    say,
    table,
)
from authclients.tui.cli.parser import Commands, Handler, UsageError, add_page_options
from authclients.tui.formatting import date_text

KEEP_HELP = (
    "leave the user's personal access tokens alive (their access tokens, refresh tokens, "
    "pending codes and browser sessions end all the same)"
)
PASSWORD_HELP = (
    "read the password from the first line of standard input instead of prompting "
    "(a password is never taken from the command line)"
)


def register(commands: Commands) -> None:
    """Add ``users`` and its actions."""
    users = commands.noun("users", "Manage resource owners (the users who sign in and own tokens).")
    u_add = commands.command(
        users,
        "add",
        "Add a user; the password is asked twice (or read with --password-stdin).",
        _add,
        example_lines=(
            "authclients users add alice",
            "printf '%s\\n' \"$PASSWORD\" | authclients users add alice --password-stdin",
        ),
        json_output=True,
    )
    u_add.add_argument("username", metavar="NAME", help="the username (no spaces)")
    u_add.add_argument("--password-stdin", action="store_true", help=PASSWORD_HELP)
    _add_claim_options(u_add)

    u_update = commands.command(
        users,
        "update",
        "Change a user's OpenID Connect claims (email, full name); '' clears one. "
        "Tokens and sessions live on; ID tokens already issued keep the old values.",
        _update,
        example_lines=(
            "authclients users update alice --email alice@example.com --name 'Alice Liddell'",
            "authclients users update alice --email ''",
        ),
        json_output=True,
    )
    u_update.add_argument("username", metavar="NAME", help="the username")
    _add_claim_options(u_update)

    u_list = commands.command(
        users,
        "list",
        "List users with their live token counts, a page at a time.",
        _list,
        example_lines=(
            "authclients users list",
            "authclients users list --filter ali --json",
            "authclients users list --limit 20 --offset 40",
        ),
        json_output=True,
        read_only=True,
    )
    u_list.add_argument("--filter", default="", metavar="TEXT", help="usernames containing TEXT")
    add_page_options(u_list, default_limit=50)

    u_passwd = commands.command(
        users,
        "passwd",
        "Set a user's password (asked twice, or read with --password-stdin). Ends every "
        "access the old one gave: tokens, refresh tokens, pending codes, browser sessions.",
        _passwd,
        example_lines=(
            "authclients users passwd alice",
            "authclients users passwd alice --keep-personal-tokens",
        ),
        json_output=True,
    )
    u_passwd.add_argument("username", metavar="NAME", help="the username")
    u_passwd.add_argument("--password-stdin", action="store_true", help=PASSWORD_HELP)
    u_passwd.add_argument("--keep-personal-tokens", action="store_true", help=KEEP_HELP)

    u_deactivate = commands.command(
        users,
        "deactivate",
        "Stop a user from signing in; ends their tokens, pending codes and browser sessions.",
        _set_active(False),
        example_lines=(
            "authclients users deactivate alice",
            "authclients users deactivate alice --keep-personal-tokens",
        ),
        json_output=True,
    )
    u_deactivate.add_argument("username", metavar="NAME", help="the username")
    u_deactivate.add_argument("--keep-personal-tokens", action="store_true", help=KEEP_HELP)
    u_activate = commands.command(
        users,
        "activate",
        "Let a deactivated user sign in again.",
        _set_active(True),
        example_lines=("authclients users activate alice",),
        json_output=True,
    )
    u_activate.add_argument("username", metavar="NAME", help="the username")

    u_unlock = commands.command(
        users,
        "unlock",
        "Let a user locked by failed sign-ins try again (the password is unchanged).",
        _unlock,
        example_lines=("authclients users unlock alice",),
        json_output=True,
    )
    u_unlock.add_argument("username", metavar="NAME", help="the username")

    u_delete = commands.command(
        users,
        "delete",
        "Delete a user and every token and code of theirs.",
        _delete,
        example_lines=("authclients users delete alice --yes",),
        json_output=True,
    )
    u_delete.add_argument("username", metavar="NAME", help="the username")
    u_delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )


# -- handlers ------------------------------------------------------------------------------------


def _add_claim_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--email", default=None, metavar="ADDRESS", help="the email claim (scope email)"
    )
    parser.add_argument(
        "--name", default=None, metavar="'FULL NAME'", help="the name claim (scope profile)"
    )


def _update(store: Store, args: argparse.Namespace) -> int:
    changes = {k: getattr(args, k) for k in ("email", "name") if getattr(args, k) is not None}
    if not changes:
        raise UsageError("nothing to change; give --email or --name")
    user = store.users.set_profile(args.username, **changes)
    if args.json:
        print_json(user_json(user))
    else:
        say(
            f"Updated user {user.username}: email {user.email or '(none)'}, "
            f"name {user.name or '(none)'}."
        )
    return 0


def _add(store: Store, args: argparse.Namespace) -> int:
    # Refuse a taken name before asking for a password that would be thrown away.
    try:
        store.users.get(args.username)
    except NotFound:
        pass
    else:
        raise ValidationError.single(
            "username", f"{args.username.strip()!r} is taken; choose another username."
        )
    password = prompts.read_new_password(args.username, args.password_stdin)
    user = store.users.add(args.username, password, email=args.email, name=args.name)
    if args.json:
        print_json(user_json(user))
    else:
        say(f"Added user {user.username}.")
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    users = store.users.list(args.filter, offset=args.offset, limit=args.limit)
    total = store.users.count(args.filter)
    if args.json:
        print_json(envelope(total, args.offset, args.limit, [user_json(u) for u in users]))
        return 0
    if not users:
        say(empty_page("users", total, filtered=bool(args.filter)))
        return 0
    rows = [
        [
            u.username,
            _status(u),
            str(u.active_tokens),
            date_text(u.created_at),
        ]
        for u in users
    ]
    say(*table(["USERNAME", "STATUS", "TOKENS", "CREATED"], rows, right={2}))
    if len(users) == total:
        say(plural(total, "user"))
    else:
        say(f"{args.offset + 1}-{args.offset + len(users)} of {total} users")
    return 0


def _passwd(store: Store, args: argparse.Namespace) -> int:
    store.users.get(args.username)  # an unknown user fails before the prompt
    password = prompts.read_new_password(args.username, args.password_stdin)
    user = store.users.set_password(
        args.username, password, keep_personal_tokens=args.keep_personal_tokens
    )
    _print_changed(user, args, f"Set the password of {user.username}")
    return 0


def _set_active(active: bool) -> Handler:
    def handler(store: Store, args: argparse.Namespace) -> int:
        keep = getattr(args, "keep_personal_tokens", False)
        user = store.users.set_active(args.username, active, keep_personal_tokens=keep)
        verb = "Activated" if active else "Deactivated"
        _print_changed(user, args, f"{verb} {user.username}", quiet=active)
        return 0

    return handler


def _unlock(store: Store, args: argparse.Namespace) -> int:
    was_locked = store.users.get(args.username).locked_at is not None
    user = store.users.unlock(args.username)
    if args.json:
        print_json({**user_json(user), "was_locked": was_locked})
    elif was_locked:
        say(f"Unlocked {user.username}; they may sign in again.")
    else:
        say(f"{user.username} was not locked; their failed sign-ins are forgotten.")
    return 0


def _delete(store: Store, args: argparse.Namespace) -> int:
    username = store.users.get(args.username).username
    ends = store.users.impact(username)
    if not args.yes:
        prompts.confirm(
            f"Delete user {username}? It {ended_text(ends, done=False)}.",
            refusal="to delete a user without a terminal, pass --yes",
        )
    ended = store.users.impact(username)  # counted again: the question may have waited
    revoked = store.users.delete(username)
    if args.json:
        print_json(
            {"username": username, "deleted": True, "revoked": revoked, "ended": impact_json(ended)}
        )
    else:
        say(f"Deleted user {username}; {ended_text(ended)}.")
    return 0


def _print_changed(
    user: UpdatedUser, args: argparse.Namespace, done: str, *, quiet: bool = False
) -> None:
    """The changed user, and what the change ended (tokens, codes; sessions always)."""
    if args.json:
        print_json({**user_json(user), "ended": impact_json(user.ended)})
    elif quiet:
        say(f"{done}.")
    else:
        say(f"{done}; {ended_text(user.ended)}; their browser sessions ended.")


def _status(user: UserInfo) -> str:
    status = "active" if user.active else "deactivated"
    return f"{status}, locked" if user.locked_at is not None else status


def user_json(user: UserInfo) -> dict[str, Any]:
    """One user as ``--json`` shows it (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "active": user.active,
        "email": user.email,
        "name": user.name,
        "active_tokens": user.active_tokens,
        "locked": user.locked_at is not None,
        "locked_at": iso(user.locked_at),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
    }
