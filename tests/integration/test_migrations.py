"""The migration runner against real SQLite files: forward only, checksummed, all-or-nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from faceforge_adapters.sqlite.database import BUSY_TIMEOUT_MS, Database, open_connection
from faceforge_adapters.sqlite.migrate import (
    Migration,
    MigrationError,
    migrate,
    migration_status,
    shipped_migrations,
)
from faceforge_domain.clock import FixedClock

pytestmark = pytest.mark.anyio

DESIGN_TABLES = {
    "entities",
    "assets",
    "entity_assets",
    "descriptors",
    "field_definitions",
    "relationships",
    "jobs",
    "job_logs",
    "plugin_registry",
    "events",
    "schema_migrations",
}
# 0001 is applied in every database out there: it may never change (add a new numbered file instead).
INITIAL_CHECKSUM = "12d7e9214ceeb7f57bf3221d2b4daa0b9d841d20749702a1794cf97d95ee1527"


def make(version: int, name: str, sql: str) -> Migration:
    return Migration(version, name, sql, hashlib.sha256(sql.encode()).hexdigest())


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_connection(tmp_path / "core.sqlite3")
    yield connection
    await connection.close()


async def rows(conn: aiosqlite.Connection, sql: str) -> list[tuple[object, ...]]:
    async with conn.execute(sql) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def tables(conn: aiosqlite.Connection) -> set[str]:
    return {str(r[0]) for r in await rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")}


async def schema(conn: aiosqlite.Connection) -> list[tuple[object, ...]]:
    return await rows(conn, "SELECT type, name, sql FROM sqlite_master ORDER BY name")


def test_shipped_migrations_are_numbered_uniquely_in_order() -> None:
    shipped = shipped_migrations()
    versions = [m.version for m in shipped]
    assert versions == sorted(set(versions))
    assert versions[0] == 1
    assert all(m.sql.strip() for m in shipped)


def test_the_initial_migration_was_never_edited() -> None:
    assert shipped_migrations()[0].checksum == INITIAL_CHECKSUM


async def test_blank_database_goes_to_latest_with_every_design_table(conn: aiosqlite.Connection) -> None:
    shipped = shipped_migrations()
    applied = await migrate(conn, FixedClock())
    assert applied == shipped
    assert await tables(conn) >= DESIGN_TABLES
    status = await migration_status(conn)
    assert (status.current, status.latest, status.pending) == (shipped[-1].version, shipped[-1].version, ())
    recorded = await rows(conn, "SELECT version, name, checksum, applied_at FROM schema_migrations")
    assert recorded == [(m.version, m.name, m.checksum, "2026-01-01T00:00:00.000Z") for m in shipped]


async def test_a_second_run_is_a_no_op(conn: aiosqlite.Connection) -> None:
    await migrate(conn, FixedClock())
    before = await schema(conn), await rows(conn, "SELECT * FROM schema_migrations")
    assert await migrate(conn, FixedClock()) == ()
    assert (await schema(conn), await rows(conn, "SELECT * FROM schema_migrations")) == before


async def test_an_applied_migration_edited_afterwards_is_refused(conn: aiosqlite.Connection) -> None:
    first = [make(1, "first", "CREATE TABLE a (x INTEGER);")]
    await migrate(conn, FixedClock(), tuple(first))
    edited = (
        make(1, "first", "CREATE TABLE a (x INTEGER, y TEXT);"),
        make(2, "second", "CREATE TABLE b (x);"),
    )
    before = await schema(conn)
    with pytest.raises(MigrationError, match=r"0001_first\.sql was edited after it was applied"):
        await migrate(conn, FixedClock(), edited)
    assert await schema(conn) == before


async def test_a_tampered_ledger_of_the_shipped_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "core.sqlite3"
    database = await Database.open(path, FixedClock())
    await database.close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_migrations SET checksum = ? WHERE version = 1", ("0" * 64,))
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await Database.open(path, FixedClock())


async def test_a_database_from_a_newer_faceforge_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "core.sqlite3"
    database = await Database.open(path, FixedClock())
    await database.close()
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'future', ?, '2030-01-01T00:00:00.000Z')",
            ("f" * 64,),
        )
    before = path.read_bytes()
    with pytest.raises(MigrationError, match="schema version 9999, newer than this FaceForge"):
        await Database.open(path, FixedClock())
    assert path.read_bytes() == before


async def test_an_applied_migration_that_is_no_longer_shipped_is_refused(conn: aiosqlite.Connection) -> None:
    await migrate(
        conn, FixedClock(), (make(1, "a", "CREATE TABLE a (x);"), make(2, "b", "CREATE TABLE b (x);"))
    )
    with pytest.raises(MigrationError, match="not shipped"):
        await migrate(
            conn, FixedClock(), (make(1, "a", "CREATE TABLE a (x);"), make(3, "c", "CREATE TABLE c (x);"))
        )


async def test_a_failing_migration_leaves_no_partial_schema(conn: aiosqlite.Connection) -> None:
    good = make(1, "good", "CREATE TABLE a (x INTEGER);")
    broken = make(2, "broken", "CREATE TABLE b (x INTEGER);\nINSERT INTO a VALUES (1);\nCREATE TABLE oops (;")
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed"):
        await migrate(conn, FixedClock(), (good, broken))
    assert not conn.in_transaction
    assert await tables(conn) == {"a", "schema_migrations"}
    assert await rows(conn, "SELECT * FROM a") == []
    assert await rows(conn, "SELECT version FROM schema_migrations") == [(1,)]
    fixed = make(2, "broken", "CREATE TABLE b (x INTEGER);")
    assert await migrate(conn, FixedClock(), (good, fixed)) == (fixed,)
    assert {"a", "b"} <= await tables(conn)


async def test_every_connection_has_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    try:
        async with database.write() as writer:
            assert await rows(writer, "PRAGMA journal_mode") == [("wal",)]
            assert await rows(writer, "PRAGMA foreign_keys") == [(1,)]
            assert await rows(writer, "PRAGMA busy_timeout") == [(BUSY_TIMEOUT_MS,)]
        async with database.read() as reader:
            assert await rows(reader, "PRAGMA foreign_keys") == [(1,)]
            assert await rows(reader, "PRAGMA busy_timeout") == [(BUSY_TIMEOUT_MS,)]
            assert await rows(reader, "PRAGMA query_only") == [(1,)]
    finally:
        await database.close()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            async with database.write() as writer:
                await writer.execute(
                    "INSERT INTO entity_assets (entity_id, asset_id, role, created_at) VALUES (?, ?, ?, ?)",
                    ("e" * 64, "a" * 64, "photo", "2026-01-01T00:00:00.000Z"),
                )
    finally:
        await database.close()


async def test_asking_for_status_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "core.sqlite3"
    sqlite3.connect(path).close()
    conn = await open_connection(path, readonly=True)
    try:
        status = await migration_status(conn)
        assert status.current == 0
        assert status.pending == shipped_migrations()
        assert await tables(conn) == set()
    finally:
        await conn.close()


async def test_0011_sets_aside_main_pictures_already_in_the_trash_and_drops_missing_ones(
    conn: aiosqlite.Connection,
) -> None:
    shipped = shipped_migrations()
    await migrate(conn, FixedClock(), tuple(m for m in shipped if m.version < 11))
    now = "2026-01-01T00:00:00.000Z"
    live, trashed, missing = "a" * 64, "b" * 64, "c" * 64
    for asset_id, deleted in ((live, None), (trashed, now)):
        await conn.execute(
            "INSERT INTO assets (asset_id, kind, mime_type, size_bytes, filename, storage_provider, "
            "storage_key, created_at, updated_at, deleted_at) VALUES (?, 'image.original', 'image/png', 1, "
            "'p.png', 'fs', ?, ?, ?, ?)",
            (asset_id, asset_id, now, now, deleted),
        )
    for name, picture in (("1", live), ("2", trashed), ("3", missing)):
        await conn.execute(
            "INSERT INTO entities (entity_id, display_name, primary_thumbnail_asset_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?)",
            (name * 64, name, picture, now, now),
        )
    await conn.commit()
    await migrate(conn, FixedClock(), shipped)
    found = await rows(
        conn,
        "SELECT display_name, primary_thumbnail_asset_id, trashed_thumbnail_asset_id FROM entities "
        "ORDER BY display_name",
    )
    assert found == [("1", live, None), ("2", None, trashed), ("3", None, None)]
