"""SqliteDuplicateGroupRepository: the look-alike review list and the pairs dismissed from it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import aiosqlite

from faceforge_adapters.sqlite.rows import from_ts, require_ts, to_ts
from faceforge_domain.lookalikes import DuplicateGroup, GroupMember, GroupStatus

_GROUP_COLUMNS = "group_id, status, max_distance, kept_asset_id, created_at, resolved_at"
_INSERT_GROUP = f"INSERT INTO duplicate_groups ({_GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_MEMBER = (
    "INSERT INTO duplicate_group_members (group_id, asset_id, position, distance) VALUES (?, ?, ?, ?)"
)
_IDS_PER_QUERY = 500


class SqliteDuplicateGroupRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def replace_open(self, groups: Sequence[DuplicateGroup]) -> int:
        cursor = await self._conn.execute("DELETE FROM duplicate_groups WHERE status = 'open'")
        dropped = cursor.rowcount
        await self._conn.executemany(_INSERT_GROUP, [_group_values(group) for group in groups])
        await self._conn.executemany(
            _INSERT_MEMBER,
            [
                (group.group_id, member.asset_id, position, member.distance)
                for group in groups
                for position, member in enumerate(group.members)
            ],
        )
        return dropped

    async def get(self, group_id: str) -> DuplicateGroup | None:
        sql = f"SELECT {_GROUP_COLUMNS} FROM duplicate_groups WHERE group_id = ?"
        found = await self._with_members(list(await self._conn.execute_fetchall(sql, (group_id,))))
        return found[0] if found else None

    async def update(self, group: DuplicateGroup) -> None:
        await self._conn.execute(
            "UPDATE duplicate_groups SET status = ?, kept_asset_id = ?, resolved_at = ? WHERE group_id = ?",
            (group.status, group.kept_asset_id, to_ts(group.resolved_at), group.group_id),
        )

    async def select(self, status: GroupStatus, *, limit: int, offset: int = 0) -> list[DuplicateGroup]:
        sql = (
            f"SELECT {_GROUP_COLUMNS} FROM duplicate_groups WHERE status = ? "
            "ORDER BY created_at, group_id LIMIT ? OFFSET ?"
        )
        return await self._with_members(list(await self._conn.execute_fetchall(sql, (status, limit, offset))))

    async def count(self, status: GroupStatus) -> int:
        sql = "SELECT count(*) FROM duplicate_groups WHERE status = ?"
        rows = list(await self._conn.execute_fetchall(sql, (status,)))
        return int(rows[0][0])

    async def dismiss_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        await self._conn.executemany(
            "INSERT INTO lookalike_dismissed_pairs (asset_a, asset_b) VALUES (?, ?) ON CONFLICT DO NOTHING",
            list(pairs),
        )

    async def dismissed_pairs(self) -> frozenset[tuple[str, str]]:
        rows = await self._conn.execute_fetchall("SELECT asset_a, asset_b FROM lookalike_dismissed_pairs")
        return frozenset((row[0], row[1]) for row in rows)

    async def _with_members(self, rows: list[sqlite3.Row]) -> list[DuplicateGroup]:
        members: dict[str, list[GroupMember]] = {row[0]: [] for row in rows}
        ids = list(members)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            some = ids[start : start + _IDS_PER_QUERY]
            sql = (
                "SELECT group_id, asset_id, distance FROM duplicate_group_members "
                f"WHERE group_id IN ({', '.join('?' * len(some))}) ORDER BY group_id, position"
            )
            for row in await self._conn.execute_fetchall(sql, some):
                members[row[0]].append(GroupMember(asset_id=row[1], distance=row[2]))
        return [
            DuplicateGroup(
                group_id=row[0],
                status=row[1],
                max_distance=row[2],
                kept_asset_id=row[3],
                created_at=require_ts(row[4]),
                resolved_at=from_ts(row[5]),
                members=members[row[0]],
            )
            for row in rows
        ]


def _group_values(group: DuplicateGroup) -> tuple[object, ...]:
    return (
        group.group_id,
        group.status,
        group.max_distance,
        group.kept_asset_id,
        to_ts(group.created_at),
        to_ts(group.resolved_at),
    )
