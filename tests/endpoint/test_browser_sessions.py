"""Sign-in sessions in the database, over real HTTP: bound to the user's credential generation,
shared by processes, kept over a restart, and never created by an anonymous page view."""

from __future__ import annotations

import re

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import BrowserSession, User
from authclients.store.records import CreatedClient, UserInfo
from tests.backends import SQLITE
from tests.endpoint.conftest import (
    AUTHCLIENTS,
    PASSWORD,
    REDIRECT,
    form_fields,
    query_of,
    serving,
)
from tests.tui.cli.runner import run_subprocess


def authorize_params(client: CreatedClient, state: str = "s1") -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": str(client.client.id),
        "redirect_uri": REDIRECT,
        "state": state,
    }


def sign_in(
    http: requests.Session, url: str, client: CreatedClient, username: str, password: str
) -> requests.Response:
    """GET the page, post the sign-in form; the consent page."""
    page = http.get(f"{url}/oauth/authorize", params=authorize_params(client))
    assert page.status_code == 200 and "Sign in" in page.text, page.text
    consent = http.post(
        f"{url}/oauth/authorize",
        data={**form_fields(page.text), "username": username, "password": password},
        allow_redirects=False,
    )
    assert consent.status_code == 200 and "Approve" in consent.text, consent.text
    return consent


def page_for(http: requests.Session, url: str, client: CreatedClient) -> requests.Response:
    return http.get(f"{url}/oauth/authorize", params=authorize_params(client, "s2"))


def signed_in_as(page: requests.Response) -> str | None:
    found = re.search(r"Signed in as <strong>([^<]*)</strong>", page.text)
    return found.group(1) if found else None


def cli(target: str, *argv: str, stdin: str | None = None) -> None:
    done = run_subprocess(AUTHCLIENTS, *argv, db=target, stdin=stdin)
    assert done.returncode == 0, done.stderr


# -- the Mallory scenario (issue 11 item 2) ----------------------------------------------


def test_a_deleted_users_cookie_never_becomes_the_next_users_session(
    http: requests.Session, url: str, web: CreatedClient, store: Store, db_target: str
) -> None:
    store.users.add("mallory", PASSWORD)
    consent = sign_in(http, url, web, "mallory", PASSWORD)
    assert signed_in_as(consent) == "mallory"
    assert signed_in_as(page_for(http, url, web)) == "mallory"
    stale_consent = form_fields(consent.text)

    # The admin, in another process (the CLI), deletes mallory and adds the victim.
    cli(db_target, "users", "delete", "mallory", "--yes")
    cli(db_target, "users", "add", "victim", "--password-stdin", stdin=PASSWORD + "\n")

    again = page_for(http, url, web)
    assert again.status_code == 200
    assert "Sign in" in again.text and signed_in_as(again) is None
    assert "victim" not in again.text
    # The consent form mallory still holds is answered with the sign-in form, never a code.
    stale = http.post(
        f"{url}/oauth/authorize", data={**stale_consent, "action": "approve"}, allow_redirects=False
    )
    assert stale.status_code == 401 and "Sign in first" in stale.text
    assert "Location" not in stale.headers
    assert BrowserSession.select().count() == 0


def test_a_password_change_ends_the_browser_session(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, db_target: str
) -> None:
    sign_in(http, url, web, "alice", PASSWORD)
    assert signed_in_as(page_for(http, url, web)) == "alice"
    cli(db_target, "users", "passwd", "alice", "--password-stdin", stdin="a new password 1\n")
    page = page_for(http, url, web)
    assert signed_in_as(page) is None and "Sign in" in page.text


