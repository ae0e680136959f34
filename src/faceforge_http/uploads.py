"""Streaming request bodies for uploads: raw or ``multipart/form-data``, never held in memory.

``multipart`` parses the body as it arrives (a push parser over ``request.stream()``); the ``file``
part's bytes go straight to the store while the small fields around it are collected. The options are
read once the body is complete, so fields may come before or after the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from faceforge_domain.errors import FieldError, Interrupted, Invalid, PayloadTooLarge
from faceforge_domain.services.assets import IngestOptions

FILE_FIELD = "file"
TEXT_FIELDS = ("meta", "kind", "entity_id", "derived_from_asset_id", "role")
MAX_FIELD_BYTES = 1024 * 1024  # a sidecar JSON or an id, never a file


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the upload is larger than uploads.max_bytes ({limit} bytes)")


def announced_length(request: Request[Any, Any, Any], limit: int) -> int | None:
    """The body's ``Content-Length`` (None when not sent), refused with 413 when past ``limit``."""
    announced = request.headers.get("content-length")
    if announced is None or not announced.isdigit():
        return None
    if int(announced) > limit:
        raise too_large(limit)
    return int(announced)


async def limited_body(request: Request[Any, Any, Any], limit: int) -> AsyncIterator[bytes]:
    """The request body, refused with 413 past ``limit`` bytes (the announced length is checked first)."""
    announced_length(request, limit)
    received = 0
    async for chunk in request_chunks(request):
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        yield chunk


async def request_chunks(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The request body as it arrives; ``Interrupted`` when the client goes away before its end."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except InternalServerException as exc:  # how Litestar reports http.disconnect mid-body
        raise Interrupted("the client disconnected before the request body was complete") from exc


def multipart_boundary(content_type: str) -> str | None:
    media, options = parse_options_header(content_type)
    if media != "multipart/form-data":
        return None
    boundary = options.get("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


class MultipartUpload:
    """One multipart upload: ``file_chunks()`` streams the file; ``options()`` reads the fields after."""

    def __init__(self, body: AsyncIterator[bytes], boundary: str) -> None:
        self._body = body
        self._boundary = boundary
        self.filename: str | None = None
        self.fields: dict[str, bytes] = {}
        self._file_seen = False

    async def file_chunks(self) -> AsyncIterator[bytes]:
        try:
            with PushMultipartParser(self._boundary, max_header_count=16) as parser:
                segment: MultipartSegment | None = None
                field = bytearray()
                async for data in self._body:
                    for event in parser.parse(data):
                        if isinstance(event, MultipartSegment):
                            segment = self._start(event)
                            field.clear()
                        elif event is None:
                            if segment is not None and segment.name != FILE_FIELD:
                                self.fields[segment.name or ""] = bytes(field)
                            segment = None
                        elif segment is not None and segment.name == FILE_FIELD:
                            yield event
                        else:
                            field += event
                            if len(field) > MAX_FIELD_BYTES:
                                name = segment.name if segment else "body"
                                raise Invalid.one(name or "body", f"must be at most {MAX_FIELD_BYTES} bytes")
        except MultipartError as exc:
            raise Invalid.one("body", f"is not valid multipart/form-data: {exc}") from None
        if not self._file_seen:
            raise Invalid.one(FILE_FIELD, "is required: send the file as a part named 'file'")

    def _start(self, segment: MultipartSegment) -> MultipartSegment:
        if segment.name == FILE_FIELD:
            if self._file_seen:
                raise Invalid.one(FILE_FIELD, "must be sent once: one file per upload")
            self._file_seen = True
            self.filename = segment.filename or ""
        elif segment.name in self.fields:
            raise Invalid.one(segment.name or "body", "must be sent once")
        return segment

    def options(self) -> IngestOptions:
        """The fields as ingest options; every problem is reported together."""
        errors: list[FieldError] = []
        text: dict[str, str | None] = {}
        for name in TEXT_FIELDS:
            raw = self.fields.get(name)
            try:
                text[name] = raw.decode("utf-8").strip() or None if raw is not None else None
            except UnicodeDecodeError:
                errors.append(FieldError(name, "must be UTF-8 text"))
        meta = None
        if text.get("meta") is not None:
            try:
                meta = msgspec.json.decode(text["meta"] or "")
            except msgspec.DecodeError as exc:
                errors.append(FieldError("meta", f"is not valid JSON: {exc}"))
            else:
                if not isinstance(meta, dict):
                    errors.append(FieldError("meta", "must be a JSON object"))
        if errors:
            raise Invalid(errors)
        return IngestOptions(
            filename=self.filename or "",
            kind=text.get("kind"),
            entity_id=text.get("entity_id"),
            role=text.get("role"),
            derived_from_asset_id=text.get("derived_from_asset_id"),
            user_metadata=meta,
        )
