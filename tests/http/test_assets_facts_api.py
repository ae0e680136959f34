"""Facts over HTTP: real camera files uploaded, their facts in the asset JSON, the list filtered and
sorted by them, bad values refused with a clear 422."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from assets_support import form_headers, same_loop_client, upload_body

from faceforge_adapters.bootstrap import Core

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed"),
]
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"

SAMPLES = ("GPS.jpg", "Canon1DmkIII.jpg", "Google.jpg", "QuickTime.mov", "Text1.txt")


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


@pytest.fixture
async def uploaded(client: httpx.AsyncClient, auth: dict[str, str], core: Core) -> dict[str, str]:
    """The samples, uploaded in this order, metadata extracted: file name -> asset id."""
    ids = {}
    for name in SAMPLES:
        body = upload_body((EXIFTOOL_SAMPLES / name).read_bytes(), name)
        response = await client.post("/v1/assets/upload", content=body, headers=form_headers(auth))
        assert response.status_code == 201, response.text
        ids[name] = response.json()["data"]["asset_id"]
    await core.metadata.wait_idle()
    return ids


async def names(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/assets", params=params, headers=auth)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["total"] == len(data["items"])
    return [item["filename"] for item in data["items"]]


async def test_an_asset_carries_its_facts(
    client: httpx.AsyncClient, auth: dict[str, str], uploaded: dict[str, str]
) -> None:
    response = await client.get(f"/v1/assets/{uploaded['Google.jpg']}", headers=auth)
    facts = response.json()["data"]["facts"]
    assert facts == {
        "taken_at": "2023-10-06T20:53:51.724Z",
        "taken_offset": "+02:00",
        "taken_local": "2023-10-06T22:53:51.724",
        "camera": "Google Pixel 8 Pro",
        "camera_make": "Google",
        "camera_model": "Pixel 8 Pro",
        "lens": "Pixel 8 Pro back camera 6.9mm f/1.68",
        "width": 8,
        "height": 8,
        "orientation": 1,
        "duration_s": None,
        "latitude": 40.4000694,
        "longitude": -3.7146472,
    }
    text = (await client.get(f"/v1/assets/{uploaded['Text1.txt']}", headers=auth)).json()["data"]["facts"]
    assert set(text.values()) == {None}


async def test_filters_by_camera_date_and_position(
    client: httpx.AsyncClient, auth: dict[str, str], uploaded: dict[str, str]
) -> None:
    assert await names(client, auth, camera="fujifilm") == ["GPS.jpg"]
    assert await names(client, auth, camera="Canon EOS-1D Mark III") == ["Canon1DmkIII.jpg"]
    assert await names(client, auth, has_location="true") == ["GPS.jpg", "Google.jpg"]
    assert await names(client, auth, has_location="false") == [
        "Canon1DmkIII.jpg",
        "QuickTime.mov",
        "Text1.txt",
    ]
    assert await names(client, auth, taken_after="2005-01-01", taken_before="2010-01-01") == [
        "Canon1DmkIII.jpg",
        "QuickTime.mov",
    ]
    assert await names(client, auth, taken_after="2023-10-06T20:53:51.724Z") == ["Google.jpg"]


async def test_search_box_finds_cameras_and_names(
    client: httpx.AsyncClient, auth: dict[str, str], uploaded: dict[str, str]
) -> None:
    assert await names(client, auth, q="pixel") == ["Google.jpg"]
    assert await names(client, auth, q="mov") == ["QuickTime.mov"]


async def test_sorted_by_date_taken_newest_first_undated_last(
    client: httpx.AsyncClient, auth: dict[str, str], uploaded: dict[str, str]
) -> None:
    order = await names(client, auth, sort_by="taken_at", sort_order="desc")
    assert order == ["Google.jpg", "Canon1DmkIII.jpg", "QuickTime.mov", "GPS.jpg", "Text1.txt"]
    walked, cursor = [], None
    while True:
        params = {"sort_by": "taken_at", "sort_order": "desc", "limit": 2} | (
            {"cursor": cursor} if cursor else {}
        )
        data = (await client.get("/v1/assets", params=params, headers=auth)).json()["data"]
        walked += [item["filename"] for item in data["items"]]
        if (cursor := data["next_cursor"]) is None:
            break
    assert walked == order
    assert await names(client, auth, sort_by="filename") == sorted(SAMPLES, key=str.lower)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"taken_after": "last tuesday"}, "taken_after", "must be a date"),
        ({"taken_before": "2024-02-30"}, "taken_before", "must be a date"),
        (
            {"taken_after": "2024-06-01", "taken_before": "2024-05-01"},
            "taken_before",
            "later than taken_after",
        ),
        ({"sort_by": "camera"}, "sort_by", "must be one of: created_at, taken_at, filename, size_bytes"),
        ({"sort_order": "up"}, "sort_order", "must be one of: asc, desc"),
        ({"has_location": "maybe"}, "has_location", ""),
        ({"camera": "x" * 201}, "camera", ""),
    ],
)
async def test_bad_filter_values_are_422_naming_the_parameter(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, str], field: str, words: str
) -> None:
    response = await client.get("/v1/assets", params=params, headers=auth)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == [field]
    assert words in error["details"][0]["message"]


async def test_openapi_documents_the_filters_sorts_and_facts(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    listed = {p["name"]: p for p in spec["paths"]["/v1/assets"]["get"]["parameters"]}
    assert {
        "taken_after",
        "taken_before",
        "camera",
        "has_location",
        "sort_by",
        "sort_order",
        "q",
    } <= listed.keys()
    assert listed["sort_by"]["schema"]["enum"] == ["created_at", "taken_at", "filename", "size_bytes"]
    assert "FactsOut" in spec["components"]["schemas"]