def test_deactivate_reset_reactivate_leaves_no_old_session_alive(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    """RFC 9700 §4.14.2: the attacker's browser does not outlive the account's recovery."""
    attacker = requests.Session()
    consent = sign_in(attacker, url, web, "alice", PASSWORD)
    held = form_fields(consent.text)
    store.users.set_active("alice", False)
    store.users.set_password("alice", "recovered password")
    store.users.set_active("alice", True)
    page = page_for(attacker, url, web)
    assert signed_in_as(page) is None and "Sign in" in page.text
    r = attacker.post(
        f"{url}/oauth/authorize", data={**held, "action": "approve"}, allow_redirects=False
    )
    assert r.status_code == 401 and "Location" not in r.headers
    # The owner signs in with the new password and gets on normally.
    assert signed_in_as(sign_in(http, url, web, "alice", "recovered password")) == "alice"


def test_a_locked_user_is_signed_out(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    sign_in(http, url, web, "alice", PASSWORD)
    User.update(locked_at=store.clock.now()).where(User.id == alice.id).execute()
    assert signed_in_as(page_for(http, url, web)) is None


# -- what a GET may create ----------------------------------------------------------------


@pytest.mark.parametrize("backend", [SQLITE])  # what is measured is the endpoint, not the backend
def test_anonymous_page_views_create_no_rows_and_sign_no_one_out(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    sign_in(http, url, web, "alice", PASSWORD)
    assert BrowserSession.select().count() == 1
    params = authorize_params(web)
    with requests.Session() as anonymous:
        for _ in range(10_000):
            anonymous.cookies.clear()  # every view a stranger without cookies
            r = anonymous.get(f"{url}/oauth/authorize", params=params)
            assert r.status_code == 200
    assert BrowserSession.select().count() == 1
    assert signed_in_as(page_for(http, url, web)) == "alice"


def test_the_session_cookie_is_hashed_in_the_database_and_scoped(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    consent = sign_in(http, url, web, "alice", PASSWORD)
    set_cookie = consent.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/oauth" in set_cookie
    assert "Secure" not in set_cookie  # plain http: a Secure cookie would never come back
    value = http.cookies.get("authclients_session")
    assert value
    (row,) = BrowserSession.select()
    assert row.id != value and value not in row.id
    assert row.user_id == alice.id


def test_sign_in_replaces_the_previous_session_and_a_planted_cookie_is_worthless(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    http.cookies.set(
        "authclients_session", "planted-by-the-attacker", domain="127.0.0.1", path="/oauth"
    )
    sign_in(http, url, web, "alice", PASSWORD)
    assert http.cookies.get("authclients_session") != "planted-by-the-attacker"
    first = http.cookies.get("authclients_session")
    # A sign-in form (from another tab) posted while signed in starts a new session.
    http.cookies.clear(domain="127.0.0.1", path="/oauth", name="authclients_session")
    page = http.get(f"{url}/oauth/authorize", params=authorize_params(web))
    http.cookies.set("authclients_session", first, domain="127.0.0.1", path="/oauth")
    r = http.post(
        f"{url}/oauth/authorize",
        data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
    )
    assert r.status_code == 200 and signed_in_as(r) == "alice"
    assert http.cookies.get("authclients_session") != first
    assert BrowserSession.select().count() == 1  # the first one ended


def test_a_consent_form_decides_once(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    fields = form_fields(sign_in(http, url, web, "alice", PASSWORD).text)
    first = http.post(
        f"{url}/oauth/authorize", data={**fields, "action": "approve"}, allow_redirects=False
    )
    assert first.status_code == 302 and "code" in query_of(first.headers["Location"])
    again = http.post(
        f"{url}/oauth/authorize", data={**fields, "action": "approve"}, allow_redirects=False
    )
    assert again.status_code == 400 and "already answered" in again.text


def test_idle_and_absolute_expiry(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    from datetime import timedelta

    sign_in(http, url, web, "alice", PASSWORD)
    # Activity every 20 minutes keeps the idle timer going, up to the absolute end.
    for _ in range(35):
        store.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
        assert signed_in_as(page_for(http, url, web)) == "alice"
    store.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    assert signed_in_as(page_for(http, url, web)) is None  # 12 hours are up
    sign_in(http, url, web, "alice", PASSWORD)
    store.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    assert signed_in_as(page_for(http, url, web)) is None  # idle for too long


# -- across processes and restarts --------------------------------------------------------


def test_a_session_from_one_process_is_honoured_by_another_and_survives_a_restart(
    db_target: str, web: CreatedClient, alice: UserInfo, http: requests.Session
) -> None:
    """Two ``serve`` processes on one database (SQLite file, or PostgreSQL), no stickiness."""
    with serving(db_target) as (_one, first), serving(db_target) as (_two, second):
        assert first != second
        consent = sign_in(http, first, web, "alice", PASSWORD)
        assert signed_in_as(consent) == "alice"
        # The cookie's path is the same on both ports: the browser sends it to both.
        assert signed_in_as(page_for(http, second, web)) == "alice"
        # A form served by the first process is answered by the second.
        done = http.post(
            f"{second}/oauth/authorize",
            data={**form_fields(consent.text), "action": "approve"},
            allow_redirects=False,
        )
        assert done.status_code == 302 and "code" in query_of(done.headers["Location"])
        assert query_of(done.headers["Location"])["iss"] == second
    # Both processes are gone; a new one knows the browser.
    with serving(db_target) as (_three, third):
        assert signed_in_as(page_for(http, third, web)) == "alice"
        # A password change made in yet another process ends it there too.
        cli(db_target, "users", "passwd", "alice", "--password-stdin", stdin="another pass 9\n")
        assert signed_in_as(page_for(http, third, web)) is None


def test_sessions_in_the_embedded_endpoint_survive_its_restart(
    store: Store, web: CreatedClient, alice: UserInfo, http: requests.Session
) -> None:
    first = TokenEndpoint(store, port=0)
    with first:
        sign_in(http, first.url, web, "alice", PASSWORD)
        port = first.url.rsplit(":", 1)[1]
    second = TokenEndpoint(store, port=int(port))
    with second:
        assert signed_in_as(page_for(http, second.url, web)) == "alice"
