"""Integrity-scan ports in memory: an inventory over ``InMemoryBlobStore`` and a list of leftovers."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime

from faceforge_adapters.memory.blobs import InMemoryBlobStore
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.ids import ContentHasher, is_id
from faceforge_domain.integrity.models import Leftover, StoredObject
from faceforge_domain.models import StorageLocation


class InMemoryInventory:
    """The blobs of one in-memory store; ``written_at`` says when each was written (default ``since``)."""

    def __init__(self, store: InMemoryBlobStore, since: datetime) -> None:
        self.store = store
        self.since = since
        self.written_at: dict[str, datetime] = {}

    @property
    def provider(self) -> str:
        return self.store.name

    async def objects(self) -> AsyncIterator[StoredObject]:
        for key, data in list(self.store.blobs.items()):
            yield StoredObject(
                location=StorageLocation(provider=self.provider, key=key),
                sha256=key if is_id(key) else None,  # a test's ``streamed/...`` key names no hash
                size_bytes=len(data),
                modified_at=self.written_at.get(key, self.since),
            )

    async def replace(self, sha256: str, chunks: AsyncIterable[bytes]) -> StorageLocation:
        hasher, data = ContentHasher(), bytearray()
        async for chunk in chunks:
            hasher.update(chunk)
            data += chunk
        DigestMismatch.check(hasher.hexdigest(), sha256)
        self.store.blobs[sha256] = bytes(data)
        return StorageLocation(provider=self.provider, key=sha256)

    async def remove(self, found: StoredObject) -> None:
        self.store.blobs.pop(found.location.key, None)


class InMemoryLeftovers:
    def __init__(self, found: list[Leftover] | None = None) -> None:
        self.found = list(found or [])

    async def find(self) -> list[Leftover]:
        return list(self.found)

    async def remove(self, leftover: Leftover) -> None:
        self.found.remove(leftover)
