"""ExifTool's output is stored packed (zlib JSON in a BLOB); the record reads back the same, and text
written before packing still reads."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.metadata import MetadataOutcome
from faceforge_domain.services.assets import AssetService, IngestOptions

pytestmark = pytest.mark.anyio
CAMERA_JSON = {
    "Source": "ExifTool",
    "Type": "JsonMetadata",
    "Name": None,
    "Data": {f"MakerNotes:Tag{n}": f"value {n % 17}" for n in range(3000)} | {"EXIF:Model": "Canon EOS-1D"},
}


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def raw_column(db: Path, asset_id: str) -> tuple[str, int]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT typeof(extracted_metadata), length(extracted_metadata) FROM assets WHERE asset_id = ?",
            (asset_id,),
        ).fetchone()
    return row[0], row[1]


async def test_extracted_metadata_is_stored_packed_and_reads_back_the_same(tmp_path: Path) -> None:
    db = tmp_path / "core.sqlite3"
    clock = FixedClock()
    database = await Database.open(db, clock)
    try:
        units = SqliteUnitOfWorkFactory(database)
        assets = AssetService(units, InMemoryBlobStore(), clock)
        asset = (await assets.ingest(one(b"camera bytes"), IngestOptions(filename="IMG_1.jpg"))).asset
        async with units.write() as uow:
            await uow.assets.record_metadata(
                {asset.asset_id: MetadataOutcome("done", None, CAMERA_JSON)}, clock.now()
            )
            await uow.commit()
        kind, stored = raw_column(db, asset.asset_id)
        plain = len(json.dumps(CAMERA_JSON, separators=(",", ":")))
        assert kind == "blob"
        assert stored < plain / 5
        assert (await assets.get(asset.asset_id)).extracted_metadata == [CAMERA_JSON]

        with sqlite3.connect(db) as conn:  # as a database written before packing holds it
            conn.execute(
                "UPDATE assets SET extracted_metadata = ? WHERE asset_id = ?",
                (json.dumps([CAMERA_JSON]), asset.asset_id),
            )
        assert raw_column(db, asset.asset_id)[0] == "text"
        assert (await assets.get(asset.asset_id)).extracted_metadata == [CAMERA_JSON]
        replaced = CAMERA_JSON | {"Data": {"EXIF:Model": "Canon EOS R5"}}
        async with units.write() as uow:
            await uow.assets.record_metadata(
                {asset.asset_id: MetadataOutcome("done", None, replaced)}, clock.now()
            )
            await uow.commit()
        assert raw_column(db, asset.asset_id)[0] == "blob"  # rewritten packed
        assert (await assets.get(asset.asset_id)).extracted_metadata == [replaced]
    finally:
        await database.close()
