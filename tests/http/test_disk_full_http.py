"""A full disk over HTTP, on a real one (a small tmpfs as the home): 507 and nothing left behind.

Every write path is filled up for real: tus PATCH, the one-request uploads, a JSON write to SQLite;
``/healthz`` says so; uploads announcing more than the disk holds are refused before any byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from assets_support import asgi_upload, asset_count, form_headers, leftovers, same_loop_client, upload_body
from tus_support import TUS, create, data_size, metadata, offset_of, patch, upload_files

from disk_support import files_under, fill, small_disk
from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_http.app import create_app

pytestmark = pytest.mark.anyio

KIB = 1024
MIB = 1024 * KIB
DATA = os.urandom(2 * MIB)


class Disk(NamedTuple):
    core: Core
    client: httpx.AsyncClient
    auth: dict[str, str]
    root: Path


@pytest.fixture
async def disk(tmp_path: Path) -> AsyncIterator[Disk]:
    """Core with its home on an 8 MiB disk, keeping no margin (so the disk can really fill); its
    logs are kept elsewhere, as they stay open for the process's life."""
    overrides = {
        "storage.min_free_bytes": 0,
        "tools.exiftool_enabled": False,
        "paths.logs_dir": str(tmp_path / "logs"),
    }
    with small_disk(tmp_path / "disk", "8m") as root:
        home = root / "home"
        async with (
            bootstrap(home=home, env={}, overrides=overrides) as core,
            same_loop_client(core) as client,
        ):
            yield Disk(core, client, {"Authorization": f"Bearer {core.install_token}"}, root)


def assert_507(response: httpx.Response | dict[str, Any]) -> dict[str, Any]:
    status = response.status_code if isinstance(response, httpx.Response) else response["status"]
    assert status == 507
    body = response.json() if isinstance(response, httpx.Response) else response["json"]
    assert body["ok"] is False
    assert body["error"]["code"] == "insufficient_storage"
    assert "disk" in body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


async def test_tus_patch_on_a_full_disk_is_507_and_resumes_from_the_recorded_offset(disk: Disk) -> None:
    client, auth, core = disk.client, disk.auth, disk.core
    upload_id = await create(client, auth, len(DATA), filename="big.bin")
    assert (await patch(client, auth, upload_id, 0, DATA[: 256 * KIB])).status_code == 204
    filler = fill(disk.root, leave=64 * KIB)

    assert_507(await patch(client, auth, upload_id, 256 * KIB, DATA[256 * KIB :]))
    assert await offset_of(client, auth, upload_id) == 256 * KIB
    assert data_size(core, upload_id) == 256 * KIB  # nothing past the recorded offset
    assert upload_files(core) == [f"{upload_id}/data", f"{upload_id}/state.json"]
    assert leftovers(core) == [f"tmp/uploads/{upload_id}/data", f"tmp/uploads/{upload_id}/state.json"]
    assert await asset_count(core) == 0

    filler.unlink()
    done = await patch(client, auth, upload_id, 256 * KIB, DATA[256 * KIB :])
    assert done.status_code == 204
    assert done.headers["faceforge-asset-id"] == hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize("past_free", [1, 500 * 1024**3])
async def test_tus_creation_that_cannot_fit_is_507_and_creates_nothing(disk: Disk, past_free: int) -> None:
    free = shutil.disk_usage(disk.root).free
    headers = {**disk.auth, **TUS, "Upload-Length": str(free + past_free)}
    headers["Upload-Metadata"] = metadata(filename="huge.mkv")
    error = assert_507(await disk.client.post("/v1/uploads/", headers=headers))
    assert error["details"]["needed_bytes"] == free + past_free
    assert "nothing was stored" in error["message"]
    assert upload_files(disk.core) == []
    assert leftovers(disk.core) == []


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("PUT", "/v1/assets/upload", None),
        ("POST", "/v1/assets/upload", "multipart"),
    ],
)
async def test_an_upload_announcing_more_than_the_free_space_is_507_before_any_byte(
    disk: Disk, method: str, path: str, content_type: str | None
) -> None:
    length = shutil.disk_usage(disk.root).free + 1
    headers = form_headers(disk.auth) if content_type else {**disk.auth}
    headers["Content-Length"] = str(length)
    query = "filename=big.bin" if method == "PUT" else ""
    app = create_app(disk.core)
    sent = await asgi_upload(
        app, headers, [b"x" * KIB], disconnect=True, method=method, path=path, query=query
    )
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert_507({"status": start["status"], "json": httpx.Response(200, content=body).json()})
    assert await asset_count(disk.core) == 0
    assert leftovers(disk.core) == []


async def _unannounced(data: bytes) -> AsyncIterator[bytes]:
    """A body sent in pieces with no Content-Length: the disk fills while it streams."""
    for start in range(0, len(data), 256 * KIB):
        yield data[start : start + 256 * KIB]


async def test_a_raw_upload_that_fills_the_disk_is_507_and_leaves_nothing(disk: Disk) -> None:
    fill(disk.root, leave=MIB)
    response = await disk.client.put(
        "/v1/assets/upload?filename=big.bin", headers=disk.auth, content=_unannounced(DATA)
    )
    assert_507(response)
    assert await asset_count(disk.core) == 0
    assert leftovers(disk.core) == []


async def test_a_multipart_upload_that_fills_the_disk_is_507_and_leaves_nothing(disk: Disk) -> None:
    fill(disk.root, leave=MIB)
    body = upload_body(DATA, "big.bin")
    response = await disk.client.post(
        "/v1/assets/upload", headers=form_headers(disk.auth), content=_unannounced(body)
    )
    assert_507(response)
    assert await asset_count(disk.core) == 0
    assert leftovers(disk.core) == []


async def test_a_json_write_on_a_full_disk_is_507_and_stores_nothing(disk: Disk) -> None:
    client, auth = disk.client, disk.auth
    filler = fill(disk.root)
    assert_507(await client.post("/v1/entities", json={"display_name": "Ada"}, headers=auth))
    filler.unlink()
    listed = (await client.get("/v1/entities", headers=auth)).json()["data"]
    assert listed["total"] == 0
    assert (await client.post("/v1/entities", json={"display_name": "Ada"}, headers=auth)).status_code == 201


async def test_healthz_says_the_disk_is_full_and_when_it_is_not_any_more(disk: Disk) -> None:
    filler = fill(disk.root)
    health = (await disk.client.get("/healthz")).json()["data"]
    assert (health["status"], health["database_ok"], health["disk_ok"]) == ("degraded", True, False)
    assert health["version"] == disk.core.version
    (volume,) = health["volumes"]
    assert volume["holds"] == ["db", "assets", "tmp"]
    assert volume["low"] is True
    assert volume["free_bytes"] < 64 * KIB
    assert "the disk holding db, assets, tmp is full" in health["reason"]
    filler.unlink()
    health = (await disk.client.get("/healthz")).json()["data"]
    assert (health["status"], health["disk_ok"], health["reason"]) == ("ok", True, None)
    assert files_under(disk.root / "home" / "tmp") == []
