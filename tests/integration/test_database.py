"""The SQLite spine: one serialised writer, snapshot readers, and units of work that roll back."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import anyio.lowlevel
import pytest

from faceforge_adapters.sqlite.database import READERS, Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.ids import new_id
from faceforge_domain.models import Entity
from faceforge_domain.transaction import ReadOnlyTransaction

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    async with db.write() as conn:
        await conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        await conn.execute("INSERT INTO counter VALUES (0)")
    yield db
    await db.close()


async def count(db: Database) -> int:
    async with db.read() as conn, conn.execute("SELECT n FROM counter") as cursor:
        row = await cursor.fetchone()
        assert row is not None
        return int(row[0])


def entity(clock: FixedClock) -> Entity:
    now = clock.now()
    return Entity(entity_id=new_id(), display_name="Ada Lovelace", created_at=now, updated_at=now)


async def test_a_write_block_commits_when_it_ends_normally(database: Database) -> None:
    async with database.write() as conn:
        await conn.execute("UPDATE counter SET n = 5")
    assert await count(database) == 5


async def test_a_write_block_rolls_back_when_it_raises(database: Database) -> None:
    async def failing_write() -> None:
        async with database.write() as conn:
            await conn.execute("UPDATE counter SET n = 5")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_write()
    assert await count(database) == 0
    async with database.write() as conn:  # the writer is usable again
        await conn.execute("UPDATE counter SET n = 1")
    assert await count(database) == 1


@pytest.mark.parametrize("mode", ["write", "read"])
async def test_a_cancel_during_begin_leaves_no_transaction_open(
    database: Database, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The caller is cancelled while its BEGIN runs: the connection must still end up idle."""
    scope = anyio.CancelScope()

    def cancelling_at_begin(run: Callable[..., Any]) -> Callable[..., Any]:
        def cancel_at_begin(conn: aiosqlite.Connection, sql: str, *args: Any) -> Any:
            if sql.startswith("BEGIN"):
                scope.cancel()
            return run(conn, sql, *args)

        return cancel_at_begin

    for method in ("execute", "executescript"):  # a reader begins with a script that pins its snapshot
        monkeypatch.setattr(
            aiosqlite.Connection, method, cancelling_at_begin(getattr(aiosqlite.Connection, method))
        )
    with scope:
        async with database.write() if mode == "write" else database.read():
            await anyio.lowlevel.checkpoint()
    monkeypatch.undo()
    assert scope.cancelled_caught
    async with database.write() as conn:  # the writer is usable again: no nested BEGIN
        await conn.execute("UPDATE counter SET n = 2")
    for _ in range(READERS + 1):  # and so is every reader
        assert await count(database) == 2


async def test_readers_do_not_see_an_uncommitted_write(database: Database) -> None:
    async with database.write() as conn:
        await conn.execute("UPDATE counter SET n = 9")
        assert await count(database) == 0
    assert await count(database) == 9


async def test_a_reader_keeps_one_snapshot_while_the_writer_commits(database: Database) -> None:
    async with database.read() as reader:
        async with reader.execute("SELECT n FROM counter") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
        async with database.write() as conn:
            await conn.execute("UPDATE counter SET n = 3")
        async with reader.execute("SELECT n FROM counter") as cursor:
            assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    assert await count(database) == 3


async def test_reader_connections_cannot_write(database: Database) -> None:
    with pytest.raises(ReadOnlyTransaction) as refused:
        async with database.read() as conn:
            await conn.execute("UPDATE counter SET n = 1")
    assert isinstance(refused.value.__cause__, sqlite3.OperationalError)
    assert "readonly" in str(refused.value.__cause__)
    assert await count(database) == 0


async def test_concurrent_writers_are_serialised(database: Database) -> None:
    async def bump() -> None:
        async with database.write() as conn:
            async with conn.execute("SELECT n FROM counter") as cursor:
                value = (await cursor.fetchone())[0]  # type: ignore[index]
            await anyio.lowlevel.checkpoint()  # let the others try to interleave
            await conn.execute("UPDATE counter SET n = ?", (value + 1,))

    async with anyio.create_task_group() as tasks:
        for _ in range(25):
            tasks.start_soon(bump)
    assert await count(database) == 25


async def test_more_concurrent_reads_than_reader_connections_all_finish(database: Database) -> None:
    results: list[int] = []

    async def read() -> None:
        results.append(await count(database))

    async with anyio.create_task_group() as tasks:
        for _ in range(READERS * 3):
            tasks.start_soon(read)
    assert results == [0] * (READERS * 3)


async def test_healthy_answers_true_for_an_open_database(database: Database) -> None:
    assert await database.healthy() is True


async def test_unit_of_work_without_commit_rolls_back(database: Database) -> None:
    units, clock = SqliteUnitOfWorkFactory(database), FixedClock()
    forgotten = entity(clock)
    async with units.write() as uow:
        await uow.entities.add(forgotten)
    async with units.read() as uow:
        assert await uow.entities.get(forgotten.entity_id) is None


async def test_unit_of_work_commit_persists(database: Database) -> None:
    units, clock = SqliteUnitOfWorkFactory(database), FixedClock()
    kept = entity(clock)
    async with units.write() as uow:
        await uow.entities.add(kept)
        await uow.commit()
    async with units.read() as uow:
        stored = await uow.entities.get(kept.entity_id)
    assert stored is not None
    assert stored.display_name == "Ada Lovelace"


async def test_unit_of_work_rolls_back_when_the_block_raises_even_after_commit(database: Database) -> None:
    units, clock = SqliteUnitOfWorkFactory(database), FixedClock()
    doomed = entity(clock)

    async def commit_then_fail() -> None:
        async with units.write() as uow:
            await uow.entities.add(doomed)
            await uow.commit()
            raise ValueError("late failure")

    with pytest.raises(ValueError, match="late"):
        await commit_then_fail()
    async with units.read() as uow:
        assert await uow.entities.get(doomed.entity_id) is None
