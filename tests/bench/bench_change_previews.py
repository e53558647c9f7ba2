"""What the console's "what this ends" confirmations and the Scopes screen cost at scale.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_change_previews.py [--tokens 20000] [--clients 100000]

The confirmations (rotate a secret, switch a grant off, a user's new password,
deactivation) each run one ``impact`` preview in a worker before they open;
the Scopes screen runs ``scopes.list``, which reads every live client's scope
list. Prints the best of five runs of each, on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable

from authclients.store import Store
from authclients.store.models import Client


def best_ms(call: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=100_000)
    args = parser.parse_args()
    store = Store.open(os.path.join(tempfile.mkdtemp(), "bench.db"))
    client = store.clients.create(
        "Big", password=True, client_credentials=True, personal_access=True, scopes="read write"
    ).client
    user = store.users.add("carol", "correct horse battery")
    with store.atomic():
        for i in range(args.tokens):
            if i % 2:
                store.tokens.issue(client, grant_type="client_credentials")
            else:
                store.tokens.issue(
                    client, grant_type="password", user_id=user.id, with_refresh=True
                )
    previews: dict[str, Callable[[], object]] = {
        "rotate secret": lambda: store.clients.impact(client.id, rotate_secret=True),
        "password grant off": lambda: store.clients.impact(client.id, password=False),
        "user password/deactivate": lambda: store.users.impact("carol"),
        "... keeping personal tokens": lambda: store.users.impact(
            "carol", keep_personal_tokens=True
        ),
    }
    print(f"impact previews, one client with {args.tokens:,} live tokens:")
    for label, call in previews.items():
        print(f"  {label:30} {best_ms(call):7.1f} ms")
    row = Client.get_by_id(client.id)
    fields = {f: getattr(row, f) for f in row.__data__ if f != "id"}
    rows = [{**fields, "name": f"c{i}"} for i in range(args.clients - 1)]
    with store.atomic():
        for start in range(0, len(rows), 500):  # SQLite's limit on bound variables
            Client.insert_many(rows[start : start + 500]).execute()
    print(f"scopes.list, {args.clients:,} clients listing scopes: ", end="")
    print(f"{best_ms(store.scopes.list):.0f} ms")
    store.close()


if __name__ == "__main__":
    main()
