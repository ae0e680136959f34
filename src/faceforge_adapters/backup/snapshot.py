"""``SqliteSnapshots``: a consistent copy of the live database, taken with ``VACUUM INTO``.

``VACUUM INTO`` reads the database in one read transaction on its own connection, so it sees one
committed state while Core keeps writing (WAL), and writes a compact, self-contained file: never a
file copy of a live database. The blobs to back up are read from that copy, so they are exactly the
ones it references.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path

import anyio

from faceforge_adapters.sqlite.database import BUSY_TIMEOUT_MS
from faceforge_adapters.storage.filesystem import READ_CHUNK
from faceforge_domain.backup.ports import SnapshotBlob
from faceforge_domain.models import StorageLocation

_BLOBS = (
    "SELECT asset_id, size_bytes, storage_provider, storage_bucket, storage_key FROM assets ORDER BY asset_id"
)
# The backup's own job, its log and its events: a restored library has no backup half-done.
LEAVE_OUT_JOB = (
    "DELETE FROM job_logs WHERE job_id = ?",
    "DELETE FROM jobs WHERE job_id = ?",
    "DELETE FROM events WHERE type LIKE 'job.%' AND subject_id = ?",
)
_LINKS = "SELECT asset_id, entity_id FROM entity_assets ORDER BY asset_id, entity_id"


@dataclass(frozen=True, slots=True)
class SqliteSnapshot:
    """The copy on disk, and what was read from it."""

    path: Path
    schema_version: int
    blobs: list[SnapshotBlob]

    async def chunks(self) -> AsyncIterator[bytes]:
        handle = await anyio.to_thread.run_sync(self.path.open, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(handle.read, READ_CHUNK):
                yield chunk
        finally:
            await anyio.to_thread.run_sync(handle.close)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def referenced_blobs(conn: sqlite3.Connection) -> list[SnapshotBlob]:
    links: dict[str, list[str]] = {}
    for asset_id, entity_id in conn.execute(_LINKS):
        links.setdefault(asset_id, []).append(entity_id)
    return [
        SnapshotBlob(
            asset_id=asset_id,
            size_bytes=size,
            location=StorageLocation(provider=provider, bucket=bucket, key=key),
            entity_ids=links.get(asset_id, []),
        )
        for asset_id, size, provider, bucket, key in conn.execute(_BLOBS)
    ]


class SqliteSnapshots:
    """Implements ``DatabaseSnapshots`` for the database at ``db_file``; copies go to ``scratch``."""

    def __init__(self, db_file: Path, scratch: Path) -> None:
        self._db_file = db_file
        self._scratch = scratch

    @asynccontextmanager
    async def take(self, *, leave_out_job: str | None = None) -> AsyncIterator[SqliteSnapshot]:
        path = self._scratch / f"backup-{secrets.token_hex(6)}.sqlite3"
        try:
            yield await anyio.to_thread.run_sync(self._take, path, leave_out_job)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    def _take(self, path: Path, leave_out_job: str | None) -> SqliteSnapshot:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self._db_file, timeout=BUSY_TIMEOUT_MS / 1000)) as live:
            live.execute("VACUUM INTO ?", (str(path),))
        with closing(sqlite3.connect(path, isolation_level=None)) as copy:
            if leave_out_job is not None:
                for statement in LEAVE_OUT_JOB:
                    copy.execute(statement, (leave_out_job,))
            return SqliteSnapshot(path, schema_version(copy), referenced_blobs(copy))
