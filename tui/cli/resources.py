"""``authclients resources``: the resource servers tokens may be bound to (RFC 8707)."""

from __future__ import annotations

import argparse
from typing import Any

from authclients.store import Store
from authclients.store.resources import ResourceInfo
from authclients.tui.cli import prompts
from authclients.tui.cli.output import iso, print_json, say, short, table
from authclients.tui.cli.parser import Commands, client_id


def register(commands: Commands) -> None:
    """Add ``resources`` and its actions."""
    noun = commands.noun(
        "resources",
        "Resource servers (RFC 8707): a client's `resource` must name one of these, and "
        "its token is then bound to it (introspection returns it as aud).",
    )
    commands.command(noun, "list", "List the resource servers.", _list, json_output=True)
    add = commands.command(
        noun,
        "add",
        "Define a resource server by its URI (https, or http on a loopback host; no #fragment).",
        _add,
        example_lines=(
            "authclients resources add http://127.0.0.1:8000/mcp --name 'My MCP server'",
            "authclients resources add https://api.example.com --client 7",
        ),
        json_output=True,
    )
    add.add_argument("uri", metavar="URI", help="the resource's URI, exactly as clients send it")
    add.add_argument("--name", default="", metavar="TEXT", help="a name to show")
    add.add_argument(
        "--client",
        type=client_id,
        metavar="ID",
        help="the confidential client the resource server introspects with: it may "
        "introspect the tokens bound to this resource",
    )
    delete = commands.command(
        noun,
        "delete",
        "Forget a resource server; tokens bound to it keep their audience until they end.",
        _delete,
        json_output=True,
    )
    delete.add_argument("uri", metavar="URI")
    delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )


def _list(store: Store, args: argparse.Namespace) -> int:
    items = store.resources.list()
    if args.json:
        print_json({"items": [resource_json(r) for r in items]})
        return 0
    if not items:
        say("No resource servers: a request naming a resource is refused (invalid_target).")
        return 0
    rows = [
        [short(r.uri, 50), short(r.name, 24) or "-", str(r.introspection_client_id or "-")]
        for r in items
    ]
    say(*table(["URI", "NAME", "CLIENT"], rows, right=set()))
    return 0


def _add(store: Store, args: argparse.Namespace) -> int:
    info = store.resources.add(args.uri, args.name, introspection_client_id=args.client)
    if args.json:
        print_json(resource_json(info))
    else:
        say(f"Defined resource server {info.uri}.")
    return 0


def _delete(store: Store, args: argparse.Namespace) -> int:
    info = store.resources.get(args.uri)
    if not args.yes:
        prompts.confirm(
            f"Delete resource server {info.uri}? No new token may name it.",
            refusal="to delete a resource server without a terminal, pass --yes",
        )
    store.resources.delete(info.uri)
    if args.json:
        print_json({"uri": info.uri, "deleted": True})
    else:
        say(f"Deleted resource server {info.uri}.")
    return 0


def resource_json(info: ResourceInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "uri": info.uri,
        "name": info.name,
        "introspection_client": info.introspection_client_id,
        "created_at": iso(info.created_at),
    }
