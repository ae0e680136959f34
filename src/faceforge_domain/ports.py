"""Ports: what the domain needs from the world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from faceforge_domain.models import Asset, Entity, StorageLocation, StoredBlob

if TYPE_CHECKING:  # the jobs package builds on these ports; it is only named here
    from faceforge_domain.jobs.ports import JobRepository


class EntityRepository(Protocol):
    async def add(self, entity: Entity) -> None: ...

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None: ...

    async def count(self, *, include_deleted: bool = False) -> int: ...


class AssetRepository(Protocol):
    async def add(self, asset: Asset) -> None: ...

    async def update(self, asset: Asset) -> None: ...

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None: ...

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        """Link an asset to an entity; False when the link already existed."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``async with uow:`` rolls back unless ``await uow.commit()`` ran."""

    @property
    def entities(self) -> EntityRepository: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def write(self) -> UnitOfWork:
        """A read-write transaction (serialised with every other writer)."""
        ...

    def read(self) -> UnitOfWork:
        """A read-only snapshot that never blocks writers."""
        ...


class BlobStore(Protocol):
    """Durable bytes. ``put`` makes the bytes visible only once they are complete and synced."""

    name: str

    async def put(
        self, chunks: AsyncIterable[bytes], *, kind: str | None = None, size_hint: int | None = None
    ) -> StoredBlob:
        """Store the stream; the bytes become visible only once complete and durable.

        ``kind`` and ``size_hint`` (when the length is known up front) let a routing store choose
        where the bytes go; single-provider stores ignore them.
        """
        ...

    def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes ``start..end`` inclusive (``end=None``: to the end)."""
        ...

    async def stat(self, location: StorageLocation) -> int | None:
        """Size in bytes, or None when the blob is absent."""
        ...

    async def delete(self, location: StorageLocation) -> None: ...
