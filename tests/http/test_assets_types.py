"""File types over HTTP: real camera and HEIC files get their own type and kind on upload, and the
``core.assets.retype`` job started through ``POST /v1/jobs`` corrects records stored before."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from assets_support import form_headers, same_loop_client, upload_body

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"

SAMPLES = [
    ("CanonRaw.cr3", "image/x-canon-cr3", "image.raw"),
    ("QuickTime.heic", "image/heic", "image.original"),
    ("FujiFilm.raf", "image/x-fujifilm-raf", "image.raw"),
]


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


async def upload(client: httpx.AsyncClient, auth: dict[str, str], name: str) -> dict[str, Any]:
    data = (EXIFTOOL_SAMPLES / name).read_bytes()
    response = await client.post(
        "/v1/assets/upload", content=upload_body(data, name), headers=form_headers(auth)
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "mime", "kind"), SAMPLES)
async def test_an_upload_gets_the_type_and_kind_its_bytes_say(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, mime: str, kind: str
) -> None:
    asset = await upload(client, auth, name)
    assert (asset["mime_type"], asset["kind"]) == (mime, kind)


async def test_the_retype_job_corrects_old_records_and_their_history_is_in_the_events(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    assets = [await upload(client, auth, name) for name, _, _ in SAMPLES]
    with sqlite3.connect(core.paths.db_file) as db:  # as the rules before type sniffing recorded them
        db.execute("UPDATE assets SET mime_type = 'video/mp4', kind = 'video.original'")

    created = await client.post(
        "/v1/jobs", json={"job_type": "core.assets.retype", "input": {}}, headers=auth
    )
    assert created.status_code == 201, created.text
    job = await finished(client, auth, created.json()["data"]["job_id"])

    assert job["status"] == "succeeded"
    assert job["result"] == {"total": 3, "changed": 3, "unchanged": 0, "failed": 0}
    for asset, (_, mime, kind) in zip(assets, SAMPLES, strict=True):
        got = (await client.get(f"/v1/assets/{asset['asset_id']}", headers=auth)).json()["data"]
        assert (got["mime_type"], got["kind"]) == (mime, kind)
    feed = await client.get("/v1/events", params={"types": "asset.retyped"}, headers=auth)
    events = feed.json()["data"]["items"]
    assert [e["subject_id"] for e in events] == [a["asset_id"] for a in assets]
    assert events[0]["data"]["before"] == {"mime_type": "video/mp4", "kind": "video.original"}


async def test_bad_retype_input_is_422_and_creates_no_job(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = {"job_type": "core.assets.retype", "input": {"asset_ids": ["not-an-id"]}}
    response = await client.post("/v1/jobs", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "input/asset_ids/0"
    assert (await client.get("/v1/jobs", headers=auth)).json()["data"]["total"] == 0


async def finished(client: httpx.AsyncClient, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    with anyio.fail_after(20):
        while True:
            job: dict[str, Any] = (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json()["data"]
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            await anyio.sleep(0.05)
