"""The Files page filters and sorts by facts; a file page shows its Details card and loads "All metadata"
only when asked (the dump is in no page's HTML)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from faceforge_adapters.bootstrap import Core
from faceforge_domain.facts import AssetFacts
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.ui.facts import detail_lines, duration_text, map_link, taken_text

pytestmark = pytest.mark.anyio
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"


async def ingest_sample(core: Core, name: str) -> str:
    async def body() -> AsyncIterator[bytes]:
        yield (EXIFTOOL_SAMPLES / name).read_bytes()

    return (await core.assets.ingest(body(), IngestOptions(filename=name))).asset.asset_id


@pytest.fixture
async def samples(core: Core) -> dict[str, str]:
    ids = {name: await ingest_sample(core, name) for name in ("GPS.jpg", "Canon1DmkIII.jpg", "Google.jpg")}
    await core.metadata.wait_idle()
    return ids


def listed(html: str, samples: dict[str, str]) -> list[str]:
    """The sample names in the order the Files page lists them."""
    at = {name: html.find(f'href="/ui/assets/{asset_id}"') for name, asset_id in samples.items()}
    return [name for name, index in sorted(at.items(), key=lambda kv: kv[1]) if index >= 0]


@needs_exiftool
async def test_file_page_has_a_details_card_and_no_metadata_dump(
    ui: httpx.AsyncClient, samples: dict[str, str]
) -> None:
    html = (await ui.get(f"/ui/assets/{samples['GPS.jpg']}")).text
    assert "<dt>Taken</dt><dd>2002-07-13 15:58:28 (local time, zone unknown)</dd>" in html
    assert "<dt>Camera</dt><dd>FUJIFILM FinePixS1Pro</dd>" in html
    assert "<dt>Dimensions</dt><dd>120 \N{MULTIPLICATION SIGN} 80 pixels</dd>" in html
    assert (
        'href="https://www.openstreetmap.org/?mlat=54.989667&amp;mlon=-1.914167#map=15/54.989667/-1.914167"'
        in html
    )
    assert f'data-load="/ui/assets/{samples["GPS.jpg"]}/metadata"' in html
    assert "GPSLatitudeRef" not in html  # the dump is not in the page
    assert "ExifIFD" not in html

    fragment = await ui.get(f"/ui/assets/{samples['GPS.jpg']}/metadata")
    assert fragment.status_code == 200
    assert "GPSLatitudeRef" in fragment.text
    assert "<html" not in fragment.text


@needs_exiftool
async def test_entity_page_no_longer_carries_the_dumps(
    ui: httpx.AsyncClient, core: Core, samples: dict[str, str]
) -> None:
    entity = await core.entities.create("Photographer")
    for asset_id in samples.values():
        await core.assets.link(entity.entity_id, asset_id, None)
    html = (await ui.get(f"/ui/entities/{entity.entity_id}", params={"tab": "attachments"})).text
    assert html.count('class="metadata" data-load="/ui/assets/') == 3
    assert "SubSecDateTimeOriginal" not in html
    assert "/ui/static/metadata.js" in html


@needs_exiftool
async def test_files_page_filters_and_sorts_by_facts(ui: httpx.AsyncClient, samples: dict[str, str]) -> None:
    async def names(**params: str) -> list[str]:
        response = await ui.get("/ui/assets", params=params)
        assert response.status_code == 200
        return listed(response.text, samples)

    assert await names(sort="taken_newest") == ["Google.jpg", "Canon1DmkIII.jpg", "GPS.jpg"]
    assert await names(sort="name") == ["Canon1DmkIII.jpg", "Google.jpg", "GPS.jpg"]  # case ignored
    assert await names(camera="canon") == ["Canon1DmkIII.jpg"]
    assert await names(location="with", sort="taken_oldest") == ["GPS.jpg", "Google.jpg"]
    assert await names(taken_after="2007-02-22", taken_before="2007-02-22") == [
        "Canon1DmkIII.jpg"
    ]  # that day
    assert await names(q="pixel") == ["Google.jpg"]
    page = (await ui.get("/ui/assets", params={"camera": "canon", "sort": "taken_newest"})).text
    assert '<option value="taken_newest" selected>' in page
    assert 'value="canon"' in page
    assert "2023-10-06 22:53:51 (UTC+02:00)" in (await ui.get("/ui/assets")).text


async def test_a_bad_date_is_said_beside_the_form(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/ui/assets", params={"taken_after": "yesterday", "sort": "bogus"})
    assert response.status_code == 422
    assert "Taken from must be a date" in response.text
    assert 'value="yesterday"' in response.text


async def test_metadata_of_an_unknown_file_is_a_readable_not_found(ui: httpx.AsyncClient) -> None:
    response = await ui.get(f"/ui/assets/{'a' * 64}/metadata")
    assert response.status_code == 404


def test_details_read_as_words() -> None:
    facts = AssetFacts(camera_make="Canon", camera_model="Canon EOS M50", orientation=6, duration_s=149.0)
    assert [(line.label, line.text) for line in detail_lines(facts)] == [
        ("Camera", "Canon EOS M50"),
        ("Orientation", "Rotate 90 CW"),
        ("Duration", "2:29"),
    ]
    assert duration_text(4.97) == "4.97 s"
    assert duration_text(3723.4) == "1:02:03"
    assert taken_text(AssetFacts()) == ""
    assert map_link(-33.8568, 151.2153).startswith(
        "https://www.openstreetmap.org/?mlat=-33.856800&mlon=151.215300"
    )
