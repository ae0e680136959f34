"""Numbered ``.sql`` migrations shipped in the package, applied in order, each in one transaction.

Each applied file is recorded with its SHA-256; an applied file that changed since, or a database that
a newer FaceForge migrated, is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import aiosqlite

from faceforge_adapters.resources import MIGRATIONS, resource_dir
from faceforge_domain.clock import Clock
from faceforge_domain.timefmt import format_timestamp

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


class MigrationError(Exception):
    """The database and the shipped migrations disagree; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: str


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    current: int
    latest: int
    applied: tuple[AppliedMigration, ...]
    pending: tuple[Migration, ...]


def shipped_migrations() -> tuple[Migration, ...]:
    """The migrations in this package, ordered by version."""
    found = []
    for entry in resource_dir(MIGRATIONS).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            data = entry.read_bytes()
            found.append(
                Migration(
                    version=int(match.group("version")),
                    name=match.group("name"),
                    sql=data.decode("utf-8"),
                    checksum=hashlib.sha256(data).hexdigest(),
                )
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return tuple(found)


async def _applied(conn: aiosqlite.Connection) -> tuple[AppliedMigration, ...]:
    """The ledger's rows; a database without a ledger has none (asking never creates it)."""
    async with conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return ()
    async with conn.execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    ) as cursor:
        return tuple(AppliedMigration(*row) for row in await cursor.fetchall())


async def migration_status(
    conn: aiosqlite.Connection, migrations: tuple[Migration, ...] | None = None
) -> MigrationStatus:
    """Compare the database with the shipped files; raise when they cannot be reconciled."""
    migrations = shipped_migrations() if migrations is None else migrations
    applied = await _applied(conn)
    by_version = {m.version: m for m in migrations}
    latest = migrations[-1].version if migrations else 0
    for row in applied:
        if row.version > latest:
            raise MigrationError(
                f"the database is at schema version {row.version}, newer than this FaceForge "
                f"(which knows up to {latest}); upgrade FaceForge to open it"
            )
        shipped = by_version.get(row.version)
        if shipped is None:
            raise MigrationError(f"applied migration {row.version} ({row.name}) is not shipped")
        if shipped.checksum != row.checksum:
            raise MigrationError(
                f"migration {row.version:04d}_{row.name}.sql was edited after it was applied "
                f"(checksum {row.checksum[:12]}... in the database, {shipped.checksum[:12]}... "
                "shipped); add a new migration instead of editing an applied one"
            )
    done = {row.version for row in applied}
    return MigrationStatus(
        current=max(done, default=0),
        latest=latest,
        applied=applied,
        pending=tuple(m for m in migrations if m.version not in done),
    )


async def migrate(
    conn: aiosqlite.Connection, clock: Clock, migrations: tuple[Migration, ...] | None = None
) -> tuple[Migration, ...]:
    """Apply every pending migration in order; returns what was applied (empty: a no-op)."""
    status = await migration_status(conn, migrations)
    if status.pending:
        await conn.execute(_CREATE_LEDGER)
    for migration in status.pending:
        record = (
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', '{migration.checksum}', "
            f"'{format_timestamp(clock.now())}');"
        )
        try:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n;{record}\nCOMMIT;")
        except Exception as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name}.sql failed: {exc}"
            ) from exc
    return status.pending
