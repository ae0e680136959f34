"""Assets over HTTP: streaming upload (multipart and raw PUT), list, read, patch, delete, download, links."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Meta

from faceforge_domain.asset_query import ASSET_SORTS, AssetQuery
from faceforge_domain.content_check import MAX_ITEMS, ContentAnswer, ContentClaim
from faceforge_domain.errors import Invalid
from faceforge_domain.filetypes import MAX_FILENAME_CHARS
from faceforge_domain.ids import ID_PATTERN
from faceforge_domain.models import Asset, JsonObject, LinkedEntity
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import SORT_ORDERS
from faceforge_domain.selection import MAX_SELECTION
from faceforge_domain.services.assets import AssetPatch, AssetService, IngestOptions, IngestResult
from faceforge_http.archive import Member, unique_names, zip_stream
from faceforge_http.deps import AssetServiceDep, ClockDep, UploadSettingsDep
from faceforge_http.digests import HEADER as DIGEST_HEADER
from faceforge_http.digests import expected_sha256
from faceforge_http.download import BlobResponse, answer_download, content_disposition
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.openapi import may_answer
from faceforge_http.params import (
    BodyId,
    CameraFilter,
    DateBound,
    IdFilter,
    LocationFilter,
    PageDep,
    RecordId,
    Search,
    choice,
)
from faceforge_http.routes.entities import EntityOut
from faceforge_http.uploads import MultipartUpload, announced_length, limited_body, multipart_boundary
from faceforge_http.wire import Wire, to_wire


class StorageOut(msgspec.Struct, kw_only=True):
    provider: str
    bucket: str | None
    key: str


class FactsOut(msgspec.Struct, kw_only=True):
    """What the file's metadata says, derived from its ExifTool entry (null where it does not say).

    ``taken_at`` is RFC 3339 UTC: the instant when ``taken_offset`` is known, otherwise the camera's
    clock read as UTC (its zone is unknown); ``taken_after``/``taken_before`` compare with it.
    ``taken_local`` is the camera's clock (no zone). ``width``/``height`` are as shown (orientation
    applied); ``orientation`` is the EXIF code 1-8; latitude/longitude are signed decimal degrees.
    """

    taken_at: str | None
    taken_offset: str | None
    taken_local: str | None
    camera: str | None
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    width: int | None
    height: int | None
    orientation: int | None
    duration_s: float | None
    latitude: float | None
    longitude: float | None


class AssetOut(msgspec.Struct, kw_only=True):
    asset_id: str
    content_hash: str
    kind: str
    mime_type: str
    size_bytes: int
    filename: str
    filenames: list[str]
    storage: StorageOut
    derived_from_asset_id: str | None
    owner: str | None
    extracted_metadata: list[JsonObject]
    metadata_status: str
    metadata_reason: str | None
    user_metadata: JsonObject
    plugin_data: JsonObject
    facts: FactsOut
    created_at: str
    updated_at: str
    deleted_at: str | None


class UploadOut(AssetOut, kw_only=True):
    """The stored asset; ``deduplicated`` is true when these bytes were already stored."""

    deduplicated: bool


MAX_ARCHIVE_FILES = 500  # keeps the address of a GET (70 bytes an id) under 64 KiB
ARCHIVE_NAME = "faceforge-files.zip"

KNOWN_BYTES = {
    HTTP_200_OK: ResponseSpec(
        data_container=Ok[UploadOut], description="These bytes were already stored (deduplicated: true)"
    )
}


asset_out = Wire(Asset, AssetOut)


class LinkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: str | None = None


class ContentCheckIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: list[ContentClaim]


class ContentCheckOut(msgspec.Struct, kw_only=True):
    """One answer per item, in the order asked."""

    items: list[ContentAnswer]


class LinkedEntityOut(EntityOut, kw_only=True):
    """An entity the asset is linked to, and the role that link gives it."""

    role: str | None


def linked_entity_out(link: LinkedEntity) -> LinkedEntityOut:
    return to_wire(LinkedEntityOut, link.entity, role=link.role)


class AssetSelectionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Files chosen together for one action: all of them change, or none."""

    asset_ids: Annotated[list[BodyId], msgspec.Meta(min_length=1, max_length=MAX_SELECTION)]


class UnlinkedOut(msgspec.Struct, kw_only=True):
    entity_id: str
    unlinked: int


