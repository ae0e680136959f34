"""Entity use cases: create, read, list with paging, merge-patch, soft delete and restore, bulk upsert.

Every write goes through ``_store``: the values are cleaned and checked (field definitions, external-id
ownership, thumbnail asset) and the record is written only when something really changed, so
``updated_at`` moves only then and a repeated bulk upsert reports ``unchanged``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, DomainError, FieldError, Invalid, NotFound
from faceforge_domain.events import record
from faceforge_domain.fields import validate_fields
from faceforge_domain.ids import is_id, new_id
from faceforge_domain.inputs import clean_text, convert, reject_keys, require_object
from faceforge_domain.jsonlimits import check_json
from faceforge_domain.mergepatch import merge_patch
from faceforge_domain.models import Entity, FieldDefinition
from faceforge_domain.paging import Cursor, PageRequest, PageResult, page_of
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.queries import EntityQuery, KeysetPosition, check_search, fold
from faceforge_domain.selection import MISSING_OR_TRASHED, Selection
from faceforge_domain.services.soft_delete import SoftDelete
from faceforge_domain.timefmt import format_timestamp

MAX_DISPLAY_NAME = 512
MAX_ALIAS = 512
MAX_TAG = 128
MAX_LIST = 256
MAX_EXTERNAL_SOURCE = 64
MAX_EXTERNAL_ID = 256
MAX_BULK = 1000

EDITABLE = (
    "display_name",
    "aliases",
    "tags",
    "fields",
    "primary_thumbnail_asset_id",
    "external_ids",
    "plugin_data",
)
READ_ONLY = ("entity_id", "trashed_thumbnail_asset_id", "created_at", "updated_at", "deleted_at")
OnConflict = Literal["merge", "replace", "skip"]
ON_CONFLICT: tuple[OnConflict, ...] = ("merge", "replace", "skip")
BulkStatus = Literal["created", "updated", "unchanged", "error"]


class EntityValues(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The editable part of an entity, as a client may send it (shapes only; rules come after)."""

    display_name: str
    aliases: list[str] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    primary_thumbnail_asset_id: str | None = None
    external_ids: dict[str, str] = msgspec.field(default_factory=dict)
    plugin_data: dict[str, Any] = msgspec.field(default_factory=dict)


class BulkItemResult(msgspec.Struct, kw_only=True):
    """What happened to one bulk-upsert item (``index`` is its position in the request)."""

    index: int
    status: BulkStatus
    entity_id: str | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)


def clean_display_name(raw: str) -> str:
    """Trim and check a display name: 1-512 characters after trimming."""
    errors: list[FieldError] = []
    name = clean_text(raw, "display_name", max_len=MAX_DISPLAY_NAME, errors=errors)
    if name is None:
        raise Invalid(errors)
    return name


def _clean_list(items: list[str], field: str, max_len: int, key: Any, errors: list[FieldError]) -> list[str]:
    """Trimmed, non-empty, first spelling of each ``key`` kept, order kept."""
    if len(items) > MAX_LIST:
        errors.append(FieldError(field, f"must hold at most {MAX_LIST} entries"))
        return []
    seen: dict[str, str] = {}
    for i, raw in enumerate(items):
        text = clean_text(raw, f"{field}/{i}", max_len=max_len, errors=errors)
        if text is not None:
            seen.setdefault(key(text), text)
    return list(seen.values())


def clean_values(raw: Mapping[str, Any]) -> EntityValues:
    """Check shapes and rules of an entity's editable values; every problem is reported at once."""
    values = convert(raw, EntityValues)
    errors: list[FieldError] = []
    name = clean_text(values.display_name, "display_name", max_len=MAX_DISPLAY_NAME, errors=errors)
    aliases = _clean_list(values.aliases, "aliases", MAX_ALIAS, str, errors)
    tags = _clean_list(values.tags, "tags", MAX_TAG, fold, errors)
    external: dict[str, str] = {}
    for source, ext in values.external_ids.items():
        src = clean_text(source, f"external_ids/{source}", max_len=MAX_EXTERNAL_SOURCE, errors=errors)
        ext_id = clean_text(ext, f"external_ids/{source}", max_len=MAX_EXTERNAL_ID, errors=errors)
        if src is not None and ext_id is not None:
            external[src] = ext_id
    check_json("fields", values.fields, errors)
    check_json("plugin_data", values.plugin_data, errors)
    thumb = values.primary_thumbnail_asset_id
    if thumb is not None and not is_id(thumb):
        errors.append(FieldError("primary_thumbnail_asset_id", "must be an asset id (64 lowercase hex)"))
    if errors:
        raise Invalid(errors)
    return EntityValues(
        display_name=name or "",
        aliases=aliases,
        tags=tags,
        fields={k: v for k, v in values.fields.items() if v is not None},
        primary_thumbnail_asset_id=thumb,
        external_ids=external,
        plugin_data=values.plugin_data,
    )


