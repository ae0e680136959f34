"""InMemoryFieldDefinitionRepository: the field-definition fake."""

from __future__ import annotations

import copy

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import FieldDefinition, FieldScope


class InMemoryFieldDefinitionRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, definition: FieldDefinition) -> None:
        key = (definition.scope, definition.field_key)
        if key in self._state.field_defs:
            raise KeyError(key)
        self._state.field_defs[key] = copy.deepcopy(definition)

    async def update(self, definition: FieldDefinition) -> None:
        self._state.field_defs[(definition.scope, definition.field_key)] = copy.deepcopy(definition)

    async def get(self, scope: FieldScope, field_key: str) -> FieldDefinition | None:
        return copy.deepcopy(self._state.field_defs.get((scope, field_key)))

    async def all(self, scope: FieldScope | None = None) -> list[FieldDefinition]:
        found = [d for d in self._state.field_defs.values() if scope is None or d.scope == scope]
        found.sort(key=lambda d: (d.order, d.field_key, d.scope))
        return copy.deepcopy(found)

    async def delete(self, scope: FieldScope, field_key: str) -> bool:
        return self._state.field_defs.pop((scope, field_key), None) is not None
