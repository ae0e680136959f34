"""Soft delete and restore behave the same for every record that has ``deleted_at``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import NotFound
from faceforge_domain.events import EventFilter
from faceforge_domain.ports import UnitOfWork
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.descriptors import DescriptorService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.fielddefs import FieldDefinitionService
from faceforge_domain.services.relationships import RelationshipService

pytestmark = pytest.mark.anyio
MISSING = "0" * 64


async def _bytes() -> Any:
    yield b"some bytes"


@dataclass
class Kind:
    """One kind of record: how to make one, read it back, and the events its delete and restore write."""

    name: str
    make: Callable[[World], Awaitable[str]]
    read: Callable[[UnitOfWork, str], Awaitable[Any]]
    service: Callable[[World], Any]
    events: tuple[str, str] | None


class World:
    def __init__(self) -> None:
        self.units = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock()
        self.entities = EntityService(self.units, self.clock)
        self.assets = AssetService(self.units, InMemoryBlobStore(), self.clock)
        self.descriptors = DescriptorService(self.units, self.clock)
        self.relationships = RelationshipService(self.units, self.clock)
        self.field_defs = FieldDefinitionService(self.units, self.clock)

    async def event_types(self) -> list[str]:
        async with self.units.read() as uow:
            return [event.type for event in await uow.events.after(0, EventFilter(), limit=1000)]


async def _entity(world: World) -> str:
    return (await world.entities.create("Ada")).entity_id


async def _asset(world: World) -> str:
    return (await world.assets.ingest(_bytes(), IngestOptions(filename="a.txt"))).asset.asset_id


async def _descriptor(world: World) -> str:
    await world.field_defs.create({"field_key": "eyes", "field_type": "string"})
    entity_id = await _entity(world)
    return (await world.descriptors.create(entity_id, {"field_key": "eyes", "value": "green"})).descriptor_id


async def _relationship(world: World) -> str:
    first = await _entity(world)
    second = (await world.entities.create("Bob")).entity_id
    created = await world.relationships.create(
        {"src_entity_id": first, "dst_entity_id": second, "type": "friend"}
    )
    return created.relationship_id


KINDS = [
    Kind(
        "entity",
        _entity,
        lambda uow, key: uow.entities.get(key, include_deleted=True),
        lambda w: w.entities,
        ("entity.deleted", "entity.restored"),
    ),
    Kind(
        "asset",
        _asset,
        lambda uow, key: uow.assets.get(key, include_deleted=True),
        lambda w: w.assets,
        ("asset.deleted", "asset.restored"),
    ),
    Kind(
        "descriptor",
        _descriptor,
        lambda uow, key: uow.descriptors.get(key, include_deleted=True),
        lambda w: w.descriptors,
        None,
    ),
    Kind(
        "relationship",
        _relationship,
        lambda uow, key: uow.relationships.get(key, include_deleted=True),
        lambda w: w.relationships,
        None,
    ),
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_delete_hides_the_record_stamps_it_and_records_its_event(kind: Kind) -> None:
    world = World()
    key = await kind.make(world)
    before = await world.event_types()
    world.clock.advance(timedelta(seconds=5))
    await kind.service(world).delete(key)
    async with world.units.read() as uow:
        hidden = await kind.read(uow, key)
    assert hidden.deleted_at == hidden.updated_at == world.clock.now()
    with pytest.raises(NotFound):
        await kind.service(world).get(key)
    expected = [kind.events[0]] if kind.events else []
    assert await world.event_types() == before + expected


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_deleting_an_unknown_or_hidden_record_is_not_found_and_changes_nothing(kind: Kind) -> None:
    world = World()
    key = await kind.make(world)
    await kind.service(world).delete(key)
    async with world.units.read() as uow:
        hidden = await kind.read(uow, key)
    events = await world.event_types()
    world.clock.advance()
    for missing in (key, MISSING):
        with pytest.raises(NotFound) as caught:
            await kind.service(world).delete(missing)
        assert caught.value.code == "not_found"
        assert kind.name in caught.value.message
    async with world.units.read() as uow:
        assert await kind.read(uow, key) == hidden
    assert await world.event_types() == events


@pytest.mark.parametrize("kind", [k for k in KINDS if k.events], ids=lambda k: k.name)
async def test_restore_brings_the_record_back_and_a_live_one_is_left_alone(kind: Kind) -> None:
    world = World()
    key = await kind.make(world)
    service = kind.service(world)
    live = await service.get(key)
    assert await service.restore(key) == live  # nothing to undo: unchanged, no event
    await service.delete(key)
    world.clock.advance()
    restored = await service.restore(key)
    assert restored.deleted_at is None
    assert restored.updated_at == world.clock.now()
    assert await service.get(key) == restored
    assert kind.events is not None
    assert (await world.event_types())[-2:] == list(kind.events)
    with pytest.raises(NotFound):
        await service.restore(MISSING)
