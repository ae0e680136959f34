"""The SQLite database: one writer connection, a few readers, WAL mode.

SQLite allows one writer at a time; funnelling every write transaction through a single connection
(``BEGIN IMMEDIATE`` under a lock) avoids ``database is locked`` errors, while WAL lets readers on
their own connections see a consistent snapshot without blocking the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
import anyio

from faceforge_adapters.sqlite.lookalikes import add_distance_function
from faceforge_adapters.sqlite.migrate import migrate
from faceforge_domain.clock import Clock
from faceforge_domain.errors import InsufficientStorage
from faceforge_domain.timefmt import parse_timestamp
from faceforge_domain.transaction import ReadOnlyTransaction

BUSY_TIMEOUT_MS = 10_000
READERS = 4
# Pages are read through a shared memory map instead of a read call each: a list that seeks thousands of
# index entries (a broad search's total) takes a third of the time. The map is the OS page cache, shared
# by every connection, not memory of our own; an I/O error under it would end the process, which is why
# SQLite leaves it off, but WAL mode already needs the home on a local disk.
MMAP_BYTES = 1 << 30
# Opens a read transaction and takes its snapshot in one trip to the connection's thread: reading the
# schema table is what makes SQLite pin the snapshot.
START_SNAPSHOT = "BEGIN; SELECT 1 FROM sqlite_master LIMIT 1;"


def disk_full(exc: BaseException) -> InsufficientStorage | None:
    """SQLite's "database or disk is full" as ``InsufficientStorage`` (a 507 for the client, not a
    500); None for any other error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
        return InsufficientStorage("the disk holding the database is full; nothing was changed")
    return None


def read_only(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused a write on a read-only (``query_only``) connection."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_READONLY


async def open_connection(path: Path, *, readonly: bool = False) -> aiosqlite.Connection:
    """A connection with the pragmas every FaceForge connection needs."""
    conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        await add_distance_function(conn)
        if readonly:
            await conn.execute("PRAGMA query_only = ON")
        else:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:  # e.g. a file that is not a database: its thread would keep the process alive
        await conn.close()
        raise
    return conn


class Database:
    """Owns the connections; hand out transactions with ``write()`` and snapshots with ``read()``."""

    def __init__(self, path: Path, writer: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._write_lock = anyio.Lock()
        self._idle_readers: list[aiosqlite.Connection] = []
        self._all_readers: list[aiosqlite.Connection] = []
        self._reader_slots = anyio.Semaphore(READERS)
        self._glance: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: Path, clock: Clock) -> Database:
        """Open (creating if needed) and migrate the database to the latest schema."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await open_connection(path)
        try:
            await migrate(writer, clock)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends normally, rolled back otherwise."""
        async with self._write_lock:
            # Shielded like the ROLLBACK: a cancel landing during BEGIN would otherwise leave the
            # connection inside a transaction that nobody ends.
            with anyio.CancelScope(shield=True):
                await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                # Shielded too: a cancel landing mid-COMMIT would leave it running in aiosqlite's
                # thread, and the ROLLBACK below would then find no transaction (or undo nothing).
                with anyio.CancelScope(shield=True):
                    await self._writer.execute("COMMIT")
            except BaseException as exc:
                with anyio.CancelScope(shield=True):
                    # SQLite may have rolled back already (a full disk does that); a failed COMMIT has not
                    if self._writer.in_transaction:
                        await self._writer.execute("ROLLBACK")
                if (full := disk_full(exc)) is not None:
                    raise full from exc
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection inside a read transaction: one consistent snapshot, taken at once
        (SQLite would take it at the first read), on a connection that refuses writes."""
        async with self._reader_slots:
            conn = self._idle_readers.pop() if self._idle_readers else await self._new_reader()
            try:
                with anyio.CancelScope(shield=True):
                    await conn.executescript(START_SNAPSHOT)
                try:
                    yield conn
                except sqlite3.Error as exc:
                    if (full := disk_full(exc)) is not None:
                        raise full from exc
                    if read_only(exc):
                        raise ReadOnlyTransaction("a read unit of work was written to") from exc
                    raise
                finally:
                    with anyio.CancelScope(shield=True):
                        await conn.execute("ROLLBACK")
            finally:
                self._idle_readers.append(conn)

    async def created_at(self) -> datetime | None:
        """When this library's database was made (its first migration), for schedules that count
        from the start; None for a database without a migration ledger."""
        async with self.read() as conn, conn.execute("SELECT MIN(applied_at) FROM schema_migrations") as rows:
            row = await rows.fetchone()
        return None if row is None or row[0] is None else parse_timestamp(row[0])

    async def _new_reader(self) -> aiosqlite.Connection:
        # Shielded: a connection left half-opened by a cancelled caller is a thread nobody would close,
        # and it keeps the process from exiting.
        with anyio.CancelScope(shield=True):
            conn = await open_connection(self.path, readonly=True)
            self._all_readers.append(conn)
        return conn

    def glance(self, sql: str) -> Any:
        """The first column of the first row of ``sql``, read at once on the caller's thread.

        For a one-row lookup on every request, where a reader's transaction and its thread hops
        would cost more than the read: SQLite answers it from the page cache in microseconds (in WAL
        mode a reader never waits for the writer), with the latest committed data.
        """
        if self._glance is None:
            self._glance = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._glance.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._glance.execute("PRAGMA query_only = ON")
        row = self._glance.execute(sql).fetchone()
        return None if row is None else row[0]

    async def healthy(self) -> bool:
        """True when a trivial query answers."""
        try:
            async with self.read() as conn, conn.execute("SELECT 1") as cursor:
                return (await cursor.fetchone()) is not None
        except sqlite3.Error:
            return False

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        self._idle_readers.clear()
        await self._writer.close()
        if self._glance is not None:
            self._glance.close()
            self._glance = None
