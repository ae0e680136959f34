"""Events commit with their change: a change whose transaction fails leaves no event behind."""

from __future__ import annotations

import pytest

from faceforge_adapters.memory.uow import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.services.entities import EntityService

pytestmark = pytest.mark.anyio


class CommitFails(Exception):
    pass


class FailingCommitUnitOfWork(InMemoryUnitOfWork):
    """A unit of work whose commit fails, as a full disk or a lost connection would make it."""

    async def commit(self) -> None:
        raise CommitFails


class FailingCommitFactory(InMemoryUnitOfWorkFactory):
    def write(self) -> InMemoryUnitOfWork:
        return FailingCommitUnitOfWork(self, writable=True)


async def test_an_entity_whose_transaction_fails_leaves_no_event() -> None:
    units = FailingCommitFactory()
    with pytest.raises(CommitFails):
        await EntityService(units, FixedClock()).create("Ada")
    assert units.state.entities == {}
    assert units.state.events == []


async def test_a_committed_entity_has_its_event() -> None:
    units = InMemoryUnitOfWorkFactory()
    entity = await EntityService(units, FixedClock()).create("Ada")
    assert [(e.type, e.subject_id) for e in units.state.events] == [("entity.created", entity.entity_id)]
