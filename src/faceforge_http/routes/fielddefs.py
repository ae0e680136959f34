"""``/v1/admin/field-defs``: admin-defined fields, effective on the next request (no restart)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from faceforge_domain.fields import SCOPES
from faceforge_domain.models import FieldDefinition, FieldType
from faceforge_domain.services.fielddefs import Violation
from faceforge_http.deps import FieldDefServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.params import OffsetPageDep
from faceforge_http.routes.entities import FieldErrorOut, created, errors_out
from faceforge_http.wire import Wire

Scope = Literal["entity", "descriptor"]
# ``scope`` is a name Litestar reserves (the ASGI scope): the parameter is renamed in Python only.
ScopeParam = Annotated[
    str, QueryParameter(name="scope", description="entity or descriptor", schema_extra={"enum": list(SCOPES)})
]


class FieldDefCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    field_key: str
    field_type: FieldType
    scope: Scope = "descriptor"
    required: bool = False
    regex: str | None = None
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    multiple: bool = False
    label: str | None = None
    help: str | None = None
    order: int = 0


class FieldDefPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A JSON merge patch of a definition (``field_key`` and ``scope`` never change)."""

    field_type: FieldType | msgspec.UnsetType = msgspec.UNSET
    required: bool | msgspec.UnsetType | None = msgspec.UNSET
    regex: str | msgspec.UnsetType | None = msgspec.UNSET
    options: list[str] | msgspec.UnsetType | None = msgspec.UNSET
    min: float | msgspec.UnsetType | None = msgspec.UNSET
    max: float | msgspec.UnsetType | None = msgspec.UNSET
    multiple: bool | msgspec.UnsetType | None = msgspec.UNSET
    label: str | msgspec.UnsetType | None = msgspec.UNSET
    help: str | msgspec.UnsetType | None = msgspec.UNSET
    order: int | msgspec.UnsetType | None = msgspec.UNSET


class FieldDefOut(msgspec.Struct, kw_only=True):
    field_def_id: str
    field_key: str
    scope: Scope
    field_type: FieldType
    required: bool
    regex: str | None
    options: list[str] | None
    min: float | None
    max: float | None
    multiple: bool
    label: str | None
    help: str | None
    order: int
    created_at: str
    updated_at: str


class ViolationOut(msgspec.Struct, kw_only=True):
    record_type: Literal["entity", "descriptor"]
    record_id: str
    entity_id: str
    errors: list[FieldErrorOut]


field_def_out = Wire(FieldDefinition, FieldDefOut)


def violation_out(v: Violation) -> ViolationOut:
    return ViolationOut(
        record_type=v.record_type, record_id=v.record_id, entity_id=v.entity_id, errors=errors_out(v.errors)
    )


class FieldDefController(Controller):
    path = "/admin/field-defs"
    tags = ["field definitions"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/", operation_id="listFieldDefs", summary="Field definitions (both scopes unless one is asked)")
    async def list_defs(
        self,
        field_defs: FieldDefServiceDep,
        scope_: Annotated[
            str | None, QueryParameter(name="scope", schema_extra={"enum": list(SCOPES)})
        ] = None,
    ) -> Ok[list[FieldDefOut]]:
        return ok([field_def_out(d) for d in await field_defs.all(scope_)])

    @post("/", operation_id="createFieldDef", summary="Define a field (takes effect at once)")
    async def create_def(
        self, field_defs: FieldDefServiceDep, data: JSONBody[FieldDefCreate]
    ) -> Response[Ok[FieldDefOut]]:
        d = await field_defs.create(msgspec.to_builtins(data))
        return created(field_def_out(d), f"/v1/admin/field-defs/{d.field_key}?scope={d.scope}")

    @get("/{field_key:str}", operation_id="getFieldDef", summary="One field definition")
    async def get_def(
        self, field_defs: FieldDefServiceDep, field_key: FromPath[str], scope_: ScopeParam = "descriptor"
    ) -> Ok[FieldDefOut]:
        return ok(field_def_out(await field_defs.get(field_key, scope_)))

    @patch("/{field_key:str}", operation_id="patchFieldDef", summary="Change a definition (merge patch)")
    async def patch_def(
        self,
        field_defs: FieldDefServiceDep,
        field_key: FromPath[str],
        data: JSONBody[FieldDefPatch],
        scope_: ScopeParam = "descriptor",
    ) -> Ok[FieldDefOut]:
        d = await field_defs.patch(field_key, msgspec.to_builtins(data), scope_)
        return ok(field_def_out(d))

    @delete("/{field_key:str}", operation_id="deleteFieldDef", summary="Remove a definition (data stays)")
    async def delete_def(
        self, field_defs: FieldDefServiceDep, field_key: FromPath[str], scope_: ScopeParam = "descriptor"
    ) -> None:
        await field_defs.delete(field_key, scope_)

    @get(
        "/{field_key:str}/violations",
        operation_id="listFieldDefViolations",
        summary="Stored records that do not satisfy the current definition",
    )
    async def violations(
        self,
        field_defs: FieldDefServiceDep,
        field_key: FromPath[str],
        scope_: ScopeParam = "descriptor",
        *,
        offset_page: OffsetPageDep,
    ) -> Ok[Page[ViolationOut]]:
        result = await field_defs.violations(field_key, offset_page, scope_)
        return ok(page_out(result, violation_out))
