"""A throwaway PostgreSQL server for the tests and the benchmark: initdb, pg_ctl, a free port.

Nothing is mocked: the server is the real ``postgres`` binary, in a temporary
folder, listening on 127.0.0.1. It runs as an unprivileged user when we are
root, because initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
from psycopg2 import sql

SUPERUSER = "authclients"
"""The cluster's superuser; trust authentication on 127.0.0.1 only."""

WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, folder, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while os.path.isdir(folder):
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        subprocess.run(stop, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
        break
    time.sleep(1)
"""
"""Stops the server if the process that started it dies without stopping it (a test run
killed by a timeout): the postgres daemon would otherwise outlive it, with its folder."""


def find_bin(name: str) -> str | None:
    """``name`` on PATH, else in Debian's /usr/lib/postgresql/<version>/bin (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
        reverse=True,
    )
    return candidates[0] if candidates else None


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None when one can."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if find_bin(name) is None:
            return f"PostgreSQL is not installed ({name} not found on PATH or /usr/lib/postgresql)"
    if os.geteuid() == 0 and _unprivileged_user() is None:
        return "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL"
    return None


def _unprivileged_user() -> pwd.struct_passwd | None:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One cluster in a temporary folder; ``create_database`` hands out fresh databases."""

    def __init__(self, *, max_connections: int = 300) -> None:
        self.max_connections = max_connections
        self.port = 0
        self.folder: Path | None = None
        self._counter = 0
        self._admin: psycopg2.extensions.connection | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> PostgresServer:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        # Under /tmp directly: pytest's own temp folders are 0700 root, which the
        # unprivileged server user could not traverse.
        self.folder = Path(tempfile.mkdtemp(prefix="authclients-pg-"))
        data = self.folder / "data"
        user = _unprivileged_user() if os.geteuid() == 0 else None
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            [
                find_bin("initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            user,
        )
        self.port = _free_port()
        # Durability of the machine is not under test (only of our processes):
        # fsync off makes CREATE DATABASE and commits cheap.
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                f"-c max_connections={self.max_connections}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            [
                find_bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            ],
            user,
        )
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WATCHDOG,
                str(os.getpid()),
                str(self.folder),
                *self._as_user(self._stop_argv(), user),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._admin = psycopg2.connect(self.url("postgres"))
        self._admin.autocommit = True
        return self

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self.folder is None:
            return
        data = self.folder / "data"
        user = _unprivileged_user() if os.geteuid() == 0 else None
        if (data / "postmaster.pid").exists():
            self._run(self._stop_argv(), user, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        if self._watchdog is not None:
            self._watchdog.terminate()
            self._watchdog.wait(timeout=10)
            self._watchdog = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str = "template0") -> tuple[str, str]:
        """A new empty database (copied from ``template``); returns (name, URL)."""
        assert self._admin is not None, "start() first"
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        with self._admin.cursor() as cur:
            cur.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return name, self.url(name)

    def reset_database(self, name: str, tables: list[str]) -> None:
        """Empty ``tables`` of database ``name`` and restart their ids, as if it were new.

        ``tables`` in an order where each table comes after those that point at
        it (children first). Far cheaper than a new database: CREATE DATABASE
        costs 0.1-0.4 s, TRUNCATE ~40 ms, these DELETEs on a test's few rows ~2 ms.
        Connections a previous test left open are ended first, so none can hold
        a lock or see a half-reset database.
        """
        assert self._admin is not None
        with self._admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        statements = [sql.SQL("DELETE FROM {}").format(sql.Identifier(t)) for t in tables]
        statements += [
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), 1, false)").format(
                sql.Literal(sql.Identifier(t).string)
            )
            for t in tables
        ]
        conn = psycopg2.connect(self.url(name))
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql.SQL("; ").join(statements))
        finally:
            conn.close()

    def drop_database(self, name: str) -> None:
        """Drop it, ending any connection a test left open (PostgreSQL 13+)."""
        assert self._admin is not None
        with self._admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # -- internals ----------------------------------------------------------------

    def _stop_argv(self) -> list[str | None]:
        assert self.folder is not None
        data = str(self.folder / "data")
        return [find_bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]

    @staticmethod
    def _as_user(argv: list[str | None], user: pwd.struct_passwd | None) -> list[str]:
        args = [str(a) for a in argv]
        if user is not None:
            args = ["runuser", "-u", user.pw_name, "--", *args]
        return args

    @classmethod
    def _run(
        cls, argv: list[str | None], user: pwd.struct_passwd | None, *, check: bool = True
    ) -> None:
        args = cls._as_user(argv, user)
        result = subprocess.run(
            args, capture_output=True, text=True, cwd="/", timeout=60, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )


def main() -> None:
    """``python -m tests.pgserver``: start a server, print a fresh database's URL, wait."""
    import signal

    stop = {signal.SIGINT, signal.SIGTERM}
    # Blocked first, so either signal is waited for instead of killing us before cleanup.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    with PostgresServer() as server:
        _name, url = server.create_database()
        print(url, flush=True)
        signal.sigwait(stop)


if __name__ == "__main__":
    main()
