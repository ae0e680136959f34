"""The response envelope every JSON answer wears: ``{"ok": true, "data": ...}`` or an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from faceforge_domain.paging import PageResult

T = TypeVar("T")
U = TypeVar("U")


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
    # False where a list stops counting (the asset list, past 1,000): then `total` is how many at least.
    total_exact: bool = True


def ok(data: T) -> Ok[T]:
    return Ok(data=data)


def page_out(result: PageResult[T], convert: Callable[[T], U]) -> Page[U]:
    """A domain page on the wire, each item converted."""
    return Page(
        items=[convert(item) for item in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
        next_cursor=result.next_cursor,
        total_exact=result.total_exact,
    )
