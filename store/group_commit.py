"""The group committer: one writer thread commits the endpoint's token rows in batches.

Under load many requests wait for the database at once; committing them
together writes each touched page once per batch instead of once per token.
A request thread waits on a lock; a request on the event loop awaits a
future. On SQLite the loop commits its own batch (the jobs gathered in one
turn of the loop), on its own connection (``store.loop_connection``), when
this process's writer lock is free at once and no other process holds
SQLite's: no thread hand-off. Otherwise the loop hands
the writer its jobs as one list per batch: while a batch of the loop's is
being committed, the next one gathers on the loop, and the writer settles
every future of a batch with one ``call_soon_threadsafe``. Besides new
tokens, a batch records tokens' last use (``touch``). The loop's connection
never checkpoints the WAL itself: every ``CHECKPOINT_EVERY`` of its commits
the writer thread runs a passive checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

import peewee as pw

from authclients.store.context import StoreContext
from authclients.store.loop_connection import LoopConnection
from authclients.store.models import UTCDateTimeField
from authclients.store.off_loop_writes import OffLoopWrite
from authclients.store.writer_lock import holding, writer_lock

_UTC = UTCDateTimeField()
log = logging.getLogger("authclients.endpoint")

MAX_BATCH = 128
"""Tokens committed together at most; a batch is whatever queued while the last one committed."""

_STOPPING = "the endpoint is stopping"

CHECKPOINT_EVERY = 32
"""The loop's commits between two passive WAL checkpoints run by the writer thread.
A loop batch writes ~5-60 pages: SQLite's own trigger (1,000 pages) comes about as often."""

_CHECKPOINT = object()
"""Queued to the writer: checkpoint the WAL (passive: it waits for nobody)."""

LOOP_LISTS_IN_FLIGHT = 2
"""Lists of the loop's handed to the writer at once. With one, the writer sat idle after
each commit until the loop thread was scheduled again to hand over the next; with two,
the next list is already queued when a commit ends (the writer drains both if both wait)."""


class _Connection(Protocol):
    """Where a batch is written: the writer thread's Peewee connection, or the loop's own."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any: ...

    def transaction(self) -> AbstractContextManager[None]: ...


class _StoreConnection:
    """The writer thread's side: its Peewee connection, in the store's transaction."""

    def __init__(self, store: StoreContext) -> None:
        self.execute: Callable[..., Any] = store.db.execute_sql
        self.transaction = store.atomic


class _Job:
    """One INSERT waiting for its commit.

    A request thread waits on ``done`` (a lock held until the writer finishes);
    a request on the event loop awaits ``future`` instead, settled with every
    other future of its batch by one ``call_soon_threadsafe``.
    """

    __slots__ = ("check", "done", "error", "future", "params", "row_id", "touch")

    def __init__(
        self,
        params: tuple[object, ...],
        future: asyncio.Future[int] | None = None,
        *,
        touch: bool = False,
        check: tuple[int, int] | None = None,
    ) -> None:
        self.params = params
        self.touch = touch
        """An UPDATE of ``last_used_at`` (params: when, token id), not an INSERT."""
        self.check = check
        """(client id, version) the token was won with: revoked in the same
        transaction if the client's row no longer has that version or is revoked."""
        self.row_id = 0
        self.error: BaseException | None = None
        self.future = future
        self.done: threading.Lock | None = None
        if future is None:
            self.done = threading.Lock()
            self.done.acquire()