class LinkOut(msgspec.Struct, kw_only=True):
    entity_id: str
    asset_id: str
    changed: bool


def _upload_response(result: IngestResult) -> Response[Ok[UploadOut]]:
    body = ok(to_wire(UploadOut, result.asset, deduplicated=result.deduplicated))
    if result.deduplicated:
        return Response(body, status_code=HTTP_200_OK)
    location = f"/v1/assets/{result.asset.asset_id}"
    return Response(body, status_code=HTTP_201_CREATED, headers={"Location": location})


class AssetController(Controller):
    path = "/assets"
    tags = ["assets"]  # noqa: RUF012  (Litestar reads this class attribute)

    @post(
        "/upload",
        operation_id="uploadAsset",
        summary="Upload a file (multipart/form-data, streamed)",
        description=(
            "Parts: `file` (required), `meta` (a JSON object: the `_meta.json` sidecar), `kind`, "
            "`entity_id`, `role`, `derived_from_asset_id`. 201 for new bytes, 200 with "
            "`deduplicated: true` for known ones. An optional `Repr-Digest: sha-256=:<base64>:` header "
            "(RFC 9530) is checked: bytes with another SHA-256 are a 422 and nothing is stored."
        ),
        request_max_body_size=None,  # streamed; the limit is uploads.max_bytes, enforced while reading
        status_code=HTTP_201_CREATED,
        responses=KNOWN_BYTES,
        opt=may_answer(404),  # an unknown entity_id or derived_from_asset_id
    )
    async def upload(
        self, assets: AssetServiceDep, upload_settings: UploadSettingsDep, request: Request[Any, Any, State]
    ) -> Response[Ok[UploadOut]]:
        boundary = multipart_boundary(request.headers.get("content-type", ""))
        if boundary is None:
            raise Invalid.one("content-type", "must be multipart/form-data with a boundary")
        expected = expected_sha256(request.headers.getall(DIGEST_HEADER, []))
        limit = upload_settings.max_bytes
        await assets.check_room(announced_length(request, limit))  # the file and a few fields
        form = MultipartUpload(limited_body(request, limit), boundary)
        result = await assets.ingest(form.file_chunks(), form.options, expected_sha256=expected)
        return _upload_response(result)

    @put(
        "/upload",
        operation_id="putAsset",
        summary="Upload a file as the raw request body (for scripts and download managers)",
        description="An optional `Repr-Digest: sha-256=:<base64>:` header is checked as for POST.",
        request_max_body_size=None,
        status_code=HTTP_201_CREATED,
        responses=KNOWN_BYTES,
        opt=may_answer(404),
    )
    async def upload_raw(
        self,
        assets: AssetServiceDep,
        upload_settings: UploadSettingsDep,
        request: Request[Any, Any, State],
        filename: str = Parameter(min_length=1, max_length=MAX_FILENAME_CHARS),
        kind: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        role: FromQuery[str | None] = None,
        derived_from_asset_id: FromQuery[str | None] = None,
    ) -> Response[Ok[UploadOut]]:
        options = IngestOptions(
            filename=filename,
            kind=kind,
            entity_id=entity_id,
            role=role,
            derived_from_asset_id=derived_from_asset_id,
        )
        expected = expected_sha256(request.headers.getall(DIGEST_HEADER, []))
        limit = upload_settings.max_bytes
        size_hint = announced_length(request, limit)
        body = limited_body(request, limit)
        result = await assets.ingest(body, options, size_hint=size_hint, expected_sha256=expected)
        return _upload_response(result)

    @post(
        "/check",
        operation_id="checkAssets",
        summary="Which files are already stored (by SHA-256 and size), so a client can skip uploading them",
        description=(
            f"1 to {MAX_ITEMS} items `{{name, size, sha256}}`. `exists` is true only for a live asset with "
            "that hash and size; a soft-deleted asset, or one whose size differs, answers `exists: false`."
        ),
        status_code=HTTP_200_OK,
    )
    async def check_assets(
        self, assets: AssetServiceDep, data: JSONBody[ContentCheckIn]
    ) -> Ok[ContentCheckOut]:
        return ok(ContentCheckOut(items=await assets.check_content(data.items)))

    @get(
        operation_id="listAssets",
        summary="List assets (filters: kind, entity_id, mime prefix, q on names and cameras, date taken, "
        "camera, has_location; sort)",
        opt=may_answer(404),  # an unknown entity_id
    )
    async def list_assets(
        self,
        assets: AssetServiceDep,
        kind: Search = None,
        entity_id: IdFilter = None,
        mime: Search = None,
        q: Search = None,
        taken_after: DateBound = None,
        taken_before: DateBound = None,
        camera: CameraFilter = None,
        has_location: LocationFilter = None,
        sort_by: str = choice(ASSET_SORTS, "created_at", "The order of the list (the id breaks ties)"),
        sort_order: str = choice(SORT_ORDERS, "asc", "Ascending or descending"),
        include_deleted: FromQuery[bool] = False,
        in_trash: Annotated[bool, QueryParameter(description="Only what is in the trash")] = False,
        *,
        page: PageDep,
    ) -> Ok[Page[AssetOut]]:
        query = AssetQuery.build(
            kind=kind,
            entity_id=entity_id,
            mime=mime,
            q=q,
            taken_after=taken_after,
            taken_before=taken_before,
            camera=camera,
            has_location=has_location,
            sort_by=sort_by,
            sort_order=sort_order,
            include_deleted=include_deleted,
            in_trash=in_trash,
        )
        return ok(await _page(assets, query, page))

    @get(
        "/archive",
        operation_id="archiveAssets",
        summary="Several files as one ZIP archive (stored, zip64), streamed as it is written",
        media_type="application/zip",
        opt=may_answer(404),  # an id names no stored file
    )
    async def archive(
        self,
        assets: AssetServiceDep,
        id: Annotated[
            list[Annotated[str, Meta(pattern=ID_PATTERN.pattern)]],
            QueryParameter(description="Repeatable: the files, in archive order", min_items=1),
        ],
    ) -> Stream:
        """Every file is looked up before the first byte goes out: a missing one is a 404, not a cut
        archive."""
        wanted = list(dict.fromkeys(id))
        if len(wanted) > MAX_ARCHIVE_FILES:
            raise Invalid.one("id", f"at most {MAX_ARCHIVE_FILES} files fit in one archive")
        found = [await assets.get(asset_id) for asset_id in wanted]
        names = unique_names(a.filename for a in found)
        members = [
            Member(name, a.size_bytes, a.created_at, functools.partial(assets.read, a))
            for name, a in zip(names, found, strict=True)
        ]
        return Stream(
            zip_stream(members),
            media_type="application/zip",
            headers={"Content-Disposition": content_disposition(ARCHIVE_NAME, inline=False)},
        )

    @post(
        "/bulk-delete",
        status_code=204,
        operation_id="deleteAssets",
        summary="Soft-delete several assets, in one transaction (an unknown id changes nothing)",
    )
    async def bulk_delete(self, assets: AssetServiceDep, data: JSONBody[AssetSelectionIn]) -> None:
        await assets.delete_many(data.asset_ids)

    @post(
        "/bulk-restore",
        status_code=HTTP_200_OK,
        operation_id="restoreAssets",
        summary="Restore several assets from the trash, in one transaction (an unknown id changes nothing)",
    )
    async def bulk_restore(
        self, assets: AssetServiceDep, data: JSONBody[AssetSelectionIn]
    ) -> Ok[list[AssetOut]]:
        return ok([asset_out(a) for a in await assets.restore_many(data.asset_ids)])

    @get("/{asset_id:str}", operation_id="getAsset", summary="One asset, extracted metadata included")
    async def get_asset(
        self, assets: AssetServiceDep, asset_id: RecordId, include_deleted: FromQuery[bool] = False
    ) -> Ok[AssetOut]:
        return ok(asset_out(await assets.get(asset_id, include_deleted=include_deleted)))

    @patch("/{asset_id:str}", operation_id="patchAsset", summary="Change an asset (JSON merge patch)")
    async def patch_asset(
        self, assets: AssetServiceDep, asset_id: RecordId, data: JSONBody[AssetPatch]
    ) -> Ok[AssetOut]:
        return ok(asset_out(await assets.patch(asset_id, data)))

    @delete(
        "/{asset_id:str}", operation_id="deleteAsset", summary="Soft-delete an asset (purge removes bytes)"
    )
    async def delete_asset(self, assets: AssetServiceDep, asset_id: RecordId) -> None:
        await assets.delete(asset_id)

    @post(
        "/{asset_id:str}/restore",
        operation_id="restoreAsset",
        summary="Bring back a soft-deleted asset",
        status_code=HTTP_200_OK,
    )
    async def restore_asset(self, assets: AssetServiceDep, asset_id: RecordId) -> Ok[AssetOut]:
        return ok(asset_out(await assets.restore(asset_id)))

    @post(
        "/{asset_id:str}/purge",
        status_code=204,
        operation_id="purgeAsset",
        summary="Delete an asset in the trash forever: unlinked, record and bytes removed",
        opt=may_answer(409),  # not in the trash
    )
    async def purge_asset(self, assets: AssetServiceDep, asset_id: RecordId) -> None:
        await assets.delete_forever(asset_id)

    @get(
        "/{asset_id:str}/entities",
        operation_id="listAssetEntities",
        summary="Entities the asset is linked to, with each link's role (oldest entity first)",
    )
    async def list_asset_entities(
        self,
        assets: AssetServiceDep,
        asset_id: RecordId,
        include_deleted: FromQuery[bool] = False,
        *,
        page: PageDep,
    ) -> Ok[Page[LinkedEntityOut]]:
        result = await assets.linked_entities(asset_id, page, include_deleted=include_deleted)
        return ok(page_out(result, linked_entity_out))

    @route(
        "/{asset_id:str}/download",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        operation_id=lambda handler, method, path: "downloadAsset" if method == "GET" else "headAsset",
        summary="The bytes: Range, If-Range, If-None-Match honoured (RFC 9110)",
        media_type="application/octet-stream",
    )
    async def download(
        self,
        assets: AssetServiceDep,
        clock: ClockDep,
        request: Request[Any, Any, State],
        asset_id: RecordId,
        inline: FromQuery[bool] = False,
    ) -> BlobResponse:
        asset = await assets.get(asset_id)

        def reader(start: int, end: int) -> Any:
            return assets.read(asset, start, end)

        head = request.method == HttpMethod.HEAD
        return answer_download(asset, request.headers, clock.now(), reader, inline=inline, head=head)


