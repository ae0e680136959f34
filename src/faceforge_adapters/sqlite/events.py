"""SqliteEventLog: the append-only ``events`` table, written on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, require_ts, to_json, to_ts
from faceforge_domain.events import Event, EventFilter, NewEvent


def _pattern_sql(patterns: tuple[str, ...], params: list[object]) -> str:
    """``type`` matching any of the patterns (exact types, or ``family.*`` prefixes)."""
    terms = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            # Patterns hold only [a-z0-9_.], so '_' is the only LIKE wildcard to escape.
            terms.append("type LIKE ? ESCAPE '\\'")
            params.append(pattern[:-1].replace("_", "\\_") + "%")
        else:
            terms.append("type = ?")
            params.append(pattern)
    return "(" + " OR ".join(terms) + ")" if terms else "0"


def _where(after_id: int, event_filter: EventFilter) -> tuple[str, list[object]]:
    params: list[object] = [after_id]
    where = ["id > ?"]
    if event_filter.types:
        where.append(_pattern_sql(event_filter.types, params))
    if event_filter.visible is not None:
        visible = _pattern_sql(event_filter.visible, params)
        if event_filter.own_plugin is not None:
            visible = f"({visible} OR (type LIKE 'plugin.%' AND subject_id = ?))"
            params.append(event_filter.own_plugin)
        where.append(visible)
    return " AND ".join(where), params


_INSERT = "INSERT INTO events (ts, type, subject_id, data) VALUES (?, ?, ?, ?)"


def _values(event: NewEvent) -> tuple[object, ...]:
    return (to_ts(event.ts), event.type, event.subject_id, to_json(event.data))


class SqliteEventLog:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def append(self, event: NewEvent) -> int:
        cursor = await self._conn.execute(_INSERT, _values(event))
        assert cursor.lastrowid is not None  # an INSERT into a rowid table always has one
        return cursor.lastrowid

    async def append_many(self, events: Sequence[NewEvent]) -> None:
        if events:
            await self._conn.executemany(_INSERT, [_values(event) for event in events])

    async def after(self, after_id: int, event_filter: EventFilter, *, limit: int) -> list[Event]:
        where, params = _where(after_id, event_filter)
        sql = f"SELECT id, ts, type, subject_id, data FROM events WHERE {where} ORDER BY id LIMIT ?"
        async with self._conn.execute(sql, [*params, limit]) as cursor:
            rows = await cursor.fetchall()
        return [
            Event(
                id=row["id"],
                ts=require_ts(row["ts"]),
                type=row["type"],
                subject_id=row["subject_id"],
                data=from_json(row["data"]),
            )
            for row in rows
        ]

    async def count(self, after_id: int, event_filter: EventFilter) -> int:
        where, params = _where(after_id, event_filter)
        async with self._conn.execute(f"SELECT count(*) FROM events WHERE {where}", params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def last_id(self) -> int:
        async with self._conn.execute("SELECT coalesce(max(id), 0) FROM events") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
