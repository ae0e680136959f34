"""``/v1/relationships`` and ``/v1/relation-types`` (suggestions that grow with use)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from faceforge_domain.models import Relationship
from faceforge_domain.queries import DIRECTIONS, RelationshipQuery
from faceforge_domain.services.relationships import MAX_SUGGESTIONS, MAX_TYPE
from faceforge_domain.text import NAME_PATTERN
from faceforge_http.deps import RelationshipServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.openapi import may_answer
from faceforge_http.params import BodyId, IdFilter, OffsetPageDep, RecordId, Search, choice
from faceforge_http.routes.entities import created
from faceforge_http.wire import Wire


class RelationshipCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    src_entity_id: BodyId
    dst_entity_id: BodyId
    type: Annotated[str, msgspec.Meta(pattern=NAME_PATTERN, max_length=MAX_TYPE)]
    fields: dict[str, Any] = msgspec.field(default_factory=dict)


class RelationshipOut(msgspec.Struct, kw_only=True):
    relationship_id: str
    src_entity_id: str
    dst_entity_id: str
    type: str
    fields: dict[str, Any]
    created_at: str
    updated_at: str
    deleted_at: str | None


class RelationTypeOut(msgspec.Struct, kw_only=True):
    type: str
    count: int
    builtin: bool


relationship_out = Wire(Relationship, RelationshipOut)


class RelationshipController(Controller):
    path = "/relationships"
    tags = ["relationships"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get(
        "/",
        operation_id="listRelationships",
        summary="Relationships, both directions by default",
        opt=may_answer(404),  # an unknown entity_id
    )
    async def list_relationships(
        self,
        relationships: RelationshipServiceDep,
        entity_id: IdFilter = None,
        type: Search = None,  # the query parameter is named type
        direction: str = choice(DIRECTIONS, "both", "out or in needs entity_id"),
        include_deleted: FromQuery[bool] = False,
        in_trash: Annotated[bool, QueryParameter(description="Only what is in the trash")] = False,
        *,
        offset_page: OffsetPageDep,
    ) -> Ok[Page[RelationshipOut]]:
        query = RelationshipQuery.build(
            entity_id=entity_id,
            type=type,
            direction=direction,
            include_deleted=include_deleted,
            in_trash=in_trash,
        )
        result = await relationships.search(query, offset_page)
        return ok(page_out(result, relationship_out))

    @post("/", operation_id="createRelationship", summary="Link two entities")
    async def create_relationship(
        self, relationships: RelationshipServiceDep, data: JSONBody[RelationshipCreate]
    ) -> Response[Ok[RelationshipOut]]:
        r = await relationships.create(msgspec.structs.asdict(data))
        return created(relationship_out(r), f"/v1/relationships/{r.relationship_id}")

    @get("/{relationship_id:str}", operation_id="getRelationship", summary="One relationship")
    async def get_relationship(
        self, relationships: RelationshipServiceDep, relationship_id: RecordId
    ) -> Ok[RelationshipOut]:
        return ok(relationship_out(await relationships.get(relationship_id)))

    @delete("/{relationship_id:str}", operation_id="deleteRelationship", summary="Soft-delete")
    async def delete_relationship(
        self, relationships: RelationshipServiceDep, relationship_id: RecordId
    ) -> None:
        await relationships.delete(relationship_id)

    @post(
        "/{relationship_id:str}/restore",
        status_code=200,
        operation_id="restoreRelationship",
        summary="Undo a soft delete (refused while an identical relationship exists)",
        opt=may_answer(409),
    )
    async def restore_relationship(
        self, relationships: RelationshipServiceDep, relationship_id: RecordId
    ) -> Ok[RelationshipOut]:
        return ok(relationship_out(await relationships.restore(relationship_id)))

    @post(
        "/{relationship_id:str}/purge",
        status_code=204,
        operation_id="purgeRelationship",
        summary="Delete a relationship in the trash forever",
        opt=may_answer(409),  # not in the trash
    )
    async def purge_relationship(
        self, relationships: RelationshipServiceDep, relationship_id: RecordId
    ) -> None:
        await relationships.delete_forever(relationship_id)


@get(
    "/relation-types",
    tags=["relationships"],
    operation_id="suggestRelationTypes",
    summary="Relation types: used ones (most used first) and built-in seeds; prefix matches first",
)
async def relation_types(
    relationships: RelationshipServiceDep,
    text: Annotated[str, QueryParameter(name="query", description="Prefix or substring")] = "",
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_SUGGESTIONS)] = 20,
) -> Ok[list[RelationTypeOut]]:
    # ``query`` is a name Litestar reserves (the query string): the parameter is renamed in Python only.
    found = await relationships.suggest_types(text, limit)
    return ok([RelationTypeOut(type=s.type, count=s.count, builtin=s.builtin) for s in found])
