"""``/v1/entities``: list (offset or cursor paging, search, filters), create, read, merge-patch, soft
delete, restore, bulk upsert, and the actions on several chosen entities at once (tag, delete,
restore). Every rule lives in the domain; these handlers translate."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from msgspec import Meta

from faceforge_domain.errors import FieldError
from faceforge_domain.models import Entity
from faceforge_domain.queries import ENTITY_SORTS, SORT_ORDERS, EntityQuery
from faceforge_domain.selection import MAX_SELECTION
from faceforge_domain.services.entities import (
    MAX_ALIAS,
    MAX_DISPLAY_NAME,
    MAX_TAG,
    MAX_TAG_SUGGESTIONS,
    TagCount,
)
from faceforge_domain.text import NAME_PATTERN, SEARCH_PATTERN
from faceforge_http.deps import EntityServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.openapi import may_answer
from faceforge_http.params import BodyId, PageDep, RecordId, Search, choice
from faceforge_http.wire import Wire

T = TypeVar("T")
U = TypeVar("U")
FIELD_FILTER = "field."


# The domain's name rule and lengths, stated (and checked) by the schema.
DisplayName = Annotated[str, msgspec.Meta(pattern=NAME_PATTERN, max_length=MAX_DISPLAY_NAME)]
Alias = Annotated[str, msgspec.Meta(pattern=NAME_PATTERN, max_length=MAX_ALIAS)]
Tag = Annotated[str, msgspec.Meta(pattern=NAME_PATTERN, max_length=MAX_TAG)]


class EntityCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    display_name: DisplayName
    aliases: list[Alias] = msgspec.field(default_factory=list)
    tags: list[Tag] = msgspec.field(default_factory=list)
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    primary_thumbnail_asset_id: BodyId | None = None
    external_ids: dict[str, str] = msgspec.field(default_factory=dict)
    plugin_data: dict[str, Any] = msgspec.field(default_factory=dict)


class EntityPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A JSON merge patch: only the keys sent change; ``null`` clears (objects merge key by key)."""

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    aliases: list[Alias] | msgspec.UnsetType | None = msgspec.UNSET
    tags: list[Tag] | msgspec.UnsetType | None = msgspec.UNSET
    fields: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    primary_thumbnail_asset_id: BodyId | msgspec.UnsetType | None = msgspec.UNSET
    external_ids: dict[str, str | None] | msgspec.UnsetType | None = msgspec.UNSET
    plugin_data: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


EntityIds = Annotated[list[BodyId], msgspec.Meta(min_length=1, max_length=MAX_SELECTION)]


class EntitySelectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Entities chosen together for one action: all of them change, or none."""

    entity_ids: EntityIds


class RetagIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Tags to add to and remove from every chosen entity (case-blind, like tag filters)."""

    entity_ids: EntityIds
    add: list[Tag] = msgspec.field(default_factory=list)
    remove: list[Tag] = msgspec.field(default_factory=list)


class EntityBulkItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One upsert item, matched by ``external_ids``; with ``merge`` only the keys sent change."""

    external_ids: dict[str, str]
    # Shapes only: the rules are checked per item, so one bad item is reported in its result.
    display_name: str | msgspec.UnsetType = msgspec.UNSET
    aliases: list[str] | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    fields: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    primary_thumbnail_asset_id: str | msgspec.UnsetType | None = msgspec.UNSET
    plugin_data: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class BulkUpsertIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: list[EntityBulkItem]
    on_conflict: Literal["merge", "replace", "skip"] = "merge"


class FieldErrorOut(msgspec.Struct, kw_only=True):
    field: str
    message: str


class BulkItemOut(msgspec.Struct, kw_only=True):
    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    entity_id: str | None
    errors: list[FieldErrorOut]


class BulkUpsertOut(msgspec.Struct, kw_only=True):
    results: list[BulkItemOut]
    created: int
    updated: int
    unchanged: int
    errors: int


class EntityOut(msgspec.Struct, kw_only=True):
    entity_id: str
    display_name: str
    aliases: list[str]
    tags: list[str]
    fields: dict[str, Any]
    primary_thumbnail_asset_id: str | None
    trashed_thumbnail_asset_id: str | None
    external_ids: dict[str, str]
    plugin_data: dict[str, Any]
    created_at: str
    updated_at: str
    deleted_at: str | None


entity_out = Wire(Entity, EntityOut)


def errors_out(errors: list[FieldError]) -> list[FieldErrorOut]:
    return [FieldErrorOut(field=e.field, message=e.message) for e in errors]


def created(data: JSONBody[T], location: str) -> Response[Ok[T]]:
    """201 with the new resource's address."""
    return Response(ok(data), status_code=201, headers={"Location": location})


