"""The main picture follows its file: trashed -> cleared and remembered, restored -> back if still free,
unlinked -> cleared, purged -> forgotten. Against the in-memory fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.models import Entity
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.entities import EntityService

pytestmark = pytest.mark.anyio


class World:
    def __init__(self) -> None:
        self.units = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock()
        self.entities = EntityService(self.units, self.clock)
        self.assets = AssetService(self.units, InMemoryBlobStore(), self.clock)

    async def picture(self, data: bytes, *linked_to: str) -> str:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"\x89PNG\r\n\x1a\n" + data

        asset = (await self.assets.ingest(chunks(), IngestOptions(filename="p.png"))).asset
        for entity_id in linked_to:
            await self.assets.link(entity_id, asset.asset_id)
        return asset.asset_id

    async def shown_by(self, name: str, picture: str | None = None) -> Entity:
        """A new entity named ``name`` showing ``picture`` (linked to it)."""
        entity = await self.entities.create(name)
        if picture is not None:
            await self.assets.link(entity.entity_id, picture)
            entity = await self.entities.patch(entity.entity_id, {"primary_thumbnail_asset_id": picture})
        return entity

    async def main_of(self, entity_id: str) -> str | None:
        return (await self.entities.get(entity_id, include_deleted=True)).primary_thumbnail_asset_id


@pytest.fixture
def world() -> World:
    return World()


async def test_trashing_the_main_picture_clears_it_for_every_entity_showing_it(world: World) -> None:
    picture = await world.picture(b"one")
    ada, bea = await world.shown_by("Ada", picture), await world.shown_by("Bea", picture)
    other = await world.shown_by("Cy", await world.picture(b"two"))
    await world.assets.delete(picture)
    assert await world.main_of(ada.entity_id) is None
    assert await world.main_of(bea.entity_id) is None
    assert await world.main_of(other.entity_id) == other.primary_thumbnail_asset_id


async def test_restoring_the_file_brings_the_main_picture_back(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada", picture)
    await world.assets.delete(picture)
    await world.assets.restore(picture)
    assert await world.main_of(ada.entity_id) == picture
    await world.assets.delete(picture)  # and the memory works again for the next trip
    await world.assets.restore(picture)
    assert await world.main_of(ada.entity_id) == picture


async def test_a_main_picture_chosen_meanwhile_stays_when_the_old_one_is_restored(world: World) -> None:
    picture, newer = await world.picture(b"one"), await world.picture(b"two")
    ada = await world.shown_by("Ada", picture)
    await world.assets.delete(picture)
    await world.entities.patch(ada.entity_id, {"primary_thumbnail_asset_id": newer})
    await world.assets.restore(picture)
    assert await world.main_of(ada.entity_id) == newer


async def test_renaming_while_the_picture_is_in_the_trash_keeps_it_coming_back(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada", picture)
    await world.assets.delete(picture)
    await world.entities.patch(ada.entity_id, {"display_name": "Ada L.", "tags": ["x"]})
    await world.assets.restore(picture)
    assert await world.main_of(ada.entity_id) == picture


async def test_a_deleted_entity_gets_its_picture_back_too(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada", picture)
    await world.entities.delete(ada.entity_id)
    await world.assets.delete(picture)
    await world.assets.restore(picture)
    await world.entities.restore(ada.entity_id)
    assert await world.main_of(ada.entity_id) == picture


async def test_unlinking_the_main_picture_clears_it_for_that_entity_only(world: World) -> None:
    picture = await world.picture(b"one")
    ada, bea = await world.shown_by("Ada", picture), await world.shown_by("Bea", picture)
    assert await world.assets.unlink(ada.entity_id, picture)
    assert await world.main_of(ada.entity_id) is None
    assert await world.main_of(bea.entity_id) == picture


async def test_unlinking_another_file_leaves_the_main_picture(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada", picture)
    other = await world.picture(b"two", ada.entity_id)
    await world.assets.unlink(ada.entity_id, other)
    assert await world.main_of(ada.entity_id) == picture


async def test_purging_the_file_forgets_it(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.entities.create("Ada")  # a main picture need not be linked; purge takes only unlinked
    await world.entities.patch(ada.entity_id, {"primary_thumbnail_asset_id": picture})
    await world.assets.delete(picture)
    report = await world.assets.purge()
    assert report.asset_ids == [picture]
    async with world.units.read() as uow:
        assert await uow.entities.keeping_trashed_thumbnail([picture]) == []


async def test_a_trashed_file_cannot_be_chosen_as_main_picture(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada")
    await world.assets.delete(picture)
    with pytest.raises(Invalid):
        await world.entities.patch(ada.entity_id, {"primary_thumbnail_asset_id": picture})
    assert await world.main_of(ada.entity_id) is None


async def test_the_entity_changes_when_its_main_picture_goes(world: World) -> None:
    picture = await world.picture(b"one")
    ada = await world.shown_by("Ada", picture)
    before = (await world.entities.get(ada.entity_id)).updated_at
    world.clock.advance(timedelta(seconds=1))
    await world.assets.delete(picture)
    assert (await world.entities.get(ada.entity_id)).updated_at > before
