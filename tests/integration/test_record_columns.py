"""Every field of every stored record has its column in the migrated database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from faceforge_adapters.sqlite import assets, descriptors, entities, fielddefs, jobs, plugins, relationships
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.rows import RowCodec
from faceforge_domain.clock import FixedClock
from faceforge_domain.models import Entity, StorageLocation

pytestmark = pytest.mark.anyio
CODECS: list[RowCodec[Any]] = [
    entities.ROWS,
    assets.ROWS,
    descriptors.ROWS,
    relationships.ROWS,
    fielddefs.ROWS,
    jobs.ROWS,
    plugins.ROWS,
]


async def table_columns(path: Path, table: str) -> set[str]:
    database = await Database.open(path, FixedClock())
    try:
        async with database.read() as conn:
            rows = await conn.execute_fetchall(f"PRAGMA table_info({table})")
    finally:
        await database.close()
    return {row[1] for row in rows}


@pytest.mark.parametrize("codec", CODECS, ids=lambda codec: codec.record.__name__)
async def test_every_field_of_a_record_has_a_column(tmp_path: Path, codec: RowCodec[Any]) -> None:
    assert len(codec.columns) >= len(msgspec.structs.fields(codec.record))
    missing = set(codec.columns) - await table_columns(tmp_path / "core.sqlite3", codec.table)
    assert missing == set(), f"{codec.table} lacks columns for {sorted(missing)}: add a migration"


async def test_a_field_added_to_a_record_without_a_migration_is_found(tmp_path: Path) -> None:
    class Grown(Entity, kw_only=True):
        mood: str = "calm"

    grown = RowCodec(Grown, "entities", key="entity_id")
    assert set(grown.columns) - await table_columns(tmp_path / "core.sqlite3", "entities") == {"mood"}


def test_columns_take_the_field_names_renames_and_flattened_records() -> None:
    assert "min_value" in fielddefs.ROWS.columns
    assert "min" not in fielddefs.ROWS.columns
    parts = [f"storage_{field.name}" for field in msgspec.structs.fields(StorageLocation)]
    assert set(parts) <= set(assets.ROWS.columns)
    assert assets.ROWS.update_sql.endswith("WHERE asset_id = ?")
