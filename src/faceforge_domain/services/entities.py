"""Entity use cases."""

from __future__ import annotations

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Invalid, NotFound
from faceforge_domain.ids import new_id
from faceforge_domain.models import Entity
from faceforge_domain.ports import UnitOfWorkFactory

MAX_DISPLAY_NAME = 512


def clean_display_name(raw: str) -> str:
    """Trim and check a display name: 1-512 characters after trimming."""
    name = raw.strip()
    if not name:
        raise Invalid.one("display_name", "must not be empty")
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid.one("display_name", f"must be at most {MAX_DISPLAY_NAME} characters")
    return name


class EntityService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create(self, display_name: str) -> Entity:
        now = self._clock.now()
        entity = Entity(
            entity_id=new_id(),
            display_name=clean_display_name(display_name),
            created_at=now,
            updated_at=now,
        )
        async with self._uow.write() as uow:
            await uow.entities.add(entity)
            await uow.commit()
        return entity

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity:
        async with self._uow.read() as uow:
            entity = await uow.entities.get(entity_id, include_deleted=include_deleted)
        if entity is None:
            raise NotFound("entity", entity_id)
        return entity
