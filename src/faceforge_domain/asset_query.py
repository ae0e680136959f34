"""Which assets a list asks for, in which order: filters and sorts checked before any adapter sees them.

Assets list oldest first by ``(created_at, asset_id)`` unless another order is asked for (date taken, file
name without ASCII case, size; ascending or descending); the id always breaks ties, and a cursor carries the
sort value and id of the last row, so paging is stable while uploads keep arriving. Files with no date
taken have no sort value: they come first in ascending order and last in descending order.

The date filters compare with the stored ``taken_at``: the instant where the zone is known, else the
camera's clock read as UTC (see ``faceforge_domain.facts``); a bound without a zone is read as UTC too.

``q`` of ``SUBSTRING_SEARCH`` characters or more matches anywhere in a stored file name or the camera make
or model; a shorter one (what a picker sends after one keystroke) matches the start of the file name (the
one lists show), the make or the model: a substring of one or two characters is in almost every name, and
no index can look one up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal, cast

import msgspec

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.ids import is_id
from faceforge_domain.models import Asset
from faceforge_domain.previews import PREVIEW_KIND
from faceforge_domain.queries import SORT_ORDERS, SortOrder, check_search, fold, one_of
from faceforge_domain.timefmt import format_timestamp

MAX_TEXT = 200
SUBSTRING_SEARCH = 3  # the shortest ``q`` matched anywhere in a name; shorter ones match the start
# A list counts its matches up to this many: past it, the total says "at least" (counting 100,000 matches
# costs more than the page itself, and nobody reads "1-50 of 84,213" as more than "many").
TOTAL_CAP = 1_000
CURSOR_SORT = "assets:created_at"
LINKED_ENTITIES_SORT = "asset_entities:created_at"  # an asset's entities, oldest entity first
AssetSort = Literal["created_at", "taken_at", "filename", "size_bytes"]
ASSET_SORTS: tuple[AssetSort, ...] = ("created_at", "taken_at", "filename", "size_bytes")
SortValue = str | int | None
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_HINT = "must be a date (2024-05-31) or a date and time (2024-05-31T18:30:00Z, zone optional)"


def _fold(text: str) -> str:
    return fold(text)


def parse_bound(field: str, value: str | None, errors: list[FieldError]) -> str | None:
    """A ``taken_after``/``taken_before`` bound as stored text (RFC 3339 UTC): a day means its start;
    a time without a zone is read as UTC, like the stored local times it is compared with."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (_DAY.match(text) or (_DAY.match(text[:10]) and text[10:11] in ("T", "t", " "))):
        errors.append(FieldError(field, DATE_HINT))
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_timestamp(moment)
    except (ValueError, OverflowError):
        errors.append(FieldError(field, DATE_HINT))
        return None


def sort_key(value: SortValue, asset_id: str, sort_by: AssetSort) -> tuple[bool, str | int, str]:
    """How the adapters order rows: no value first, then the value (names without ASCII case), then the id."""
    if value is None:
        return (False, "", asset_id)
    return (True, fold(value) if sort_by == "filename" and isinstance(value, str) else value, asset_id)


def sort_value(asset: Asset, sort_by: AssetSort) -> SortValue:
    """The value an asset is ordered by (and that a cursor carries)."""
    if sort_by == "taken_at":
        taken = asset.facts.taken_at
        return None if taken is None else format_timestamp(taken)
    if sort_by == "filename":
        return asset.filename
    if sort_by == "size_bytes":
        return asset.size_bytes
    return format_timestamp(asset.created_at)