class EntityController(Controller):
    path = "/entities"
    tags = ["entities"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/", operation_id="listEntities", summary="List entities (filters, sort, offset or cursor)")
    async def list_entities(
        self,
        entities: EntityServiceDep,
        page: PageDep,
        request: Request[Any, Any, Any],
        sort_by: str = choice(ENTITY_SORTS, "created_at", "The order of the list"),
        sort_order: str = choice(SORT_ORDERS, "asc", "Ascending or descending"),
        q: Search = None,
        tag: Annotated[
            list[Annotated[str, Meta(pattern=SEARCH_PATTERN)]] | None,
            QueryParameter(description="Repeatable; all must match"),
        ] = None,
        include_deleted: FromQuery[bool] = False,
        in_trash: Annotated[bool, QueryParameter(description="Only what is in the trash")] = False,
    ) -> Ok[Page[EntityOut]]:
        """Also accepts ``field.<key>=<value>`` filters on admin-defined fields."""
        fields = [
            (name[len(FIELD_FILTER) :], value)
            for name, value in request.query_params.multi_items()
            if name.startswith(FIELD_FILTER)
        ]
        query = EntityQuery.build(
            sort_by=sort_by,
            sort_order=sort_order,
            q=q,
            tags=tag or [],
            fields=fields,
            include_deleted=include_deleted,
            in_trash=in_trash,
        )
        result = await entities.search(query, page)
        return ok(page_out(result, entity_out))

    @post("/", operation_id="createEntity", summary="Create an entity")
    async def create_entity(
        self, entities: EntityServiceDep, data: JSONBody[EntityCreate]
    ) -> Response[Ok[EntityOut]]:
        entity = await entities.create_from(msgspec.to_builtins(data))
        return created(entity_out(entity), f"/v1/entities/{entity.entity_id}")

    @post(
        "/bulk-upsert",
        status_code=200,
        operation_id="bulkUpsertEntities",
        summary="Create or update up to 1,000 entities matched by external ids, in one transaction",
    )
    async def bulk_upsert(
        self, entities: EntityServiceDep, data: JSONBody[BulkUpsertIn]
    ) -> Ok[BulkUpsertOut]:
        items = [msgspec.to_builtins(item) for item in data.items]
        results = await entities.bulk_upsert(items, data.on_conflict)
        out = [
            BulkItemOut(index=r.index, status=r.status, entity_id=r.entity_id, errors=errors_out(r.errors))
            for r in results
        ]
        return ok(
            BulkUpsertOut(
                results=out,
                created=sum(1 for r in results if r.status == "created"),
                updated=sum(1 for r in results if r.status == "updated"),
                unchanged=sum(1 for r in results if r.status == "unchanged"),
                errors=sum(1 for r in results if r.status == "error"),
            )
        )

    @post(
        "/bulk-tag",
        status_code=200,
        operation_id="tagEntities",
        summary="Add and remove tags on several entities, in one transaction (an unknown id changes nothing)",
    )
    async def bulk_tag(self, entities: EntityServiceDep, data: JSONBody[RetagIn]) -> Ok[list[EntityOut]]:
        changed = await entities.retag(data.entity_ids, add=data.add, remove=data.remove)
        return ok([entity_out(e) for e in changed])

    @post(
        "/bulk-delete",
        status_code=204,
        operation_id="deleteEntities",
        summary="Soft-delete several entities, in one transaction (an unknown id changes nothing)",
    )
    async def bulk_delete(self, entities: EntityServiceDep, data: JSONBody[EntitySelectionIn]) -> None:
        await entities.delete_many(data.entity_ids)

    @post(
        "/bulk-restore",
        status_code=200,
        operation_id="restoreEntities",
        summary="Restore several entities from the trash, in one transaction (an unknown id changes nothing)",
    )
    async def bulk_restore(
        self, entities: EntityServiceDep, data: JSONBody[EntitySelectionIn]
    ) -> Ok[list[EntityOut]]:
        return ok([entity_out(e) for e in await entities.restore_many(data.entity_ids)])

    @get("/{entity_id:str}", operation_id="getEntity", summary="One entity")
    async def get_entity(
        self, entities: EntityServiceDep, entity_id: RecordId, include_deleted: FromQuery[bool] = False
    ) -> Ok[EntityOut]:
        return ok(entity_out(await entities.get(entity_id, include_deleted=include_deleted)))

    @patch("/{entity_id:str}", operation_id="patchEntity", summary="Change an entity (JSON merge patch)")
    async def patch_entity(
        self, entities: EntityServiceDep, entity_id: RecordId, data: JSONBody[EntityPatch]
    ) -> Ok[EntityOut]:
        return ok(entity_out(await entities.patch(entity_id, msgspec.to_builtins(data))))

    @delete("/{entity_id:str}", operation_id="deleteEntity", summary="Soft-delete an entity")
    async def delete_entity(self, entities: EntityServiceDep, entity_id: RecordId) -> None:
        await entities.delete(entity_id)

    @post(
        "/{entity_id:str}/restore",
        status_code=200,
        operation_id="restoreEntity",
        summary="Undo a soft delete",
    )
    async def restore_entity(self, entities: EntityServiceDep, entity_id: RecordId) -> Ok[EntityOut]:
        return ok(entity_out(await entities.restore(entity_id)))

    @post(
        "/{entity_id:str}/purge",
        status_code=204,
        operation_id="purgeEntity",
        summary="Delete an entity in the trash forever (its files stay)",
        opt=may_answer(409),  # not in the trash
    )
    async def purge_entity(self, entities: EntityServiceDep, entity_id: RecordId) -> None:
        await entities.delete_forever(entity_id)


@get(
    "/entity-tags",
    tags=["entities"],
    operation_id="suggestEntityTags",
    summary="Tags starting with a prefix (case-blind), each with its count of live entities",
)
async def entity_tags(
    entities: EntityServiceDep,
    prefix: FromQuery[str] = "",
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_TAG_SUGGESTIONS)] = 10,
) -> Ok[list[TagCount]]:
    return ok(await entities.tag_suggestions(prefix, limit))
