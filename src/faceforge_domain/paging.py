"""Paging rules shared by every list: limit/offset, and opaque keyset cursors.

A cursor encodes the sort key and id of the last row a client saw, so the next page starts right
after it however many rows were inserted before it meanwhile (offset paging cannot promise that).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import msgspec

from faceforge_domain.errors import FieldError, Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Ids that order a feed (event ids, job log ids) are signed 64-bit integers in the database. A position
# is bounded by the largest integer every JSON client reads exactly (2**53 - 1, far past any real id):
# a larger one is refused as a validation error instead of overflowing the query.
MAX_POSITION = 2**53 - 1
# No list holds a billion rows to skip; a larger offset is a client's mistake, refused before any query.
MAX_OFFSET = 1_000_000_000
# A page stops early once its records pass this many bytes of JSON (a record is at least one page's
# worth): records carry free-form JSON, and a page of the largest ones must not make an answer of
# hundreds of megabytes. The page then holds fewer than ``limit`` items and says where to go on.
PAGE_BYTE_BUDGET = 4 * 1024 * 1024
T = TypeVar("T")


def check_position(value: int, field: str) -> int:
    """A feed position (``after``, ``after_id``): the id of the last row seen, 0 before the first."""
    if not 0 <= value <= MAX_POSITION:
        raise Invalid.one(field, f"must be between 0 and {MAX_POSITION}")
    return value


class PageRequest(msgspec.Struct, frozen=True, kw_only=True):
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None

    def __post_init__(self) -> None:
        errors = []
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(("limit", f"must be between 1 and {MAX_LIMIT}"))
        if not 0 <= self.offset <= MAX_OFFSET:
            errors.append(("offset", f"must be between 0 and {MAX_OFFSET}"))
        if self.cursor is not None and self.offset:
            errors.append(("cursor", "cannot be combined with offset"))
        if errors:
            raise Invalid([FieldError(field, message) for field, message in errors])


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last row seen: the sort column, its value, the row id (tie-breaker).

    ``array_like`` keeps the token short; cursors are opaque and never part of a JSON body schema.
    """

    sort: str
    value: Any
    last_id: str


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.msgpack.encode(cursor)).decode("ascii").rstrip("=")


def decode_cursor(token: str, expected_sort: str) -> Cursor:
    """Decode a client's cursor; a damaged one, or one made for another sort, is a clear 422."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor = msgspec.msgpack.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise Invalid.one("cursor", "is not a cursor this server issued") from None
    if cursor.sort != expected_sort:
        raise Invalid.one("cursor", "was issued for a different sort order")
    return cursor


class PageResult(msgspec.Struct, Generic[T], kw_only=True):
    """Items of one page and where the next begins. ``total_exact`` false: a list that stops counting
    (the asset list, at ``TOTAL_CAP``) found more, and ``total`` is how many at least."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None
    total_exact: bool = True


def within_budget(items: list[T], budget: int = PAGE_BYTE_BUDGET) -> list[T]:
    """The leading items whose JSON fits in ``budget`` bytes (always at least the first one)."""
    used = 0
    for count, item in enumerate(items):
        used += len(msgspec.json.encode(item))
        if used > budget and count:
            return items[:count]
    return items


def page_of(
    rows: list[T],
    total: int,
    page: PageRequest,
    position: Callable[[T], Cursor] | None = None,
    *,
    total_exact: bool = True,
) -> PageResult[T]:
    """The page every list answers, from the rows fetched for it.

    A keyset list fetches ``limit + 1`` rows and gives ``position``: the extra row only says that a
    next page exists, and ``next_cursor`` continues right after the last item kept. An offset list
    gives no ``position`` and never answers a cursor. Either way the page is cut at
    ``PAGE_BYTE_BUDGET``.
    """
    items = within_budget(rows[: page.limit])
    more = len(rows) > len(items)
    next_cursor = encode_cursor(position(items[-1])) if more and position is not None else None
    return PageResult(
        items=items,
        total=total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=next_cursor,
        total_exact=total_exact,
    )


def page_of_all(items: Sequence[T], page: PageRequest) -> PageResult[T]:
    """A page of a list held whole in memory (offset paging)."""
    return page_of(list(items[page.offset : page.offset + page.limit]), len(items), page)


def offset_only(page: PageRequest, what: str) -> None:
    """Refuse a cursor for a list that pages by offset only (``what`` names it: "descriptors")."""
    if page.cursor is not None:
        raise Invalid.one("cursor", f"{what} page by offset only")
