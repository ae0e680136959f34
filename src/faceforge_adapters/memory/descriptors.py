"""InMemoryDescriptorRepository: the descriptor fake."""

from __future__ import annotations

import copy

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Descriptor


class InMemoryDescriptorRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, descriptor: Descriptor) -> None:
        if descriptor.descriptor_id in self._state.descriptors:
            raise KeyError(descriptor.descriptor_id)
        self._state.descriptors[descriptor.descriptor_id] = copy.deepcopy(descriptor)

    async def update(self, descriptor: Descriptor) -> None:
        self._state.descriptors[descriptor.descriptor_id] = copy.deepcopy(descriptor)

    async def get(self, descriptor_id: str, *, include_deleted: bool = False) -> Descriptor | None:
        found = self._state.descriptors.get(descriptor_id)
        if found is None or (found.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(found)

    async def remove(self, descriptor_id: str) -> bool:
        return self._state.descriptors.pop(descriptor_id, None) is not None

    def _matching(
        self, entity_id: str | None, field_key: str | None, include_deleted: bool, in_trash: bool = False
    ) -> list[Descriptor]:
        found = [
            d
            for d in self._state.descriptors.values()
            if (entity_id is None or d.entity_id == entity_id)
            and (field_key is None or d.field_key == field_key)
            and (include_deleted or in_trash or d.deleted_at is None)
            and (not in_trash or d.deleted_at is not None)
        ]
        found.sort(key=lambda d: (d.created_at, d.descriptor_id))
        return found

    async def select(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Descriptor]:
        found = self._matching(entity_id, field_key, include_deleted, in_trash)
        end = None if limit is None else offset + limit
        return copy.deepcopy(found[offset:end])

    async def count(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
    ) -> int:
        return len(self._matching(entity_id, field_key, include_deleted, in_trash))
