"""Store fakes the storage-migration tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_domain.models import StorageLocation


class CorruptingStore(InMemoryBlobStore):
    """Stores faithfully but reads back one flipped byte: a copy that fails verification."""

    async def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in super().open_range(location, start, end):
            yield b"\x00" + chunk[1:] if chunk else chunk


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data