def editable(entity: Entity) -> dict[str, Any]:
    """The entity's editable values as a JSON object (absent optional values left out)."""
    values = {key: getattr(entity, key) for key in EDITABLE}
    built: dict[str, Any] = msgspec.to_builtins({k: v for k, v in values.items() if v is not None})
    return built


def _same(entity: Entity, values: EntityValues) -> bool:
    return editable(entity) == editable_values(values)


def editable_values(values: EntityValues) -> dict[str, Any]:
    built: dict[str, Any] = msgspec.to_builtins(values)
    return {k: v for k, v in built.items() if v is not None}


def sort_value(entity: Entity, sort_by: str) -> str:
    """The value a keyset cursor records for ``entity`` under ``sort_by``."""
    if sort_by == "display_name":
        return entity.display_name
    return format_timestamp(entity.created_at if sort_by == "created_at" else entity.updated_at)


def _kept_trashed_thumbnail(current: Entity | None, values: EntityValues) -> str | None:
    """A main picture chosen (or removed) by hand replaces the one waiting in the trash."""
    if current is None or values.primary_thumbnail_asset_id != current.primary_thumbnail_asset_id:
        return None
    return current.trashed_thumbnail_asset_id


MAX_TAG_SUGGESTIONS = 100


class TagCount(msgspec.Struct, frozen=True, kw_only=True):
    """A tag and how many live entities hold it."""

    tag: str
    count: int


def _tag_changes(add: Sequence[str], remove: Sequence[str]) -> tuple[list[str], set[str]]:
    """The tags to add (cleaned) and the folded tags to remove; at least one, never one in both."""
    errors: list[FieldError] = []
    added = _clean_list(list(add), "add", MAX_TAG, fold, errors)
    removed = _clean_list(list(remove), "remove", MAX_TAG, fold, errors)
    both = sorted({fold(t) for t in added} & {fold(t) for t in removed})
    if both:
        errors.append(FieldError("remove", "a tag cannot be added and removed at once: " + ", ".join(both)))
    if not errors and not added and not removed:
        errors.append(FieldError("add", "name at least one tag to add or remove"))
    if errors:
        raise Invalid(errors)
    return added, {fold(t) for t in removed}


