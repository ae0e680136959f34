"""InMemoryRelationshipRepository: the relationship fake."""

from __future__ import annotations

import copy
from collections import Counter

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Relationship
from faceforge_domain.queries import RelationshipQuery, fold


def _matches(r: Relationship, query: RelationshipQuery) -> bool:
    if r.deleted_at is not None and not query.include_deleted:
        return False
    if r.deleted_at is None and query.in_trash:
        return False
    if query.type is not None and fold(r.type) != fold(query.type):
        return False
    if query.entity_id is None:
        return True
    outgoing = r.src_entity_id == query.entity_id
    incoming = r.dst_entity_id == query.entity_id
    return {"out": outgoing, "in": incoming, "both": outgoing or incoming}[query.direction]


class InMemoryRelationshipRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, relationship: Relationship) -> None:
        if relationship.relationship_id in self._state.relationships:
            raise KeyError(relationship.relationship_id)
        ends = (relationship.src_entity_id, relationship.dst_entity_id, relationship.type)
        if relationship.src_entity_id == relationship.dst_entity_id or await self.find(*ends):
            raise ValueError("self-relation or duplicate relationship")
        self._state.relationships[relationship.relationship_id] = copy.deepcopy(relationship)

    async def update(self, relationship: Relationship) -> None:
        self._state.relationships[relationship.relationship_id] = copy.deepcopy(relationship)

    async def get(self, relationship_id: str, *, include_deleted: bool = False) -> Relationship | None:
        found = self._state.relationships.get(relationship_id)
        if found is None or (found.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(found)

    async def remove(self, relationship_id: str) -> bool:
        return self._state.relationships.pop(relationship_id, None) is not None

    async def find(self, src_entity_id: str, dst_entity_id: str, type_: str) -> Relationship | None:
        for r in self._state.relationships.values():
            if (r.src_entity_id, r.dst_entity_id, r.type) == (src_entity_id, dst_entity_id, type_) and (
                r.deleted_at is None
            ):
                return copy.deepcopy(r)
        return None

    def _matching(self, query: RelationshipQuery) -> list[Relationship]:
        found = [r for r in self._state.relationships.values() if _matches(r, query)]
        found.sort(key=lambda r: (r.created_at, r.relationship_id))
        return found

    async def search(self, query: RelationshipQuery, *, limit: int, offset: int = 0) -> list[Relationship]:
        return copy.deepcopy(self._matching(query)[offset : offset + limit])

    async def count(self, query: RelationshipQuery) -> int:
        return len(self._matching(query))

    async def type_counts(self) -> list[tuple[str, int]]:
        counts = Counter(r.type for r in self._state.relationships.values() if r.deleted_at is None)
        return sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))
