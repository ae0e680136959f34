"""The preview routes against a real Core: the runner makes the previews of an upload with the real
renderer, and the routes serve them with the caching the web UI relies on."""

from __future__ import annotations

import io
from typing import Any

import anyio
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image, ImageDraw

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]


def photo(width: int = 1600, height: int = 900) -> bytes:
    picture = Image.new("RGB", (width, height), (30, 90, 160))
    ImageDraw.Draw(picture).ellipse((200, 100, 900, 800), fill=(240, 200, 40))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


async def put(client: Client, auth: dict[str, str], data: bytes, name: str) -> str:
    answer = await client.put("/v1/assets/upload", params={"filename": name}, content=data, headers=auth)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["asset_id"])


async def settled_info(client: Client, auth: dict[str, str], asset_id: str) -> dict[str, Any]:
    """The preview info once the runner has made (or given up on) the previews."""
    with anyio.fail_after(30):
        while True:
            answer = await client.get(f"/v1/assets/{asset_id}/preview/info", headers=auth)
            assert answer.status_code == 200, answer.text
            info: dict[str, Any] = answer.json()["data"]
            if info["status"] != "pending":
                return info
            await anyio.sleep(0.05)


async def test_an_uploaded_photo_gets_small_and_large_webp_previews_cached_for_good(
    client: Client, auth: dict[str, str], core: Core
) -> None:
    asset_id = await put(client, auth, photo(), "beach.jpg")
    info = await settled_info(client, auth, asset_id)
    assert (info["status"], info["width"], info["height"]) == ("done", 1600, 900)
    for size, edge in (("small", 256), ("large", 1280)):
        answer = await client.get(info[f"{size}_url"], headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "image/webp"
        assert "immutable" in answer.headers["cache-control"]
        picture = Image.open(io.BytesIO(answer.content))
        assert (picture.format, max(picture.size)) == ("WEBP", edge)
        etag = answer.headers["etag"]
        unversioned = await client.get(f"/v1/assets/{asset_id}/preview?size={size}", headers=auth)
        assert unversioned.headers["cache-control"] == "private, no-cache"
        again = await client.get(info[f"{size}_url"], headers={**auth, "if-none-match": etag})
        assert again.status_code == 304
    listed = (await client.get("/v1/assets", headers=auth)).json()["data"]["items"]
    assert [a["asset_id"] for a in listed] == [asset_id]  # the previews are not listed


async def test_a_file_without_a_preview_says_why_and_its_preview_is_a_clear_404(
    client: Client, auth: dict[str, str]
) -> None:
    model = await put(client, auth, bytes(range(256)) * 64, "weights.safetensors")
    broken = await put(client, auth, photo()[:2000], "cut-short.jpg")
    assert (await settled_info(client, auth, model))["status"] == "none"
    failed = await settled_info(client, auth, broken)
    assert failed["status"] == "failed", failed
    assert "truncated" in failed["reason"] or "decode" in failed["reason"], failed
    for asset_id in (model, broken):
        answer = await client.get(f"/v1/assets/{asset_id}/preview?size=small", headers=auth)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")
        assert "preview" in answer.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/preview", "/preview/info"])
async def test_an_unknown_asset_has_no_preview(client: Client, auth: dict[str, str], path: str) -> None:
    answer = await client.get(f"/v1/assets/{'a' * 64}{path}", headers=auth)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")


async def test_a_bad_size_is_refused(client: Client, auth: dict[str, str]) -> None:
    answer = await client.get(f"/v1/assets/{'a' * 64}/preview?size=huge", headers=auth)
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "validation_error")
