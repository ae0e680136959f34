"""SqliteJobRepository: jobs and their append-only log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from faceforge_adapters.sqlite.rows import RowCodec, from_json, require_ts, to_json, to_ts
from faceforge_domain.jobs.models import Job, LogEntry, NewLogEntry

ROWS = RowCodec(Job, "jobs", key="job_id")
_COLUMNS = ROWS.column_list
# Log entries per INSERT statement: 5 parameters each, far below SQLite's bound-parameter limit.
_LOG_ROWS_PER_INSERT = 500


def _filters(statuses: Collection[str], job_type: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if statuses:
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    if job_type is not None:
        where.append("job_type = ?")
        params.append(job_type)
    return where, params


class SqliteJobRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, job: Job) -> None:
        await self._conn.execute(ROWS.insert_sql, ROWS.values(job))

    async def update(self, job: Job) -> None:
        await self._conn.execute(ROWS.update_sql, ROWS.update_values(job))

    async def get(self, job_id: str) -> Job | None:
        async with self._conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def find(
        self,
        *,
        statuses: Collection[str] = (),
        job_type: str | None = None,
        limit: int,
        offset: int = 0,
        before: tuple[datetime, str] | None = None,
    ) -> list[Job]:
        where, params = _filters(statuses, job_type)
        if before is not None:
            where.append("(created_at, job_id) < (?, ?)")
            params.extend((to_ts(before[0]), before[1]))
        sql = f"SELECT {_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, job_id DESC LIMIT ? OFFSET ?"
        async with self._conn.execute(sql, (*params, limit, offset)) as cur:
            return [ROWS.from_row(row) for row in await cur.fetchall()]

    async def count(self, *, statuses: Collection[str] = (), job_type: str | None = None) -> int:
        where, params = _filters(statuses, job_type)
        sql = "SELECT count(*) FROM jobs" + (" WHERE " + " AND ".join(where) if where else "")
        async with self._conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def next_queued(self, job_types: Collection[str]) -> Job | None:
        if not job_types:
            return None
        marks = ", ".join("?" for _ in job_types)
        sql = (
            f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' AND job_type IN ({marks}) "
            "ORDER BY created_at, job_id LIMIT 1"
        )
        async with self._conn.execute(sql, tuple(job_types)) as cur:
            row = await cur.fetchone()
        return None if row is None else ROWS.from_row(row)

    async def with_status(self, statuses: Collection[str]) -> list[Job]:
        where, params = _filters(statuses, None)
        sql = f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY created_at, job_id"
        async with self._conn.execute(sql, params) as cur:
            return [ROWS.from_row(row) for row in await cur.fetchall()]

    async def append_logs(self, job_id: str, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        """One multi-row INSERT per ``_LOG_ROWS_PER_INSERT`` entries: a batch costs one trip, not one each.

        Ids grow in insertion order (AUTOINCREMENT, one writer), so the sorted returned ids are the
        entries' ids in order.
        """
        stored: list[LogEntry] = []
        for start in range(0, len(entries), _LOG_ROWS_PER_INSERT):
            some = entries[start : start + _LOG_ROWS_PER_INSERT]
            rows = ", ".join(["(?, ?, ?, ?, ?)"] * len(some))
            params = [
                value
                for entry in some
                for value in (
                    job_id,
                    to_ts(entry.ts),
                    entry.level,
                    entry.message,
                    None if entry.data is None else to_json(entry.data),
                )
            ]
            returned = await self._conn.execute_fetchall(
                f"INSERT INTO job_logs (job_id, ts, level, message, data) VALUES {rows} RETURNING id", params
            )
            ids = sorted(row[0] for row in returned)
            stored += [
                LogEntry(
                    id=log_id,
                    job_id=job_id,
                    ts=entry.ts,
                    level=entry.level,
                    message=entry.message,
                    data=entry.data,
                )
                for log_id, entry in zip(ids, some, strict=True)
            ]
        return stored

    async def logs(self, job_id: str, *, after_id: int, limit: int) -> list[LogEntry]:
        async with self._conn.execute(
            "SELECT id, job_id, ts, level, message, data FROM job_logs "
            "WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
            (job_id, after_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [
            LogEntry(
                id=row["id"],
                job_id=row["job_id"],
                ts=require_ts(row["ts"]),
                level=row["level"],
                message=row["message"],
                data=from_json(row["data"]),
            )
            for row in rows
        ]
