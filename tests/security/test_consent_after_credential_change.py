"""A browser session signed in before a password change (or a deactivation) is over.

DESIGN: the session generation is bumped by a password change, deactivation
and deletion, and "every browser session of theirs ends". The endpoint's
consent step checks only that the user is active: a consent page reached
before the change still approves after it, and a new code is issued to a
session that signed in with the old password. Real HTTP against
``authclients serve`` in its own process; the admin's change comes from this one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from authclients.store import Store
from tests.endpoint.conftest import PASSWORD, REDIRECT, form_fields, pkce_pair, serving


@pytest.mark.xfail(
    strict=True,
    reason="store/endpoint/authorize_flow.py approves with only user_active(): the browser "
    "session does not record Users.session_generation at sign-in, nor compare it "
    "(Users.session_valid) before approve; fix belongs to the endpoint's owners.",
)
@pytest.mark.parametrize("change", ["new password", "deactivate and reactivate"])
def test_consent_from_before_a_credential_change_issues_no_code(
    tmp_path: Path, change: str
) -> None:
    db = tmp_path / "consent.db"
    store = Store.open(str(db))
    try:
        cid = store.clients.create("Web", [REDIRECT], authorization_code=True).client.id
        store.users.add("alice", PASSWORD)
        with serving(db) as (_proc, url), requests.Session() as http:
            _verifier, challenge = pkce_pair()
            params = {
                "response_type": "code",
                "client_id": str(cid),
                "redirect_uri": REDIRECT,
                "state": "s",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            page = http.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)
            consent = http.post(
                f"{url}/oauth/authorize",
                data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
                allow_redirects=False,
            )
            assert consent.status_code == 200 and "Approve" in consent.text

            if change == "new password":
                store.users.set_password("alice", "another long password")
            else:
                store.users.set_active("alice", False)
                store.users.set_active("alice", True)

            done = http.post(
                f"{url}/oauth/authorize",
                data={**form_fields(consent.text), "action": "approve"},
                allow_redirects=False,
            )
            assert "code=" not in done.headers.get("Location", ""), done.headers
    finally:
        store.close()
