"""SqliteEntityRepository: entities, with tags and external ids mirrored into lookup tables."""

from __future__ import annotations

import sqlite3

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, from_ts, require_ts, to_json, to_ts
from faceforge_domain.models import Entity

_COLUMNS = (
    "entity_id, display_name, aliases, tags, fields, primary_thumbnail_asset_id, external_ids, "
    "plugin_data, created_at, updated_at, deleted_at"
)


def entity_from_row(row: sqlite3.Row) -> Entity:
    return Entity(
        entity_id=row["entity_id"],
        display_name=row["display_name"],
        aliases=from_json(row["aliases"]),
        tags=from_json(row["tags"]),
        fields=from_json(row["fields"]),
        primary_thumbnail_asset_id=row["primary_thumbnail_asset_id"],
        external_ids=from_json(row["external_ids"]),
        plugin_data=from_json(row["plugin_data"]),
        created_at=require_ts(row["created_at"]),
        updated_at=require_ts(row["updated_at"]),
        deleted_at=from_ts(row["deleted_at"]),
    )


class SqliteEntityRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, entity: Entity) -> None:
        await self._conn.execute(
            f"INSERT INTO entities ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entity.entity_id,
                entity.display_name,
                to_json(entity.aliases),
                to_json(entity.tags),
                to_json(entity.fields),
                entity.primary_thumbnail_asset_id,
                to_json(entity.external_ids),
                to_json(entity.plugin_data),
                to_ts(entity.created_at),
                to_ts(entity.updated_at),
                to_ts(entity.deleted_at),
            ),
        )
        await self._conn.executemany(
            "INSERT INTO entity_tags (entity_id, tag) VALUES (?, ?)",
            [(entity.entity_id, tag) for tag in entity.tags],
        )
        await self._conn.executemany(
            "INSERT INTO entity_external_ids (source, external_id, entity_id) VALUES (?, ?, ?)",
            [(src, ext, entity.entity_id) for src, ext in entity.external_ids.items()],
        )

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None:
        sql = f"SELECT {_COLUMNS} FROM entities WHERE entity_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (entity_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else entity_from_row(row)

    async def count(self, *, include_deleted: bool = False) -> int:
        sql = "SELECT count(*) FROM entities"
        if not include_deleted:
            sql += " WHERE deleted_at IS NULL"
        async with self._conn.execute(sql) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
