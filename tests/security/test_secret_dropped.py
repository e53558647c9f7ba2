"""Making a confidential client public drops its secret: what the secret guarded must end.

A rotation ends the client's refresh tokens because "a refresh needs the
secret". Dropping the secret is the same change, only stronger: without this
rule a refresh token issued while the client was confidential (one that a
thief could not use without the secret) can afterwards be redeemed with the
client's small integer id alone. Real HTTP against ``authclients serve`` in its
own process, on a real SQLite file; the admin's change comes from this process.
"""

from __future__ import annotations

from pathlib import Path

import requests

from authclients.store import Store
from tests.endpoint.conftest import PASSWORD, REDIRECT, authorize, pkce_pair, serving


def test_refresh_tokens_won_with_a_secret_end_when_the_client_goes_public(
    tmp_path: Path,
) -> None:
    db = tmp_path / "public.db"
    store = Store.open(str(db))
    try:
        created = store.clients.create("Web", [REDIRECT], authorization_code=True)
        store.users.add("alice", PASSWORD)
        cid = created.client.id
        with serving(db) as (_proc, url), requests.Session() as http:
            verifier, challenge = pkce_pair()
            code = authorize(http, url, client_id=cid, challenge=challenge).params["code"]
            tokens = requests.post(
                f"{url}/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
                auth=(str(cid), created.secret or ""),
                timeout=30,
            )
            assert tokens.status_code == 200, tokens.text
            refresh = tokens.json()["refresh_token"]

            updated = store.clients.update(cid, public=True)
            assert updated.public

            # The thief has the refresh token, and now needs only the client id.
            stolen = requests.post(
                f"{url}/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": cid},
                timeout=30,
            )
            assert stolen.status_code == 400, stolen.text
            assert stolen.json()["error"] == "invalid_grant"
            assert updated.ended.refresh_tokens == 1
    finally:
        store.close()


def test_the_preview_counts_what_going_public_ends(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "preview.db"))
    try:
        created = store.clients.create("Web", [REDIRECT], authorization_code=True)
        alice = store.users.add("alice", PASSWORD)
        store.tokens.issue(
            created.client,
            grant_type="authorization_code",
            user_id=alice.id,
            with_refresh=True,
        )
        impact = store.clients.impact(created.client.id, public=True)
        assert impact.refresh_tokens == 1
        assert store.clients.update(created.client.id, public=True).ended.refresh_tokens == 1
    finally:
        store.close()
