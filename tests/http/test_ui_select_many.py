"""Select many on the entity list and an entity's files, as the server renders them: the list's select
mode (boxes, the action bar, no htmx, under the weight budget), the Undo offer after several entities
were deleted at once, and the Attachments tab's bar."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from faceforge_adapters.bootstrap import Core
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def page_weight(ui: httpx.AsyncClient, page: str) -> int:
    total = len(page.encode())
    for ref in re.findall(r'(?:src|href)="(/ui/static/[^"]+\.(?:js|css))"', page):
        total += len((await ui.get(ref)).content)
    return total


async def test_the_list_offers_select_mode_and_only_it_carries_boxes_and_the_bar(
    ui: httpx.AsyncClient, core: Core
) -> None:
    for n in range(3):
        await core.entities.create(f"Person {n}", tags=["actor"])
    plain = (await ui.get("/ui/entities", params={"q": "Person"})).text
    assert 'href="?q=Person&amp;select=1">Select</a>' in plain
    assert "data-select" not in plain
    assert "select.js" not in plain
    selecting = (await ui.get("/ui/entities", params={"q": "Person", "select": "1", "view": "gallery"})).text
    assert selecting.count('type="checkbox" data-select ') == 3
    assert 'aria-label="Select Person 0"' in selecting
    assert "data-select-all" in selecting
    assert 'data-url="/v1/entities/bulk-tag"' in selecting
    assert 'data-redirect="/ui/entities?deleted={ids}"' in selecting
    assert "select.js" in selecting
    assert "htmx" not in selecting
    assert '<input type="hidden" name="select" value="1">' in selecting
    assert 'href="?q=Person">Done selecting</a>' in selecting


async def test_select_mode_with_a_full_page_stays_under_100_kb(ui: httpx.AsyncClient, core: Core) -> None:
    for n in range(60):
        await core.entities.create(f"Somebody With A Long Name {n}", aliases=["Another"], tags=["reference"])
    page = (await ui.get("/ui/entities", params={"select": "1"})).text
    assert page.count("data-select ") == 40
    assert await page_weight(ui, page) < 100_000


async def test_after_several_were_deleted_the_list_offers_to_bring_back_those_still_in_the_trash(
    ui: httpx.AsyncClient, core: Core
) -> None:
    ann, bo, cy = [await core.entities.create(n) for n in ("Ann", "Bo", "Cy")]
    await core.entities.delete_many([ann.entity_id, bo.entity_id])
    deleted = ",".join([ann.entity_id, bo.entity_id, cy.entity_id, "not-an-id"])
    page = (await ui.get("/ui/entities", params={"deleted": deleted})).text
    assert "2 entities are in the trash." in page
    button = re.search(r"<button[^>]*data-api=\"/v1/entities/bulk-restore\"[^>]*>", page)
    assert button is not None
    body = re.search(r"data-body='([^']*)'", button.group(0))
    assert body is not None
    assert json.loads(html.unescape(body.group(1))) == {"entity_ids": [ann.entity_id, bo.entity_id]}
    await core.entities.restore(bo.entity_id)
    one_left = (await ui.get("/ui/entities", params={"deleted": deleted})).text
    assert "“Ann” is in the trash." in one_left
    assert f'data-api="/v1/entities/{ann.entity_id}/restore"' in one_left


async def test_the_attachments_tab_has_boxes_and_a_bar_naming_the_entity(
    ui: httpx.AsyncClient, core: Core
) -> None:
    ann = await core.entities.create("Ann <b>")
    asset = (await core.assets.ingest(one_chunk(b"hello"), IngestOptions(filename="a<b>.txt"))).asset
    await core.assets.link(ann.entity_id, asset.asset_id)
    page = (await ui.get(f"/ui/entities/{ann.entity_id}", params={"tab": "attachments"})).text
    assert "select.js" in page
    assert 'aria-label="Select a&lt;b&gt;.txt"' in page
    assert f'data-url="/v1/entities/{ann.entity_id}/assets/bulk-unlink"' in page
    assert "Unlink from Ann &lt;b&gt;</span></button>" in page
    assert 'data-bulk-action="archive"' in page


async def test_after_several_files_were_deleted_their_list_offers_to_bring_them_back(
    ui: httpx.AsyncClient, core: Core
) -> None:
    ann = await core.entities.create("Ann")
    ids = []
    for n in range(2):
        stored = await core.assets.ingest(one_chunk(b"file %d" % n), IngestOptions(filename=f"f{n}.txt"))
        await core.assets.link(ann.entity_id, stored.asset.asset_id)
        ids.append(stored.asset.asset_id)
    files = (await ui.get("/ui/assets")).text
    assert 'data-url="/v1/assets/bulk-delete" data-redirect="/ui/assets?deleted={ids}"' in files
    await core.assets.delete_many(ids)
    tab = f"/ui/entities/{ann.entity_id}?tab=attachments"
    for page, back in [(f"{tab}&", tab), ("/ui/assets?", "/ui/assets")]:
        offered = (await ui.get(f"{page}deleted={','.join(ids)}")).text
        assert "2 files are in the trash." in offered
        assert 'data-api="/v1/assets/bulk-restore"' in offered
        assert f'data-redirect="{html.escape(back)}"' in offered