class EntityService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._soft_delete = SoftDelete(
            uow,
            clock,
            "entity",
            lambda unit: unit.entities,
            deleted_event="entity.deleted",
            restored_event="entity.restored",
        )

    async def create(
        self,
        display_name: str,
        *,
        aliases: Sequence[str] = (),
        tags: Sequence[str] = (),
        fields: Mapping[str, Any] | None = None,
        primary_thumbnail_asset_id: str | None = None,
        external_ids: Mapping[str, str] | None = None,
        plugin_data: Mapping[str, Any] | None = None,
    ) -> Entity:
        """Create an entity; its ``fields`` must satisfy the entity field definitions."""
        return await self.create_from(
            {
                "display_name": display_name,
                "aliases": list(aliases),
                "tags": list(tags),
                "fields": dict(fields or {}),
                "primary_thumbnail_asset_id": primary_thumbnail_asset_id,
                "external_ids": dict(external_ids or {}),
                "plugin_data": dict(plugin_data or {}),
            }
        )

    async def create_from(self, raw: Mapping[str, Any]) -> Entity:
        """Create from a JSON-like object of editable values."""
        values = clean_values(raw)
        async with self._uow.write() as uow:
            defs = await self._definitions(uow)
            entity = await self._store(uow, None, values, defs)
            await uow.commit()
        assert entity is not None  # a new entity is always stored
        return entity

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity:
        async with self._uow.read() as uow:
            entity = await uow.entities.get(entity_id, include_deleted=include_deleted)
        if entity is None:
            raise NotFound("entity", entity_id)
        return entity

    async def tag_suggestions(self, prefix: str = "", limit: int = 10) -> list[TagCount]:
        """Tags starting with ``prefix`` (case-blind), each with its live entities, most used first."""
        errors: list[FieldError] = []
        if not 1 <= limit <= MAX_TAG_SUGGESTIONS:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_TAG_SUGGESTIONS}"))
        check_search("prefix", prefix, errors)
        if errors:
            raise Invalid(errors)
        async with self._uow.read() as uow:
            found = await uow.entities.tag_counts(prefix.strip(), limit)
        return [TagCount(tag=tag, count=count) for tag, count in found]

    async def search(self, query: EntityQuery, page: PageRequest) -> PageResult[Entity]:
        """One page; ``next_cursor`` continues right after its last row, however the set grows."""
        after = KeysetPosition.from_cursor(page.cursor, query.cursor_sort)
        async with self._uow.read() as uow:
            rows = await uow.entities.search(query, limit=page.limit + 1, offset=page.offset, after=after)
            total = await uow.entities.count_matching(query)
        return page_of(
            rows,
            total,
            page,
            lambda last: Cursor(query.cursor_sort, sort_value(last, query.sort_by), last.entity_id),
        )

    async def patch(self, entity_id: str, patch: object) -> Entity:
        """Apply a JSON merge patch; an entity the patch does not really change is returned as is."""
        changes = require_object(patch)
        reject_keys(changes, READ_ONLY, EDITABLE)
        async with self._uow.write() as uow:
            entity = await uow.entities.get(entity_id)
            if entity is None:
                raise NotFound("entity", entity_id)
            values = clean_values(merge_patch(editable(entity), changes))
            stored = await self._store(uow, entity, values, await self._definitions(uow))
            await uow.commit()
        return stored or entity

    async def delete(self, entity_id: str) -> None:
        """Soft delete: hidden from lists and lookups until restored."""
        await self._soft_delete.delete(entity_id)

    async def restore(self, entity_id: str) -> Entity:
        """Undo a soft delete (a live entity is returned unchanged)."""
        return await self._soft_delete.restore(entity_id)

    async def retag(
        self, entity_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[Entity]:
        """Add and remove tags on several entities at once (case-blind, as tags are matched): all of
        them or, when one id is unknown or a tag breaks the rules, none."""
        chosen = Selection.of(entity_ids, "entity_ids")
        added, removed = _tag_changes(add, remove)
        async with self._uow.write() as uow:
            found = await chosen.records(uow.entities.get, MISSING_OR_TRASHED)
            defs = await self._definitions(uow)
            changed = []
            for entity in found:
                tags = [t for t in entity.tags if fold(t) not in removed] + added
                values = clean_values(editable(entity) | {"tags": tags})
                changed.append(await self._store(uow, entity, values, defs) or entity)
            await uow.commit()
        return changed

    async def delete_many(self, entity_ids: Sequence[str]) -> None:
        """Soft-delete several entities at once: all of them, or none when one id is not a live entity."""
        await self._soft_delete.delete_many(Selection.of(entity_ids, "entity_ids"))

    async def restore_many(self, entity_ids: Sequence[str]) -> list[Entity]:
        """Undo the soft delete of several entities at once (live ones are returned unchanged): all of
        them, or none when one id names no entity."""
        return await self._soft_delete.restore_many(Selection.of(entity_ids, "entity_ids"))

    async def delete_forever(self, entity_id: str) -> None:
        """Remove an entity in the trash for good, with its descriptors, relationships and links to
        files (the files stay); an entity not in the trash is a ``Conflict``."""
        async with self._uow.write() as uow:
            await self._soft_delete.trashed(uow, entity_id)
            await uow.entities.remove(entity_id)
            await record(uow, self._clock, "entity.purged", entity_id)
            await uow.commit()

    async def bulk_upsert(
        self, items: Sequence[Mapping[str, Any]], on_conflict: str = "merge"
    ) -> list[BulkItemResult]:
        """Create or update up to 1,000 entities matched by ``external_ids``, in one transaction.

        Items are independent: one that fails is reported as ``error`` and the others still apply.
        Sending the same batch again reports every item ``unchanged``.
        """
        errors: list[FieldError] = []
        if len(items) > MAX_BULK:
            errors.append(FieldError("items", f"must hold at most {MAX_BULK} items"))
        if on_conflict not in ON_CONFLICT:
            errors.append(FieldError("on_conflict", "must be one of: " + ", ".join(ON_CONFLICT)))
        if errors:
            raise Invalid(errors)
        mode = cast("OnConflict", on_conflict)
        results = []
        async with self._uow.write() as uow:
            defs = await self._definitions(uow)
            for index, item in enumerate(items):
                try:
                    results.append(await self._upsert_one(uow, index, item, mode, defs))
                except Invalid as exc:
                    results.append(BulkItemResult(index=index, status="error", errors=exc.errors))
                except DomainError as exc:
                    error = FieldError("item", exc.message)
                    results.append(BulkItemResult(index=index, status="error", errors=[error]))
            await uow.commit()
        return results

    async def _upsert_one(
        self,
        uow: UnitOfWork,
        index: int,
        item: Mapping[str, Any],
        mode: OnConflict,
        defs: dict[str, FieldDefinition],
    ) -> BulkItemResult:
        external = item.get("external_ids")
        if (
            not isinstance(external, dict)
            or not external
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in external.items())
        ):
            raise Invalid.one("external_ids", "needs at least one source: id pair (strings) to match on")
        matched = {
            found
            for source, ext in external.items()
            if (found := await uow.entities.find_by_external_id(source.strip(), ext.strip())) is not None
        }
        if len(matched) > 1:
            raise Conflict("the external ids match several entities", {"entity_ids": sorted(matched)})
        if not matched:
            created = await self._store(uow, None, clean_values(item), defs)
            assert created is not None
            return BulkItemResult(index=index, status="created", entity_id=created.entity_id)
        existing = await uow.entities.get(matched.pop(), include_deleted=True)
        assert existing is not None  # the external id row points at it
        if mode == "skip":
            return BulkItemResult(index=index, status="unchanged", entity_id=existing.entity_id)
        raw = merge_patch(editable(existing), dict(item)) if mode == "merge" else item
        stored = await self._store(uow, existing, clean_values(raw), defs)
        status: BulkStatus = "unchanged" if stored is None else "updated"
        return BulkItemResult(index=index, status=status, entity_id=existing.entity_id)

    async def _definitions(self, uow: UnitOfWork) -> dict[str, FieldDefinition]:
        return {d.field_key: d for d in await uow.field_defs.all("entity")}

    async def _store(
        self,
        uow: UnitOfWork,
        current: Entity | None,
        values: EntityValues,
        defs: dict[str, FieldDefinition],
    ) -> Entity | None:
        """Check ``values`` against the world and write them; None when nothing changed."""
        if current is not None and _same(current, values):
            return None
        errors: list[FieldError] = []
        if current is None:
            errors += validate_fields(defs, values.fields, creating=True)
        else:
            old = current.fields
            touched = {k for k in old.keys() | values.fields.keys() if old.get(k) != values.fields.get(k)}
            errors += validate_fields(defs, values.fields, keys=touched, creating=False)
        thumb = values.primary_thumbnail_asset_id
        if (
            thumb is not None
            and (current is None or thumb != current.primary_thumbnail_asset_id)
            and await uow.assets.get(thumb) is None
        ):
            errors.append(FieldError("primary_thumbnail_asset_id", "no asset has this id"))
        if errors:
            raise Invalid(errors)
        entity_id = current.entity_id if current is not None else new_id()
        for source, ext in values.external_ids.items():
            if current is not None and current.external_ids.get(source) == ext:
                continue
            owner = await uow.entities.find_by_external_id(source, ext)
            if owner is not None and owner != entity_id:
                raise Conflict(
                    f"external id {source}:{ext} already belongs to another entity",
                    {"field": f"external_ids/{source}", "entity_id": owner},
                )
        now = self._clock.now()
        entity = Entity(
            entity_id=entity_id,
            created_at=current.created_at if current is not None else now,
            updated_at=now,
            deleted_at=current.deleted_at if current is not None else None,
            trashed_thumbnail_asset_id=_kept_trashed_thumbnail(current, values),
            **msgspec.structs.asdict(values),
        )
        if current is None:
            await uow.entities.add(entity)
        else:
            await uow.entities.update(entity)
        await record(uow, self._clock, "entity.created" if current is None else "entity.updated", entity_id)
        return entity
