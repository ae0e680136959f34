"""Descriptors: ``/v1/entities/{entity_id}/descriptors`` and ``/v1/descriptors/{descriptor_id}``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromQuery, JSONBody

from faceforge_domain.models import Descriptor
from faceforge_http.deps import DescriptorServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.openapi import may_answer
from faceforge_http.params import OffsetPageDep, RecordId
from faceforge_http.routes.entities import created
from faceforge_http.wire import Wire


class DescriptorCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    field_key: str
    value: Any
    valid_from: str | None = None
    valid_to: str | None = None
    source: str | None = None
    note: str | None = None


class DescriptorPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A JSON merge patch of a descriptor (its entity and key never change)."""

    value: Any | msgspec.UnsetType = msgspec.UNSET
    valid_from: str | msgspec.UnsetType | None = msgspec.UNSET
    valid_to: str | msgspec.UnsetType | None = msgspec.UNSET
    source: str | msgspec.UnsetType | None = msgspec.UNSET
    note: str | msgspec.UnsetType | None = msgspec.UNSET


class DescriptorOut(msgspec.Struct, kw_only=True):
    descriptor_id: str
    entity_id: str
    field_key: str
    value: Any
    valid_from: str | None
    valid_to: str | None
    source: str | None
    note: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None


descriptor_out = Wire(Descriptor, DescriptorOut)


class DescriptorController(Controller):
    tags = ["descriptors"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/entities/{entity_id:str}/descriptors", operation_id="listDescriptors", summary="An entity's facts")
    async def list_descriptors(
        self,
        descriptors: DescriptorServiceDep,
        entity_id: RecordId,
        field_key: FromQuery[str | None] = None,
        include_deleted: FromQuery[bool] = False,
        *,
        offset_page: OffsetPageDep,
    ) -> Ok[Page[DescriptorOut]]:
        result = await descriptors.search(
            entity_id,
            offset_page,
            field_key=field_key,
            include_deleted=include_deleted,
        )
        return ok(page_out(result, descriptor_out))

    @post(
        "/entities/{entity_id:str}/descriptors",
        operation_id="createDescriptor",
        summary="Record a fact (validated by its field definition)",
    )
    async def create_descriptor(
        self, descriptors: DescriptorServiceDep, entity_id: RecordId, data: JSONBody[DescriptorCreate]
    ) -> Response[Ok[DescriptorOut]]:
        d = await descriptors.create(entity_id, msgspec.structs.asdict(data))
        return created(descriptor_out(d), f"/v1/descriptors/{d.descriptor_id}")

    @get("/descriptors/{descriptor_id:str}", operation_id="getDescriptor", summary="One descriptor")
    async def get_descriptor(
        self, descriptors: DescriptorServiceDep, descriptor_id: RecordId
    ) -> Ok[DescriptorOut]:
        return ok(descriptor_out(await descriptors.get(descriptor_id)))

    @patch("/descriptors/{descriptor_id:str}", operation_id="patchDescriptor", summary="Change a descriptor")
    async def patch_descriptor(
        self, descriptors: DescriptorServiceDep, descriptor_id: RecordId, data: JSONBody[DescriptorPatch]
    ) -> Ok[DescriptorOut]:
        d = await descriptors.patch(descriptor_id, msgspec.to_builtins(data))
        return ok(descriptor_out(d))

    @delete("/descriptors/{descriptor_id:str}", operation_id="deleteDescriptor", summary="Soft-delete")
    async def delete_descriptor(self, descriptors: DescriptorServiceDep, descriptor_id: RecordId) -> None:
        await descriptors.delete(descriptor_id)

    @post(
        "/descriptors/{descriptor_id:str}/restore",
        status_code=200,
        operation_id="restoreDescriptor",
        summary="Undo a soft delete",
    )
    async def restore_descriptor(
        self, descriptors: DescriptorServiceDep, descriptor_id: RecordId
    ) -> Ok[DescriptorOut]:
        return ok(descriptor_out(await descriptors.restore(descriptor_id)))

    @post(
        "/descriptors/{descriptor_id:str}/purge",
        status_code=204,
        operation_id="purgeDescriptor",
        summary="Delete a descriptor in the trash forever",
        opt=may_answer(409),  # not in the trash
    )
    async def purge_descriptor(self, descriptors: DescriptorServiceDep, descriptor_id: RecordId) -> None:
        await descriptors.delete_forever(descriptor_id)
