"""Previews over HTTP: the small or large WebP picture of a file, cached by browsers for good.

The picture is a derived asset, so its ETag is its own content hash. A URL that names that hash
(``v``, as the web UI's pages do) can never change meaning, so browsers may keep the answer for a
year without asking again; without it the browser revalidates (a cheap 304).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.params import FromQuery

from faceforge_domain.previews import PREVIEW_MIME, PreviewRecord, PreviewSize
from faceforge_http.deps import AssetServiceDep, ClockDep, PreviewServiceDep
from faceforge_http.download import BlobResponse, answer_download
from faceforge_http.envelope import Ok, ok
from faceforge_http.openapi import may_answer
from faceforge_http.params import RecordId
from faceforge_http.wire import to_wire

FOREVER = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"
# ``v`` is this many leading hex characters of the picture's hash: enough that a changed picture gets
# a new URL (a 64-bit prefix), short enough that a page of 40 tiles stays light.
VERSION_CHARS = 16


class PreviewInfoOut(msgspec.Struct, kw_only=True):
    """Where a file's previews stand: ``pending`` (not made yet), ``done``, ``failed`` (``reason`` says
    why) or ``none`` (this type of file has no picture). The URLs name the pictures' content hashes,
    so they may be cached for good."""

    status: str
    reason: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    small_url: str | None = None
    large_url: str | None = None
    updated_at: str | None = None


def preview_url(asset_id: str, record: PreviewRecord, size: PreviewSize) -> str | None:
    """The picture's URL with its content hash as ``v`` (the answer is then immutable)."""
    picture = record.picture(size)
    return (
        None if picture is None else f"/v1/assets/{asset_id}/preview?size={size}&v={picture[:VERSION_CHARS]}"
    )


def preview_info(asset_id: str, record: PreviewRecord | None) -> PreviewInfoOut:
    if record is None:
        return PreviewInfoOut(status="pending")
    return to_wire(
        PreviewInfoOut,
        record,
        small_url=preview_url(asset_id, record, "small"),
        large_url=preview_url(asset_id, record, "large"),
    )


class PreviewController(Controller):
    path = "/assets"
    tags = ["assets"]  # noqa: RUF012  (Litestar reads this class attribute)

    @route(
        "/{asset_id:str}/preview",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        operation_id=lambda handler, method, path: (
            "getAssetPreview" if method == "GET" else "headAssetPreview"
        ),
        summary="The file's preview picture (WebP, about 256 or 1280 px on the long side)",
        description=(
            "404 `not_found` when the file has no preview (not made yet, or impossible for its type: "
            "`GET /v1/assets/{id}/preview/info` says which). With `v` = the picture's content hash "
            "(at least its first 16 hex characters, as in the info's URLs) the answer may be cached for good."
        ),
        media_type=PREVIEW_MIME,
        opt=may_answer(404),
    )
    async def preview(
        self,
        previews: PreviewServiceDep,
        assets: AssetServiceDep,
        clock: ClockDep,
        request: Request[Any, Any, State],
        asset_id: RecordId,
        size: FromQuery[PreviewSize] = "small",
        v: FromQuery[str | None] = None,
    ) -> BlobResponse:
        picture = await previews.picture(asset_id, size)

        def reader(start: int, end: int) -> Any:
            return assets.read(picture, start, end)

        named = v is not None and len(v) >= VERSION_CHARS and picture.content_hash.startswith(v)
        caching = {"cache-control": FOREVER if named else REVALIDATE}
        head = request.method == HttpMethod.HEAD
        return answer_download(
            picture, request.headers, clock.now(), reader, inline=True, head=head, extra_headers=caching
        )

    @get(
        "/{asset_id:str}/preview/info",
        operation_id="getAssetPreviewInfo",
        summary="Where the file's previews stand, their size and URLs",
        opt=may_answer(404),
    )
    async def preview_info(
        self, previews: PreviewServiceDep, assets: AssetServiceDep, asset_id: RecordId
    ) -> Ok[PreviewInfoOut]:
        await assets.get(asset_id)  # 404 for an unknown asset
        return ok(preview_info(asset_id, await previews.record(asset_id)))
