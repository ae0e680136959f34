"""Uploads over HTTP: multipart and raw PUT, dedupe, and every bad input leaving nothing behind."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
from assets_support import (
    BOUNDARY,
    asgi_upload,
    asset_count,
    form_headers,
    leftovers,
    multipart,
    part,
    same_loop_client,
    upload_body,
)

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_domain.models import StoredBlob
from faceforge_http.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(256)) * 40


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def post_upload(client: httpx.AsyncClient, auth: dict[str, str], body: bytes) -> Any:
    return await client.post("/v1/assets/upload", content=body, headers=form_headers(auth))


async def assert_nothing_left(core: Core) -> None:
    assert await asset_count(core) == 0
    assert leftovers(core) == []


async def test_multipart_upload_creates_asset_with_location(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
) -> None:
    response = await post_upload(client, auth, upload_body(JPEG, "dir/../Holiday photo.JPG"))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["asset_id"] == data["content_hash"] == sha(JPEG)
    assert response.headers["location"] == f"/v1/assets/{sha(JPEG)}"
    assert data["deduplicated"] is False
    assert data["filename"] == "Holiday photo.JPG"
    assert data["mime_type"] == "image/jpeg"
    assert data["kind"] == "image.original"
    assert data["size_bytes"] == len(JPEG)
    assert data["storage"] == {
        "provider": "fs",
        "bucket": None,
        "key": f"{sha(JPEG)[:2]}/{sha(JPEG)[2:4]}/{sha(JPEG)}",
    }
    assert data["metadata_status"] in ("pending", "done", "failed")
    stored = core.paths.assets_dir / data["storage"]["key"]
    assert stored.read_bytes() == JPEG
    assert [p for p in core.paths.tmp_dir.rglob("*") if p.is_file()] == []


async def test_same_bytes_again_answers_200_deduplicated_and_adds_the_name(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
) -> None:
    first = await post_upload(client, auth, upload_body(JPEG, "a.jpg"))
    entity = await core.entities.create("Ada")
    second = await post_upload(
        client, auth, upload_body(JPEG, "b.jpg", meta={"rating": 5}, entity_id=entity.entity_id)
    )
    assert first.status_code == 201
    assert second.status_code == 200
    data = second.json()["data"]
    assert data["deduplicated"] is True
    assert data["filenames"] == ["a.jpg", "b.jpg"]
    assert data["user_metadata"] == {"rating": 5}
    listed = await client.get(f"/v1/entities/{entity.entity_id}/assets", headers=auth)
    assert [a["asset_id"] for a in listed.json()["data"]["items"]] == [sha(JPEG)]
    assert len([p for p in core.paths.assets_dir.rglob("*") if p.is_file()]) == 1


async def test_fields_after_the_file_are_applied(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
) -> None:
    entity = await core.entities.create("Grace")
    body = multipart(
        [
            part("file", b"weights", "style.safetensors"),
            part("entity_id", entity.entity_id.encode()),
            part("meta", b'{"trigger": "ff style"}'),
            part("role", b"lora"),
        ]
    )
    response = await post_upload(client, auth, body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["kind"] == "model.lora"
    assert data["user_metadata"] == {"trigger": "ff style"}
    loras = await client.get(f"/v1/entities/{entity.entity_id}/assets?kind=model.lora", headers=auth)
    assert loras.json()["data"]["total"] == 1


async def test_given_kind_and_provenance_are_recorded(
    client: httpx.AsyncClient,
    auth: dict[str, str],
) -> None:
    source = (await post_upload(client, auth, upload_body(JPEG, "src.jpg"))).json()["data"]
    derived = await post_upload(
        client,
        auth,
        upload_body(
            b"thumbnail bytes",
            "src.thumb.jpg",
            kind="image.thumbnail",
            derived_from_asset_id=source["asset_id"],
        ),
    )
    assert derived.status_code == 201
    assert derived.json()["data"]["kind"] == "image.thumbnail"
    assert derived.json()["data"]["derived_from_asset_id"] == source["asset_id"]


async def test_raw_put_upload(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.put(
        "/v1/assets/upload?filename=scan.pdf",
        content=b"%PDF-1.7\n" + b"x" * 5000,
        headers={**auth, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["kind"], data["mime_type"], data["filename"]) == ("doc.pdf", "application/pdf", "scan.pdf")
    again = await client.put(
        "/v1/assets/upload?filename=copy.pdf", content=b"%PDF-1.7\n" + b"x" * 5000, headers=auth
    )
    assert again.status_code == 200
    assert again.json()["data"]["deduplicated"] is True


async def test_empty_file_is_a_valid_asset(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await post_upload(client, auth, upload_body(b"", "empty.txt"))
    assert response.status_code == 201
    assert response.json()["data"]["asset_id"] == sha(b"")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (multipart([part("kind", b"image.original")]), "file"),
        (upload_body(JPEG, meta=[1, 2]), "meta"),
        (upload_body(JPEG, meta="text"), "meta"),
        (multipart([part("meta", b"{not json"), part("file", JPEG, "a.jpg")]), "meta"),
        (upload_body(JPEG, kind="Not A Kind!"), "kind"),
        (upload_body(JPEG, entity_id="short"), "entity_id"),
        (multipart([part("file", JPEG, "a.jpg"), part("file", JPEG, "b.jpg")]), "file"),
        (
            b"--"
            + BOUNDARY.encode()
            + b'\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            "body",
        ),
        (b"this is not multipart at all", "body"),
    ],
)
async def test_bad_upload_is_422_and_leaves_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
    body: bytes,
    field: str,
) -> None:
    response = await post_upload(client, auth, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in [d["field"] for d in error["details"]]
    await assert_nothing_left(core)


async def test_unknown_entity_is_404_and_leaves_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
) -> None:
    for body in (
        upload_body(JPEG, entity_id="0" * 64),
        multipart([part("file", JPEG, "a.jpg"), part("entity_id", b"0" * 64)]),
        upload_body(JPEG, derived_from_asset_id="1" * 64),
    ):
        response = await post_upload(client, auth, body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    await assert_nothing_left(core)


async def test_upload_needs_multipart_content_type(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    core: Core,
) -> None:
    response = await client.post(
        "/v1/assets/upload", content=JPEG, headers={**auth, "Content-Type": "image/jpeg"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "content-type"
    await assert_nothing_left(core)


async def test_put_without_filename_is_422(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    response = await client.put("/v1/assets/upload", content=JPEG, headers=auth)
    assert response.status_code == 422
    await assert_nothing_left(core)


async def test_upload_requires_the_token(client: httpx.AsyncClient, core: Core) -> None:
    response = await client.post("/v1/assets/upload", content=upload_body(JPEG), headers=form_headers({}))
    assert response.status_code == 401
    await assert_nothing_left(core)


@pytest.fixture
async def small_limit_client(home: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Core]]:
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_UPLOADS__MAX_BYTES": "4096"}
    async with bootstrap(home=home, env=env) as core, same_loop_client(core) as client:
        yield client, core


async def test_body_over_max_bytes_is_413_and_leaves_nothing(
    small_limit_client: tuple[httpx.AsyncClient, Core],
) -> None:
    client, core = small_limit_client
    auth = {"Authorization": f"Bearer {core.install_token}"}
    big = b"z" * 10_000
    response = await post_upload(client, auth, upload_body(big))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    async def unannounced() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield big[:3000]
        yield big[3000:]

    response = await client.put("/v1/assets/upload?filename=big.bin", content=unannounced(), headers=auth)
    assert response.status_code == 413
    await assert_nothing_left(core)


class FullDiskBlobStore(FilesystemBlobStore):
    """A real filesystem store whose disk fills up after ``capacity`` bytes (ENOSPC, as the OS says it)."""

    def __init__(self, root: Path, tmp_dir: Path, capacity: int) -> None:
        super().__init__(root, tmp_dir)
        self.capacity = capacity
        self.written = 0

    def _use(self, size: int) -> None:
        if self.written + size > self.capacity:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += size

    def _write_batch(self, handle: BinaryIO, hasher: Any, data: bytearray) -> None:
        self._use(len(data))
        super()._write_batch(handle, hasher, data)

    def _put_bytes(self, data: bytes, expected_sha256: str | None) -> StoredBlob:
        self._use(len(data))  # a file that arrived in one piece is written whole
        return super()._put_bytes(data, expected_sha256)


async def test_disk_full_is_507_and_leaves_nothing(home: Path) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    store = FullDiskBlobStore(home / "assets", home / "tmp", capacity=1024)
    async with (
        bootstrap(home=home, env=env, blob_store=store) as core,
        same_loop_client(core) as client,
    ):
        auth = {"Authorization": f"Bearer {core.install_token}"}
        response = await post_upload(client, auth, upload_body(b"q" * 8 * 1024 * 1024))
        assert response.status_code == 507
        assert response.json()["error"]["code"] == "insufficient_storage"
        await assert_nothing_left(core)


async def test_client_disconnect_mid_upload_leaves_nothing(core: Core, auth: dict[str, str]) -> None:
    body = upload_body(JPEG * 200)
    chunks = [body[i : i + 4096] for i in range(0, len(body) // 2, 4096)]
    sent = await asgi_upload(create_app(core), form_headers(auth), chunks, disconnect=True)
    assert sent[0]["status"] >= 400
    await assert_nothing_left(core)


async def test_client_disconnect_after_many_buffers_leaves_nothing(core: Core, auth: dict[str, str]) -> None:
    """Past several write buffers (some written, some queued for the writer thread), not one byte stays."""
    body = upload_body(bytes(range(256)) * 4096 * 24)  # 24 MiB: six 4 MiB buffers
    chunks = [body[i : i + 256 * 1024] for i in range(0, 20 * 1024 * 1024, 256 * 1024)]
    sent = await asgi_upload(create_app(core), form_headers(auth), chunks, disconnect=True)
    assert sent[0]["status"] >= 400
    await assert_nothing_left(core)


async def test_streamed_upload_in_many_small_chunks(core: Core, auth: dict[str, str]) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    body = upload_body(data, "chunks.bin")
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    sent = await asgi_upload(create_app(core), form_headers(auth), chunks, disconnect=False)
    assert sent[0]["status"] == 201
    asset = await core.assets.get(sha(data))
    assert asset.size_bytes == len(data)


async def test_a_file_name_past_1024_characters_is_422_by_every_way_in_and_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    long_name = "n" * 1025
    answers = [
        await post_upload(client, auth, upload_body(JPEG, long_name)),
        await client.put(f"/v1/assets/upload?filename={long_name}", headers=auth, content=JPEG),
    ]
    for response in answers:
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"
        assert "filename" in [d["field"] for d in response.json()["error"]["details"]]
    await assert_nothing_left(core)

    stored = (await post_upload(client, auth, upload_body(JPEG, "short.jpg"))).json()["data"]
    patched = await client.patch(
        f"/v1/assets/{stored['asset_id']}", headers=auth, json={"filename": long_name}
    )
    assert patched.status_code == 422
    assert "at most 1024 characters" in patched.json()["error"]["message"]
    assert (await client.get(f"/v1/assets/{stored['asset_id']}", headers=auth)).json()["data"][
        "filename"
    ] == "short.jpg"
