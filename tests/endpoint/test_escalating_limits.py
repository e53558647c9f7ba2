"""Brute force that escalates, over real HTTP: doubling waits, the lock at 30, spraying.

The figures are the README's: runs of 5 failures per username, a wait of
1 min after the first run doubling after each (capped at a day), a lock after
30 consecutive failures, 20 failures per address per 10 minutes.
"""

from __future__ import annotations

import http.client
import json
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from authclients.store import Store, ratelimit
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import FailedAttempt, User
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    Counter,
    assert_refused,
    basic,
    form_fields,
    issued_rows,
)


def grant(url: str, client: CreatedClient, password: str, username: str = "alice"):
    return requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": username, "password": password},
        auth=basic(client),
    )


def fail_a_run(url: str, client: CreatedClient, before: tuple[int, int, int]) -> None:
    for _ in range(ratelimit.DEFAULT_LIMIT):
        assert_refused(grant(url, client, "wrong"), 400, "invalid_grant", before)


def runs_of(username: str) -> tuple[int, object]:
    row = User.get(User.username == username)
    return row.failure_runs, row.locked_at


def test_each_run_of_failures_doubles_the_wait(
    url: str, web: CreatedClient, alice: UserInfo, clock: ManualClock, bcrypt_checks: Counter
) -> None:
    before = issued_rows()
    for run, minutes in enumerate([1, 2, 4, 8], start=1):
        fail_a_run(url, web, before)
        assert runs_of("alice") == (run, None)
        refused = grant(url, web, PASSWORD)
        assert_refused(refused, 429, "slow_down", before)
        assert int(refused.headers["Retry-After"]) == minutes * 60
        checks = bcrypt_checks.calls
        # One second before the wait ends: still refused, and bcrypt never ran.
        clock.advance(timedelta(minutes=minutes) - timedelta(seconds=1))
        assert_refused(grant(url, web, PASSWORD), 429, "slow_down", before)
        assert bcrypt_checks.calls == checks
        # Past it, and past the address's 10-minute window too, so only the username counts.
        clock.advance(timedelta(minutes=10))
    # A success ends the escalation: the next run waits 1 minute again.
    assert grant(url, web, PASSWORD).status_code == 200
    assert runs_of("alice") == (0, None)
    before = issued_rows()
    fail_a_run(url, web, before)
    assert int(grant(url, web, PASSWORD).headers["Retry-After"]) == 60


def test_the_wait_is_capped_at_a_day(store: Store) -> None:
    limiter = ratelimit.RateLimiter(store)
    waits = [limiter.wait_after(k) for k in (1, 2, 3, 11, 12, 40, 41, 10**6)]
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert waits[3] == timedelta(minutes=1024)
    assert waits[4:] == [timedelta(days=1)] * 4


def test_thirty_consecutive_failures_lock_the_account_until_an_admin_unlocks_it(
    http: requests.Session,
    url: str,
    web: CreatedClient,
    alice: UserInfo,
    store: Store,
    clock: ManualClock,
    bcrypt_checks: Counter,
) -> None:
    before = issued_rows()
    for _ in range(6):
        fail_a_run(url, web, before)
        clock.advance(timedelta(days=1))  # past any wait and the address's window
    assert bcrypt_checks.calls == 30
    runs, locked_at = runs_of("alice")
    assert runs == 6 and locked_at is not None
    assert store.users.get("alice").locked_at == locked_at

    # Locked: even the right password is refused, clearly, and bcrypt never runs.
    body = assert_refused(grant(url, web, PASSWORD), 400, "invalid_grant", before)
    assert "locked" in body["error_description"] and "admin" in body["error_description"]
    clock.advance(timedelta(days=30))
    assert_refused(grant(url, web, PASSWORD), 400, "invalid_grant", before)
    # The sign-in page says so too.
    page = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(web.client.id),
            "redirect_uri": "https://app.example.com/callback",
        },
    )
    fields = form_fields(page.text)
    signed = http.post(
        f"{url}/oauth/authorize", data={**fields, "username": "alice", "password": PASSWORD}
    )
    assert signed.status_code == 403 and "locked" in signed.text and "Approve" not in signed.text
    assert bcrypt_checks.calls == 30

    unlocked = store.users.unlock("alice")
    assert unlocked.locked_at is None
    assert runs_of("alice") == (0, None)
    assert grant(url, web, PASSWORD).status_code == 200
    assert bcrypt_checks.calls == 31


