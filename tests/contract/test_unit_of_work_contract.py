"""The unit-of-work contract, run against the in-memory fake and real SQLite: a read unit of work is a
snapshot taken when its block starts, and it refuses writes and commits in the same way in both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from units_support import BACKENDS, units_for

from faceforge_domain.clock import FixedClock
from faceforge_domain.events import NewEvent
from faceforge_domain.ids import new_id
from faceforge_domain.models import Entity
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.transaction import ReadOnlyTransaction

pytestmark = pytest.mark.anyio
CLOCK = FixedClock()


@pytest.fixture(params=BACKENDS)
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    async with units_for(request.param, tmp_path, CLOCK) as made:
        yield made


def entity(name: str) -> Entity:
    now = CLOCK.now()
    return Entity(entity_id=new_id(), display_name=name, created_at=now, updated_at=now)


async def add_entity(uow: UnitOfWork) -> None:
    await uow.entities.add(entity("Ada"))


async def append_event(uow: UnitOfWork) -> None:
    await uow.events.append(NewEvent(ts=CLOCK.now(), type="entity.created", subject_id=new_id()))


async def stored(units: UnitOfWorkFactory) -> tuple[int, int]:
    """How many entities and events are stored."""
    async with units.read() as uow:
        return await uow.entities.count(include_deleted=True), await uow.events.last_id()


@pytest.mark.parametrize("write", [add_entity, append_event], ids=["a record", "an event"])
async def test_a_write_through_a_read_unit_of_work_fails_and_keeps_nothing(
    units: UnitOfWorkFactory, write: Callable[[UnitOfWork], Awaitable[None]]
) -> None:
    with pytest.raises(ReadOnlyTransaction):
        async with units.read() as uow:
            await write(uow)
    assert await stored(units) == (0, 0)


async def test_committing_a_read_unit_of_work_fails(units: UnitOfWorkFactory) -> None:
    with pytest.raises(ReadOnlyTransaction):
        async with units.read() as uow:
            await uow.commit()


async def test_a_read_unit_of_work_sees_the_snapshot_of_its_start_whatever_commits_meanwhile(
    units: UnitOfWorkFactory,
) -> None:
    first, second = entity("Ada"), entity("Grace")
    async with units.read() as uow:
        async with units.write() as writer:  # before the reader's first read
            await writer.entities.add(first)
            await writer.commit()
        assert await uow.entities.get(first.entity_id) is None
        async with units.write() as writer:  # after it
            await writer.entities.add(second)
            await writer.commit()
        assert await uow.entities.get(second.entity_id) is None
    async with units.read() as uow:
        assert await uow.entities.get(first.entity_id) == first
        assert await uow.entities.get(second.entity_id) == second