class GroupCommitter:
    """One thread inserts the tokens of many request threads, one transaction per batch.

    Under load many requests wait for the database at once; committing them
    together writes each touched page once per batch instead of once per
    token, and the request threads sleep on a lock instead of taking turns
    at SQLite's write lock. A request gets its answer only after the commit
    that holds its token, so every token sent is already durable.
    """

    def __init__(
        self,
        store: StoreContext,
        insert: str,
        values: str,
    ) -> None:
        self._store = store
        self._insert = insert
        self._values = values
        p = store.db.param
        self._touch_sql = f"UPDATE access_token SET last_used_at = {p} WHERE id = {p}"
        self._revoke_sql = (
            f"UPDATE access_token SET revoked = {p}, revoked_at = created_at WHERE token_hash = {p}"
        )
        self._param = p
        self._batch_sql: dict[int, str] = {}
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()
        # The loop's side (touched only on the loop thread). Handing the writer each
        # token as it comes woke it once per token: it took the GIL from the loop to
        # commit batches of 2-3 (measured). Now the loop gathers its jobs and hands
        # them over as one list when the writer has no batch of the loop's in hand.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gathering: list[_Job] = []
        self._flush_due = False
        self._loop_batches = 0
        """Lists handed to the writer and not yet settled (at most ``LOOP_LISTS_IN_FLIGHT``)."""
        # SQLite only: the loop commits its own batch when nobody else is writing. Under
        # load the writer thread cost two wake-ups per batch (the writer, then the loop),
        # each waiting its turn for a core on a busy machine; the commit itself is
        # ~0.3-1 ms. PostgreSQL has no writer lock and blocks in psycopg2: the writer.
        self._writer_lock = writer_lock(store.db)
        self._on_store = _StoreConnection(store)
        self._loop_connection: LoopConnection | None = None
        self._loop_connection_failed = False
        self._loop_commits = 0
        """The loop's commits since the last checkpoint was asked of the writer."""
        self.stats = CommitStats()

    def loop_connection(self) -> LoopConnection | None:
        """On the loop: its own connection (opened on first use), or None (not a SQLite file)."""
        connection = self._loop_connection
        if connection is not None or self._loop_connection_failed:
            return connection
        try:
            connection = LoopConnection.open_beside(self._store.db)
        except Exception as exc:
            log.warning("the event loop commits through the writer thread: %s", exc)
            connection = None
        self._loop_connection_failed = connection is None
        self._loop_connection = connection
        return connection

    def _commit_on_loop(self, jobs: list[_Job]) -> bool:
        """On the loop: commit ``jobs`` here if the write lock is free at once.

        False when another thread of ours holds the lock (the console, a grant on
        the pool, the writer) or another process holds SQLite's (busy at once, no
        waiting on the loop): the writer thread takes the batch then. True when
        the batch is settled: committed, or failed for a reason a retry would not cure.
        """
        lock = self._writer_lock
        if lock is None or not lock.acquire(blocking=False):
            return False
        connection = self.loop_connection()
        if connection is None or self._store.db.in_transaction():
            # The lock is re-entrant: were this thread inside a transaction of its own,
            # it would hold SQLite's lock against the loop's connection.
            lock.release()
            return False
        started = time.perf_counter()
        try:
            try:
                # Its busy timeout is 0: another process writing sends this batch to
                # the writer, which may wait; the loop never sleeps in SQLite.
                self._write(jobs, connection)
            except pw.OperationalError as exc:
                if _is_busy(exc):
                    self.stats.loop_busy += 1
                    return False
                log.error("a batch of %d token writes failed: %s", len(jobs), type(exc).__name__)
                _fail(jobs, exc)
            except Exception as exc:
                log.error("a batch of %d token writes failed: %s", len(jobs), type(exc).__name__)
                _fail(jobs, exc)
        finally:
            lock.release()
        self._loop_commits += 1
        if self._loop_commits >= CHECKPOINT_EVERY:
            self._loop_commits = 0
            self._queue.put(_CHECKPOINT)
        elapsed = time.perf_counter() - started
        self.stats.loop_batches += 1
        self.stats.loop_tokens += len(jobs)
        self.stats.loop_seconds += elapsed
        self.stats.loop_max_seconds = max(self.stats.loop_max_seconds, elapsed)
        if self.stats.durations is not None:
            self.stats.durations.append(elapsed)
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        with self._lifecycle:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="authclients-token-writer", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._lifecycle:
            thread, self._thread = self._thread, None
            connection, self._loop_connection = self._loop_connection, None
            self._loop_connection_failed = False
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=2.0)
        if connection is not None:
            connection.close()

    def insert(self, params: tuple[object, ...]) -> int:
        """Queue one INSERT ... RETURNING id and wait for the commit; returns the id."""
        job = _Job(params)
        self._queue.put(job)
        job.done.acquire()  # type: ignore[union-attr]
        if job.error is not None:
            raise job.error
        return job.row_id

    def touch(self, token_id: int, when: datetime) -> None:
        """Record a token's last use and wait for the commit (from a request thread)."""
        job = _Job((_UTC.db_value(when), token_id), touch=True)
        self._queue.put(job)
        job.done.acquire()  # type: ignore[union-attr]
        if job.error is not None:
            raise job.error

    def submit_touch(self, token_id: int, when: datetime) -> asyncio.Future[int]:
        """Record a token's last use from the event loop; the future settles at the commit."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._gather(_Job((_UTC.db_value(when), token_id), future, touch=True))
        return future

    def submit(
        self, params: tuple[object, ...], check: tuple[int, int] | None = None
    ) -> asyncio.Future[int]:
        """Queue one INSERT from the event loop; the future settles once it is committed.

        Its result is 0 when no request thread shared the batch: the loop's answers
        never show a token's id, so the writer does not ask SQLite for it.

        ``check`` (client id, version): the writer reads those clients once per
        batch inside the batch's transaction, after the INSERT, and revokes the
        token there if its client changed since it was authenticated (see
        ``HotPath._client_changed``); the answer waits for that commit.

        Call on the loop thread. The writer settles all the futures of one batch
        with a single ``call_soon_threadsafe``: one wake-up of the loop per batch,
        not one lock per token (the prototype measured ~14 µs per token this way).
        """
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._gather(_Job(params, future, check=check))
        return future

    def submit_write(self, write: Callable[[], object]) -> asyncio.Future[int]:
        """Run ``write`` on the writer thread, in queue order; the future settles after it.

        Call on the loop thread: for writes that would otherwise wait on the loop
        for SQLite's lock (``HotPath.write_off_loop``).
        """
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if self._thread is None:
            future.set_exception(RuntimeError(_STOPPING))
        else:
            self._queue.put(OffLoopWrite(write, future, _STOPPING))
        return future

    # -- the loop's side: one hand-over per batch --------------------------------------

    def _gather(self, job: _Job) -> None:
        """Keep ``job`` for the loop's next batch; hand it over at the end of this turn of
        the loop, or when the writer settles the batch it is committing."""
        loop = job.future.get_loop()  # type: ignore[union-attr]
        if self._loop is not loop:
            if self._loop is None or (not self._gathering and not self._loop_batches):
                self._loop = loop
            else:  # pragma: no cover - one loop per endpoint; a second one goes direct
                self._queue.put(job)
                return
        self._gathering.append(job)
        if not self._flush_due and self._loop_batches < LOOP_LISTS_IN_FLIGHT:
            # After the other requests this turn of the loop reads: they join the batch.
            self._flush_due = True
            loop.call_soon(self._flush)

    def _flush(self) -> None:
        """On the loop: commit what gathered here, or hand it to the writer as one list."""
        self._flush_due = False
        while self._gathering:
            jobs = self._gathering[:MAX_BATCH]
            if self._thread is None:
                jobs = self._gathering[:]
                self._gathering.clear()
                for job in jobs:
                    job.error = RuntimeError(_STOPPING)
                _settle(jobs)
                return
            if self._commit_on_loop(jobs):
                del self._gathering[: len(jobs)]
                _settle(jobs)
                continue
            if self._loop_batches >= LOOP_LISTS_IN_FLIGHT:
                return
            del self._gathering[: len(jobs)]
            self._loop_batches += 1
            self.stats.handed_to_writer += 1
            self._queue.put(jobs)
            return

    def _loop_batch_done(self, jobs: list[_Job]) -> None:
        """On the loop: the writer committed (or failed) one of the loop's lists."""
        _settle(jobs)
        self._loop_batches -= 1
        if self._gathering and not self._flush_due:
            self._flush()

    def _run(self) -> None:
        db = self._store.db
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if item is _CHECKPOINT:
                    self._checkpoint(db)
                    continue
                if isinstance(item, OffLoopWrite):
                    item.run()
                    continue
                batch: list[_Job] = []
                lists: list[list[_Job]] = []
                stop = checkpoint = False
                write: OffLoopWrite | None = None
                while True:
                    if isinstance(item, list):
                        lists.append(item)
                    else:
                        batch.append(item)
                    if len(batch) + sum(map(len, lists)) >= MAX_BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    if item is _CHECKPOINT:
                        checkpoint = True
                        break
                    if isinstance(item, OffLoopWrite):
                        write = item  # after this batch: queue order is kept
                        break
                self._commit(db, [*batch, *(job for jobs in lists for job in jobs)])
                _answer(batch)
                for jobs in lists:
                    self._hand_back(jobs)
                if checkpoint:
                    self._checkpoint(db)
                if write is not None:
                    write.run()
                if stop:
                    return
        finally:
            # Whatever is still queued fails rather than waiting forever.
            while True:
                try:
                    left = self._queue.get_nowait()
                except queue.Empty:
                    break
                if left is _CHECKPOINT:
                    continue
                if isinstance(left, OffLoopWrite):
                    left.stopped()
                elif isinstance(left, list):
                    for job in left:
                        job.error = RuntimeError(_STOPPING)
                    self._hand_back(left)
                elif left is not None:
                    left.error = RuntimeError(_STOPPING)
                    _answer([left])
            self._store.close()

    def _checkpoint(self, db: pw.Database) -> None:
        """Copy the WAL back into the file as far as no reader needs it (waits for nobody).

        The loop's connection never does (``wal_autocheckpoint = 0``); here the
        GIL is released while SQLite copies and syncs, so the loop keeps serving.
        This process's writer lock is held meanwhile: SQLite starts the WAL over
        only when a write begins after a checkpoint that copied all of it, and
        with the loop committing during every checkpoint that never happened
        (the WAL grew by ~11 KiB per token, past 1 GB in 18 s, measured). The
        loop's batches go to this thread meanwhile and wait for it, so the bulk is
        copied first without the lock (after a long reader, hundreds of MB) and
        only what the loop committed meanwhile under it.
        """
        try:
            db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").close()
            with holding(self._writer_lock):
                db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").close()
        except pw.DatabaseError as exc:
            log.warning("a WAL checkpoint failed: %s", exc)
        self.stats.checkpoints += 1

    def _commit(self, db: object, batch: list[_Job]) -> None:
        try:
            self._write(batch, self._on_store)
        except Exception as exc:
            log.error("a batch of %d token writes failed: %s", len(batch), type(exc).__name__)
            _fail(batch, exc)

    def _write(self, batch: list[_Job], db: _Connection) -> None:
        """One transaction for ``batch`` (BEGIN IMMEDIATE on SQLite); raises on failure."""
        inserts = [job for job in batch if not job.touch]
        with db.transaction():
            if inserts:
                params = [value for job in inserts for value in job.params]
                if any(job.future is None for job in inserts):
                    cursor = db.execute(self._sql_for(len(inserts)), params)
                    # RETURNING lists rows in no promised order: match them by digest.
                    ids = {digest: row_id for row_id, digest in cursor.fetchall()}
                    cursor.close()
                    for job in inserts:
                        job.row_id = ids[job.params[0]]
                else:
                    # Only the loop waits, and its answers never show the id: no
                    # RETURNING, whose every row is a step that gives up the GIL and
                    # waits to take it back from the loop (py-spy: the writer's main
                    # wait). One step for the whole batch.
                    sql = self._sql_for(len(inserts), returning=False)
                    db.execute(sql, params).close()
                self._revoke_if_clients_changed(inserts, db)
            for job in batch:
                if job.touch:
                    db.execute(self._touch_sql, job.params).close()

    def _hand_back(self, jobs: list[_Job]) -> None:
        """One of the loop's lists is done: settle it, and let the loop hand over the next."""
        loop = jobs[0].future.get_loop()  # type: ignore[union-attr]
        # A closed loop: nobody is waiting for these answers any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._loop_batch_done, jobs)

    def _revoke_if_clients_changed(self, inserts: list[_Job], db: _Connection) -> None:
        """Inside the batch's transaction: revoke each token whose client changed.

        The write lock is held, so a change committed before this transaction
        is seen here, and one committed after it finds the token already in the
        table for its own revocation: no token outlives the change it raced.
        One SELECT for all the batch's clients replaces a read per token on the loop.
        """
        checked = [job for job in inserts if job.check is not None]
        if not checked:
            return
        ids = sorted({job.check[0] for job in checked})  # type: ignore[index]
        marks = ", ".join([self._param] * len(ids))
        cursor = db.execute(f"SELECT id, version, revoked FROM client WHERE id IN ({marks})", ids)
        current = {row[0]: (int(row[1]), bool(row[2])) for row in cursor.fetchall()}
        cursor.close()
        for job in checked:
            client_id, version = job.check  # type: ignore[misc]
            now = current.get(client_id)
            if now is None or now[0] != version or now[1]:
                db.execute(self._revoke_sql, (True, job.params[0])).close()

    def _sql_for(self, rows: int, *, returning: bool = True) -> str:
        """One multi-row INSERT for the whole batch: one statement to run, not ``rows``."""
        key = rows if returning else -rows
        sql = self._batch_sql.get(key)
        if sql is None:
            values = ", ".join([self._values] * rows)
            tail = " RETURNING id, token_hash" if returning else ""
            sql = self._batch_sql[key] = f"{self._insert} VALUES {values}{tail}"
        return sql


