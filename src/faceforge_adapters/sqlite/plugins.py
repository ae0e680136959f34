"""SqlitePluginRepository: the ``plugin_registry`` table."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
import msgspec

from faceforge_adapters.sqlite.rows import from_json, require_ts, to_json, to_ts
from faceforge_domain.plugins.models import PluginManifest, PluginRecord

_COLUMNS = (
    "plugin_id, enabled, config, granted_permissions, token_hash, version_seen, manifest, "
    "first_seen_at, last_seen_at"
)


def _from_row(row: sqlite3.Row) -> PluginRecord:
    manifest = from_json(row["manifest"])
    return PluginRecord(
        plugin_id=row["plugin_id"],
        enabled=bool(row["enabled"]),
        config=from_json(row["config"]),
        granted_permissions=from_json(row["granted_permissions"]),
        token_hash=row["token_hash"],
        version_seen=row["version_seen"],
        manifest=None if manifest is None else msgspec.convert(manifest, PluginManifest),
        first_seen_at=require_ts(row["first_seen_at"]),
        last_seen_at=require_ts(row["last_seen_at"]),
    )


def _values(record: PluginRecord) -> tuple[Any, ...]:
    return (
        record.plugin_id,
        int(record.enabled),
        to_json(record.config),
        to_json(record.granted_permissions),
        record.token_hash,
        record.version_seen,
        None if record.manifest is None else to_json(record.manifest),
        to_ts(record.first_seen_at),
        to_ts(record.last_seen_at),
    )


class SqlitePluginRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _one(self, where: str, value: str) -> PluginRecord | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM plugin_registry WHERE {where} = ?", (value,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _from_row(row)

    async def get(self, plugin_id: str) -> PluginRecord | None:
        return await self._one("plugin_id", plugin_id)

    async def by_token_hash(self, token_hash: str) -> PluginRecord | None:
        return await self._one("token_hash", token_hash)

    async def all(self) -> list[PluginRecord]:
        async with self._conn.execute(f"SELECT {_COLUMNS} FROM plugin_registry ORDER BY plugin_id") as cursor:
            rows = await cursor.fetchall()
        return [_from_row(row) for row in rows]

    async def add(self, record: PluginRecord) -> None:
        await self._conn.execute(
            f"INSERT INTO plugin_registry ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _values(record)
        )

    async def update(self, record: PluginRecord) -> None:
        values = _values(record)
        cursor = await self._conn.execute(
            "UPDATE plugin_registry SET enabled = ?, config = ?, granted_permissions = ?, token_hash = ?, "
            "version_seen = ?, manifest = ?, first_seen_at = ?, last_seen_at = ? WHERE plugin_id = ?",
            (*values[1:], values[0]),
        )
        if cursor.rowcount != 1:
            raise KeyError(record.plugin_id)
