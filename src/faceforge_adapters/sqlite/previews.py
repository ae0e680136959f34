"""SqlitePreviewRepository: the ``asset_previews`` table, one row per original that was looked at."""

from __future__ import annotations

from collections.abc import Collection

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.previews import PREVIEW_KIND, PreviewRecord

ROWS = RowCodec(PreviewRecord, "asset_previews", key="asset_id")
_PUT = ROWS.insert_sql.replace("INSERT INTO", "INSERT OR REPLACE INTO", 1)
# Live originals: previews themselves never get previews.
_ORIGINALS = (
    f"a.deleted_at IS NULL AND NOT (a.kind = '{PREVIEW_KIND}' AND a.derived_from_asset_id IS NOT NULL)"
)
_MISSING = (
    f"FROM assets a LEFT JOIN asset_previews p ON p.asset_id = a.asset_id "
    f"WHERE p.asset_id IS NULL AND {_ORIGINALS}"
)
_FAILED = (
    "FROM asset_previews p JOIN assets a ON a.asset_id = p.asset_id "
    f"WHERE p.status = 'failed' AND {_ORIGINALS}"
)


class SqlitePreviewRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def put(self, record: PreviewRecord) -> None:
        await self._conn.execute(_PUT, ROWS.values(record))

    async def forget_unmade(self, asset_id: str) -> bool:
        cursor = await self._conn.execute(
            "DELETE FROM asset_previews WHERE asset_id = ? AND status != 'done'", (asset_id,)
        )
        return cursor.rowcount > 0

    async def get(self, asset_id: str) -> PreviewRecord | None:
        return (await self.get_many([asset_id])).get(asset_id)

    async def get_many(self, asset_ids: Collection[str]) -> dict[str, PreviewRecord]:
        ids = list(asset_ids)
        found: dict[str, PreviewRecord] = {}
        for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {ROWS.column_list} FROM asset_previews WHERE asset_id IN ({marks})"
            for row in await self._conn.execute_fetchall(sql, chunk):
                record = ROWS.from_row(row)
                found[record.asset_id] = record
        return found

    async def missing(self, after: str | None, limit: int) -> list[str]:
        sql = f"SELECT a.asset_id {_MISSING} AND a.asset_id > ? ORDER BY a.asset_id LIMIT ?"
        rows = await self._conn.execute_fetchall(sql, (after or "", limit))
        return [row[0] for row in rows]

    async def failed(self, after: str | None, limit: int) -> list[str]:
        sql = f"SELECT p.asset_id {_FAILED} AND p.asset_id > ? ORDER BY p.asset_id LIMIT ?"
        rows = await self._conn.execute_fetchall(sql, (after or "", limit))
        return [row[0] for row in rows]

    async def count_failed(self) -> int:
        rows = await self._conn.execute_fetchall(f"SELECT count(*) {_FAILED}")
        return int(next(iter(rows))[0])

    async def count_missing(self) -> int:
        rows = await self._conn.execute_fetchall(f"SELECT count(*) {_MISSING}")
        return int(next(iter(rows))[0])

    async def pictures_in_use(self, picture_ids: Collection[str]) -> set[str]:
        ids = list(picture_ids)
        marks = ", ".join("?" * len(ids))
        sql = (
            f"SELECT small_asset_id FROM asset_previews WHERE small_asset_id IN ({marks}) "
            f"UNION SELECT large_asset_id FROM asset_previews WHERE large_asset_id IN ({marks})"
        )
        return {row[0] for row in await self._conn.execute_fetchall(sql, ids + ids)} if ids else set()
