"""Resumable uploads over HTTP: tus 1.0.0 under ``/v1/uploads`` and a JSON status per upload.

Extensions: creation, creation-with-upload, termination, checksum (sha256) and expiration. The bytes
are streamed from the request to the partial-upload store; a finished upload is an ordinary asset.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, head, patch, post, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from faceforge_domain.errors import NotFound
from faceforge_domain.uploads.model import UploadRecord
from faceforge_domain.uploads.service import ResumableUploads, past_length
from faceforge_http.deps import UploadServiceDep
from faceforge_http.envelope import Ok, ok
from faceforge_http.openapi import may_answer
from faceforge_http.tus import (
    CHECKSUM_ALGORITHMS,
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    format_metadata,
    http_date,
    parse_checksum,
    parse_length,
    parse_metadata,
    require_tus_version,
    tus_resumable_header,
)
from faceforge_http.uploads import request_chunks
from faceforge_http.wire import Wire

ASSET_ID_HEADER = "FaceForge-Asset-Id"


class UploadStatusOut(msgspec.Struct, kw_only=True):
    upload_id: str
    offset: int
    length: int
    state: str
    metadata: dict[str, str]
    created_at: str
    expires_at: str
    asset_id: str | None
    deduplicated: bool


upload_status_out = Wire(UploadRecord, UploadStatusOut)


def progress_headers(record: UploadRecord) -> dict[str, str]:
    """What a tus client reads after POST and PATCH: where the upload is and when it expires."""
    headers = {"Upload-Offset": str(record.offset), "Upload-Expires": http_date(record.expires_at)}
    if record.asset_id is not None:
        headers[ASSET_ID_HEADER] = record.asset_id
    return headers


def _require_offset_body(request: Request[Any, Any, State]) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != OFFSET_CONTENT_TYPE:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Content-Type must be {OFFSET_CONTENT_TYPE} (got {media or 'nothing'})",
        )


def _announced_length(request: Request[Any, Any, State]) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _append(
    uploads: ResumableUploads, request: Request[Any, Any, State], record: UploadRecord, offset: int
) -> UploadRecord:
    """Stream the request body into the upload at ``offset``."""
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    return await uploads.append(
        record.upload_id,
        offset,
        request_chunks(request),
        chunk_sha256=checksum,
        announced=_announced_length(request),
    )


class UploadController(Controller):
    path = "/uploads"
    tags = ["uploads"]  # noqa: RUF012  (Litestar reads this class attribute)
    middleware = [tus_resumable_header]  # noqa: RUF012
    guards = [require_tus_version]  # noqa: RUF012

    @route(
        "/",
        http_method=[HttpMethod.OPTIONS],
        operation_id="uploadOptions",
        summary="tus discovery: version, extensions, maximum size, checksum algorithms",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def capabilities(self, uploads: UploadServiceDep) -> Response[None]:
        # Litestar registers a controller's handlers in name order and its automatic OPTIONS handler
        # would replace this one if POST ("create") were registered first: keep this name before it.
        return Response(
            None,
            status_code=HTTP_204_NO_CONTENT,
            headers={
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(uploads.max_bytes),
                "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS,
            },
        )

    @post(
        "/",
        operation_id="createUpload",
        summary="Create a resumable upload (tus creation; a body is the first chunk)",
        description=(
            "Headers: `Tus-Resumable: 1.0.0`, `Upload-Length`, `Upload-Metadata` (`filename`, `kind`, "
            "`entity_id`, `role`, `derived_from_asset_id`, `meta` (a JSON object), `sha256`). "
            "201 with `Location`; with a body (`application/offset+octet-stream`) also `Upload-Offset`. "
            "`Upload-Length: 0` is stored at once (`FaceForge-Asset-Id`). 507: `Upload-Length` does not "
            "fit on the disk with `storage.min_free_bytes` kept free (nothing is created)."
        ),
        request_max_body_size=None,  # streamed and bounded by Upload-Length
        status_code=HTTP_201_CREATED,
        opt=may_answer(404, 412, 415, 460),
    )
    async def create(self, uploads: UploadServiceDep, request: Request[Any, Any, State]) -> Response[bytes]:
        length = parse_length(request.headers.get("upload-length"), "Upload-Length")
        metadata = parse_metadata(request.headers.get("upload-metadata"))
        announced = _announced_length(request)
        has_body = bool(announced) or "transfer-encoding" in request.headers
        if has_body:
            _require_offset_body(request)
            if announced is not None and announced > length:
                raise past_length(length)
        record = await uploads.create(length, metadata)
        if has_body and not record.complete:
            try:
                record = await _append(uploads, request, record, 0)
            except BaseException:  # the client never learns the Location: keep nothing
                with anyio.CancelScope(shield=True), contextlib.suppress(NotFound):  # or removed already
                    await uploads.terminate(record.upload_id)
                raise
        headers = {"Location": f"/v1/uploads/{record.upload_id}", **progress_headers(record)}
        return Response(b"", status_code=HTTP_201_CREATED, headers=headers, media_type=MediaType.TEXT)

    @head(
        "/{upload_id:str}",
        operation_id="uploadOffset",
        opt=may_answer(410, 412),
        summary="Where a resumable upload stands (Upload-Offset, Upload-Length)",
    )
    async def offset(self, uploads: UploadServiceDep, upload_id: FromPath[str]) -> Response[None]:
        record = await uploads.get(upload_id)
        headers = {
            "Upload-Offset": str(record.offset),
            "Upload-Length": str(record.length),
            "Upload-Expires": http_date(record.expires_at),
            "Cache-Control": "no-store",
        }
        if record.metadata:
            headers["Upload-Metadata"] = format_metadata(record.metadata)
        return Response(None, headers=headers)

    @patch(
        "/{upload_id:str}",
        operation_id="appendUpload",
        summary="Append bytes at Upload-Offset (application/offset+octet-stream, streamed)",
        description=(
            "204 with the new `Upload-Offset`; the last chunk stores the asset and adds "
            "`FaceForge-Asset-Id`. 409: wrong offset, or the upload is complete; 415: wrong "
            "Content-Type; 460: `Upload-Checksum` mismatch (chunk discarded); 423: another PATCH to "
            "this upload is running; 410: expired; "
            "507: the disk is full (the upload keeps its last recorded offset: resume from `HEAD`)."
        ),
        request_max_body_size=None,
        status_code=HTTP_204_NO_CONTENT,
        opt=may_answer(409, 410, 412, 415, 423, 460),
    )
    async def append(
        self, uploads: UploadServiceDep, request: Request[Any, Any, State], upload_id: FromPath[str]
    ) -> Response[None]:
        _require_offset_body(request)
        offset = parse_length(request.headers.get("upload-offset"), "Upload-Offset")
        record = await _append(uploads, request, await uploads.get(upload_id), offset)
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers=progress_headers(record))

    @delete(
        "/{upload_id:str}",
        operation_id="terminateUpload",
        opt=may_answer(412, 423),
        summary="Terminate a resumable upload: its bytes and state are removed",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def terminate(self, uploads: UploadServiceDep, upload_id: FromPath[str]) -> None:
        await uploads.terminate(upload_id)

    @get(
        "/{upload_id:str}",
        operation_id="getUpload",
        opt=may_answer(410),
        summary="A resumable upload's status as JSON (state, offset, asset_id when complete)",
    )
    async def status(self, uploads: UploadServiceDep, upload_id: FromPath[str]) -> Ok[UploadStatusOut]:
        return ok(upload_status_out(await uploads.get(upload_id)))
