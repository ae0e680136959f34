"""Download responses: whole, one range, several ranges (``multipart/byteranges``), HEAD and 304.

What to send is decided by ``faceforge_domain.ranges.plan_download``; this module only writes the
bytes to the ASGI ``send`` channel as they are read (in chunks of at least 1 MiB, off the event loop).

Stored files are hostile input served from the UI's own origin: only types a browser shows without
running anything are ever ``inline``, and every answer forbids sniffing and sandboxes the document
(no script, no same-origin access, no requests), so an uploaded HTML or SVG page can never act as the
signed-in user.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from urllib.parse import quote

from litestar.response.base import ASGIResponse
from litestar.types import Receive, Send

from faceforge_domain.filetypes import shows_passively
from faceforge_domain.models import Asset
from faceforge_domain.ranges import ByteRange, DownloadPlan, http_date, plan_download, strong_etag
from faceforge_http.digests import repr_digest

CRLF = "\r\n"
# GitHub's raw-content policy: nothing loads or runs, inline styles only (browsers' own image and media
# viewers use them), and ``sandbox`` gives the document a unique origin even where CSP is partly ignored.
DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
Reader = Callable[[int, int], AsyncGenerator[bytes, None]]


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII ``filename`` fallback and, for any other name, ``filename*`` in UTF-8."""
    kind = "inline" if inline else "attachment"
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    header = f'{kind}; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def representation_headers(asset: Asset, *, inline: bool) -> dict[str, str]:
    """Headers every answer about the bytes carries (200, 206, 304). ``inline`` is a wish, granted
    only for types shown passively."""
    inline = inline and shows_passively(asset.mime_type)
    return {
        "accept-ranges": "bytes",
        "etag": strong_etag(asset.content_hash),
        "repr-digest": repr_digest(asset.content_hash),  # of the whole content, whatever range is sent
        "last-modified": http_date(asset.created_at),
        "content-disposition": content_disposition(asset.filename, inline=inline),
        "x-content-type-options": "nosniff",
        "content-security-policy": DOWNLOAD_CSP,
    }


class BlobResponse(ASGIResponse):
    """Streams ``parts``: each some literal bytes (part headers) then a byte range read through ``reader``."""

    __slots__ = ("_parts", "_reader")

    def __init__(
        self,
        *,
        status_code: int,
        headers: dict[str, str],
        media_type: str,
        parts: Sequence[tuple[bytes, ByteRange | None]],
        reader: Reader,
        is_head_response: bool,
    ) -> None:
        length = sum(len(literal) + (r.length if r else 0) for literal, r in parts)
        super().__init__(
            status_code=status_code,
            headers={**headers, "content-length": str(length)} if status_code != 304 else headers,
            media_type=media_type,
            content_length=length,
            is_head_response=is_head_response or status_code == 304,
        )
        self._parts = parts
        self._reader = reader

    async def send_body(self, send: Send, receive: Receive) -> None:
        for literal, byte_range in self._parts:
            if literal:
                await send({"type": "http.response.body", "body": literal, "more_body": True})
            if byte_range is not None and byte_range.length > 0:
                async with aclosing(self._reader(byte_range.start, byte_range.end)) as chunks:
                    async for chunk in chunks:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _part_headers(mime: str, byte_range: ByteRange, size: int) -> str:
    return f"content-type: {mime}{CRLF}content-range: {byte_range.content_range(size)}{CRLF}"


def answer_download(
    asset: Asset,
    request_headers: Mapping[str, str],
    now: datetime,
    reader: Reader,
    *,
    inline: bool,
    head: bool,
    extra_headers: Mapping[str, str] | None = None,
) -> BlobResponse:
    """The answer to a GET or HEAD of ``asset``'s bytes, conditional and range headers honoured."""
    plan = plan_download(
        size=asset.size_bytes,
        etag=strong_etag(asset.content_hash),
        last_modified=asset.created_at,
        now=now,
        range_header=request_headers.get("range"),
        if_range=request_headers.get("if-range"),
        if_none_match=request_headers.get("if-none-match"),
        if_modified_since=request_headers.get("if-modified-since"),
    )
    return download_response(asset, plan, reader, inline=inline, head=head, extra_headers=extra_headers)


def download_response(
    asset: Asset,
    plan: DownloadPlan,
    reader: Reader,
    *,
    inline: bool,
    head: bool,
    extra_headers: Mapping[str, str] | None = None,
) -> BlobResponse:
    headers = {**representation_headers(asset, inline=inline), **(extra_headers or {})}
    size, mime = asset.size_bytes, asset.mime_type
    parts: list[tuple[bytes, ByteRange | None]]
    if plan.status == 304:
        return BlobResponse(
            status_code=304, headers=headers, media_type=mime, parts=[], reader=reader, is_head_response=True
        )
    if plan.status == 200:
        parts = [(b"", ByteRange(0, size - 1))]
    elif len(plan.ranges) == 1:
        only = plan.ranges[0]
        headers["content-range"] = only.content_range(size)
        parts = [(b"", only)]
    else:
        boundary = secrets.token_hex(16)
        parts = [
            (((CRLF if i else "") + f"--{boundary}{CRLF}{_part_headers(mime, r, size)}{CRLF}").encode(), r)
            for i, r in enumerate(plan.ranges)
        ]
        parts.append((f"{CRLF}--{boundary}--{CRLF}".encode(), None))
        mime = f"multipart/byteranges; boundary={boundary}"
    return BlobResponse(
        status_code=plan.status,
        headers=headers,
        media_type=mime,
        parts=parts,
        reader=reader,
        is_head_response=head,
    )
