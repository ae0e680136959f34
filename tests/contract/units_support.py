"""Units of work for contract tests that run against both the in-memory fakes and real SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.ports import UnitOfWorkFactory

BACKENDS = ["memory", "sqlite"]


@asynccontextmanager
async def units_for(backend: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[UnitOfWorkFactory]:
    """The fake for ``memory``; a fresh database file under ``tmp_path`` for ``sqlite``."""
    if backend == "memory":
        yield InMemoryUnitOfWorkFactory()
        return
    database = await Database.open(tmp_path / "core.sqlite3", clock)
    try:
        yield SqliteUnitOfWorkFactory(database)
    finally:
        await database.close()
