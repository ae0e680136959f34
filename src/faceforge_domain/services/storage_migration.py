"""Moving existing assets' bytes between storage providers (filesystem <-> S3).

For each asset stored on the source provider: copy the bytes to the target, read the copy back and
check its SHA-256 against the asset id, flip the record to the new location, check the copy is still
there, and only then delete the old copy. A failure on one asset is reported and the rest go on; the
old copy is never deleted before the record points at a verified new one.

The service takes a progress callback and a cancellation check so a job can wrap it; it stops
between assets when ``should_cancel`` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import anyio

from faceforge_domain.errors import DomainError, FieldError, Invalid
from faceforge_domain.ids import ContentHasher
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory
from faceforge_domain.services.asset_walk import every_asset

log = logging.getLogger("faceforge.storage.migrate")


@dataclass(slots=True)
class MigrationProgress:
    """Running totals, handed to the progress callback after every asset."""

    total: int
    moved: int = 0
    bytes_moved: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def done(self) -> int:
        return self.moved + self.failed + self.skipped


ProgressCallback = Callable[[MigrationProgress], Awaitable[None] | None]


class MigrationFailed(DomainError):
    """One asset could not be moved; its bytes stay where they were."""


class StorageMigration:
    """Moves assets from one provider's store to another's; ``stores`` maps provider name to store."""

    def __init__(self, units: UnitOfWorkFactory, stores: Mapping[str, BlobStore]) -> None:
        self._units = units
        self._stores = dict(stores)

    def _store(self, provider: str, field_name: str) -> BlobStore:
        store = self._stores.get(provider)
        if store is None:
            known = ", ".join(sorted(self._stores)) or "none"
            raise Invalid(
                [FieldError(field_name, f"provider {provider!r} is not available (available: {known})")]
            )
        return store

    async def pending(self, source: str) -> list[Asset]:
        """Every asset (soft-deleted ones included: their bytes are kept) stored on ``source``."""
        return [asset async for asset in every_asset(self._units) if asset.storage.provider == source]

    async def migrate(
        self,
        target: str,
        *,
        verify: bool = True,
        progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> MigrationProgress:
        """Move every asset not on ``target`` there; returns the totals (errors listed per asset)."""
        target_store = self._store(target, "to")
        sources = [name for name in self._stores if name != target]
        todo = [asset for source in sources for asset in await self.pending(source)]
        state = MigrationProgress(total=len(todo))
        for asset in todo:
            if should_cancel is not None and should_cancel():
                state.cancelled = True
                break
            try:
                moved = await self.move(asset, target, target_store, verify=verify)
            except (DomainError, OSError) as exc:
                state.failed += 1
                state.errors.append((asset.asset_id, str(exc)))
                log.warning(
                    "asset not moved", extra={"asset_id": asset.asset_id, "error": str(exc), "to": target}
                )
            else:
                if moved:
                    state.moved += 1
                    state.bytes_moved += asset.size_bytes
                else:
                    state.skipped += 1
            if progress is not None:
                result = progress(state)
                if result is not None:
                    await result
        return state

    async def move(self, asset: Asset, target: str, target_store: BlobStore, *, verify: bool) -> bool:
        """Move one asset; False when there was nothing to do (already moved or gone)."""
        old = asset.storage
        if old.provider == target:
            return False
        source_store = self._store(old.provider, "from")
        blob = await target_store.put(
            source_store.open_range(old), kind=asset.kind, size_hint=asset.size_bytes
        )
        new = blob.location
        if blob.sha256 != asset.asset_id or blob.size_bytes != asset.size_bytes:
            await self._drop_unreferenced(target_store, new, blob.sha256)
            raise MigrationFailed(
                f"asset {asset.asset_id} read back with hash {blob.sha256} "
                f"({blob.size_bytes} bytes): the source copy is damaged; it was left in place"
            )
        if verify:
            await self._verify_copy(asset, target_store, new)
        if not await self._flip(asset.asset_id, old, new):
            await self._drop_unreferenced(target_store, new, blob.sha256)
            return False
        if await target_store.stat(new) != asset.size_bytes:  # a concurrent delete raced the flip
            await self._flip(asset.asset_id, new, old)
            raise MigrationFailed(f"asset {asset.asset_id}: the new copy vanished; the record was restored")
        await source_store.delete(old)
        return True

    async def copy_across(self, asset: Asset, source: BlobStore, target: BlobStore, *, verify: bool) -> bool:
        """Copy one asset's bytes between two endpoints of its own provider (the managed weed to a
        cluster, both ``s3``): the record keeps its provider and points at the copy, stored under its
        content key; the old endpoint keeps its copy until the user retires it. False when an earlier
        run already copied it (checked again when ``verify``). A copy that reads back wrong is removed
        from the target, so a re-run copies it again."""
        old = asset.storage
        if await target.stat(old) == asset.size_bytes:
            if verify:
                await self._check_or_remove(asset, target, old)
            return False
        chunks, size = source.open_range(old), asset.size_bytes
        blob = await target.put(chunks, kind=asset.kind, size_hint=size, expected_sha256=asset.asset_id)
        if verify:
            await self._check_or_remove(asset, target, blob.location)
        if blob.location != old and not await self._flip(asset.asset_id, old, blob.location):
            await self._drop_unreferenced(target, blob.location, asset.asset_id)  # purged meanwhile
        return True

    async def _check_or_remove(self, asset: Asset, store: BlobStore, location: StorageLocation) -> None:
        if (wrong := await _mismatch(asset, store, location)) is not None:
            await store.delete(location)  # the other endpoint still holds the bytes
            raise MigrationFailed(
                f"asset {asset.asset_id}: the copy reads back wrong ({wrong}); "
                "it was removed and the original kept"
            )

    async def _verify_copy(self, asset: Asset, store: BlobStore, location: StorageLocation) -> None:
        if (wrong := await _mismatch(asset, store, location)) is not None:
            await self._drop_unreferenced(store, location, asset.asset_id)
            raise MigrationFailed(
                f"asset {asset.asset_id}: the copy on {location.provider} does not match ({wrong}); "
                "the original was kept"
            )

    async def _flip(self, asset_id: str, old: StorageLocation, new: StorageLocation) -> bool:
        """Point the record at ``new`` if it still points at ``old``."""
        async with self._units.write() as uow:
            current = await uow.assets.get(asset_id, include_deleted=True)
            if current is None or current.storage != old:
                return False
            current.storage = new
            await uow.assets.update(current)
            await uow.commit()
        return True

    async def _drop_unreferenced(self, store: BlobStore, location: StorageLocation, sha256: str) -> None:
        """Delete a copy no record points at (content-addressed keys may be shared with a record)."""
        async with self._units.read() as uow:
            holder = await uow.assets.get(sha256, include_deleted=True)
        if holder is not None and holder.storage == location:
            return
        await store.delete(location)


async def _mismatch(asset: Asset, store: BlobStore, location: StorageLocation) -> str | None:
    """How the bytes read back from ``location`` differ from the asset ("hash ..., N bytes"); None
    when they hash and count as the asset's."""
    hasher = ContentHasher()
    async for chunk in store.open_range(location):
        await anyio.to_thread.run_sync(hasher.update, chunk)
    if hasher.hexdigest() == asset.asset_id and hasher.size == asset.size_bytes:
        return None
    return f"hash {hasher.hexdigest()}, {hasher.size} bytes"
