"""What an integrity scan needs from the world besides the blob stores: what each provider really
holds, a way to put good bytes in the place of bad ones, and the leftovers of unfinished uploads."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from faceforge_domain.integrity.models import Leftover, StoredObject
from faceforge_domain.models import StorageLocation


class StoreInventory(Protocol):
    """One provider's content-addressed objects (``fs``: files under ``assets/``; ``s3``: objects
    under the bucket's content keys)."""

    @property
    def provider(self) -> str: ...

    def objects(self) -> AsyncIterator[StoredObject]:
        """Every object held now, read as the provider lists them (names only: nothing is hashed)."""
        ...

    async def replace(self, sha256: str, chunks: AsyncIterable[bytes]) -> StorageLocation:
        """Store the bytes under ``sha256``'s key, taking the place of whatever is there, but only once
        they are complete and hash to ``sha256`` (else ``DigestMismatch``, and nothing changed)."""
        ...

    async def remove(self, found: StoredObject) -> None: ...


class UploadLeftovers(Protocol):
    """What unfinished uploads left behind."""

    async def find(self) -> list[Leftover]: ...

    async def remove(self, leftover: Leftover) -> None: ...
