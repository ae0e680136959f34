"""Asset ingest: stream bytes into the store once, then record (or deduplicate) the asset."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from faceforge_domain.clock import Clock
from faceforge_domain.errors import NotFound
from faceforge_domain.filetypes import SNIFF_BYTES, clean_filename, infer_kind, sniff_mime
from faceforge_domain.models import Asset
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory


class IngestResult:
    """The asset and whether its bytes were already known."""

    __slots__ = ("asset", "deduplicated")

    def __init__(self, asset: Asset, *, deduplicated: bool) -> None:
        self.asset = asset
        self.deduplicated = deduplicated


class AssetService:
    def __init__(self, uow: UnitOfWorkFactory, store: BlobStore, clock: Clock) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock

    async def ingest(
        self,
        chunks: AsyncIterable[bytes],
        filename: str,
        *,
        kind: str | None = None,
        entity_id: str | None = None,
    ) -> IngestResult:
        """Store a byte stream and record it; identical bytes become one asset with both names."""
        name = clean_filename(filename)
        if entity_id is not None:
            await self._require_entity(entity_id)
        head = bytearray()

        async def watched() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                if len(head) < SNIFF_BYTES:
                    head.extend(chunk[: SNIFF_BYTES - len(head)])
                yield chunk

        blob = await self._store.put(watched())
        now = self._clock.now()
        async with self._uow.write() as uow:
            existing = await uow.assets.get(blob.sha256, include_deleted=True)
            if existing is not None:
                if name not in existing.filenames:
                    existing.filenames.append(name)
                    existing.updated_at = now
                    await uow.assets.update(existing)
                asset, deduplicated = existing, True
            else:
                mime = sniff_mime(bytes(head), name)
                asset = Asset(
                    asset_id=blob.sha256,
                    kind=kind or infer_kind(mime, name),
                    mime_type=mime,
                    size_bytes=blob.size_bytes,
                    filename=name,
                    filenames=[name],
                    storage=blob.location,
                    created_at=now,
                    updated_at=now,
                )
                await uow.assets.add(asset)
                deduplicated = False
            if entity_id is not None:
                if await uow.entities.get(entity_id) is None:
                    raise NotFound("entity", entity_id)
                await uow.assets.link(entity_id, asset.asset_id, None)
            await uow.commit()
        return IngestResult(asset, deduplicated=deduplicated)

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset:
        async with self._uow.read() as uow:
            asset = await uow.assets.get(asset_id, include_deleted=include_deleted)
        if asset is None:
            raise NotFound("asset", asset_id)
        return asset

    async def _require_entity(self, entity_id: str) -> None:
        async with self._uow.read() as uow:
            if await uow.entities.get(entity_id) is None:
                raise NotFound("entity", entity_id)
