"""Putting a snapshot's blobs into a freshly restored library's store.

The restored database still says where the old install kept each file; every asset's bytes are read
from the backup, hashed while they are stored (``expected_sha256``), and the record is pointed at the
new location (provider and key), so the record says where its bytes really are. A blob that is
missing or damaged in the backup is reported by asset and entity, and the rest are still restored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from faceforge_domain.backup.models import Manifest
from faceforge_domain.backup.ports import BackupTarget
from faceforge_domain.errors import DomainError
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory
from faceforge_domain.services.asset_walk import every_asset


class RestoreProblem(msgspec.Struct, frozen=True, kw_only=True):
    asset_id: str
    entity_ids: list[str]
    error: str


class RestoreResult(msgspec.Struct, kw_only=True):
    snapshot_id: str
    files: int = 0
    bytes: int = 0
    problems: list[RestoreProblem] = msgspec.field(default_factory=list)


Progress = Callable[[RestoreResult], Awaitable[None] | None]


class BlobRestore:
    """Copies a snapshot's blobs into ``store`` and re-points the restored records at them."""

    def __init__(self, units: UnitOfWorkFactory, store: BlobStore) -> None:
        self._units = units
        self._store = store

    async def restore(
        self, target: BackupTarget, manifest: Manifest, progress: Progress | None = None
    ) -> RestoreResult:
        entities = {blob.sha256: blob.entity_ids for blob in manifest.blobs}
        result = RestoreResult(snapshot_id=manifest.snapshot_id)
        async for asset in every_asset(self._units):
            try:
                location = await self._copy(target, asset)
            except (DomainError, OSError) as exc:
                result.problems.append(
                    RestoreProblem(
                        asset_id=asset.asset_id, entity_ids=entities.get(asset.asset_id, []), error=str(exc)
                    )
                )
            else:
                await self._point_at(asset.asset_id, location)
                result.files += 1
                result.bytes += asset.size_bytes
            if progress is not None:
                shown = progress(result)
                if shown is not None:
                    await shown
        return result

    async def _copy(self, target: BackupTarget, asset: Asset) -> StorageLocation:
        stored = await self._store.put(
            target.read_blob(asset.asset_id),
            kind=asset.kind,
            size_hint=asset.size_bytes,
            expected_sha256=asset.asset_id,
        )
        return stored.location

    async def _point_at(self, asset_id: str, location: StorageLocation) -> None:
        async with self._units.write() as uow:
            current = await uow.assets.get(asset_id, include_deleted=True)
            if current is not None and current.storage != location:
                current.storage = location
                await uow.assets.update(current)
            await uow.commit()
