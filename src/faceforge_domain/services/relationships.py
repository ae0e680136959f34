"""Relationships between entities, and relation-type suggestions that grow with use.

Types are free text, created by use: the first ``"mentor of"`` relationship makes ``mentor of`` a
suggestion beside the built-in seed list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, FieldError, Invalid, NotFound
from faceforge_domain.ids import new_id
from faceforge_domain.inputs import clean_text, convert
from faceforge_domain.jsonlimits import check_json
from faceforge_domain.models import Relationship
from faceforge_domain.paging import PageRequest, PageResult, offset_only, page_of
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.queries import RelationshipQuery
from faceforge_domain.services.soft_delete import SoftDelete

MAX_TYPE = 100
MAX_SUGGESTIONS = 100
SEED_TYPES = (
    "spouse",
    "partner",
    "parent",
    "child",
    "sibling",
    "friend",
    "colleague",
    "manager",
    "member of",
    "alias of",
    "relative",
    "mentor",
    "student",
    "rival",
    "enemy",
    "ally",
    "creator",
    "owner",
    "pet",
    "employer",
    "employee",
    "same person as",
)
_SPACES = re.compile(r"\s+")


class RelationshipValues(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    src_entity_id: str
    dst_entity_id: str
    type: str
    fields: dict[str, Any] = msgspec.field(default_factory=dict)


class TypeSuggestion(msgspec.Struct, kw_only=True):
    """A relation type: how many live relationships use it and whether it is a built-in seed."""

    type: str
    count: int
    builtin: bool


def clean_type(raw: str, errors: list[FieldError]) -> str | None:
    """Trimmed, inner whitespace collapsed, 1-100 characters."""
    return clean_text(_SPACES.sub(" ", raw), "type", max_len=MAX_TYPE, errors=errors)


def rank_types(used: list[tuple[str, int]], query: str, limit: int = MAX_SUGGESTIONS) -> list[TypeSuggestion]:
    """Used types (most used first) merged with the seeds; prefix matches before substring matches.

    Types that differ only in case are one suggestion, spelled as the most used variant.
    """
    merged: dict[str, TypeSuggestion] = {}
    for name, count in sorted(used, key=lambda tc: -tc[1]):
        key = name.casefold()
        if key in merged:
            merged[key].count += count
        else:
            merged[key] = TypeSuggestion(type=name, count=count, builtin=False)
    seed_rank = {seed: i for i, seed in enumerate(SEED_TYPES)}
    for seed in SEED_TYPES:
        if seed in merged:
            merged[seed].builtin = True
        else:
            merged[seed] = TypeSuggestion(type=seed, count=0, builtin=True)
    needle = query.strip().casefold()
    ranked = []
    for key, suggestion in merged.items():
        if needle and needle not in key:
            continue
        prefix = 0 if key.startswith(needle) else 1
        ranked.append(((prefix, -suggestion.count, seed_rank.get(key, len(SEED_TYPES)), key), suggestion))
    ranked.sort(key=lambda pair: pair[0])
    return [suggestion for _, suggestion in ranked[:limit]]


async def _no_live_twin(uow: UnitOfWork, clock: Clock, relationship_id: str) -> None:
    """A relationship comes back only if no identical one was made meanwhile (one live link per pair
    and type)."""
    trashed = await uow.relationships.get(relationship_id, include_deleted=True)
    assert trashed is not None  # the restore found it
    twin = await uow.relationships.find(trashed.src_entity_id, trashed.dst_entity_id, trashed.type)
    if twin is not None:
        raise Conflict(
            "an identical relationship exists: remove it before restoring this one",
            {"relationship_id": twin.relationship_id},
        )


class RelationshipService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._soft_delete = SoftDelete(
            uow, clock, "relationship", lambda unit: unit.relationships, before_restore=_no_live_twin
        )

    async def create(self, raw: Mapping[str, Any]) -> Relationship:
        """Link two existing, different entities; an identical live link is a conflict, not a copy."""
        values = convert(raw, RelationshipValues)
        errors: list[FieldError] = []
        type_ = clean_type(values.type, errors)
        check_json("fields", values.fields, errors)
        if values.src_entity_id == values.dst_entity_id:
            errors.append(FieldError("dst_entity_id", "must differ from src_entity_id"))
        async with self._uow.write() as uow:
            for field in ("src_entity_id", "dst_entity_id"):
                if await uow.entities.get(getattr(values, field)) is None:
                    errors.append(FieldError(field, "no entity has this id"))
            if errors:
                raise Invalid(errors)
            assert type_ is not None
            existing = await uow.relationships.find(values.src_entity_id, values.dst_entity_id, type_)
            if existing is not None:
                raise Conflict(
                    "this relationship already exists",
                    {"relationship_id": existing.relationship_id},
                )
            now = self._clock.now()
            relationship = Relationship(
                relationship_id=new_id(),
                src_entity_id=values.src_entity_id,
                dst_entity_id=values.dst_entity_id,
                type=type_,
                fields=values.fields,
                created_at=now,
                updated_at=now,
            )
            await uow.relationships.add(relationship)
            await uow.commit()
        return relationship

    async def get(self, relationship_id: str) -> Relationship:
        async with self._uow.read() as uow:
            relationship = await uow.relationships.get(relationship_id)
        if relationship is None:
            raise NotFound("relationship", relationship_id)
        return relationship

    async def search(self, query: RelationshipQuery, page: PageRequest) -> PageResult[Relationship]:
        """Relationships oldest first (offset paging)."""
        offset_only(page, "relationships")
        async with self._uow.read() as uow:
            if query.entity_id is not None and await uow.entities.get(query.entity_id) is None:
                raise NotFound("entity", query.entity_id)
            items = await uow.relationships.search(query, limit=page.limit, offset=page.offset)
            total = await uow.relationships.count(query)
        return page_of(items, total, page)

    async def delete(self, relationship_id: str) -> None:
        """Soft delete: hidden from lists and lookups."""
        await self._soft_delete.delete(relationship_id)

    async def restore(self, relationship_id: str) -> Relationship:
        """Undo a soft delete; refused (``Conflict``) while an identical live relationship exists."""
        return await self._soft_delete.restore(relationship_id)

    async def delete_forever(self, relationship_id: str) -> None:
        """Remove a relationship in the trash for good; one not in the trash is a ``Conflict``."""
        async with self._uow.write() as uow:
            await self._soft_delete.trashed(uow, relationship_id)
            await uow.relationships.remove(relationship_id)
            await uow.commit()

    async def suggest_types(self, query: str = "", limit: int = 20) -> list[TypeSuggestion]:
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise Invalid.one("limit", f"must be between 1 and {MAX_SUGGESTIONS}")
        async with self._uow.read() as uow:
            used = await uow.relationships.type_counts()
        return rank_types(used, query, limit)