class AssetQuery(msgspec.Struct, frozen=True, kw_only=True):
    kind: str | None = None
    entity_id: str | None = None
    mime_prefix: str | None = None
    q: str | None = None
    taken_after: str | None = None
    taken_before: str | None = None
    camera: str | None = None
    has_location: bool | None = None
    include_deleted: bool = False
    in_trash: bool = False  # only soft-deleted assets (the Trash); implies include_deleted
    include_previews: bool = False
    sort_by: AssetSort = "created_at"
    sort_order: SortOrder = "asc"

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
        taken_after: str | None = None,
        taken_before: str | None = None,
        camera: str | None = None,
        has_location: bool | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
        include_previews: bool = False,
        sort_by: str = "created_at",
        sort_order: str = "asc",
    ) -> AssetQuery:
        """Check every filter; all problems are reported together."""
        errors: list[FieldError] = []
        if entity_id is not None and not is_id(entity_id):
            errors.append(FieldError("entity_id", "must be a 64-character lowercase hex id"))
        for name, value in (("kind", kind), ("mime", mime), ("q", q), ("camera", camera)):
            if value is not None and len(value) > MAX_TEXT:
                errors.append(FieldError(name, f"must be at most {MAX_TEXT} characters"))
            check_search(name, value, errors)
        after = parse_bound("taken_after", taken_after, errors)
        before = parse_bound("taken_before", taken_before, errors)
        if after is not None and before is not None and after >= before:
            errors.append(FieldError("taken_before", "must be later than taken_after"))
        one_of("sort_by", sort_by, ASSET_SORTS, errors)
        one_of("sort_order", sort_order, SORT_ORDERS, errors)
        if errors:
            raise Invalid(errors)
        return cls(
            kind=(kind or "").strip() or None,
            entity_id=entity_id,
            mime_prefix=(mime or "").strip().lower() or None,
            q=(q or "").strip() or None,
            taken_after=after,
            taken_before=before,
            camera=(camera or "").strip() or None,
            has_location=has_location,
            include_deleted=include_deleted or in_trash,
            in_trash=in_trash,
            include_previews=include_previews,
            sort_by=cast("AssetSort", sort_by),
            sort_order=cast("SortOrder", sort_order),
        )

    @property
    def cursor_sort(self) -> str:
        """What a cursor issued for this order is tagged with (a cursor only fits its own order)."""
        if (self.sort_by, self.sort_order) == ("created_at", "asc"):
            return CURSOR_SORT
        return f"assets:{self.sort_by}:{self.sort_order}"

    def matches(self, asset: Asset) -> bool:
        """The rules every adapter follows for ``q`` and the facts filters; ASCII case ignored as SQLite's
        ``NOCASE`` and ``LIKE`` do."""
        facts = asset.facts
        if self.q is not None and not self._matches_text(asset):
            return False
        if self.camera is not None and _fold(self.camera) not in (
            _fold(facts.camera_make or "\0"),
            _fold(facts.camera_model or "\0"),
        ):
            return False
        taken = None if facts.taken_at is None else format_timestamp(facts.taken_at)
        if self.taken_after is not None and (taken is None or taken < self.taken_after):
            return False
        if self.taken_before is not None and (taken is None or taken >= self.taken_before):
            return False
        return self.has_location is None or self.has_location == (facts.latitude is not None)

    def _matches_text(self, asset: Asset) -> bool:
        """``q``: inside any stored name, the make or the model; when short, at the start of the file
        name (the one lists show), the make or the model."""
        needle = _fold(self.q or "")
        cameras = [asset.facts.camera_make or "", asset.facts.camera_model or ""]
        if self.prefix_search:
            return any(_fold(text).startswith(needle) for text in [asset.filename, *cameras])
        return any(needle in _fold(text) for text in [*asset.filenames, *cameras])

    @property
    def prefix_search(self) -> bool:
        """Whether ``q`` is too short to match inside names, so it matches their start."""
        return self.q is not None and len(self.q) < SUBSTRING_SEARCH

    def position(self, value: object, asset_id: str) -> AssetPosition:
        """A cursor's position checked against this order's value type (a forged one is refused)."""
        fits = {
            "created_at": isinstance(value, str),
            "filename": isinstance(value, str),
            "taken_at": value is None or isinstance(value, str),
            "size_bytes": isinstance(value, int) and not isinstance(value, bool),
        }[self.sort_by]
        if not fits or not is_id(asset_id):
            raise Invalid.one("cursor", "is not a cursor this server issued")
        return AssetPosition(value=cast("SortValue", value), asset_id=asset_id)


class AssetPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where the next page starts: after this sort value (``created_at``: RFC 3339 text) and id."""

    value: SortValue
    asset_id: str
