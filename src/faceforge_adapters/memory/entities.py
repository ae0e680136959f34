"""InMemoryEntityRepository: the entity fake, with the same filters and orders as the SQLite one."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Sequence
from typing import Any

import msgspec

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Entity
from faceforge_domain.queries import EntityQuery, KeysetPosition, fold
from faceforge_domain.services.entities import sort_value


def field_matches(fields: dict[str, Any], key: str, wanted: str) -> bool:
    """``field.<key>=<wanted>``: the value (or one element of a list value) written as text is ``wanted``.

    Strings compare as they are; numbers and booleans as their JSON text (``3``, ``true``).
    """
    value = fields.get(key)
    candidates = value if isinstance(value, list) else [value]
    for item in candidates:
        if item is None or isinstance(item, dict | list):
            continue
        text = item if isinstance(item, str) else msgspec.json.encode(item).decode()
        if text == wanted:
            return True
    return False


def _matches(entity: Entity, query: EntityQuery) -> bool:
    if entity.deleted_at is not None and not query.include_deleted:
        return False
    if entity.deleted_at is None and query.in_trash:
        return False
    if query.q is not None:
        needle = query.q.lower()
        if not any(needle in text.lower() for text in (entity.display_name, *entity.aliases)):
            return False
    held = {fold(tag) for tag in entity.tags}
    if any(fold(tag) not in held for tag in query.tags):
        return False
    if any(not any(tag.startswith(fold(prefix)) for tag in held) for prefix in query.tag_prefixes):
        return False
    return all(field_matches(entity.fields, key, wanted) for key, wanted in query.fields)


def _sort_key(sort_by: str) -> Callable[[Entity], tuple[str, str]]:
    fold_value = fold if sort_by == "display_name" else str
    return lambda e: (fold_value(sort_value(e, sort_by)), e.entity_id)


class InMemoryEntityRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def remove(self, entity_id: str) -> bool:
        """What the database's cascades do: everything hanging off the entity goes with it."""
        state = self._state
        if state.entities.pop(entity_id, None) is None:
            return False
        state.external_ids = {key: owner for key, owner in state.external_ids.items() if owner != entity_id}
        state.links = {pair: role for pair, role in state.links.items() if pair[0] != entity_id}
        state.descriptors = {k: d for k, d in state.descriptors.items() if d.entity_id != entity_id}
        state.relationships = {
            k: r
            for k, r in state.relationships.items()
            if entity_id not in (r.src_entity_id, r.dst_entity_id)
        }
        return True

    async def add(self, entity: Entity) -> None:
        if entity.entity_id in self._state.entities:
            raise KeyError(entity.entity_id)
        for source, ext in entity.external_ids.items():
            if (source, ext) in self._state.external_ids:
                raise KeyError((source, ext))
        self._state.entities[entity.entity_id] = copy.deepcopy(entity)
        self._index_external_ids(entity)

    async def add_many(self, entities: Sequence[Entity]) -> None:
        for entity in entities:
            await self.add(entity)

    async def update(self, entity: Entity) -> None:
        if entity.entity_id not in self._state.entities:
            raise KeyError(entity.entity_id)
        self._state.external_ids = {
            pair: owner for pair, owner in self._state.external_ids.items() if owner != entity.entity_id
        }
        self._state.entities[entity.entity_id] = copy.deepcopy(entity)
        self._index_external_ids(entity)

    def _index_external_ids(self, entity: Entity) -> None:
        for source, ext in entity.external_ids.items():
            self._state.external_ids[(source, ext)] = entity.entity_id

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None:
        entity = self._state.entities.get(entity_id)
        if entity is None or (entity.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(entity)

    async def count(self, *, include_deleted: bool = False) -> int:
        return sum(1 for e in self._state.entities.values() if include_deleted or e.deleted_at is None)

    async def find_by_external_id(self, source: str, external_id: str) -> str | None:
        return self._state.external_ids.get((source, external_id))

    async def search(
        self, query: EntityQuery, *, limit: int, offset: int = 0, after: KeysetPosition | None = None
    ) -> list[Entity]:
        key = _sort_key(query.sort_by)
        descending = query.sort_order == "desc"
        rows = sorted(
            (e for e in self._state.entities.values() if _matches(e, query)), key=key, reverse=descending
        )
        if after is not None:
            mark = (fold(after.value) if query.sort_by == "display_name" else after.value, after.last_id)
            rows = [e for e in rows if (key(e) < mark if descending else key(e) > mark)]
        return [copy.deepcopy(e) for e in rows[offset : offset + limit]]

    async def count_matching(self, query: EntityQuery) -> int:
        return sum(1 for e in self._state.entities.values() if _matches(e, query))

    async def tag_counts(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        held: dict[str, tuple[str, int]] = {}  # folded tag -> (first spelling seen, entities)
        for e in self._state.entities.values():
            if e.deleted_at is not None:
                continue
            for tag in {fold(t): t for t in e.tags}.values():
                if fold(tag).startswith(fold(prefix)):
                    name, count = held.get(fold(tag), (tag, 0))
                    held[fold(tag)] = (min(name, tag), count + 1)
        ranked = sorted(held.values(), key=lambda item: (-item[1], fold(item[0])))
        return ranked[:limit]

    async def with_fields(self, field_key: str | None) -> list[tuple[str, dict[str, Any]]]:
        return [
            (e.entity_id, copy.deepcopy(e.fields))
            for e in sorted(self._state.entities.values(), key=lambda e: e.entity_id)
            if e.deleted_at is None and (field_key is None or field_key in e.fields)
        ]

    async def showing_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        wanted = set(asset_ids)
        return sorted(
            e.entity_id for e in self._state.entities.values() if e.primary_thumbnail_asset_id in wanted
        )

    async def keeping_trashed_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        wanted = set(asset_ids)
        return sorted(
            e.entity_id for e in self._state.entities.values() if e.trashed_thumbnail_asset_id in wanted
        )
