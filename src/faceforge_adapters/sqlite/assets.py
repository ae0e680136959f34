"""SqliteAssetRepository: asset records and their links to entities."""

from __future__ import annotations

import sqlite3

import aiosqlite

from faceforge_adapters.sqlite.rows import from_json, from_ts, require_ts, to_json, to_ts
from faceforge_domain.models import Asset, StorageLocation

_COLUMNS = (
    "asset_id, kind, mime_type, size_bytes, filename, filenames, storage_provider, storage_bucket, "
    "storage_key, derived_from_asset_id, owner, extracted_metadata, metadata_status, "
    "metadata_reason, user_metadata, plugin_data, created_at, updated_at, deleted_at"
)


def asset_from_row(row: sqlite3.Row) -> Asset:
    return Asset(
        asset_id=row["asset_id"],
        kind=row["kind"],
        mime_type=row["mime_type"],
        size_bytes=row["size_bytes"],
        filename=row["filename"],
        filenames=from_json(row["filenames"]),
        storage=StorageLocation(
            provider=row["storage_provider"], bucket=row["storage_bucket"], key=row["storage_key"]
        ),
        derived_from_asset_id=row["derived_from_asset_id"],
        owner=row["owner"],
        extracted_metadata=from_json(row["extracted_metadata"]),
        metadata_status=row["metadata_status"],
        metadata_reason=row["metadata_reason"],
        user_metadata=from_json(row["user_metadata"]),
        plugin_data=from_json(row["plugin_data"]),
        created_at=require_ts(row["created_at"]),
        updated_at=require_ts(row["updated_at"]),
        deleted_at=from_ts(row["deleted_at"]),
    )


def _values(asset: Asset) -> tuple[object, ...]:
    return (
        asset.asset_id,
        asset.kind,
        asset.mime_type,
        asset.size_bytes,
        asset.filename,
        to_json(asset.filenames),
        asset.storage.provider,
        asset.storage.bucket,
        asset.storage.key,
        asset.derived_from_asset_id,
        asset.owner,
        to_json(asset.extracted_metadata),
        asset.metadata_status,
        asset.metadata_reason,
        to_json(asset.user_metadata),
        to_json(asset.plugin_data),
        to_ts(asset.created_at),
        to_ts(asset.updated_at),
        to_ts(asset.deleted_at),
    )


class SqliteAssetRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, asset: Asset) -> None:
        placeholders = ", ".join("?" * len(_values(asset)))
        await self._conn.execute(f"INSERT INTO assets ({_COLUMNS}) VALUES ({placeholders})", _values(asset))

    async def update(self, asset: Asset) -> None:
        assignments = ", ".join(f"{col.strip()} = ?" for col in _COLUMNS.split(",")[1:])
        values = _values(asset)
        await self._conn.execute(
            f"UPDATE assets SET {assignments} WHERE asset_id = ?", (*values[1:], values[0])
        )

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None:
        sql = f"SELECT {_COLUMNS} FROM assets WHERE asset_id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self._conn.execute(sql, (asset_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else asset_from_row(row)

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        cursor = await self._conn.execute(
            "INSERT INTO entity_assets (entity_id, asset_id, role, created_at) "
            "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT DO NOTHING",
            (entity_id, asset_id, role),
        )
        return cursor.rowcount > 0