def test_the_lock_figure_is_a_constructor_argument(
    url: str, endpoint: TokenEndpoint, web: CreatedClient, alice: UserInfo, clock: ManualClock
) -> None:
    endpoint.authorization.limiter = ratelimit.RateLimiter(
        endpoint.authorization.store, lock_after=7
    )
    before = issued_rows()
    fail_a_run(url, web, before)
    clock.advance(timedelta(minutes=2))
    assert grant(url, web, "wrong").status_code == 400
    assert runs_of("alice")[1] is None
    assert grant(url, web, "wrong").status_code == 400  # the 7th
    assert runs_of("alice")[1] is not None
    assert "locked" in grant(url, web, PASSWORD).json()["error_description"]


def test_an_unknown_username_waits_and_locks_like_a_known_one(
    url: str, web: CreatedClient, alice: UserInfo, clock: ManualClock, bcrypt_checks: Counter
) -> None:
    """Waits and locks say nothing about which usernames exist; each guess costs a bcrypt."""
    before = issued_rows()
    answers: dict[str, list[tuple[int, str, str | None]]] = {}
    for name in ("alice", "nobody"):
        seen = []
        for _ in range(6):
            for _ in range(5):
                r = grant(url, web, "wrong", username=name)
                seen.append((r.status_code, r.json()["error"], None))
            r = grant(url, web, "wrong", username=name)
            seen.append((r.status_code, r.json()["error"], r.headers.get("Retry-After")))
            clock.advance(timedelta(days=1))
        answers[name] = seen
    assert answers["alice"] == answers["nobody"]
    assert answers["alice"][-1][:2] == (400, "invalid_grant")
    assert bcrypt_checks.calls == 60
    assert issued_rows() == before


def test_spraying_one_password_over_forty_usernames_meets_the_address_limit(
    url: str, web: CreatedClient, store: Store, bcrypt_checks: Counter, clock: ManualClock
) -> None:
    for i in range(20):
        store.users.add(f"user{i:02d}", PASSWORD)
    names = [f"user{i:02d}" for i in range(20)] + [f"ghost{i:02d}" for i in range(20)]
    before = issued_rows()
    statuses = [grant(url, web, "Spring2026!", username=n).status_code for n in names]
    assert statuses == [400] * 20 + [429] * 20
    assert bcrypt_checks.calls == 20  # ghosts included: an unknown name costs a bcrypt too
    refused = grant(url, web, PASSWORD, username="user05")
    assert_refused(refused, 429, "slow_down", before)
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert "address" in refused.json()["error_description"]
    # Another address is not held back by this one's failures.
    assert _post_from("127.0.0.2", url, web, "user05", PASSWORD)[0] == 200
    # The failures are counted per address in the database, never the usernames as typed.
    keys = {row.key for row in FailedAttempt.select().where(FailedAttempt.kind == "source")}
    assert keys == {"127.0.0.1"}
    assert not FailedAttempt.select().where(FailedAttempt.key.in_(names)).exists()
    clock.advance(timedelta(minutes=10, seconds=1))
    assert grant(url, web, PASSWORD, username="user05").status_code == 200


def test_the_address_limit_holds_across_processes(
    url: str, web: CreatedClient, alice: UserInfo, other_process: str
) -> None:
    for i in range(20):
        assert grant(url, web, "wrong", username=f"ghost{i}").status_code == 400
    refused = grant(other_process, web, PASSWORD)
    assert refused.status_code == 429 and refused.json()["error"] == "slow_down"


def _post_from(
    source: str, url: str, client: CreatedClient, username: str, password: str
) -> tuple[int, dict]:
    """A token request whose TCP connection comes from ``source`` (any 127/8 address is ours)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, source_address=(source, 0))
    try:
        body = urlencode(
            {
                "grant_type": "password",
                "username": username,
                "password": password,
                "client_id": str(client.client.id),
                "client_secret": client.secret or "",
            }
        )
        conn.request(
            "POST",
            "/oauth/token",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["password", "password_run"])
def test_failure_rows_keep_a_keyed_hash_of_the_username(
    url: str, web: CreatedClient, alice: UserInfo, kind: str
) -> None:
    for _ in range(5):
        grant(url, web, "wrong", username="alice")
    keys = [r.key for r in FailedAttempt.select().where(FailedAttempt.kind == kind)]
    assert keys and all(len(k) == 64 and k != "alice" for k in keys)


def test_failed_sign_ins_on_the_page_count_for_the_address_too(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    page = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(web.client.id),
            "redirect_uri": "https://app.example.com/callback",
        },
    )
    fields = form_fields(page.text)
    for i in range(20):
        r = http.post(
            f"{url}/oauth/authorize",
            data={**fields, "username": f"guess{i}", "password": "Spring2026!"},
        )
        assert r.status_code == 401
    assert grant(url, web, PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("source", "counted_as"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_an_ipv6_host_counts_by_its_slash_64(source: str, counted_as: str) -> None:
    """One IPv6 host usually holds a /64: spraying from its 2**64 addresses is one source."""
    assert ratelimit.source_key(source) == counted_as
