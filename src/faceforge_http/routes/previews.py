"""Previews over HTTP: the small or large WebP picture of a file, cached by browsers for good.

The picture is a derived asset, so its ETag is its own content hash. A URL that names that hash
(``v``, as the web UI's pages do) can never change meaning, so browsers may keep the answer for a
year without asking again; without it the browser revalidates (a cheap 304).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.params import FromQuery

from faceforge_domain.previews import PREVIEW_MIME, PreviewSize
from faceforge_http.deps import AssetServiceDep, ClockDep, PreviewServiceDep
from faceforge_http.download import BlobResponse, answer_download
from faceforge_http.openapi import may_answer
from faceforge_http.params import RecordId

FOREVER = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


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
            "`GET /v1/assets/{id}` says which in `preview`). With `v` = the picture's content hash "
            "(`preview.small_id`/`large_id`) the answer may be cached for good."
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

        caching = {"cache-control": FOREVER if v == picture.content_hash else REVALIDATE}
        head = request.method == HttpMethod.HEAD
        return answer_download(
            picture, request.headers, clock.now(), reader, inline=True, head=head, extra_headers=caching
        )
