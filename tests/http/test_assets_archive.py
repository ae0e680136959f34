"""Several files as one ZIP: ``GET /v1/assets/archive?id=...`` streams an archive that unpacks to the
stored bytes, with names made unique; a missing or malformed id is refused before anything is sent."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from assets_support import same_loop_client

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio

EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


async def store(client: httpx.AsyncClient, auth: dict[str, str], name: str, data: bytes) -> dict[str, Any]:
    response = await client.put("/v1/assets/upload", params={"filename": name}, content=data, headers=auth)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()["data"]
    return stored


async def test_the_archive_unpacks_to_the_stored_bytes_under_unique_names(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    files = [
        ("GPS.jpg", (EXIFTOOL_SAMPLES / "GPS.jpg").read_bytes()),
        ("photo.jpg", (EXIFTOOL_SAMPLES / "Apple.jpg").read_bytes()),
        ("Photo.jpg", (EXIFTOOL_SAMPLES / "Nikon.jpg").read_bytes()),  # same name but for capitals
    ]
    ids = [(await store(client, auth, name, data))["asset_id"] for name, data in files]
    response = await client.get("/v1/assets/archive", params={"id": [*ids, ids[0]]}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "faceforge-files.zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert [i.compress_type for i in archive.infolist()] == [zipfile.ZIP_STORED] * 3
        unpacked = {i.filename: hashlib.sha256(archive.read(i)).hexdigest() for i in archive.infolist()}
    assert unpacked == {
        "GPS.jpg": hashlib.sha256(files[0][1]).hexdigest(),
        "photo.jpg": hashlib.sha256(files[1][1]).hexdigest(),
        "Photo (2).jpg": hashlib.sha256(files[2][1]).hexdigest(),
    }


async def test_a_missing_file_is_a_404_before_any_byte(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    kept = await store(client, auth, "a.bin", b"kept")
    response = await client.get(
        "/v1/assets/archive", params={"id": [kept["asset_id"], "e" * 64]}, headers=auth
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("params", [{}, {"id": "not-an-id"}])
async def test_no_id_or_a_malformed_one_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/v1/assets/archive", params=params, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_more_files_than_one_archive_takes_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [f"{n:064x}" for n in range(501)]
    response = await client.get("/v1/assets/archive", params={"id": ids}, headers=auth)
    assert response.status_code == 422
    assert "at most 500 files" in response.text
