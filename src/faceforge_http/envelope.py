"""The response envelope every JSON answer wears: ``{"ok": true, "data": ...}`` or an error."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Ok(msgspec.Struct, Generic[T], kw_only=True):
    """A successful answer."""

    ok: bool = True
    data: T


class ErrorDetail(msgspec.Struct, kw_only=True):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    """A failed answer: ``code`` is stable for programs, ``message`` is a sentence for people."""

    ok: bool = False
    error: ErrorDetail


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list (DESIGN: limit/offset plus an opaque keyset cursor)."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None


def ok(data: T) -> Ok[T]:
    return Ok(data=data)
