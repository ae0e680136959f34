"""SqliteRelationshipRepository: typed links between entities, both directions."""

from __future__ import annotations

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.models import Relationship
from faceforge_domain.queries import RelationshipQuery

ROWS = RowCodec(Relationship, "relationships", key="relationship_id")
_COLUMNS = ROWS.column_list
_DIRECTION_TERMS = {
    "out": ("src_entity_id = ?", 1),
    "in": ("dst_entity_id = ?", 1),
    "both": ("(src_entity_id = ? OR dst_entity_id = ?)", 2),
}


def _where(query: RelationshipQuery) -> tuple[str, list[str]]:
    terms, params = ["1 = 1"], []
    if not query.include_deleted:
        terms.append("deleted_at IS NULL")
    if query.in_trash:
        terms.append("deleted_at IS NOT NULL")
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
        await self._conn.execute(ROWS.insert_sql, ROWS.values(relationship))

    async def update(self, relationship: Relationship) -> None:
        await self._conn.execute(ROWS.update_sql, ROWS.update_values(relationship))

    async def get(self, relationship_id: str, *, include_deleted: bool = False) -> Relationship | None:
        sql = f"SELECT {_COLUMNS} FROM relationships WHERE relationship_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (relationship_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def remove(self, relationship_id: str) -> bool:
        cursor = await self._conn.execute(
            "DELETE FROM relationships WHERE relationship_id = ?", (relationship_id,)
        )
        return cursor.rowcount > 0

    async def find(self, src_entity_id: str, dst_entity_id: str, type_: str) -> Relationship | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM relationships WHERE src_entity_id = ? AND dst_entity_id = ? "
            "AND type = ? AND deleted_at IS NULL",
            (src_entity_id, dst_entity_id, type_),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def search(self, query: RelationshipQuery, *, limit: int, offset: int = 0) -> list[Relationship]:
        where, params = _where(query)
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM relationships WHERE {where} "
            "ORDER BY created_at, relationship_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

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
