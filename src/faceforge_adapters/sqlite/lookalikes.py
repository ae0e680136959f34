"""SqliteLookalikeRepository: perceptual hashes in ``lookalike_hashes``, searched by band.

A search is one statement: it reads, from the band indexes alone, the hashes whose band is near the
query's band (``band_radii``), checks each candidate's full distance there (``DISTANCE_FUNCTION``),
and only then looks up which of the few matches are live assets.
"""

from __future__ import annotations

import aiosqlite

from faceforge_domain.lookalikes import (
    HASH_BITS,
    band_neighbours,
    band_radii,
    bands,
    check_hash,
)
from faceforge_domain.previews import PREVIEW_KIND

_SIGN = 1 << (HASH_BITS - 1)
_WRAP = 1 << HASH_BITS
# The SQL function that counts the bits two stored hashes differ in (``add_distance_function``).
DISTANCE_FUNCTION = "lookalike_distance"
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


def _candidates(phash: int, max_distance: int) -> tuple[str, list[int]]:
    """The SQL (and its parameters) of every stored hash with a band near the query's band: the
    ``(rowid, phash)`` rows that may be within ``max_distance``, read from the band indexes alone."""
    selects: list[str] = []
    params: list[int] = []
    for band, (value, radius) in enumerate(zip(bands(phash), band_radii(max_distance), strict=True)):
        if radius >= 0:
            near = band_neighbours(value, radius)
            marks = ", ".join("?" * len(near))
            selects.append(f"SELECT rowid, phash FROM lookalike_hashes WHERE band{band} IN ({marks})")
            params += near
    return " UNION ALL ".join(selects), params


def stored_distance(a: int, b: int) -> int:
    """The distance of two stored (signed) hashes: their bits are the unsigned hashes' bits."""
    return ((a ^ b) & (_WRAP - 1)).bit_count()


async def add_distance_function(conn: aiosqlite.Connection) -> None:
    """Teach a connection ``DISTANCE_FUNCTION``: SQLite has no bit count, and checking candidates
    where they are read sends only the matches back to Python."""
    await conn.create_function(DISTANCE_FUNCTION, 2, stored_distance, deterministic=True)


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
        candidates, params = _candidates(check_hash(phash), max_distance)
        sql = (
            f"WITH candidate(row, phash) AS ({candidates}), "
            "close(row, d) AS (SELECT DISTINCT row, d FROM "
            f"(SELECT row, {DISTANCE_FUNCTION}(phash, ?) AS d FROM candidate) WHERE d <= ?) "
            f"SELECT h.asset_id, close.d FROM close JOIN {_LIVE[len('FROM ') :]} AND h.rowid = close.row "
            "AND h.asset_id IS NOT ? ORDER BY close.d, h.asset_id LIMIT ?"
        )
        arguments = [*params, to_stored(phash), max_distance, exclude_asset_id, limit]
        return [(row[0], row[1]) for row in await self._conn.execute_fetchall(sql, arguments)]

    async def page(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        sql = f"SELECT h.asset_id, h.phash {_LIVE} AND h.asset_id > ? ORDER BY h.asset_id LIMIT ?"
        rows = await self._conn.execute_fetchall(sql, (after or "", limit))
        return [(row[0], from_stored(row[1])) for row in rows]

    async def count(self) -> int:
        rows = list(await self._conn.execute_fetchall(f"SELECT count(*) {_LIVE}"))
        return int(rows[0][0])
