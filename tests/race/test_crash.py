"""SIGKILL ``authclients serve`` under load: every token a client was given survives, the
database is intact, and no transaction is half there."""

from __future__ import annotations

import http.client
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import peewee as pw
import psycopg2
import pytest

from authclients.store import Store
from authclients.store.models import AccessToken, Client, RefreshToken
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import CreatedClient, UserInfo
from tests.backends import POSTGRESQL, SQLITE
from tests.endpoint.conftest import PASSWORD, serving
from tests.race.conftest import Conn

LOAD_SECONDS = 1.0
THREADS = 6


def test_sigkill_under_load_loses_no_token_that_was_answered(
    backend: str,
    db_target: str,
    live: Store,
    web: CreatedClient,
    alice: UserInfo,
) -> None:
    received: list[str] = []
    password_pairs: list[tuple[str, str]] = []
    failures: list[BaseException] = []
    with serving(db_target) as (proc, url):

        def load(n: int) -> None:
            conn = Conn(url)
            # One thread in three signs in with a password: a token and a refresh
            # token in one transaction, which must never be found half written.
            password = n % 3 == 0
            fields = (
                {"grant_type": "password", "username": "alice", "password": PASSWORD}
                if password
                else {"grant_type": "client_credentials"}
            )
            try:
                while True:
                    answer = conn.post("/oauth/token", fields, web)
                    assert answer.status == 200, answer
                    received.append(answer.body["access_token"])
                    if password:
                        password_pairs.append(
                            (answer.body["access_token"], answer.body["refresh_token"])
                        )
            except (OSError, http.client.HTTPException):
                return  # the server died under us: what we were given is what counts
            except BaseException as exc:  # reported in the test's thread
                failures.append(exc)
            finally:
                conn.close()

        threads = [threading.Thread(target=load, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert failures == []
    assert len(received) > 50, "the load never got going"

    if backend == SQLITE:
        with sqlite3.connect(db_target) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []

    # A restarted process answers for every token handed out before the kill.
    with serving(db_target) as (_proc, url):
        buckets = [received[i::4] for i in range(4)]
        refused: list[str] = []

        def check(tokens: list[str]) -> None:
            conn = Conn(url)
            for token in tokens:
                if conn.get("/api/1.0/users/me", token).status != 200:
                    refused.append(token)
            conn.close()

        checkers = [threading.Thread(target=check, args=(b,)) for b in buckets]
        for t in checkers:
            t.start()
        for t in checkers:
            t.join(timeout=120)
        assert refused == []
        # A sample through introspection too, and refresh tokens still rotate.
        conn = Conn(url)
        for access, refresh in password_pairs[:5]:
            claims = conn.post("/oauth/introspect", {"token": access}, web).body
            assert claims["active"] is True
            rotated = conn.post(
                "/oauth/token", {"grant_type": "refresh_token", "refresh_token": refresh}, web
            )
            assert rotated.status == 200, rotated
        conn.close()

    # Nothing half written: each password token has its refresh token, no orphans.
    password_tokens = AccessToken.select().where(AccessToken.grant_type == "password")
    without_refresh = password_tokens.where(
        ~pw.fn.EXISTS(RefreshToken.select().where(RefreshToken.access_token == AccessToken.id))
    ).count()
    assert without_refresh == 0
    assert AccessToken.select().join(Client).count() == AccessToken.select().count()
    assert AccessToken.select().count() >= len(received)
    assert AccessToken.select().where(AccessToken.expires_at.is_null()).count() == 0


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_serve_reconnects_when_postgresql_drops_its_connections(
    db_target: str, live: Store, web: CreatedClient
) -> None:
    """A restart, failover or idle timeout on the database server kills every connection."""
    cc = {"grant_type": "client_credentials"}
    with serving(db_target) as (_proc, url):
        conn = Conn(url)
        before = conn.post("/oauth/token", cc, web)
        assert before.status == 200, before
        admin = psycopg2.connect(db_target)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cur.fetchone()[0] >= 2  # the request thread's and the token writer's
        admin.close()
        # Same HTTP connection (its thread's database connection is dead), then a new one.
        for client in (conn, Conn(url)):
            token = client.post("/oauth/token", cc, web)
            assert token.status == 200, token
            me = client.get("/api/1.0/users/me", token.body["access_token"])
            assert me.status == 200, me
            assert client.get("/api/1.0/users/me", before.body["access_token"]).status == 200
            client.close()
    # The test's own store, whose connection was dropped too, carries on as well.
    assert live.clients.get(web.client.id).active_tokens == 3


_KILLED_MID_BATCH = """
import asyncio, os, signal, sys, threading
from authclients.store import Store
from authclients.store.hot_path import deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer

store = Store.open(sys.argv[1])
client = store.clients.create("svc", client_credentials=True).client
hot = AuthorizationServer(store).hot_path
hot.committer.start()

def crash(inserts, *rest):
    # Inside the batch's transaction, its rows INSERTed, before COMMIT: a real crash.
    print("thread", threading.current_thread() is threading.main_thread(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

hot.committer._revoke_if_clients_changed = crash

async def issue():
    with deferring_commits() as pending:
        issued = [hot.issue_client_token(client, "client_credentials", ()) for _ in range(10)]
    for token in issued:
        print("token", token.access_token, flush=True)
    await asyncio.gather(*pending)
    print("answered", flush=True)  # never: the process dies before the commit

asyncio.run(issue())
"""


@pytest.mark.parametrize("backend", [SQLITE], indirect=True)
def test_a_crash_in_the_middle_of_the_loops_own_batch_keeps_none_of_it(
    backend: str, db_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_BATCH, str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    lines = proc.stdout.splitlines()
    tokens = [line.split()[1] for line in lines if line.startswith("token ")]
    assert len(tokens) == 10
    # The loop (the main thread here) was committing the batch itself when it died.
    assert "thread True" in lines and "answered" not in lines
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = Store.open(str(db_path))
    try:
        # None of the batch is there, the client created before it is, and the file's
        # write lock died with the process: the next writer commits at once.
        assert all(store.tokens.find(t) is None for t in tokens)
        client = store.clients.list().items[0]
        assert client.name == "svc"
        hot = AuthorizationServer(store).hot_path
        after = hot.issue_client_token(client, "client_credentials", ())
        assert store.tokens.find(after.access_token) is not None
    finally:
        store.close()
