"""The tus 1.0.0 wire format: its headers parsed and written, the version check, the version header.

Resumable uploads (https://tus.io/protocols/resumable-upload) carry their state in headers; this module
turns them into plain values for the routes and back.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_412_PRECONDITION_FAILED
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from faceforge_domain.errors import Invalid
from faceforge_domain.uploads.model import MAX_METADATA_BYTES

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
CHECKSUM_ALGORITHMS = "sha256"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# Headers a browser client must be allowed to read on a cross-origin answer.
EXPOSED_HEADERS = (
    "Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Tus-Resumable, "
    "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, FaceForge-Asset-Id"
)
UNVERSIONED_METHODS = frozenset({"OPTIONS", "GET"})  # discovery, and the JSON status (not tus)


def tus_resumable_header(app: ASGIApp) -> ASGIApp:
    """Middleware: every answer under the tus routes, errors included, says ``Tus-Resumable: 1.0.0``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Tus-Resumable"] = TUS_VERSION
                headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await app(scope, receive, send_with_version)

    return middleware


def require_tus_version(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a tus request must speak 1.0.0 (412 otherwise, naming the version spoken here)."""
    if connection.scope.get("method") in UNVERSIONED_METHODS:
        return
    spoken = connection.headers.get("tus-resumable")
    if spoken != TUS_VERSION:
        raise HTTPException(
            status_code=HTTP_412_PRECONDITION_FAILED,
            detail=f"Tus-Resumable must be {TUS_VERSION} (got {spoken or 'nothing'})",
            headers={"Tus-Version": TUS_VERSION},
        )


def parse_length(value: str | None, header: str) -> int:
    if value is None or not value.isdigit():
        raise Invalid.one(header, "is required: a whole number of bytes, 0 or more")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (the value may be absent)."""
    if not value:
        return {}
    if len(value) > MAX_METADATA_BYTES:
        raise Invalid.one("Upload-Metadata", f"must be at most {MAX_METADATA_BYTES} bytes")
    found: dict[str, str] = {}
    for pair in value.split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key or " " in encoded.strip() or key in found:
            raise Invalid.one("Upload-Metadata", f"has a malformed or repeated pair {pair.strip()!r}")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Invalid.one(f"Upload-Metadata.{key}", "must be base64 of UTF-8 text") from None
    return found


def format_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}".rstrip()
        for key, value in metadata.items()
    )


def parse_checksum(value: str | None) -> bytes | None:
    """``Upload-Checksum: sha256 <base64 digest>`` as the 32 digest bytes; None when absent."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm != CHECKSUM_ALGORITHMS:
        raise Invalid.one("Upload-Checksum", f"must use {CHECKSUM_ALGORITHMS} (got {algorithm!r})")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 32:
        raise Invalid.one("Upload-Checksum", "must be 'sha256 ' and the base64 of a 32-byte digest")
    return digest


def http_date(moment: datetime) -> str:
    """``Upload-Expires`` is an RFC 9110 HTTP-date."""
    return format_datetime(moment, usegmt=True)