async def _page(assets: AssetService, query: AssetQuery, page: PageRequest) -> Page[AssetOut]:
    return page_out(await assets.find(query, page), asset_out)


class EntityAssetsController(Controller):
    path = "/entities/{entity_id:str}/assets"
    tags = ["assets"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get(operation_id="listEntityAssets", summary="Assets linked to an entity (filter: kind)")
    async def list_entity_assets(
        self,
        assets: AssetServiceDep,
        entity_id: RecordId,
        kind: FromQuery[str | None] = None,
        *,
        page: PageDep,
    ) -> Ok[Page[AssetOut]]:
        query = AssetQuery.build(kind=kind, entity_id=entity_id)
        return ok(await _page(assets, query, page))

    @post(
        "/{asset_id:str}/link",
        operation_id="linkAsset",
        summary="Link an asset to the entity (idempotent)",
        status_code=HTTP_200_OK,
    )
    async def link(
        self,
        assets: AssetServiceDep,
        entity_id: RecordId,
        asset_id: RecordId,
        data: JSONBody[LinkIn | None] = None,
    ) -> Ok[LinkOut]:
        changed = await assets.link(entity_id, asset_id, data.role if data else None)
        return ok(LinkOut(entity_id=entity_id, asset_id=asset_id, changed=changed))

    @post(
        "/{asset_id:str}/unlink",
        operation_id="unlinkAsset",
        summary="Unlink an asset from the entity (idempotent)",
        status_code=HTTP_200_OK,
    )
    async def unlink(self, assets: AssetServiceDep, entity_id: RecordId, asset_id: RecordId) -> Ok[LinkOut]:
        changed = await assets.unlink(entity_id, asset_id)
        return ok(LinkOut(entity_id=entity_id, asset_id=asset_id, changed=changed))

    @post(
        "/bulk-unlink",
        operation_id="unlinkAssets",
        summary="Unlink several assets from the entity, in one transaction (an unknown id changes nothing)",
        status_code=HTTP_200_OK,
    )
    async def bulk_unlink(
        self, assets: AssetServiceDep, entity_id: RecordId, data: JSONBody[AssetSelectionIn]
    ) -> Ok[UnlinkedOut]:
        unlinked = await assets.unlink_many(entity_id, data.asset_ids)
        return ok(UnlinkedOut(entity_id=entity_id, unlinked=unlinked))
