"""In-memory implementations of the ports: the fakes domain tests run against.

They follow the same contract as the SQLite and filesystem adapters (the contract tests run both), so
a service tested here behaves the same in production.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import anyio

from faceforge_domain.ids import ContentHasher
from faceforge_domain.models import Asset, Entity, StorageLocation, StoredBlob


@dataclass
class MemoryState:
    entities: dict[str, Entity] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    links: dict[tuple[str, str], str | None] = field(default_factory=dict)


class InMemoryEntityRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, entity: Entity) -> None:
        if entity.entity_id in self._state.entities:
            raise KeyError(entity.entity_id)
        self._state.entities[entity.entity_id] = copy.deepcopy(entity)

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None:
        entity = self._state.entities.get(entity_id)
        if entity is None or (entity.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(entity)

    async def count(self, *, include_deleted: bool = False) -> int:
        return sum(1 for e in self._state.entities.values() if include_deleted or e.deleted_at is None)


class InMemoryAssetRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, asset: Asset) -> None:
        if asset.asset_id in self._state.assets:
            raise KeyError(asset.asset_id)
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def update(self, asset: Asset) -> None:
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None:
        asset = self._state.assets.get(asset_id)
        if asset is None or (asset.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(asset)

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        if (entity_id, asset_id) in self._state.links:
            return False
        self._state.links[(entity_id, asset_id)] = role
        return True


class InMemoryUnitOfWork:
    """Works on a private copy of the state; ``commit`` publishes it when the block ends."""

    entities: InMemoryEntityRepository
    assets: InMemoryAssetRepository

    def __init__(self, factory: InMemoryUnitOfWorkFactory, *, writable: bool) -> None:
        self._factory = factory
        self._writable = writable
        self._committed = False
        self._working = MemoryState()

    async def __aenter__(self) -> Self:
        if self._writable:
            await self._factory.write_lock.acquire()
        self._working = copy.deepcopy(self._factory.state)
        self.entities = InMemoryEntityRepository(self._working)
        self.assets = InMemoryAssetRepository(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writable:
            if exc is None and self._committed:
                self._factory.state = self._working
            self._factory.write_lock.release()

    async def commit(self) -> None:
        if not self._writable:
            raise RuntimeError("a read unit of work cannot commit")
        self._committed = True


class InMemoryUnitOfWorkFactory:
    def __init__(self) -> None:
        self.state = MemoryState()
        self.write_lock = anyio.Lock()

    def write(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, writable=True)

    def read(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, writable=False)


class InMemoryBlobStore:
    name = "memory"

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        hasher = ContentHasher()
        data = bytearray()
        async for chunk in chunks:
            hasher.update(chunk)
            data += chunk
        sha = hasher.hexdigest()
        self.blobs.setdefault(sha, bytes(data))
        location = StorageLocation(provider=self.name, key=sha)
        return StoredBlob(location=location, size_bytes=hasher.size, sha256=sha)

    async def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        data = self.blobs[location.key]
        yield data[start : None if end is None else end + 1]

    async def stat(self, location: StorageLocation) -> int | None:
        data = self.blobs.get(location.key)
        return None if data is None else len(data)

    async def delete(self, location: StorageLocation) -> None:
        self.blobs.pop(location.key, None)
