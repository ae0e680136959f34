"""SQLite units of work: a repository set bound to one transaction."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, suppress
from types import TracebackType
from typing import Self

import aiosqlite

from faceforge_adapters.sqlite.assets import SqliteAssetRepository
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.descriptors import SqliteDescriptorRepository
from faceforge_adapters.sqlite.duplicate_groups import SqliteDuplicateGroupRepository
from faceforge_adapters.sqlite.entities import SqliteEntityRepository
from faceforge_adapters.sqlite.events import SqliteEventLog
from faceforge_adapters.sqlite.fielddefs import SqliteFieldDefinitionRepository
from faceforge_adapters.sqlite.jobs import SqliteJobRepository
from faceforge_adapters.sqlite.lookalikes import SqliteLookalikeRepository
from faceforge_adapters.sqlite.plugins import SqlitePluginRepository
from faceforge_adapters.sqlite.previews import SqlitePreviewRepository
from faceforge_adapters.sqlite.relationships import SqliteRelationshipRepository
from faceforge_adapters.sqlite.sessions import SqliteSessionRepository
from faceforge_domain.transaction import ReadOnlyTransaction


class _RollbackError(Exception):
    """Raised into the transaction when the block ends without ``commit()``."""


class SqliteUnitOfWork:
    """``async with uow:`` opens the transaction; leaving without ``commit()`` rolls it back."""

    entities: SqliteEntityRepository
    assets: SqliteAssetRepository
    field_defs: SqliteFieldDefinitionRepository
    descriptors: SqliteDescriptorRepository
    relationships: SqliteRelationshipRepository
    jobs: SqliteJobRepository
    events: SqliteEventLog
    plugins: SqlitePluginRepository
    sessions: SqliteSessionRepository
    previews: SqlitePreviewRepository
    lookalikes: SqliteLookalikeRepository
    duplicate_groups: SqliteDuplicateGroupRepository

    def __init__(
        self, transaction: AbstractAsyncContextManager[aiosqlite.Connection], *, writable: bool
    ) -> None:
        self._transaction = transaction
        self._writable = writable
        self._committed = False

    async def __aenter__(self) -> Self:
        conn = await self._transaction.__aenter__()
        self.entities = SqliteEntityRepository(conn)
        self.assets = SqliteAssetRepository(conn)
        self.field_defs = SqliteFieldDefinitionRepository(conn)
        self.descriptors = SqliteDescriptorRepository(conn)
        self.relationships = SqliteRelationshipRepository(conn)
        self.jobs = SqliteJobRepository(conn)
        self.events = SqliteEventLog(conn)
        self.plugins = SqlitePluginRepository(conn)
        self.sessions = SqliteSessionRepository(conn)
        self.previews = SqlitePreviewRepository(conn)
        self.lookalikes = SqliteLookalikeRepository(conn)
        self.duplicate_groups = SqliteDuplicateGroupRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None and not self._committed:
            exc_type, exc = _RollbackError, _RollbackError()
        with suppress(_RollbackError):
            await self._transaction.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if not self._writable:
            raise ReadOnlyTransaction("a read unit of work cannot commit")
        self._committed = True


class SqliteUnitOfWorkFactory:
    def __init__(self, database: Database) -> None:
        self._database = database

    def write(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self._database.write(), writable=True)

    def read(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self._database.read(), writable=False)

    def plugin_registry_changes(self) -> int:
        return int(self._database.glance("SELECT changes FROM plugin_registry_changes"))
