"""SqlitePluginRepository: the ``plugin_registry`` table."""

from __future__ import annotations

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.plugins.models import PluginRecord

ROWS = RowCodec(PluginRecord, "plugin_registry", key="plugin_id")
_COLUMNS = ROWS.column_list


class SqlitePluginRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _one(self, where: str, value: str) -> PluginRecord | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM plugin_registry WHERE {where} = ?", (value,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def get(self, plugin_id: str) -> PluginRecord | None:
        return await self._one("plugin_id", plugin_id)

    async def by_token_hash(self, token_hash: str) -> PluginRecord | None:
        return await self._one("token_hash", token_hash)

    async def all(self) -> list[PluginRecord]:
        async with self._conn.execute(f"SELECT {_COLUMNS} FROM plugin_registry ORDER BY plugin_id") as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def add(self, record: PluginRecord) -> None:
        await self._conn.execute(ROWS.insert_sql, ROWS.values(record))

    async def update(self, record: PluginRecord) -> None:
        cursor = await self._conn.execute(ROWS.update_sql, ROWS.update_values(record))
        if cursor.rowcount != 1:
            raise KeyError(record.plugin_id)
