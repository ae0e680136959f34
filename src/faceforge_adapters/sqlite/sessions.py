"""SqliteSessionRepository: the ``ui_sessions`` table."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from faceforge_adapters.sqlite.rows import require_ts, to_ts
from faceforge_domain.sessions import UiSession


class SqliteSessionRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, session: UiSession) -> None:
        await self._conn.execute(
            "INSERT INTO ui_sessions (session_hash, token_fingerprint, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (
                session.session_hash,
                session.token_fingerprint,
                to_ts(session.created_at),
                to_ts(session.expires_at),
            ),
        )

    async def get(self, session_hash: str) -> UiSession | None:
        async with self._conn.execute(
            "SELECT token_fingerprint, created_at, expires_at FROM ui_sessions WHERE session_hash = ?",
            (session_hash,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return UiSession(
            session_hash=session_hash,
            token_fingerprint=row["token_fingerprint"],
            created_at=require_ts(row["created_at"]),
            expires_at=require_ts(row["expires_at"]),
        )

    async def remove(self, session_hash: str) -> bool:
        cursor = await self._conn.execute("DELETE FROM ui_sessions WHERE session_hash = ?", (session_hash,))
        return cursor.rowcount > 0

    async def remove_expired(self, now: datetime) -> int:
        cursor = await self._conn.execute("DELETE FROM ui_sessions WHERE expires_at <= ?", (to_ts(now),))
        return cursor.rowcount
