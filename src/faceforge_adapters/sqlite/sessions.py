"""SqliteSessionRepository: the ``ui_sessions`` and ``sign_in_codes`` tables."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from faceforge_adapters.sqlite.rows import from_ts, require_ts, to_ts
from faceforge_domain.sessions import SignInCode, UiSession


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

    async def add_code(self, code: SignInCode) -> None:
        await self._conn.execute(
            "INSERT INTO sign_in_codes (code_hash, token_fingerprint, created_at, expires_at, used_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                code.code_hash,
                code.token_fingerprint,
                to_ts(code.created_at),
                to_ts(code.expires_at),
                to_ts(code.used_at),
            ),
        )

    async def get_code(self, code_hash: str) -> SignInCode | None:
        async with self._conn.execute(
            "SELECT token_fingerprint, created_at, expires_at, used_at FROM sign_in_codes "
            "WHERE code_hash = ?",
            (code_hash,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return SignInCode(
            code_hash=code_hash,
            token_fingerprint=row["token_fingerprint"],
            created_at=require_ts(row["created_at"]),
            expires_at=require_ts(row["expires_at"]),
            used_at=from_ts(row["used_at"]),
        )

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        cursor = await self._conn.execute(
            "UPDATE sign_in_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
            (to_ts(now), code_hash, to_ts(now)),
        )
        return cursor.rowcount > 0

    async def remove_codes_before(self, moment: datetime) -> int:
        cursor = await self._conn.execute("DELETE FROM sign_in_codes WHERE expires_at < ?", (to_ts(moment),))
        return cursor.rowcount
