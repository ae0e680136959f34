"""tus 1.0.0 over HTTP: every answer and every refusal, and that a refusal leaves nothing behind."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from assets_support import asgi_upload, asset_count, same_loop_client
from tus_support import (
    OCTETS,
    TUS,
    checksum,
    create,
    data_size,
    metadata,
    offset_of,
    patch,
    upload_files,
    upload_id_of,
)

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.clock import FixedClock
from faceforge_http.app import create_app

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


async def test_options_announces_version_extensions_size_and_checksum(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    response = await client.options("/v1/uploads/", headers=auth)
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    }
    assert response.headers["tus-max-size"] == str(core.config.uploads.max_bytes)
    assert response.headers["tus-checksum-algorithm"] == "sha256"
    assert "Upload-Offset" in response.headers["access-control-expose-headers"]


async def test_upload_in_chunks_becomes_an_asset_and_frees_its_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(
        client, auth, len(DATA), filename="notes.bin", kind="doc.raw", meta='{"source": "tus"}'
    )
    head = await client.head(f"/v1/uploads/{upload_id}", headers={**auth, **TUS})
    assert head.status_code == 200
    assert head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == str(len(DATA))
    assert head.headers["cache-control"] == "no-store"
    assert head.headers["tus-resumable"] == "1.0.0"
    assert head.headers["upload-metadata"] == metadata(
        filename="notes.bin", kind="doc.raw", meta='{"source": "tus"}'
    )

    first = await patch(client, auth, upload_id, 0, DATA[:5000])
    assert first.status_code == 204
    assert first.headers["upload-offset"] == "5000"
    assert "upload-expires" in first.headers
    assert "faceforge-asset-id" not in first.headers
    last = await patch(client, auth, upload_id, 5000, DATA[5000:])
    assert last.status_code == 204
    sha = hashlib.sha256(DATA).hexdigest()
    assert last.headers["faceforge-asset-id"] == sha

    status = (await client.get(f"/v1/uploads/{upload_id}", headers=auth)).json()["data"]
    assert status["state"] == "complete"
    assert status["asset_id"] == sha
    assert status["offset"] == status["length"] == len(DATA)
    assert status["deduplicated"] is False
    asset = (await client.get(f"/v1/assets/{sha}", headers=auth)).json()["data"]
    assert (asset["filename"], asset["kind"], asset["user_metadata"]) == (
        "notes.bin",
        "doc.raw",
        {"source": "tus"},
    )
    assert upload_files(core) == [f"{upload_id}/state.json"]  # the bytes are gone, the status stays


async def test_patch_on_a_finished_upload_is_409_whatever_the_body(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, len(DATA))
    await patch(client, auth, upload_id, 0, DATA)
    for offset, body in ((len(DATA), b"more"), (0, DATA), (len(DATA), b"")):
        response = await patch(client, auth, upload_id, offset, body)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert "already complete" in error["message"]
    assert await asset_count(core) == 1
    assert upload_files(core) == [f"{upload_id}/state.json"]


async def test_empty_upload_completes_at_creation_like_an_empty_put(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    empty = hashlib.sha256(b"").hexdigest()
    headers = {**auth, **TUS, "Upload-Length": "0", "Upload-Metadata": metadata(filename="empty.txt")}
    response = await client.post("/v1/uploads/", headers=headers)
    assert response.status_code == 201
    assert response.headers["faceforge-asset-id"] == empty
    assert response.headers["upload-offset"] == "0"
    status = (await client.get(response.headers["location"], headers=auth)).json()["data"]
    assert (status["state"], status["asset_id"], status["length"]) == ("complete", empty, 0)
    asset = (await client.get(f"/v1/assets/{empty}", headers=auth)).json()["data"]
    assert (asset["size_bytes"], asset["filename"]) == (0, "empty.txt")
    put = await client.put("/v1/assets/upload?filename=again.txt", headers=auth, content=b"")
    assert put.status_code == 200
    assert put.json()["data"]["asset_id"] == empty
    patched = await patch(client, auth, upload_id_of(response), 0, b"")
    assert patched.status_code == 409


async def test_empty_upload_with_a_wrong_sha256_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    headers = {**auth, **TUS, "Upload-Length": "0", "Upload-Metadata": metadata(sha256="0" * 64)}
    response = await client.post("/v1/uploads/", headers=headers)
    assert response.status_code == 422
    assert "location" not in response.headers
    assert upload_files(core) == []
    assert await asset_count(core) == 0


async def test_creation_body_longer_than_the_upload_is_413_and_creates_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    headers = {**auth, **TUS, **OCTETS, "Upload-Length": "0"}
    response = await client.post("/v1/uploads/", headers=headers, content=b"x")
    assert response.status_code == 413
    assert upload_files(core) == []
    assert await asset_count(core) == 0


async def test_creation_with_upload_takes_the_first_chunk_in_the_post(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    headers = {**auth, **TUS, **OCTETS, "Upload-Length": str(len(DATA))}
    response = await client.post("/v1/uploads/", headers=headers, content=DATA[:100])
    assert response.status_code == 201
    assert response.headers["upload-offset"] == "100"
    assert response.headers["location"].startswith("/v1/uploads/")
    assert response.content == b""
    assert await offset_of(client, auth, upload_id_of(response)) == 100


async def test_whole_file_in_the_post_completes_it_and_known_bytes_are_deduplicated(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    headers = {**auth, **TUS, **OCTETS, "Upload-Length": str(len(DATA))}
    for deduplicated in (False, True):
        response = await client.post("/v1/uploads/", headers=headers, content=DATA)
        assert response.status_code == 201
        assert response.headers["faceforge-asset-id"] == hashlib.sha256(DATA).hexdigest()
        status = await client.get(response.headers["location"], headers=auth)
        assert status.json()["data"]["deduplicated"] is deduplicated


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"Upload-Checksum": checksum(b"other")}, 460),  # a corrupt first chunk
        ({"Upload-Metadata": metadata(sha256="0" * 64)}, 422),  # the whole file, not the one expected
    ],
)
async def test_failed_creation_with_upload_keeps_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, extra: dict[str, str], status: int
) -> None:
    headers = {**auth, **TUS, **OCTETS, "Upload-Length": str(len(DATA)), **extra}
    response = await client.post("/v1/uploads/", headers=headers, content=DATA)
    assert response.status_code == status
    assert "location" not in response.headers
    assert upload_files(core) == []
    assert await asset_count(core) == 0


async def test_checksum_matching_chunk_is_kept(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    upload_id = await create(client, auth, len(DATA))
    chunk = DATA[:4096]
    response = await patch(client, auth, upload_id, 0, chunk, **{"Upload-Checksum": checksum(chunk)})
    assert response.status_code == 204
    assert await offset_of(client, auth, upload_id) == 4096


async def test_corrupt_chunk_is_460_and_the_offset_does_not_move(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, len(DATA))
    assert (await patch(client, auth, upload_id, 0, DATA[:1000])).status_code == 204
    corrupt = await patch(
        client, auth, upload_id, 1000, DATA[1000:3000], **{"Upload-Checksum": checksum(b"other bytes")}
    )
    assert corrupt.status_code == 460
    assert corrupt.json()["error"]["code"] == "checksum_mismatch"
    assert corrupt.headers["tus-resumable"] == "1.0.0"
    assert await offset_of(client, auth, upload_id) == 1000
    assert data_size(core, upload_id) == 1000
    retried = await patch(
        client, auth, upload_id, 1000, DATA[1000:], **{"Upload-Checksum": checksum(DATA[1000:])}
    )
    assert retried.headers["faceforge-asset-id"] == hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize(
    "value",
    ["md5 AAAA", "sha256 not-base64!", "sha256 " + "QUJD"],  # unknown algorithm, bad base64, short digest
)
async def test_malformed_checksum_is_refused_before_any_byte(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, value: str
) -> None:
    upload_id = await create(client, auth, len(DATA))
    response = await patch(client, auth, upload_id, 0, DATA[:10], **{"Upload-Checksum": value})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "Upload-Checksum"
    assert data_size(core, upload_id) == 0


async def test_offset_mismatch_is_409(client: httpx.AsyncClient, auth: dict[str, str], core: Core) -> None:
    upload_id = await create(client, auth, len(DATA))
    await patch(client, auth, upload_id, 0, DATA[:10])
    response = await patch(client, auth, upload_id, 5, DATA[5:20])
    assert response.status_code == 409
    assert "is at 10" in response.json()["error"]["message"]
    assert await offset_of(client, auth, upload_id) == 10
    assert data_size(core, upload_id) == 10


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, auth: dict[str, str], core: Core) -> None:
    upload_id = await create(client, auth, len(DATA))
    headers = {**auth, **TUS, "Upload-Offset": "0", "Content-Type": "application/octet-stream"}
    response = await client.patch(f"/v1/uploads/{upload_id}", headers=headers, content=DATA[:10])
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert data_size(core, upload_id) == 0


@pytest.mark.parametrize("version", [None, "0.2.2"])
async def test_other_tus_version_is_412_and_creates_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, version: str | None
) -> None:
    headers = {**auth, "Upload-Length": "10"} | ({"Tus-Resumable": version} if version else {})
    response = await client.post("/v1/uploads/", headers=headers)
    assert response.status_code == 412
    assert response.headers["tus-version"] == "1.0.0"
    assert response.json()["error"]["code"] == "precondition_failed"
    assert upload_files(core) == []


async def test_patch_with_another_version_is_412_and_writes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, len(DATA))
    response = await patch(client, auth, upload_id, 0, DATA[:10], **{"Tus-Resumable": "0.2.2"})
    assert response.status_code == 412
    assert data_size(core, upload_id) == 0


async def test_unknown_upload_is_404_for_every_method(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    missing = "0" * 64
    for method in ("HEAD", "PATCH", "DELETE", "GET"):
        headers = {**auth, **TUS, **OCTETS, "Upload-Offset": "0"}
        response = await client.request(method, f"/v1/uploads/{missing}", headers=headers, content=b"x")
        assert response.status_code == 404, method
        assert response.headers["tus-resumable"] == "1.0.0"
    assert (await client.get("/v1/uploads/not-an-id", headers=auth)).status_code == 404


async def test_without_token_is_401(client: httpx.AsyncClient, core: Core) -> None:
    response = await client.post("/v1/uploads/", headers={**TUS, "Upload-Length": "10"})
    assert response.status_code == 401
    assert response.headers["tus-resumable"] == "1.0.0"
    assert upload_files(core) == []


async def test_delete_terminates_and_removes_the_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, len(DATA))
    await patch(client, auth, upload_id, 0, DATA[:100])
    response = await client.delete(f"/v1/uploads/{upload_id}", headers={**auth, **TUS})
    assert response.status_code == 204
    assert upload_files(core) == []
    assert (await client.head(f"/v1/uploads/{upload_id}", headers={**auth, **TUS})).status_code == 404


async def test_body_past_upload_length_is_413_and_keeps_nothing_of_it(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, 100)
    await patch(client, auth, upload_id, 0, DATA[:40])
    response = await patch(client, auth, upload_id, 40, DATA[:61])
    assert response.status_code == 413
    assert await offset_of(client, auth, upload_id) == 40
    assert data_size(core, upload_id) == 40


async def test_streamed_body_past_upload_length_is_rolled_back(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    """Without Content-Length the limit is found while streaming: the whole request is undone."""
    upload_id = await create(client, auth, 100)

    async def body() -> AsyncIterator[bytes]:
        yield DATA[:60]
        yield DATA[:60]

    headers = {**auth, **TUS, **OCTETS, "Upload-Offset": "0"}
    response = await client.patch(f"/v1/uploads/{upload_id}", headers=headers, content=body())
    assert response.status_code == 413
    assert await offset_of(client, auth, upload_id) == 0
    assert data_size(core, upload_id) == 0


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({}, "Upload-Length"),
        ({"Upload-Length": "-1"}, "Upload-Length"),
        ({"Upload-Length": "10", "Upload-Metadata": "meta e30=,meta e30="}, "Upload-Metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": "filename ***"}, "Upload-Metadata.filename"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(meta="[1]")}, "Upload-Metadata.meta"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(meta="{")}, "Upload-Metadata.meta"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(sha256="abc")}, "Upload-Metadata.sha256"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(kind="Not A Kind")}, "kind"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(entity_id="nope")}, "entity_id"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(filename="n" * 10_000)}, "filename"),
    ],
)
async def test_bad_creation_is_422_and_creates_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, headers: dict[str, str], field: str
) -> None:
    response = await client.post("/v1/uploads/", headers={**auth, **TUS, **headers})
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert upload_files(core) == []


async def test_unknown_entity_is_404_at_creation(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    headers = {**auth, **TUS, "Upload-Length": "10", "Upload-Metadata": metadata(entity_id="a" * 64)}
    response = await client.post("/v1/uploads/", headers=headers)
    assert response.status_code == 404
    assert upload_files(core) == []


async def test_wrong_expected_sha256_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    upload_id = await create(client, auth, len(DATA), sha256="0" * 64)
    response = await patch(client, auth, upload_id, 0, DATA)
    assert response.status_code == 422
    assert "nothing was stored" in response.json()["error"]["message"]
    assert await asset_count(core) == 0
    assert upload_files(core) == []


async def test_right_expected_sha256_is_accepted(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    sha = hashlib.sha256(DATA).hexdigest()
    upload_id = await create(client, auth, len(DATA), sha256=sha)
    assert (await patch(client, auth, upload_id, 0, DATA)).headers["faceforge-asset-id"] == sha


async def test_upload_too_large_for_the_config_is_413(home: Path) -> None:
    overrides = {"uploads.max_bytes": 1000}
    async with bootstrap(home=home, env={}, overrides=overrides) as small, same_loop_client(small) as client:
        auth = {"Authorization": f"Bearer {small.install_token}"}
        response = await client.post("/v1/uploads/", headers={**auth, **TUS, "Upload-Length": "1001"})
        assert response.status_code == 413
        assert upload_files(small) == []


class Timed(NamedTuple):
    core: Core
    client: httpx.AsyncClient
    auth: dict[str, str]
    clock: FixedClock


@pytest.fixture
async def timed(home: Path) -> AsyncIterator[Timed]:
    """A Core on a clock the test moves, with its client and token."""
    clock = FixedClock()
    async with bootstrap(home=home, env={}, clock=clock) as core, same_loop_client(core) as client:
        yield Timed(core, client, {"Authorization": f"Bearer {core.install_token}"}, clock)


async def test_expired_upload_is_410_then_gone(timed: Timed) -> None:
    client, auth, clock = timed.client, timed.auth, timed.clock
    upload_id = await create(client, auth, len(DATA))
    await patch(client, auth, upload_id, 0, DATA[:10])
    clock.advance(timedelta(hours=23))
    await patch(client, auth, upload_id, 10, DATA[10:20])  # each PATCH moves the expiry on
    clock.advance(timedelta(hours=23))
    assert await offset_of(client, auth, upload_id) == 20
    clock.advance(timedelta(hours=2))
    response = await patch(client, auth, upload_id, 20, DATA[20:30])
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    assert upload_files(timed.core) == []
    assert (await client.head(f"/v1/uploads/{upload_id}", headers={**auth, **TUS})).status_code == 404


async def test_expire_removes_only_expired_uploads_from_disk(timed: Timed) -> None:
    old = await create(timed.client, timed.auth, len(DATA))
    await patch(timed.client, timed.auth, old, 0, DATA[:10])
    timed.clock.advance(timedelta(hours=20))
    fresh = await create(timed.client, timed.auth, len(DATA))
    timed.clock.advance(timedelta(hours=5))
    assert await timed.core.uploads.expire() == [old]
    assert [name.split("/")[0] for name in upload_files(timed.core)] == [fresh, fresh]


async def test_disconnect_keeps_the_bytes_received(auth: dict[str, str], core: Core) -> None:
    async with same_loop_client(core) as client:
        upload_id = await create(client, auth, len(DATA))
        headers = {**auth, **TUS, **OCTETS, "Upload-Offset": "0", "Content-Length": str(len(DATA))}
        chunks = [DATA[:3000], DATA[3000:5000]]
        await asgi_upload(create_app(core), headers, chunks, disconnect=True, **_patch_of(upload_id))
        assert await offset_of(client, auth, upload_id) == 5000
        assert (await patch(client, auth, upload_id, 5000, DATA[5000:])).headers["faceforge-asset-id"] == (
            hashlib.sha256(DATA).hexdigest()
        )


async def test_disconnect_with_a_checksum_keeps_nothing(auth: dict[str, str], core: Core) -> None:
    async with same_loop_client(core) as client:
        upload_id = await create(client, auth, len(DATA))
        headers = {**auth, **TUS, **OCTETS, "Upload-Offset": "0", "Upload-Checksum": checksum(DATA)}
        await asgi_upload(create_app(core), headers, [DATA[:3000]], disconnect=True, **_patch_of(upload_id))
        assert await offset_of(client, auth, upload_id) == 0
        assert data_size(core, upload_id) == 0


def _patch_of(upload_id: str) -> dict[str, str]:
    return {"method": "PATCH", "path": f"/v1/uploads/{upload_id}"}
