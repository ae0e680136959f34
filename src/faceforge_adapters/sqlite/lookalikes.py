"""SqliteLookalikeRepository: perceptual hashes in ``lookalike_hashes``, searched by band.

A search reads, from the four band indexes alone, the hashes whose band is near the query's band
(``band_neighbours``), checks each candidate's full distance in Python (SQLite has no bit count), and
only then looks up which of the few matches are live assets.
"""

from __future__ import annotations

import aiosqlite

from faceforge_domain.lookalikes import (
    HASH_BITS,
    band_neighbours,
    band_radius,
    bands,
    check_hash,
    distance,
)
from faceforge_domain.previews import PREVIEW_KIND

_SIGN = 1 << (HASH_BITS - 1)
_WRAP = 1 << HASH_BITS
_IDS_PER_QUERY = 500
_PUT = (
    "INSERT INTO lookalike_hashes (asset_id, phash, band0, band1, band2, band3) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (asset_id) DO UPDATE SET phash = excluded.phash, band0 = excluded.band0, "
    "band1 = excluded.band1, band2 = excluded.band2, band3 = excluded.band3"
)
# Hashes of live assets that are not previews (previews are never hashed, this keeps it so).
_LIVE = (
    "FROM lookalike_hashes AS h JOIN assets AS a ON a.asset_id = h.asset_id "
    f"WHERE a.deleted_at IS NULL AND a.kind <> '{PREVIEW_KIND}'"
)


def to_stored(phash: int) -> int:
    """The unsigned hash as SQLite's signed 64-bit integer (same bits)."""
    phash = check_hash(phash)
    return phash - _WRAP if phash >= _SIGN else phash


def from_stored(stored: int) -> int:
    return stored + _WRAP if stored < 0 else stored


class SqliteLookalikeRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def put(self, asset_id: str, phash: int) -> None:
        await self._conn.execute(_PUT, (asset_id, to_stored(phash), *bands(phash)))

    async def remove(self, asset_id: str) -> bool:
        cursor = await self._conn.execute("DELETE FROM lookalike_hashes WHERE asset_id = ?", (asset_id,))
        return cursor.rowcount > 0

    async def get(self, asset_id: str) -> int | None:
        sql = "SELECT phash FROM lookalike_hashes WHERE asset_id = ?"
        rows = list(await self._conn.execute_fetchall(sql, (asset_id,)))
        return from_stored(rows[0][0]) if rows else None

    async def near(
        self, phash: int, max_distance: int, limit: int, exclude_asset_id: str | None = None
    ) -> list[tuple[str, int]]:
        matches = await self._matching_rows(check_hash(phash), max_distance)
        ids = await self._live_ids(list(matches))
        found = sorted(
            ((asset_id, matches[row]) for row, asset_id in ids.items() if asset_id != exclude_asset_id),
            key=lambda pair: (pair[1], pair[0]),
        )
        return found[:limit]

    async def _matching_rows(self, phash: int, max_distance: int) -> dict[int, int]:
        """Row ids of every stored hash within ``max_distance``, with its distance."""
        radius = band_radius(max_distance)
        params: list[int] = []
        selects = []
        for band, value in enumerate(bands(phash)):
            near = band_neighbours(value, radius)
            marks = ", ".join("?" * len(near))
            selects.append(f"SELECT rowid, phash FROM lookalike_hashes WHERE band{band} IN ({marks})")
            params += near
        rows = await self._conn.execute_fetchall(" UNION ALL ".join(selects), params)
        found = ((row[0], distance(phash, from_stored(row[1]))) for row in rows)
        return {row: d for row, d in found if d <= max_distance}

    async def _live_ids(self, rows: list[int]) -> dict[int, str]:
        """The asset id behind each row id, for rows of live assets only."""
        ids: dict[int, str] = {}
        for start in range(0, len(rows), _IDS_PER_QUERY):
            some = rows[start : start + _IDS_PER_QUERY]
            sql = f"SELECT h.rowid, h.asset_id {_LIVE} AND h.rowid IN ({', '.join('?' * len(some))})"
            ids.update({row[0]: row[1] for row in await self._conn.execute_fetchall(sql, some)})
        return ids

    async def page(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        sql = f"SELECT h.asset_id, h.phash {_LIVE} AND h.asset_id > ? ORDER BY h.asset_id LIMIT ?"
        rows = await self._conn.execute_fetchall(sql, (after or "", limit))
        return [(row[0], from_stored(row[1])) for row in rows]

    async def count(self) -> int:
        rows = list(await self._conn.execute_fetchall(f"SELECT count(*) {_LIVE}"))
        return int(rows[0][0])