class CommitStats:
    """Where the loop's batches were committed, and how long the loop spent committing."""

    __slots__ = (
        "checkpoints",
        "durations",
        "handed_to_writer",
        "loop_batches",
        "loop_busy",
        "loop_max_seconds",
        "loop_seconds",
        "loop_tokens",
    )

    def __init__(self) -> None:
        self.loop_batches = 0
        self.loop_tokens = 0
        self.loop_seconds = 0.0
        self.loop_max_seconds = 0.0
        self.loop_busy = 0
        """Loop commits another process's write lock sent to the writer."""
        self.handed_to_writer = 0
        self.checkpoints = 0
        """Passive WAL checkpoints the writer thread ran for the loop's connection."""
        self.durations: list[float] | None = None
        """Each loop commit's seconds, when a benchmark sets a list here (None: not kept)."""


def _is_busy(exc: pw.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _fail(jobs: list[_Job], exc: BaseException) -> None:
    for job in jobs:
        job.error = exc


def _answer(batch: list[_Job]) -> None:
    """Wake the waiters of ``batch``: each thread's lock, and the loop once for all its futures."""
    on_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in batch:
        if job.future is None:
            job.done.release()  # type: ignore[union-attr]
        else:
            on_loop.setdefault(job.future.get_loop(), []).append(job)
    for loop, jobs in on_loop.items():
        # A closed loop: nobody is waiting for these answers any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, jobs)


def _settle(jobs: list[_Job]) -> None:
    """On the loop: the futures of one batch get their ids (or the batch's error)."""
    for job in jobs:
        future = job.future
        if future is None or future.done():
            continue  # the request was cancelled (its client went away)
        if job.error is not None:
            future.set_exception(job.error)
        else:
            future.set_result(job.row_id)
