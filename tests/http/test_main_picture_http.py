"""The main picture through the API and the UI: trashing, restoring and unlinking its file, and
"Remove main picture"; no page is left with a picture that answers 404."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from faceforge_adapters.bootstrap import Core
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio


def one_pixel_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def entity_showing_a_picture(core: Core, ui: httpx.AsyncClient) -> tuple[str, str]:
    """A linked picture (with its previews made) as an entity's main picture: (entity_id, asset_id)."""
    asset = (await core.assets.ingest(one_chunk(one_pixel_png()), IngestOptions(filename="face.png"))).asset
    await core.previews.build([asset.asset_id])
    entity = await core.entities.create("Ann")
    await core.assets.link(entity.entity_id, asset.asset_id)
    response = await ui.patch(
        f"/v1/entities/{entity.entity_id}", json={"primary_thumbnail_asset_id": asset.asset_id}
    )
    assert response.status_code == 200
    return entity.entity_id, asset.asset_id


async def main_picture(ui: httpx.AsyncClient, entity_id: str) -> str | None:
    response = await ui.get(f"/v1/entities/{entity_id}")
    value: str | None = response.json()["data"]["primary_thumbnail_asset_id"]
    return value


async def pictures_all_answer(ui: httpx.AsyncClient, path: str) -> list[str]:
    """Every picture the page shows, checked to answer 200; returns their addresses."""
    page = (await ui.get(path)).text
    sources = [html.unescape(src) for src in re.findall(r'<img[^>]* src="([^"]+)"', page)]
    for src in sources:
        assert (await ui.get(src)).status_code == 200, src
    return sources


async def test_trashing_the_file_clears_the_main_picture_and_restoring_brings_it_back(
    core: Core, ui: httpx.AsyncClient
) -> None:
    entity_id, asset_id = await entity_showing_a_picture(core, ui)
    assert (await ui.delete(f"/v1/assets/{asset_id}")).status_code == 204
    assert await main_picture(ui, entity_id) is None
    remembered = (await ui.get(f"/v1/entities/{entity_id}")).json()["data"]["trashed_thumbnail_asset_id"]
    assert remembered == asset_id
    refused = await ui.patch(f"/v1/entities/{entity_id}", json={"trashed_thumbnail_asset_id": None})
    assert refused.status_code == 422  # read-only: the memory is the server's
    assert (await ui.get(f"/v1/entities/{entity_id}")).json()["data"][
        "trashed_thumbnail_asset_id"
    ] == asset_id
    listed = (await ui.get("/v1/entities")).json()["data"]["items"]
    assert [e["primary_thumbnail_asset_id"] for e in listed] == [None]
    for path in ("/ui/entities", "/ui/entities?view=gallery", f"/ui/entities/{entity_id}"):
        assert await pictures_all_answer(ui, path) == []
    assert (await ui.post(f"/v1/assets/{asset_id}/restore")).status_code == 200
    assert await main_picture(ui, entity_id) == asset_id
    assert (await ui.get(f"/v1/entities/{entity_id}")).json()["data"]["trashed_thumbnail_asset_id"] is None
    assert await pictures_all_answer(ui, f"/ui/entities/{entity_id}")  # the avatar is back


async def test_unlinking_the_file_clears_the_main_picture(core: Core, ui: httpx.AsyncClient) -> None:
    entity_id, asset_id = await entity_showing_a_picture(core, ui)
    response = await ui.post(f"/v1/entities/{entity_id}/assets/{asset_id}/unlink")
    assert response.status_code == 200
    assert await main_picture(ui, entity_id) is None
    assert await pictures_all_answer(ui, f"/ui/entities/{entity_id}") == []


async def test_the_attachments_tab_offers_remove_main_picture_which_clears_it(
    core: Core, ui: httpx.AsyncClient
) -> None:
    entity_id, asset_id = await entity_showing_a_picture(core, ui)
    page = (await ui.get(f"/ui/entities/{entity_id}?tab=attachments")).text
    assert page.count(">Remove main picture</button>") == 1
    assert '"primary_thumbnail_asset_id": null' in page
    response = await ui.patch(f"/v1/entities/{entity_id}", json={"primary_thumbnail_asset_id": None})
    assert response.status_code == 200
    page = (await ui.get(f"/ui/entities/{entity_id}?tab=attachments")).text
    assert "Remove main picture" not in page
    assert "Use as main picture" in page
    assert (await ui.post(f"/v1/assets/{asset_id}/restore")).status_code == 200  # a live file: no change
    assert await main_picture(ui, entity_id) is None


async def test_a_trashed_file_is_refused_as_main_picture_and_nothing_changes(
    core: Core, ui: httpx.AsyncClient
) -> None:
    entity_id, asset_id = await entity_showing_a_picture(core, ui)
    await ui.patch(f"/v1/entities/{entity_id}", json={"primary_thumbnail_asset_id": None})
    await ui.delete(f"/v1/assets/{asset_id}")
    response = await ui.patch(f"/v1/entities/{entity_id}", json={"primary_thumbnail_asset_id": asset_id})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "primary_thumbnail_asset_id"
    assert await main_picture(ui, entity_id) is None
