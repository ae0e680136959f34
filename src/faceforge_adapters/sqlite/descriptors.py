"""SqliteDescriptorRepository: descriptor rows; ``value`` is stored as JSON text."""

from __future__ import annotations

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.models import Descriptor

ROWS = RowCodec(Descriptor, "descriptors", key="descriptor_id")
_COLUMNS = ROWS.column_list


def _where(
    entity_id: str | None, field_key: str | None, include_deleted: bool, in_trash: bool = False
) -> tuple[str, list[str]]:
    terms, params = ["1 = 1"], []
    if entity_id is not None:
        terms.append("entity_id = ?")
        params.append(entity_id)
    if field_key is not None:
        terms.append("field_key = ?")
        params.append(field_key)
    if not include_deleted and not in_trash:
        terms.append("deleted_at IS NULL")
    if in_trash:
        terms.append("deleted_at IS NOT NULL")
    return " AND ".join(terms), params


class SqliteDescriptorRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, descriptor: Descriptor) -> None:
        await self._conn.execute(ROWS.insert_sql, ROWS.values(descriptor))

    async def update(self, descriptor: Descriptor) -> None:
        await self._conn.execute(ROWS.update_sql, ROWS.update_values(descriptor))

    async def get(self, descriptor_id: str, *, include_deleted: bool = False) -> Descriptor | None:
        sql = f"SELECT {_COLUMNS} FROM descriptors WHERE descriptor_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (descriptor_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def remove(self, descriptor_id: str) -> bool:
        cursor = await self._conn.execute("DELETE FROM descriptors WHERE descriptor_id = ?", (descriptor_id,))
        return cursor.rowcount > 0

    async def select(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Descriptor]:
        where, params = _where(entity_id, field_key, include_deleted, in_trash)
        sql = f"SELECT {_COLUMNS} FROM descriptors WHERE {where} ORDER BY created_at, descriptor_id"
        bound: list[object] = [*params]
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            bound += [-1 if limit is None else limit, offset]
        async with self._conn.execute(sql, bound) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def count(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
    ) -> int:
        where, params = _where(entity_id, field_key, include_deleted, in_trash)
        async with self._conn.execute(f"SELECT count(*) FROM descriptors WHERE {where}", params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
