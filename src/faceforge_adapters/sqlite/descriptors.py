"""SqliteDescriptorRepository: descriptor rows; ``value`` is stored as JSON text."""

from __future__ import annotations

import sqlite3

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, from_ts, require_ts, to_json, to_ts
from faceforge_domain.models import Descriptor

_COLUMNS = (
    "descriptor_id, entity_id, field_key, value, valid_from, valid_to, source, note, "
    "created_at, updated_at, deleted_at"
)


def descriptor_from_row(row: sqlite3.Row) -> Descriptor:
    return Descriptor(
        descriptor_id=row["descriptor_id"],
        entity_id=row["entity_id"],
        field_key=row["field_key"],
        value=from_json(row["value"]),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        source=row["source"],
        note=row["note"],
        created_at=require_ts(row["created_at"]),
        updated_at=require_ts(row["updated_at"]),
        deleted_at=from_ts(row["deleted_at"]),
    )


def _values(d: Descriptor) -> tuple[object, ...]:
    return (
        d.descriptor_id,
        d.entity_id,
        d.field_key,
        to_json(d.value),
        d.valid_from,
        d.valid_to,
        d.source,
        d.note,
        to_ts(d.created_at),
        to_ts(d.updated_at),
        to_ts(d.deleted_at),
    )


def _where(entity_id: str | None, field_key: str | None, include_deleted: bool) -> tuple[str, list[str]]:
    terms, params = ["1 = 1"], []
    if entity_id is not None:
        terms.append("entity_id = ?")
        params.append(entity_id)
    if field_key is not None:
        terms.append("field_key = ?")
        params.append(field_key)
    if not include_deleted:
        terms.append("deleted_at IS NULL")
    return " AND ".join(terms), params


class SqliteDescriptorRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, descriptor: Descriptor) -> None:
        values = _values(descriptor)
        placeholders = ", ".join("?" * len(values))
        await self._conn.execute(f"INSERT INTO descriptors ({_COLUMNS}) VALUES ({placeholders})", values)

    async def update(self, descriptor: Descriptor) -> None:
        assignments = ", ".join(f"{col.strip()} = ?" for col in _COLUMNS.split(",")[1:])
        values = _values(descriptor)
        await self._conn.execute(
            f"UPDATE descriptors SET {assignments} WHERE descriptor_id = ?", (*values[1:], values[0])
        )

    async def get(self, descriptor_id: str, *, include_deleted: bool = False) -> Descriptor | None:
        sql = f"SELECT {_COLUMNS} FROM descriptors WHERE descriptor_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (descriptor_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else descriptor_from_row(row)

    async def select(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Descriptor]:
        where, params = _where(entity_id, field_key, include_deleted)
        sql = f"SELECT {_COLUMNS} FROM descriptors WHERE {where} ORDER BY created_at, descriptor_id"
        bound: list[object] = [*params]
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            bound += [-1 if limit is None else limit, offset]
        async with self._conn.execute(sql, bound) as cursor:
            rows = await cursor.fetchall()
        return [descriptor_from_row(row) for row in rows]

    async def count(
        self, entity_id: str | None, *, field_key: str | None = None, include_deleted: bool = False
    ) -> int:
        where, params = _where(entity_id, field_key, include_deleted)
        async with self._conn.execute(f"SELECT count(*) FROM descriptors WHERE {where}", params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
