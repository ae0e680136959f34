"""Downloads as RFC 9110 says: full, ranges (single, open, suffix, multiple), 416, conditionals, HEAD."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from assets_support import digest_of, same_loop_client

from faceforge_adapters.bootstrap import Core
from faceforge_domain.ranges import http_date
from faceforge_domain.timefmt import parse_timestamp

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 12_000  # 3,072,000 bytes: several read chunks
SIZE = len(DATA)


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


@pytest.fixture
async def stored(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    name = "\u00dcbersicht \u2013 plan.bin"  # a non-ASCII name: U-umlaut and an en dash
    response = await client.put("/v1/assets/upload", params={"filename": name}, content=DATA, headers=auth)
    assert response.status_code == 201
    data: dict[str, Any] = response.json()["data"]
    return data


async def get(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    asset: dict[str, Any],
    method: str = "GET",
    **headers: str,
) -> httpx.Response:
    url = f"/v1/assets/{asset['asset_id']}/download"
    return await client.request(
        method, url, headers={**auth, **{k.replace("_", "-"): v for k, v in headers.items()}}
    )


async def test_full_download_with_representation_headers(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    response = await get(client, auth, stored)
    assert response.status_code == 200
    assert response.content == DATA
    h = response.headers
    assert h["accept-ranges"] == "bytes"
    assert h["etag"] == f'"{stored["asset_id"]}"'
    assert h["content-length"] == str(SIZE)
    assert h["content-type"] == "application/octet-stream"
    assert h["last-modified"].endswith(" GMT")
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-disposition"] == (
        'attachment; filename="_bersicht _ plan.bin"; '
        "filename*=UTF-8''%C3%9Cbersicht%20%E2%80%93%20plan.bin"
    )


async def test_downloads_carry_the_whole_contents_digest_even_for_a_range(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    url = f"/v1/assets/{stored['asset_id']}/download"
    whole = await client.get(url, headers=auth)
    assert whole.status_code == 200
    assert whole.headers["repr-digest"] == digest_of(whole.content)
    assert whole.headers["etag"] == f'"{stored["asset_id"]}"'
    ranged = await client.get(url, headers={**auth, "Range": "bytes=10-99"})
    assert ranged.status_code == 206
    assert ranged.headers["repr-digest"] == digest_of(DATA)
    for headers in (auth, {**auth, "Range": "bytes=0-9"}):
        head = await client.head(url, headers=headers)
        assert head.headers["repr-digest"] == digest_of(DATA)


async def test_inline_disposition(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    asset = (await client.put("/v1/assets/upload?filename=plain.txt", content=b"hi", headers=auth)).json()[
        "data"
    ]
    response = await client.get(f"/v1/assets/{asset['asset_id']}/download?inline=1", headers=auth)
    assert response.headers["content-disposition"] == 'inline; filename="plain.txt"'
    assert response.headers["content-type"].startswith("text/plain")


ACTIVE_PAGE = b"<html><body><script>fetch('/v1/entities', {method: 'POST'})</script></body></html>"


@pytest.mark.parametrize(
    ("filename", "content", "shown_inline"),
    [
        ("page.html", ACTIVE_PAGE, False),
        ("page.htm", ACTIVE_PAGE, False),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', False),
        ("feed.xml", b"<?xml version='1.0'?><a/>", False),
        ("tool.js", b"alert(1)", False),
        ("page.xhtml", ACTIVE_PAGE, False),
        ("notes.txt", ACTIVE_PAGE, True),  # shown as text: nosniff keeps it from becoming HTML
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), True),
        ("paper.pdf", b"%PDF-1.4\n%%EOF\n", True),
        ("clip.mp3", b"ID3" + bytes(64), True),
    ],
)
async def test_only_passive_types_are_shown_inline_and_every_download_is_sandboxed(
    client: httpx.AsyncClient, auth: dict[str, str], filename: str, content: bytes, shown_inline: bool
) -> None:
    stored = await client.put(f"/v1/assets/upload?filename={filename}", content=content, headers=auth)
    url = f"/v1/assets/{stored.json()['data']['asset_id']}/download"
    for response in (
        await client.get(url + "?inline=1", headers=auth),
        await client.head(url + "?inline=1", headers=auth),
        await client.get(url + "?inline=1", headers={**auth, "Range": "bytes=0-3"}),
        await client.get(
            url + "?inline=1", headers={**auth, "If-None-Match": f'"{stored.json()["data"]["asset_id"]}"'}
        ),
    ):
        assert response.status_code in (200, 206, 304)
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("inline;" if shown_inline else "attachment;"), disposition
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "sandbox" in policy
        assert "default-src 'none'" in policy
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 0


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000000-", 1_000_000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=3000000-9999999", 3_000_000, SIZE - 1),
    ],
)
async def test_single_range_is_206_with_content_range(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any], header: str, start: int, end: int
) -> None:
    response = await get(client, auth, stored, range=header)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == DATA[start : end + 1]


async def test_multiple_ranges_are_multipart_byteranges(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    response = await get(client, auth, stored, range="bytes=0-9, 2000000-2000009, -5")
    assert response.status_code == 206
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert "content-range" not in response.headers
    assert response.headers["content-length"] == str(len(response.content))
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.content
    )
    parts = [(p["content-range"], p.get_payload(decode=True)) for p in message.iter_parts()]
    assert parts == [
        (f"bytes 0-9/{SIZE}", DATA[0:10]),
        (f"bytes 2000000-2000009/{SIZE}", DATA[2_000_000:2_000_010]),
        (f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}", DATA[-5:]),
    ]


async def test_unsatisfiable_range_is_416_with_size(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    response = await get(client, auth, stored, range=f"bytes={SIZE}-")
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"


@pytest.mark.parametrize("header", ["bytes=5-1", "bytes=abc", "pages=1-2", "bytes"])
async def test_invalid_range_header_is_ignored(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any], header: str
) -> None:
    response = await get(client, auth, stored, range=header)
    assert response.status_code == 200
    assert len(response.content) == SIZE


async def test_if_range_with_etag(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    etag = f'"{stored["asset_id"]}"'
    matching = await get(client, auth, stored, range="bytes=0-9", if_range=etag)
    assert (matching.status_code, matching.content) == (206, DATA[:10])
    stale = await get(client, auth, stored, range="bytes=0-9", if_range='"0000"')
    assert (stale.status_code, len(stale.content)) == (200, SIZE)
    weak = await get(client, auth, stored, range="bytes=0-9", if_range=f"W/{etag}")
    assert weak.status_code == 200


async def test_if_range_with_date(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    modified = (await get(client, auth, stored, "HEAD")).headers["last-modified"]
    matching = await get(client, auth, stored, range="bytes=10-19", if_range=modified)
    assert (matching.status_code, matching.content) == (206, DATA[10:20])
    older = http_date(parse_timestamp(stored["created_at"]) - timedelta(days=1))
    stale = await get(client, auth, stored, range="bytes=10-19", if_range=older)
    assert stale.status_code == 200


async def test_if_none_match_is_304_without_body(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    response = await get(client, auth, stored, if_none_match=f'"{stored["asset_id"]}"')
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == f'"{stored["asset_id"]}"'
    other = await get(client, auth, stored, if_none_match='"something-else"')
    assert other.status_code == 200


async def test_head_has_headers_and_no_body(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    response = await get(client, auth, stored, "HEAD")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["accept-ranges"] == "bytes"
    ranged = await get(client, auth, stored, "HEAD", range="bytes=0-9")
    assert ranged.status_code == 206
    assert ranged.headers["content-length"] == "10"
    assert ranged.content == b""


async def test_empty_file_downloads_and_any_range_is_416(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    asset = (await client.put("/v1/assets/upload?filename=empty", content=b"", headers=auth)).json()["data"]
    full = await get(client, auth, asset)
    assert (full.status_code, full.content, full.headers["content-length"]) == (200, b"", "0")
    ranged = await get(client, auth, asset, range="bytes=0-")
    assert ranged.status_code == 416
    assert ranged.headers["content-range"] == "bytes */0"


async def test_unknown_or_deleted_asset_is_404(
    client: httpx.AsyncClient, auth: dict[str, str], stored: dict[str, Any]
) -> None:
    missing = await client.get(f"/v1/assets/{'0' * 64}/download", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert (await client.delete(f"/v1/assets/{stored['asset_id']}", headers=auth)).status_code == 204
    assert (await get(client, auth, stored)).status_code == 404


async def test_download_requires_the_token(client: httpx.AsyncClient, stored: dict[str, Any]) -> None:
    response = await client.get(f"/v1/assets/{stored['asset_id']}/download")
    assert response.status_code == 401
