"""Two ``authclients serve`` processes on one database (SQLite file or PostgreSQL): single-use
codes, refresh rotation, brute-force limits and deletion hold across them, under real races."""

from __future__ import annotations

import subprocess
import threading
import time

from authclients.store import Store
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import AUTHCLIENTS, PASSWORD, REDIRECT, pkce_pair
from tests.race.conftest import Answer, Conn, at_once

ROUNDS = 25


def test_an_authorization_code_raced_to_both_processes_succeeds_once(
    live: Store, two_servers: tuple[str, str], web: CreatedClient, alice: UserInfo
) -> None:
    conns = [Conn(url) for url in two_servers]
    checker = Conn(two_servers[0])
    wins = 0
    for _ in range(ROUNDS):
        verifier, challenge = pkce_pair()
        code = live.tokens.create_auth_code(
            web.client,
            user_id=alice.id,
            redirect_uri=REDIRECT,
            scopes=(),
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        answers = at_once([lambda c=c, f=fields: c.post("/oauth/token", f, web) for c in conns])
        statuses = sorted(a.status for a in answers)
        assert statuses == [200, 400], answers
        winner = next(a for a in answers if a.status == 200)
        loser = next(a for a in answers if a.status == 400)
        assert loser.body["error"] == "invalid_grant", loser
        wins += 1
        # The replay, in whichever process it landed, revoked what the winner got.
        me = checker.get("/api/1.0/users/me", winner.body["access_token"])
        assert me.status == 401, me
        again = checker.post(
            "/oauth/token",
            {"grant_type": "refresh_token", "refresh_token": winner.body["refresh_token"]},
            web,
        )
        assert again.status == 400 and again.body["error"] == "invalid_grant", again
    assert wins == ROUNDS
    for c in [*conns, checker]:
        c.close()


def test_a_refresh_token_raced_to_both_processes_rotates_once_and_kills_the_family(
    live: Store, two_servers: tuple[str, str], web: CreatedClient, alice: UserInfo
) -> None:
    conns = [Conn(url) for url in two_servers]
    checker = Conn(two_servers[1])
    for _ in range(ROUNDS):
        start = checker.post(
            "/oauth/token",
            {"grant_type": "password", "username": "alice", "password": PASSWORD},
            web,
        )
        assert start.status == 200, start
        # One honest rotation first, so the raced token has a family history.
        first = checker.post(
            "/oauth/token",
            {"grant_type": "refresh_token", "refresh_token": start.body["refresh_token"]},
            web,
        )
        assert first.status == 200, first
        fields = {"grant_type": "refresh_token", "refresh_token": first.body["refresh_token"]}
        answers = at_once([lambda c=c, f=fields: c.post("/oauth/token", f, web) for c in conns])
        assert sorted(a.status for a in answers) == [200, 400], answers
        winner = next(a for a in answers if a.status == 200)
        assert next(a for a in answers if a.status == 400).body["error"] == "invalid_grant"
        # Reuse detection: every token of the family is dead, the newest included.
        for token in (first.body["access_token"], winner.body["access_token"]):
            assert checker.get("/api/1.0/users/me", token).status == 401
        newest = checker.post(
            "/oauth/token",
            {"grant_type": "refresh_token", "refresh_token": winner.body["refresh_token"]},
            web,
        )
        assert newest.status == 400 and newest.body["error"] == "invalid_grant", newest
    for c in [*conns, checker]:
        c.close()


def test_failed_client_secrets_count_across_processes(
    two_servers: tuple[str, str], web: CreatedClient
) -> None:
    a, b = (Conn(url) for url in two_servers)
    wrong = CreatedClient(client=web.client, secret="not-the-secret")
    cc = {"grant_type": "client_credentials"}
    # Five failures, split between the processes: the limit is 5 a minute per client.
    for conn in (a, b, a, b, a):
        answer = conn.post("/oauth/token", cc, wrong)
        assert answer.status == 401 and answer.body["error"] == "invalid_client", answer
    for conn in (b, a):
        locked = conn.post("/oauth/token", cc, web)  # even the right secret waits
        assert locked.status == 429 and locked.body["error"] == "slow_down", locked
    a.close()
    b.close()


def test_a_password_attack_on_both_processes_at_once_is_bounded(
    two_servers: tuple[str, str], web: CreatedClient, alice: UserInfo
) -> None:
    per_process = 12
    conns = [Conn(url) for url in two_servers for _ in range(per_process)]
    fields = {"grant_type": "password", "username": "alice", "password": "guess"}
    answers = at_once([lambda c=c, f=fields: c.post("/oauth/token", f, web) for c in conns])
    statuses = [a.status for a in answers]
    assert set(statuses) <= {400, 429}, answers
    # Each process lets at most 2 * limit - 1 = 9 bcrypt checks through a window.
    assert statuses.count(400) <= 2 * 9
    assert statuses.count(429) >= len(conns) - 2 * 9
    # And the lock-out, recorded in the database, holds in both processes.
    honest = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    for url in two_servers:
        conn = Conn(url)
        assert conn.post("/oauth/token", honest, web).status == 429
        conn.close()
    for c in conns:
        c.close()


def test_a_client_deleted_by_the_cli_is_refused_by_both_processes_at_once(
    db_target: str, live: Store, two_servers: tuple[str, str], web: CreatedClient
) -> None:
    cc = {"grant_type": "client_credentials"}
    conns = [Conn(url) for url in two_servers]
    tokens = [c.post("/oauth/token", cc, web).body["access_token"] for c in conns]
    log: list[tuple[float, float, int, int]] = []
    issued: list[str] = []
    stop = threading.Event()

    def hammer(url: str, kind: int) -> None:
        conn = Conn(url)
        i = 0
        while not stop.is_set():
            started = time.monotonic()
            if kind == 0:
                answer = conn.post("/oauth/token", cc, web)
                if answer.status == 200:
                    issued.append(answer.body["access_token"])
            else:
                answer = conn.get("/api/1.0/users/me", tokens[i % 2])
            log.append((started, time.monotonic(), kind, answer.status))
            i += 1
        conn.close()

    # Per process: two threads asking for tokens, one using the tokens it had.
    threads = [
        threading.Thread(target=hammer, args=(url, kind))
        for url in two_servers
        for kind in (0, 0, 1)
    ]
    for t in threads:
        t.start()
    time.sleep(0.3)
    deleted = subprocess.run(
        [AUTHCLIENTS, "clients", "delete", "--db", db_target, "--yes", str(web.client.id)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    done = time.monotonic()
    assert deleted.returncode == 0, deleted.stderr
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    before = [entry for entry in log if entry[1] < done]
    after = [entry for entry in log if entry[0] > done]
    assert before and after
    assert {status for *_, status in before} >= {200}
    # Every request sent after the CLI returned is refused, by either process.
    assert {status for *_, status in after} == {401}, after
    # And every token the client ever got is dead, even one being issued while the
    # deletion committed.
    checker = conns[0]
    alive = [t for t in [*tokens, *issued] if checker.get("/api/1.0/users/me", t).status != 401]
    assert alive == []
    for c in conns:
        final: Answer = c.post("/oauth/token", cc, web)
        assert final.status == 401 and final.body["error"] == "invalid_client"
        c.close()
