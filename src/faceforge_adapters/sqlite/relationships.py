"""SqliteRelationshipRepository: typed links between entities, both directions."""

from __future__ import annotations

import sqlite3

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, from_ts, require_ts, to_json, to_ts
from faceforge_domain.models import Relationship
from faceforge_domain.queries import RelationshipQuery

_COLUMNS = "relationship_id, src_entity_id, dst_entity_id, type, fields, created_at, updated_at, deleted_at"
_DIRECTION_TERMS = {
    "out": ("src_entity_id = ?", 1),
    "in": ("dst_entity_id = ?", 1),
    "both": ("(src_entity_id = ? OR dst_entity_id = ?)", 2),
}


def relationship_from_row(row: sqlite3.Row) -> Relationship:
    return Relationship(
        relationship_id=row["relationship_id"],
        src_entity_id=row["src_entity_id"],
        dst_entity_id=row["dst_entity_id"],
        type=row["type"],
        fields=from_json(row["fields"]),
        created_at=require_ts(row["created_at"]),
        updated_at=require_ts(row["updated_at"]),
        deleted_at=from_ts(row["deleted_at"]),
    )


def _values(r: Relationship) -> tuple[object, ...]:
    return (
        r.relationship_id,
        r.src_entity_id,
        r.dst_entity_id,
        r.type,
        to_json(r.fields),
        to_ts(r.created_at),
        to_ts(r.updated_at),
        to_ts(r.deleted_at),
    )


def _where(query: RelationshipQuery) -> tuple[str, list[str]]:
    terms, params = ["1 = 1"], []
    if not query.include_deleted:
        terms.append("deleted_at IS NULL")
    if query.type is not None:
        terms.append("type = ? COLLATE NOCASE")
        params.append(query.type)
    if query.entity_id is not None:
        term, times = _DIRECTION_TERMS[query.direction]
        terms.append(term)
        params.extend([query.entity_id] * times)
    return " AND ".join(terms), params


class SqliteRelationshipRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, relationship: Relationship) -> None:
        values = _values(relationship)
        placeholders = ", ".join("?" * len(values))
        await self._conn.execute(f"INSERT INTO relationships ({_COLUMNS}) VALUES ({placeholders})", values)

    async def update(self, relationship: Relationship) -> None:
        assignments = ", ".join(f"{col.strip()} = ?" for col in _COLUMNS.split(",")[1:])
        values = _values(relationship)
        await self._conn.execute(
            f"UPDATE relationships SET {assignments} WHERE relationship_id = ?", (*values[1:], values[0])
        )

    async def get(self, relationship_id: str, *, include_deleted: bool = False) -> Relationship | None:
        sql = f"SELECT {_COLUMNS} FROM relationships WHERE relationship_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (relationship_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else relationship_from_row(row)

    async def find(self, src_entity_id: str, dst_entity_id: str, type_: str) -> Relationship | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM relationships WHERE src_entity_id = ? AND dst_entity_id = ? "
            "AND type = ? AND deleted_at IS NULL",
            (src_entity_id, dst_entity_id, type_),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else relationship_from_row(row)

    async def search(self, query: RelationshipQuery, *, limit: int, offset: int = 0) -> list[Relationship]:
        where, params = _where(query)
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM relationships WHERE {where} "
            "ORDER BY created_at, relationship_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        return [relationship_from_row(row) for row in rows]

    async def count(self, query: RelationshipQuery) -> int:
        where, params = _where(query)
        async with self._conn.execute(f"SELECT count(*) FROM relationships WHERE {where}", params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def type_counts(self) -> list[tuple[str, int]]:
        async with self._conn.execute(
            "SELECT type, count(*) AS uses FROM relationships WHERE deleted_at IS NULL "
            "GROUP BY type ORDER BY uses DESC, type"
        ) as cursor:
            rows = await cursor.fetchall()
        return [(row[0], int(row[1])) for row in rows]
