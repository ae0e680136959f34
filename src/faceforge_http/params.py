"""Query and path parameters every list and record route shares, with the domain's limits in the schema.

Bounds (``limit``, ``offset``, feed positions, search text) are checked as the request is read, so a
value out of range is a 422 naming the parameter before any handler runs, and the OpenAPI document
states each bound. Choices (sort orders, directions) are listed in the schema as enums and checked by
the domain, which words the error.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.di import NamedDependency, Provide
from litestar.params import Parameter, QueryParameter
from msgspec import Meta

from faceforge_domain.ids import ID_PATTERN
from faceforge_domain.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, MAX_POSITION, PageRequest
from faceforge_domain.queries import MAX_QUERY
from faceforge_domain.text import SEARCH_PATTERN

CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
MAX_CURSOR = 1024

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="Items to skip (not with `cursor`)")]
PageCursor = Annotated[
    str | None,
    Parameter(
        min_length=1,
        max_length=MAX_CURSOR,
        pattern=CURSOR_PATTERN,
        description="The `next_cursor` of the previous page (opaque; not with `offset`)",
    ),
]


def provide_page(limit: Limit = DEFAULT_LIMIT, offset: Offset = 0, cursor: PageCursor = None) -> PageRequest:
    """``limit``, ``offset`` and ``cursor``: the paging parameters of a keyset list."""
    return PageRequest(limit=limit, offset=offset, cursor=cursor)


def provide_offset_page(limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> PageRequest:
    """``limit`` and ``offset``: the paging parameters of a list that pages by offset only."""
    return PageRequest(limit=limit, offset=offset)


PAGING = {
    "page": Provide(provide_page, sync_to_thread=False),
    "offset_page": Provide(provide_offset_page, sync_to_thread=False),
}
"""The paging parameter sets, each read once from the query: a list handler takes ``page: PageDep``
(keyset lists) or ``offset_page: OffsetPageDep`` and receives the domain's ``PageRequest``."""
PageDep = NamedDependency[PageRequest]
OffsetPageDep = NamedDependency[PageRequest]


Search = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_QUERY,
        pattern=SEARCH_PATTERN,
        description="Case-insensitive substring (no control characters)",
    ),
]


CameraFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_QUERY,
        pattern=SEARCH_PATTERN,
        description="Camera make or model, whole, case-insensitive (`Canon`, `Canon EOS M50`)",
    ),
]
DateBound = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description="Date taken bound: a day (`2024-05-31`, its start) or an RFC 3339 date and time "
        "(zone optional, UTC when left out); `taken_after` includes it, `taken_before` does not",
    ),
]
LocationFilter = Annotated[
    bool | None, QueryParameter(description="true: only files with a GPS position; false: only without")
]


# A record id in the path: the schema states its shape, and any other text names no record (404).
RecordId = Annotated[
    str, Parameter(description="64 lowercase hex", schema_extra={"pattern": ID_PATTERN.pattern})
]
# A record id as a filter: a malformed one is a 422 naming the parameter.
IdFilter = Annotated[str | None, Parameter(pattern=ID_PATTERN.pattern, description="64 lowercase hex")]


def position(description: str) -> Any:
    """A feed position: the id of the last row seen (0 before the first)."""
    return Parameter(default=0, ge=0, le=MAX_POSITION, description=description)


def choice(options: tuple[str, ...], default: str, description: str) -> Any:
    """A parameter with a fixed set of values, listed in the schema (the domain checks and words it)."""
    return Parameter(default=default, description=description, schema_extra={"enum": list(options)})


# A record id in a body.
BodyId = Annotated[str, Meta(pattern=ID_PATTERN.pattern)]
