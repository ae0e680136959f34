"""SqliteFieldDefinitionRepository: admin-defined fields (table ``field_definitions``)."""

from __future__ import annotations

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.models import FieldDefinition, FieldScope

# The columns the words min, max and order would clash with in SQL carry another name.
ROWS = RowCodec(
    FieldDefinition,
    "field_definitions",
    key="field_def_id",
    renamed={"min": "min_value", "max": "max_value", "order": "sort_order"},
)
_COLUMNS = ROWS.column_list


class SqliteFieldDefinitionRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, definition: FieldDefinition) -> None:
        await self._conn.execute(ROWS.insert_sql, ROWS.values(definition))

    async def update(self, definition: FieldDefinition) -> None:
        await self._conn.execute(ROWS.update_sql, ROWS.update_values(definition))

    async def get(self, scope: FieldScope, field_key: str) -> FieldDefinition | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM field_definitions WHERE scope = ? AND field_key = ? "
            "AND deleted_at IS NULL",
            (scope, field_key),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def all(self, scope: FieldScope | None = None) -> list[FieldDefinition]:
        sql = f"SELECT {_COLUMNS} FROM field_definitions WHERE deleted_at IS NULL"
        params: tuple[str, ...] = ()
        if scope is not None:
            sql += " AND scope = ?"
            params = (scope,)
        async with self._conn.execute(sql + " ORDER BY sort_order, field_key, scope", params) as cursor:
            rows = await cursor.fetchall()
        return [ROWS.from_row(row) for row in rows]

    async def delete(self, scope: FieldScope, field_key: str) -> bool:
        cursor = await self._conn.execute(
            "DELETE FROM field_definitions WHERE scope = ? AND field_key = ?", (scope, field_key)
        )
        return cursor.rowcount > 0
