"""Packing the ExifTool output that versions before packing stored as plain JSON text.

New output is stored packed as it is written (``rows.packed_column``); rows written before stay text,
which reads fine but takes five to seven times the room. ``faceforge db pack`` rewrites them a batch
at a time, each batch its own short transaction, so a running Core only waits for one batch.
"""

from __future__ import annotations

import aiosqlite

from faceforge_adapters.sqlite.assets import ROWS

BATCH = 500
_ENTRIES = ROWS.column("extracted_metadata")
_TEXT_ROWS = (
    "SELECT asset_id, extracted_metadata FROM assets "
    "WHERE typeof(extracted_metadata) = 'text' AND extracted_metadata != '[]' LIMIT ?"
)
_PACK = "UPDATE assets SET extracted_metadata = ? WHERE asset_id = ? AND typeof(extracted_metadata) = 'text'"


async def pack_stored_metadata(conn: aiosqlite.Connection, *, batch: int = BATCH) -> int:
    """Rewrite every text row packed; the number of rows rewritten."""
    packed = 0
    while True:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            rows = list(await conn.execute_fetchall(_TEXT_ROWS, (batch,)))
            await conn.executemany(
                _PACK, [(_ENTRIES.encode(_ENTRIES.decode(text)), key) for key, text in rows]
            )
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        packed += len(rows)
        if len(rows) < batch:
            return packed
