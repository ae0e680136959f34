"""List queries the repositories answer: filters and sort orders, checked before any adapter sees them.

Only the names listed here ever reach SQL; anything else is an ``Invalid`` naming the parameter.
"""

from __future__ import annotations

import re
from typing import Literal, cast

import msgspec

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.ids import is_id
from faceforge_domain.paging import decode_cursor
from faceforge_domain.text import search_problem

EntitySort = Literal["created_at", "updated_at", "display_name"]
SortOrder = Literal["asc", "desc"]
Direction = Literal["out", "in", "both"]

ENTITY_SORTS: tuple[EntitySort, ...] = ("created_at", "updated_at", "display_name")
SORT_ORDERS: tuple[SortOrder, ...] = ("asc", "desc")
DIRECTIONS: tuple[Direction, ...] = ("out", "in", "both")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_QUERY = 200

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """Case-fold ASCII letters only: the comparison SQLite's NOCASE makes, so every adapter agrees."""
    return text.translate(_ASCII_FOLD)


def one_of(field: str, value: str, allowed: tuple[str, ...], errors: list[FieldError]) -> None:
    if value not in allowed:
        errors.append(FieldError(field, "must be one of: " + ", ".join(allowed)))


def check_search(field: str, value: str | None, errors: list[FieldError]) -> None:
    """Search text is matched as written; a control character (a NUL) is refused, not passed to SQL."""
    if value is not None and (problem := search_problem(value)):
        errors.append(FieldError(field, problem))


class KeysetPosition(msgspec.Struct, frozen=True, kw_only=True):
    """The sort value and id of the last row a client saw (decoded from its cursor)."""

    value: str
    last_id: str

    @classmethod
    def from_cursor(cls, token: str | None, sort: str) -> KeysetPosition | None:
        """The position a cursor names (None without one); ``Invalid`` for one this server did not issue."""
        if token is None:
            return None
        cursor = decode_cursor(token, sort)
        if not isinstance(cursor.value, str) or not is_id(cursor.last_id):
            raise Invalid.one("cursor", "is not a cursor this server issued")
        return cls(value=cursor.value, last_id=cursor.last_id)


class EntityQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which entities, in which order. Build it with ``EntityQuery.build`` to have it checked."""

    sort_by: EntitySort = "created_at"
    sort_order: SortOrder = "asc"
    q: str | None = None
    tags: tuple[str, ...] = ()
    tag_prefixes: tuple[str, ...] = ()  # each: some tag starts with it ("ficti" finds "fictional")
    fields: tuple[tuple[str, str], ...] = ()
    include_deleted: bool = False
    in_trash: bool = False  # only soft-deleted entities (the Trash); implies include_deleted

    @classmethod
    def build(
        cls,
        *,
        sort_by: str = "created_at",
        sort_order: str = "asc",
        q: str | None = None,
        tags: tuple[str, ...] | list[str] = (),
        tag_prefixes: tuple[str, ...] | list[str] = (),
        fields: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
        include_deleted: bool = False,
        in_trash: bool = False,
    ) -> EntityQuery:
        """Check every parameter; all problems are reported together."""
        errors: list[FieldError] = []
        one_of("sort_by", sort_by, ENTITY_SORTS, errors)
        one_of("sort_order", sort_order, SORT_ORDERS, errors)
        text = q.strip() if q is not None else None
        if text is not None and len(text) > MAX_QUERY:
            errors.append(FieldError("q", f"must be at most {MAX_QUERY} characters"))
        check_search("q", q, errors)
        for value in (*tags, *tag_prefixes):
            check_search("tag", value, errors)
        for key, value in fields:
            check_search(f"field.{key}", value, errors)
        clean_tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        clean_prefixes = tuple(dict.fromkeys(t.strip() for t in tag_prefixes if t.strip()))
        for key, _ in fields:
            if not FIELD_KEY.fullmatch(key):
                errors.append(FieldError(f"field.{key}", f"field keys must match {FIELD_KEY.pattern}"))
        if errors:
            raise Invalid(errors)
        return cls(
            sort_by=cast("EntitySort", sort_by),
            sort_order=cast("SortOrder", sort_order),
            q=text or None,
            tags=clean_tags,
            tag_prefixes=clean_prefixes,
            fields=tuple(fields),
            include_deleted=include_deleted or in_trash,
            in_trash=in_trash,
        )

    @property
    def cursor_sort(self) -> str:
        """What a cursor issued for this order is tagged with (a cursor only fits its own order)."""
        return f"{self.sort_by}:{self.sort_order}"

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.tags or self.tag_prefixes or self.fields or self.in_trash)


class RelationshipQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Relationships touching ``entity_id`` (in ``direction``), optionally of one ``type``."""

    entity_id: str | None = None
    type: str | None = None
    direction: Direction = "both"
    include_deleted: bool = False
    in_trash: bool = False  # only soft-deleted ones (the Trash); implies include_deleted

    @classmethod
    def build(
        cls,
        *,
        entity_id: str | None = None,
        type: str | None = None,
        direction: str = "both",
        include_deleted: bool = False,
        in_trash: bool = False,
    ) -> RelationshipQuery:
        errors: list[FieldError] = []
        one_of("direction", direction, DIRECTIONS, errors)
        check_search("type", type, errors)
        if direction != "both" and entity_id is None:
            errors.append(FieldError("direction", "needs entity_id"))
        if errors:
            raise Invalid(errors)
        return cls(
            entity_id=entity_id,
            type=(type.strip() or None) if type is not None else None,
            direction=cast("Direction", direction),
            include_deleted=include_deleted or in_trash,
            in_trash=in_trash,
        )
