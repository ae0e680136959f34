"""In-memory units of work: a private copy of the state, published on commit."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Self

import anyio

from faceforge_adapters.memory.assets import InMemoryAssetRepository
from faceforge_adapters.memory.descriptors import InMemoryDescriptorRepository
from faceforge_adapters.memory.duplicate_groups import InMemoryDuplicateGroupRepository
from faceforge_adapters.memory.entities import InMemoryEntityRepository
from faceforge_adapters.memory.events import InMemoryEventLog
from faceforge_adapters.memory.fielddefs import InMemoryFieldDefinitionRepository
from faceforge_adapters.memory.jobs import InMemoryJobRepository
from faceforge_adapters.memory.lookalikes import InMemoryLookalikeRepository
from faceforge_adapters.memory.plugins import InMemoryPluginRepository
from faceforge_adapters.memory.previews import InMemoryPreviewRepository
from faceforge_adapters.memory.relationships import InMemoryRelationshipRepository
from faceforge_adapters.memory.sessions import InMemorySessionRepository
from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.transaction import ReadOnlyTransaction


class InMemoryUnitOfWork:
    """Works on a private copy of the state; ``commit`` publishes it when the block ends.

    A read unit of work compares its copy with the state it copied when the block ends: a write
    through it raises ``ReadOnlyTransaction`` then, as SQLite's read-only connection does at the write.
    """

    entities: InMemoryEntityRepository
    assets: InMemoryAssetRepository
    field_defs: InMemoryFieldDefinitionRepository
    descriptors: InMemoryDescriptorRepository
    relationships: InMemoryRelationshipRepository
    jobs: InMemoryJobRepository
    events: InMemoryEventLog
    plugins: InMemoryPluginRepository
    sessions: InMemorySessionRepository
    previews: InMemoryPreviewRepository
    lookalikes: InMemoryLookalikeRepository
    duplicate_groups: InMemoryDuplicateGroupRepository

    def __init__(self, factory: InMemoryUnitOfWorkFactory, *, writable: bool) -> None:
        self._factory = factory
        self._writable = writable
        self._committed = False
        self._working = self._snapshot = MemoryState()

    async def __aenter__(self) -> Self:
        if self._writable:
            await self._factory.write_lock.acquire()
        self._snapshot = self._factory.state  # published states are replaced, never changed in place
        self._working = copy.deepcopy(self._snapshot)
        self.entities = InMemoryEntityRepository(self._working)
        self.assets = InMemoryAssetRepository(self._working)
        self.field_defs = InMemoryFieldDefinitionRepository(self._working)
        self.descriptors = InMemoryDescriptorRepository(self._working)
        self.relationships = InMemoryRelationshipRepository(self._working)
        self.jobs = InMemoryJobRepository(self._working)
        self.events = InMemoryEventLog(self._working)
        self.plugins = InMemoryPluginRepository(self._working)
        self.sessions = InMemorySessionRepository(self._working)
        self.previews = InMemoryPreviewRepository(self._working)
        self.lookalikes = InMemoryLookalikeRepository(self._working)
        self.duplicate_groups = InMemoryDuplicateGroupRepository(self._working)
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
        elif exc is None and self._working != self._snapshot:
            raise ReadOnlyTransaction("a read unit of work was written to; nothing was kept")

    async def commit(self) -> None:
        if not self._writable:
            raise ReadOnlyTransaction("a read unit of work cannot commit")
        self._committed = True


class InMemoryUnitOfWorkFactory:
    def __init__(self) -> None:
        self.state = MemoryState()
        self.write_lock = anyio.Lock()

    def write(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, writable=True)

    def read(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, writable=False)

    def plugin_registry_changes(self) -> int:
        return self.state.plugin_registry_changes
