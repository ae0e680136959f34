"""The web UI's pages through an in-process client: they render, escape, page, remember and stay light."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from faceforge_adapters.bootstrap import Core
from faceforge_domain.imports.models import JOB_TYPE as IMPORT_JOB
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.ui import file_size, job_title, when
from faceforge_http.ui.pages import PAGE_SIZE

pytestmark = pytest.mark.anyio

DASH = "\N{EN DASH}"
PAGES = [
    "/ui/entities",
    "/ui/assets",
    "/ui/jobs",
    "/ui/admin/fields",
    "/ui/plugins",
    "/ui/trash",
    "/ui/admin/health",
]


def one_pixel_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


PNG_1PX = one_pixel_png()


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def page_weight(ui: httpx.AsyncClient, html: str) -> int:
    """HTML plus every stylesheet and script it loads, in bytes (images not counted)."""
    total = len(html.encode())
    for ref in re.findall(r'(?:src|href)="(/ui/static/[^"]+\.(?:js|css))"', html):
        asset = await ui.get(ref)
        assert asset.status_code == 200
        total += len(asset.content)
    return total


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders_for_a_signed_in_user(ui: httpx.AsyncClient, path: str) -> None:
    response = await ui.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<main" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_with_assets_stay_under_100_kb(ui: httpx.AsyncClient, path: str) -> None:
    assert await page_weight(ui, (await ui.get(path)).text) < 100_000


async def test_a_full_entity_page_with_thumbnails_stays_under_100_kb(
    ui: httpx.AsyncClient, core: Core
) -> None:
    result = await core.assets.ingest(one_chunk(PNG_1PX), IngestOptions(filename="face.png"))
    await core.previews.build([result.asset.asset_id])
    for n in range(60):
        await core.entities.create_from(
            {
                "display_name": f"Somebody With A Long Name {n}",
                "aliases": ["Another Name", "Third Name"],
                "tags": ["reference", "portrait"],
                "primary_thumbnail_asset_id": result.asset.asset_id,
            }
        )
    for view in ("table", "gallery"):
        html = (await ui.get("/ui/entities", params={"view": view})).text
        assert html.count(f"/v1/assets/{result.asset.asset_id}/preview?size=small&amp;v=") == PAGE_SIZE
        assert await page_weight(ui, html) < 100_000


async def test_no_inline_script_or_style_in_any_page(ui: httpx.AsyncClient, core: Core) -> None:
    entity = await core.entities.create_from({"display_name": "Ann"})
    pages = [*PAGES, f"/ui/entities/{entity.entity_id}", "/ui/login"]
    for path in pages:
        html = (await ui.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style|\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path


async def test_user_text_is_escaped(ui: httpx.AsyncClient, core: Core) -> None:
    evil = "<script>alert(1)</script>"
    entity = await core.entities.create_from({"display_name": evil, "tags": ['"><img src=x>']})
    for path in ("/ui/entities", f"/ui/entities/{entity.entity_id}"):
        html = (await ui.get(path)).text
        assert evil not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x>" not in html


async def test_entity_list_searches_and_filters_by_tag(ui: httpx.AsyncClient, core: Core) -> None:
    await core.entities.create_from({"display_name": "Ann Lee", "tags": ["actor"]})
    await core.entities.create_from({"display_name": "Bob Stone", "tags": ["model"]})
    found = (await ui.get("/ui/entities", params={"q": "ann"})).text
    assert "Ann Lee" in found
    assert "Bob Stone" not in found
    tagged = (await ui.get("/ui/entities", params={"tag": "model"})).text
    assert "Bob Stone" in tagged
    assert "Ann Lee" not in tagged
    nothing = (await ui.get("/ui/entities", params={"q": "zzz"})).text
    assert "No entity matches this search." in nothing


async def test_entity_list_pages_and_sorts(ui: httpx.AsyncClient, core: Core) -> None:
    for n in range(50):
        await core.entities.create_from({"display_name": f"Person {n:02d}"})
    first = (await ui.get("/ui/entities", params={"sort": "name"})).text
    assert f"1{DASH}{PAGE_SIZE} of 50 entities" in first
    assert first.index("Person 00") < first.index("Person 01")
    assert "Person 49" not in first
    assert f'href="?sort=name&amp;offset={PAGE_SIZE}"' in first
    second = (await ui.get("/ui/entities", params={"sort": "name", "offset": PAGE_SIZE})).text
    assert f"{PAGE_SIZE + 1}{DASH}50 of 50 entities" in second
    assert "Person 49" in second
    assert "Person 00" not in second


async def test_gallery_choice_is_remembered(ui: httpx.AsyncClient, core: Core) -> None:
    await core.entities.create_from({"display_name": "Ann"})
    assert 'class="list"' in (await ui.get("/ui/entities")).text
    chosen = await ui.get("/ui/entities", params={"view": "gallery"})
    assert 'class="gallery"' in chosen.text
    again = await ui.get("/ui/entities")
    assert 'class="gallery"' in again.text
    assert 'class="list"' not in again.text


async def test_thumbnails_are_the_small_previews_of_the_primary_image_loaded_lazily(
    ui: httpx.AsyncClient, core: Core
) -> None:
    result = await core.assets.ingest(one_chunk(PNG_1PX), IngestOptions(filename="face.png"))
    asset_id = result.asset.asset_id
    await core.entities.create_from({"display_name": "Ann", "primary_thumbnail_asset_id": asset_id})
    before = (await ui.get("/ui/entities")).text
    assert "/download" not in before  # no preview yet: the tile shows the initial, never the original
    (record,) = await core.previews.build([asset_id])
    html = (await ui.get("/ui/entities")).text
    url = f"/v1/assets/{asset_id}/preview?size=small&amp;v={str(record.small_asset_id)[:16]}"
    assert f'src="{url}" alt="" loading="lazy"' in html
    image = await ui.get(url.replace("&amp;", "&"))
    assert image.headers["content-type"] == "image/webp"


async def test_entity_tabs_show_fields_descriptors_files_and_both_relationship_directions(
    ui: httpx.AsyncClient, core: Core
) -> None:
    await core.field_defs.create(
        {"field_key": "height_cm", "field_type": "int", "scope": "entity", "min": 30}
    )
    await core.field_defs.create({"field_key": "hair", "field_type": "string", "scope": "descriptor"})
    ann = await core.entities.create_from({"display_name": "Ann", "fields": {"height_cm": 170}})
    bob = await core.entities.create_from({"display_name": "Bob"})
    await core.descriptors.create(
        ann.entity_id, {"field_key": "hair", "value": "red", "valid_from": "2020-01-01"}
    )
    upload = await core.assets.ingest(
        one_chunk(PNG_1PX), IngestOptions(filename="ann.png", entity_id=ann.entity_id)
    )
    await core.relationships.create(
        {"src_entity_id": bob.entity_id, "dst_entity_id": ann.entity_id, "type": "sibling_of"}
    )
    base = f"/ui/entities/{ann.entity_id}"

    overview = (await ui.get(base)).text
    assert 'name="fields/height_cm"' in overview
    assert 'value="170"' in overview
    assert 'min="30.0"' in overview
    descriptors = (await ui.get(base, params={"tab": "descriptors"})).text
    assert "hair" in descriptors
    assert "red" in descriptors
    assert f"2020-01-01 {DASH} now" in descriptors
    files = (await ui.get(base, params={"tab": "attachments"})).text
    assert "ann.png" in files
    assert f"/v1/assets/{upload.asset.asset_id}/download" in files
    assert "Use as main picture" in files
    assert 'data-resumable-from="8388608" data-chunk-bytes="16777216"' in files
    assert '<script src="/ui/static/resumable.js" defer>' in files
    assert "resumable.js" not in overview
    relations = (await ui.get(base, params={"tab": "relationships"})).text
    assert "sibling_of" in relations
    assert f'href="/ui/entities/{bob.entity_id}?tab=relationships">Bob</a>' in relations


async def test_unknown_entity_is_a_readable_not_found_page(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/ui/entities/" + "0" * 64)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


async def test_asset_page_shows_the_file_and_its_details(ui: httpx.AsyncClient, core: Core) -> None:
    result = await core.assets.ingest(one_chunk(PNG_1PX), IngestOptions(filename="face.png"))
    html = (await ui.get(f"/ui/assets/{result.asset.asset_id}")).text
    assert "face.png" in html
    assert "image/png" in html
    assert "Download" in html
    listing = (await ui.get("/ui/assets", params={"q": "face"})).text
    assert f'href="/ui/assets/{result.asset.asset_id}"' in listing
    assert "No file matches" in (await ui.get("/ui/assets", params={"q": "nomatch"})).text


async def test_asset_page_lists_the_entities_it_is_linked_to(ui: httpx.AsyncClient, core: Core) -> None:
    result = await core.assets.ingest(one_chunk(PNG_1PX), IngestOptions(filename="face.png"))
    url = f"/ui/assets/{result.asset.asset_id}"
    assert "This file is not linked to any entity." in (await ui.get(url)).text
    ada = await core.entities.create("Ada <i>Lovelace</i>")
    gone = await core.entities.create("Gone Person")
    await core.assets.link(ada.entity_id, result.asset.asset_id, "portrait")
    await core.assets.link(gone.entity_id, result.asset.asset_id)
    await core.entities.delete(gone.entity_id)
    html = (await ui.get(url)).text
    assert f'<a href="/ui/entities/{ada.entity_id}">Ada &lt;i&gt;Lovelace&lt;/i&gt;</a>' in html
    assert "<td>portrait</td>" in html
    assert "Gone Person" not in html
    assert "not linked to any entity" not in html


async def test_field_admin_previews_each_definition(ui: httpx.AsyncClient, core: Core) -> None:
    await core.field_defs.create(
        {"field_key": "eye_color", "field_type": "enum", "scope": "entity", "options": ["blue", "green"]}
    )
    html = (await ui.get("/ui/admin/fields")).text
    assert "eye_color" in html
    assert "<option>blue</option><option>green</option>" in html


async def test_job_pages_show_a_plain_title_status_and_log(
    ui: httpx.AsyncClient, core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(PNG_1PX)
    job = await core.jobs.create(IMPORT_JOB, {"path": str(folder)}, created_by="test")
    listing = (await ui.get("/ui/jobs")).text
    assert f'href="/ui/jobs/{job.job_id}">Folder import</a>' in listing
    detail = await ui.get(f"/ui/jobs/{job.job_id}")
    assert detail.status_code == 200
    assert f'data-job-id="{job.job_id}"' in detail.text
    assert str(folder) in detail.text
    assert (await ui.get("/ui/jobs/" + "0" * 64)).status_code == 404


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, ""), (0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 KB"), (5 * 1024**3, "5.0 GB")],
)
def test_file_sizes_read_at_a_glance(size: int | None, shown: str) -> None:
    assert file_size(size) == shown


@pytest.mark.parametrize(
    ("job_type", "title"),
    [(IMPORT_JOB, "Folder import"), ("hello.greet", "Hello greet"), ("core.thumbs_make", "Core thumbs make")],
)
def test_job_types_read_as_words(job_type: str, title: str) -> None:
    assert job_title(job_type) == title


def test_timestamps_read_as_minutes_utc() -> None:
    assert when("2026-11-24T11:02:04.123Z") == "2026-11-24 11:02 UTC"
    assert when(None) == ""
