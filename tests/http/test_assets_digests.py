"""``Repr-Digest`` (RFC 9530) on uploads: checked before anything is published, a mismatch storing nothing.

Downloads sending it are tested with the other download headers (test_assets_download.py)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from assets_support import asset_count, digest_of, form_headers, leftovers, same_loop_client, upload_body
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.bootstrap import Core
from faceforge_domain.errors import Invalid
from faceforge_domain.paging import PageRequest
from faceforge_http.digests import expected_sha256, repr_digest

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 9_000  # 2,304,000 bytes: several read chunks


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


@pytest.mark.parametrize("how", ["multipart", "put"])
async def test_an_upload_with_its_right_digest_is_stored(
    client: httpx.AsyncClient, auth: dict[str, str], how: str
) -> None:
    digest = {"Repr-Digest": f"unixsum=30, {digest_of(DATA)}, sha-512=:AAAA:"}
    response = await upload(client, {**auth, **digest}, DATA, how)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["asset_id"] == hashlib.sha256(DATA).hexdigest()


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes, how: str) -> httpx.Response:
    if how == "put":
        return await client.put(
            "/v1/assets/upload", params={"filename": "u.bin"}, content=data, headers=headers
        )
    return await client.post(
        "/v1/assets/upload", content=upload_body(data, "u.bin"), headers=form_headers(headers)
    )


@pytest.mark.parametrize("how", ["multipart", "put"])
async def test_a_digest_mismatch_is_422_and_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, how: str
) -> None:
    response = await upload(client, {**auth, "Repr-Digest": digest_of(b"other bytes")}, DATA, how)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "digest"
    assert hashlib.sha256(DATA).hexdigest() in error["details"][0]["message"]
    assert await asset_count(core) == 0
    assert leftovers(core) == []


async def test_a_mismatch_on_stored_bytes_leaves_the_stored_asset_as_it_was(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    stored = (await upload(client, auth, DATA, "put")).json()["data"]
    await core.metadata.wait_idle()  # its ExifTool staging copy is gone by then
    before = leftovers(core)
    entity = await core.entities.create("Ada")
    response = await client.put(
        "/v1/assets/upload",
        params={"filename": "renamed.bin", "entity_id": entity.entity_id},
        content=DATA,
        headers={**auth, "Repr-Digest": digest_of(b"not these")},
    )
    assert response.status_code == 422
    after = await core.assets.get(stored["asset_id"])
    assert after.filenames == ["u.bin"]
    assert (await core.assets.linked_entities(after.asset_id, PageRequest())).total == 0
    assert leftovers(core) == before


@pytest.mark.parametrize(
    "header",
    [
        "sha-256=:not base64!:",
        "sha-256=:AAAA:",  # 3 bytes, not 32
        "sha-256=abc",  # a token, not a byte sequence
        "sha-256=:AAAA:,,",
        "sha-256=(:AAAA:)",  # an inner list
        "Sha-256=:AAAA:",
    ],
)
async def test_a_malformed_digest_is_422_before_anything_is_read(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, header: str
) -> None:
    response = await upload(client, {**auth, "Repr-Digest": header}, DATA, "put")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "repr-digest"
    assert await asset_count(core) == 0
    assert leftovers(core) == []


@given(st.binary(min_size=32, max_size=32))
def test_the_header_round_trips(raw: bytes) -> None:
    assert expected_sha256([repr_digest(raw.hex())]) == raw.hex()


def test_unknown_algorithms_and_empty_fields_check_nothing() -> None:
    assert expected_sha256([]) is None
    assert expected_sha256([" "]) is None
    assert expected_sha256(["md5=:AAAA:, unixsum=30"]) is None


def test_several_lines_are_one_field_and_the_last_member_wins() -> None:
    first, last = "a" * 64, "b" * 64
    assert expected_sha256(["unixsum=30", repr_digest(first)]) == first
    assert expected_sha256([repr_digest(first), repr_digest(last)]) == last
    with pytest.raises(Invalid):
        expected_sha256(["sha-256=:é:"])
