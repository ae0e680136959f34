"""SqliteFieldDefinitionRepository: admin-defined fields (table ``field_definitions``)."""

from __future__ import annotations

import sqlite3

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, require_ts, to_json, to_ts
from faceforge_domain.models import FieldDefinition, FieldScope

_COLUMNS = (
    "field_def_id, field_key, scope, field_type, required, regex, options, min_value, max_value, "
    "multiple, label, help, sort_order, created_at, updated_at"
)


def definition_from_row(row: sqlite3.Row) -> FieldDefinition:
    return FieldDefinition(
        field_def_id=row["field_def_id"],
        field_key=row["field_key"],
        scope=row["scope"],
        field_type=row["field_type"],
        required=bool(row["required"]),
        regex=row["regex"],
        options=from_json(row["options"]),
        min=row["min_value"],
        max=row["max_value"],
        multiple=bool(row["multiple"]),
        label=row["label"],
        help=row["help"],
        order=row["sort_order"],
        created_at=require_ts(row["created_at"]),
        updated_at=require_ts(row["updated_at"]),
    )


def _values(d: FieldDefinition) -> tuple[object, ...]:
    return (
        d.field_def_id,
        d.field_key,
        d.scope,
        d.field_type,
        int(d.required),
        d.regex,
        None if d.options is None else to_json(d.options),
        d.min,
        d.max,
        int(d.multiple),
        d.label,
        d.help,
        d.order,
        to_ts(d.created_at),
        to_ts(d.updated_at),
    )


class SqliteFieldDefinitionRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, definition: FieldDefinition) -> None:
        values = _values(definition)
        placeholders = ", ".join("?" * len(values))
        await self._conn.execute(
            f"INSERT INTO field_definitions ({_COLUMNS}) VALUES ({placeholders})", values
        )

    async def update(self, definition: FieldDefinition) -> None:
        assignments = ", ".join(f"{col.strip()} = ?" for col in _COLUMNS.split(",")[1:])
        values = _values(definition)
        await self._conn.execute(
            f"UPDATE field_definitions SET {assignments} WHERE field_def_id = ?", (*values[1:], values[0])
        )

    async def get(self, scope: FieldScope, field_key: str) -> FieldDefinition | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM field_definitions WHERE scope = ? AND field_key = ? "
            "AND deleted_at IS NULL",
            (scope, field_key),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else definition_from_row(row)

    async def all(self, scope: FieldScope | None = None) -> list[FieldDefinition]:
        sql = f"SELECT {_COLUMNS} FROM field_definitions WHERE deleted_at IS NULL"
        params: tuple[str, ...] = ()
        if scope is not None:
            sql += " AND scope = ?"
            params = (scope,)
        async with self._conn.execute(sql + " ORDER BY sort_order, field_key, scope", params) as cursor:
            rows = await cursor.fetchall()
        return [definition_from_row(row) for row in rows]

    async def delete(self, scope: FieldScope, field_key: str) -> bool:
        cursor = await self._conn.execute(
            "DELETE FROM field_definitions WHERE scope = ? AND field_key = ?", (scope, field_key)
        )
        return cursor.rowcount > 0
