"""SqliteEntityRepository: entities, with tags and external ids mirrored into lookup tables.

Lists page by keyset (``(sort column, entity_id) > (?, ?)`` on a matching index) so a page deep in a
million rows costs what the first one does. ``q`` uses the FTS5 trigram index that triggers keep in
sync (migration 0002); unfiltered totals come from the trigger-maintained ``entity_counts`` row.
Only allow-listed column names are ever put into SQL text; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec, from_json, to_ts
from faceforge_domain.models import Entity
from faceforge_domain.queries import EntityQuery, KeysetPosition

ROWS = RowCodec(Entity, "entities", key="entity_id")
_COLUMNS = ROWS.column_list
ENTITY_COLUMNS = ", ".join("e." + column for column in ROWS.columns)
_SORT_EXPRESSIONS = {
    "created_at": "e.created_at",
    "updated_at": "e.updated_at",
    "display_name": "e.display_name COLLATE NOCASE",
}
_DIRECTIONS = {"asc": ("ASC", ">"), "desc": ("DESC", "<")}
TRIGRAM = 3  # the shortest text the trigram index can look up; shorter ones scan with LIKE
_FIELD_MATCH = (
    "EXISTS (SELECT 1 FROM json_each(e.fields, ?) AS j WHERE "
    "(j.type = 'text' AND j.atom = ?) OR (j.type IN ('integer', 'real') AND CAST(j.atom AS TEXT) = ?) "
    "OR (j.type IN ('true', 'false') AND j.type = ?))"
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefix_pattern(text: str) -> str:
    return _like_pattern(text)[1:]  # "ficti%": LIKE on the NOCASE tag column walks its index


def _filters(query: EntityQuery, *, tags: tuple[str, ...]) -> tuple[list[str], list[Any]]:
    """WHERE terms and their parameters for everything but the keyset position and the driving tag."""
    where: list[str] = []
    params: list[Any] = []
    if not query.include_deleted:
        where.append("e.deleted_at IS NULL")
    if query.in_trash:
        where.append("e.deleted_at IS NOT NULL")
    if query.q is not None:
        if len(query.q) >= TRIGRAM:
            where.append(
                "e.entity_id IN (SELECT d.entity_id FROM entity_search AS s "
                "JOIN entity_search_docs AS d ON d.doc_id = s.rowid WHERE entity_search MATCH ?)"
            )
            params.append('"' + query.q.replace('"', '""') + '"')
        else:
            where.append(
                "e.entity_id IN (SELECT entity_id FROM entity_search_docs WHERE body LIKE ? ESCAPE '\\')"
            )
            params.append(_like_pattern(query.q))
    for tag in tags:
        where.append("e.entity_id IN (SELECT entity_id FROM entity_tags WHERE tag = ?)")
        params.append(tag)
    for prefix in query.tag_prefixes:
        where.append("e.entity_id IN (SELECT entity_id FROM entity_tags WHERE tag LIKE ? ESCAPE '\\')")
        params.append(_prefix_pattern(prefix))
    for key, wanted in query.fields:
        where.append(_FIELD_MATCH)
        params.extend([f"$.{key}", wanted, wanted, wanted])
    return where, params


def _driven_by_tag(query: EntityQuery) -> bool:
    """Tag lists in creation order walk the tag's own index (see migration 0002)."""
    return bool(query.tags) and query.sort_by == "created_at"


class SqliteEntityRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, entity: Entity) -> None:
        await self.add_many([entity])

    async def add_many(self, entities: Sequence[Entity]) -> None:
        await self._conn.executemany(ROWS.insert_sql, [ROWS.values(e) for e in entities])
        await self._write_lookups(entities)

    async def _write_lookups(self, entities: Sequence[Entity]) -> None:
        await self._conn.executemany(
            "INSERT INTO entity_tags (entity_id, tag, created_at, live) VALUES (?, ?, ?, ?)",
            [
                (e.entity_id, tag, to_ts(e.created_at), int(e.deleted_at is None))
                for e in entities
                for tag in e.tags
            ],
        )
        await self._conn.executemany(
            "INSERT INTO entity_external_ids (source, external_id, entity_id) VALUES (?, ?, ?)",
            [(src, ext, e.entity_id) for e in entities for src, ext in e.external_ids.items()],
        )

    async def update(self, entity: Entity) -> None:
        await self._conn.execute(ROWS.update_sql, ROWS.update_values(entity))
        await self._conn.execute("DELETE FROM entity_tags WHERE entity_id = ?", (entity.entity_id,))
        await self._conn.execute("DELETE FROM entity_external_ids WHERE entity_id = ?", (entity.entity_id,))
        await self._write_lookups([entity])

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None:
        sql = f"SELECT {_COLUMNS} FROM entities WHERE entity_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (entity_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def count(self, *, include_deleted: bool = False) -> int:
        return await self.count_matching(EntityQuery(include_deleted=include_deleted))

    async def remove(self, entity_id: str) -> bool:
        """The foreign keys' cascades take its links, descriptors, relationships, tags, external ids
        and search text; the triggers keep the counts."""
        cursor = await self._conn.execute("DELETE FROM entities WHERE entity_id = ?", (entity_id,))
        return cursor.rowcount > 0

    async def find_by_external_id(self, source: str, external_id: str) -> str | None:
        async with self._conn.execute(
            "SELECT entity_id FROM entity_external_ids WHERE source = ? AND external_id = ?",
            (source, external_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def search(
        self, query: EntityQuery, *, limit: int, offset: int = 0, after: KeysetPosition | None = None
    ) -> list[Entity]:
        direction, comparison = _DIRECTIONS[query.sort_order]
        if _driven_by_tag(query):
            where, params = _filters(query, tags=query.tags[1:])
            where.insert(0, "t.tag = ?" + ("" if query.include_deleted else " AND t.live = 1"))
            params.insert(0, query.tags[0])
            columns = ("t.created_at", "t.entity_id")
            sql = f"SELECT {ENTITY_COLUMNS} FROM entity_tags AS t CROSS JOIN entities AS e "
            sql += "ON e.entity_id = t.entity_id"
        else:
            where, params = _filters(query, tags=query.tags)
            columns = (_SORT_EXPRESSIONS[query.sort_by], "e.entity_id")
            sql = f"SELECT {_COLUMNS} FROM entities AS e"
        if after is not None:
            where.append(f"({columns[0]}, {columns[1]}) {comparison} (?, ?)")
            params.extend([after.value, after.last_id])
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {columns[0]} {direction}, {columns[1]} {direction} LIMIT ? OFFSET ?"
        async with self._conn.execute(sql, (*params, limit, offset)) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def count_matching(self, query: EntityQuery) -> int:
        params: list[Any] = []
        if not query.filtered:
            column = "total" if query.include_deleted else "live"
            sql = f"SELECT {column} FROM entity_counts WHERE id = 1"
        elif query.tags and not (query.q or query.tag_prefixes or query.fields or query.in_trash):
            sql = "SELECT count(*) FROM entity_tags AS t WHERE t.tag = ?"
            params.append(query.tags[0])
            if not query.include_deleted:
                sql += " AND t.live = 1"
            for tag in query.tags[1:]:
                sql += " AND t.entity_id IN (SELECT entity_id FROM entity_tags WHERE tag = ?)"
                params.append(tag)
        else:
            where, params = _filters(query, tags=query.tags)
            sql = "SELECT count(*) FROM entities AS e WHERE " + " AND ".join(where)
        async with self._conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def tag_counts(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        sql = (
            "SELECT min(tag), count(*) AS held FROM entity_tags WHERE live = 1 AND tag LIKE ? ESCAPE '\\' "
            "GROUP BY tag ORDER BY held DESC, tag LIMIT ?"
        )
        async with self._conn.execute(sql, (_prefix_pattern(prefix), limit)) as cursor:
            rows = await cursor.fetchall()
        return [(str(row[0]), int(row[1])) for row in rows]

    async def with_fields(self, field_key: str | None) -> list[tuple[str, dict[str, Any]]]:
        sql = "SELECT entity_id, fields FROM entities WHERE deleted_at IS NULL"
        params: list[str] = []
        if field_key is not None:
            sql += " AND json_type(fields, ?) IS NOT NULL"
            params.append(f"$.{field_key}")
        async with self._conn.execute(sql + " ORDER BY entity_id", params) as cursor:
            rows = await cursor.fetchall()
        return [(row[0], from_json(row[1])) for row in rows]

    async def showing_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        return await self._holding("primary_thumbnail_asset_id", asset_ids)

    async def keeping_trashed_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        return await self._holding("trashed_thumbnail_asset_id", asset_ids)

    async def _holding(self, column: str, asset_ids: Collection[str]) -> list[str]:
        ids = list(asset_ids)
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT entity_id FROM entities WHERE {column} IN ({marks}) ORDER BY entity_id"
        return [row[0] for row in await self._conn.execute_fetchall(sql, ids)]
