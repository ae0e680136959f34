"""The rules of an entity's main picture when its file goes away and comes back.

A main picture must always be a file that can be shown. When that file goes to the trash, every entity
showing it loses it (``primary_thumbnail_asset_id`` becomes ``None``) and remembers it in
``trashed_thumbnail_asset_id``; when the file is restored, each entity that still has no main picture
gets it back. Unlinking the file from an entity clears that entity's main picture for good, and purging
the file makes every entity forget it. Choosing another main picture meanwhile forgets the memory.
"""

from __future__ import annotations

from collections.abc import Collection

from faceforge_domain.clock import Clock
from faceforge_domain.events import record
from faceforge_domain.models import Entity
from faceforge_domain.ports import UnitOfWork


async def set_aside(uow: UnitOfWork, clock: Clock, asset_id: str) -> None:
    """``asset_id`` went to the trash: the entities showing it show nothing and remember it."""
    for entity in await _entities(uow, await uow.entities.showing_thumbnail([asset_id])):
        entity.primary_thumbnail_asset_id = None
        entity.trashed_thumbnail_asset_id = asset_id
        await _save(uow, clock, entity)


async def bring_back(uow: UnitOfWork, clock: Clock, asset_id: str) -> None:
    """``asset_id`` was restored: the entities that lost it, and have no other main picture since,
    show it again."""
    for entity in await _entities(uow, await uow.entities.keeping_trashed_thumbnail([asset_id])):
        entity.trashed_thumbnail_asset_id = None
        if entity.primary_thumbnail_asset_id is None:
            entity.primary_thumbnail_asset_id = asset_id
        await _save(uow, clock, entity)


async def drop_for(uow: UnitOfWork, clock: Clock, entity_id: str, asset_id: str) -> None:
    """``asset_id`` was unlinked from ``entity_id``: that entity no longer shows or keeps it."""
    for entity in await _entities(uow, [entity_id]):
        if asset_id in (entity.primary_thumbnail_asset_id, entity.trashed_thumbnail_asset_id):
            if entity.primary_thumbnail_asset_id == asset_id:
                entity.primary_thumbnail_asset_id = None
            entity.trashed_thumbnail_asset_id = None
            await _save(uow, clock, entity)


async def forget(uow: UnitOfWork, clock: Clock, asset_ids: Collection[str]) -> None:
    """``asset_ids`` are gone for good: no entity keeps them to bring back."""
    for entity in await _entities(uow, await uow.entities.keeping_trashed_thumbnail(asset_ids)):
        entity.trashed_thumbnail_asset_id = None
        await _save(uow, clock, entity)


async def _entities(uow: UnitOfWork, entity_ids: Collection[str]) -> list[Entity]:
    found = [await uow.entities.get(entity_id, include_deleted=True) for entity_id in entity_ids]
    return [entity for entity in found if entity is not None]


async def _save(uow: UnitOfWork, clock: Clock, entity: Entity) -> None:
    entity.updated_at = clock.now()
    await uow.entities.update(entity)
    await record(uow, clock, "entity.updated", entity.entity_id)
