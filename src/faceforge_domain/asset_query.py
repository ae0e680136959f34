"""Which assets a list asks for: filters checked before any adapter sees them.

Assets list oldest first by ``(created_at, asset_id)``; a cursor carries that pair, so paging is stable
while uploads keep arriving.
"""

from __future__ import annotations

import msgspec

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.ids import is_id
from faceforge_domain.previews import PREVIEW_KIND
from faceforge_domain.queries import check_search

MAX_TEXT = 200
CURSOR_SORT = "assets:created_at"
LINKED_ENTITIES_SORT = "asset_entities:created_at"  # an asset's entities, oldest entity first
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    return text.translate(_ASCII_LOWER)


class AssetQuery(msgspec.Struct, frozen=True, kw_only=True):
    kind: str | None = None
    entity_id: str | None = None
    mime_prefix: str | None = None
    q: str | None = None
    include_deleted: bool = False
    in_trash: bool = False  # only soft-deleted assets (the Trash); implies include_deleted
    include_previews: bool = False

    @property
    def hides_previews(self) -> bool:
        """Previews Core made are left out of lists, unless asked for (or their kind is the filter)."""
        return not self.include_previews and self.kind != PREVIEW_KIND

    @classmethod
    def build(
        cls,
        *,
        kind: str | None = None,
        entity_id: str | None = None,
        mime: str | None = None,
        q: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
        include_previews: bool = False,
    ) -> AssetQuery:
        """Check every filter; all problems are reported together."""
        errors: list[FieldError] = []
        if entity_id is not None and not is_id(entity_id):
            errors.append(FieldError("entity_id", "must be a 64-character lowercase hex id"))
        for name, value in (("kind", kind), ("mime", mime), ("q", q)):
            if value is not None and len(value) > MAX_TEXT:
                errors.append(FieldError(name, f"must be at most {MAX_TEXT} characters"))
            check_search(name, value, errors)
        if errors:
            raise Invalid(errors)
        return cls(
            kind=(kind or "").strip() or None,
            entity_id=entity_id,
            mime_prefix=(mime or "").strip().lower() or None,
            q=(q or "").strip() or None,
            include_deleted=include_deleted or in_trash,
            in_trash=in_trash,
            include_previews=include_previews,
        )

    def matches_names(self, filenames: list[str]) -> bool:
        """The ``q`` rule every adapter follows: a substring of any stored name, ASCII case ignored.

        ASCII-only folding is what SQLite's ``LIKE`` does, so the fake and the database agree.
        """
        if self.q is None:
            return True
        needle = _fold(self.q)
        return any(needle in _fold(name) for name in filenames)


class AssetPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where the next page starts: after this ``created_at`` (RFC 3339 text) and id."""

    created_at: str
    asset_id: str
