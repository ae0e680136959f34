"""InMemoryEntityRepository: the entity fake."""

from __future__ import annotations

import copy

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Entity


class InMemoryEntityRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, entity: Entity) -> None:
        if entity.entity_id in self._state.entities:
            raise KeyError(entity.entity_id)
        self._state.entities[entity.entity_id] = copy.deepcopy(entity)

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None:
        entity = self._state.entities.get(entity_id)
        if entity is None or (entity.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(entity)

    async def count(self, *, include_deleted: bool = False) -> int:
        return sum(1 for e in self._state.entities.values() if include_deleted or e.deleted_at is None)
