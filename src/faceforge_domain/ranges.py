"""HTTP byte ranges and conditional requests (RFC 9110 §13-§14): pure rules, no I/O.

The download route asks ``plan_download`` what to send; it answers with a status and the ranges, so every
case (single, multiple, suffix, unsatisfiable, invalid, If-Range, If-None-Match) is decided, and
tested, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from faceforge_domain.errors import RangeNotSatisfiable

# More ranges than this in one request is abuse (or a broken client): the header is ignored, as §14.2 allows.
MAX_RANGES = 64
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Inclusive ``start..end`` of a representation ``size`` bytes long."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> list[ByteRange] | None:
    """The satisfiable ranges a ``Range`` header asks for, in the order asked.

    Returns None when the header is absent or syntactically invalid (the full content is sent) and
    raises ``RangeNotSatisfiable`` when it is valid but no range overlaps the content.
    """
    if header is None:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in spec.split(",")]
    if not parts or len(parts) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    for part in parts:
        match = _RANGE_SPEC.match(part)
        if match is None or match.group(0) == "-":
            return None
        first, last = match.group(1), match.group(2)
        if first == "":  # suffix: the last n bytes
            suffix = int(last)
            if suffix > 0 and size > 0:
                ranges.append(ByteRange(max(0, size - suffix), size - 1))
            continue
        start = int(first)
        if last != "" and int(last) < start:
            return None  # a range whose last position precedes its first is invalid (§14.1.1)
        if start < size:
            ranges.append(ByteRange(start, size - 1 if last == "" else min(int(last), size - 1)))
    if not ranges:
        raise RangeNotSatisfiable(size)
    return ranges


def coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    """Overlapping or adjacent ranges merged, sorted: a client gets each byte at most once."""
    merged: list[ByteRange] = []
    for item in sorted(ranges, key=lambda r: r.start):
        if merged and item.start <= merged[-1].end + 1:
            last = merged[-1]
            merged[-1] = ByteRange(last.start, max(last.end, item.end))
        else:
            merged.append(item)
    return merged


def strong_etag(content_hash: str) -> str:
    return f'"{content_hash}"'


def http_date(moment: datetime) -> str:
    """IMF-fixdate (``Tue, 24 Nov 2026 11:02:04 GMT``), second precision."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _etags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def none_match(if_none_match: str, etag: str) -> bool:
    """True when ``If-None-Match`` lists our ETag (weak comparison, §13.1.2) or is ``*``."""
    bare = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == bare for tag in _etags(if_none_match))


def if_range_holds(if_range: str, etag: str, last_modified: datetime) -> bool:
    """``If-Range`` (§13.1.5): a strong ETag must match exactly; a date must equal Last-Modified."""
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == etag  # weak tags never match
    moment = parse_http_date(value)
    return moment is not None and moment == last_modified.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class DownloadPlan:
    """What to answer: 200 (whole), 206 (``ranges``), or 304 (not modified)."""

    status: int
    ranges: tuple[ByteRange, ...] = ()


def plan_download(
    *,
    size: int,
    etag: str,
    last_modified: datetime,
    now: datetime,
    range_header: str | None = None,
    if_range: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
) -> DownloadPlan:
    """Decide the answer to a GET/HEAD of one representation, per RFC 9110 §13.2.2 order.

    An ``If-Modified-Since`` later than ``now`` (the server's clock) is invalid and ignored
    (RFC 9110 §13.1.3): a client cannot get a 304 by claiming a date from the future.
    """
    if if_none_match is not None:
        if none_match(if_none_match, etag):
            return DownloadPlan(304)
    elif if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        if since is not None and last_modified.astimezone(UTC).replace(microsecond=0) <= since <= now:
            return DownloadPlan(304)
    if range_header is None or (if_range is not None and not if_range_holds(if_range, etag, last_modified)):
        return DownloadPlan(200)
    ranges = parse_range(range_header, size)
    if ranges is None:
        return DownloadPlan(200)
    return DownloadPlan(206, tuple(coalesce(ranges) if len(ranges) > 1 else ranges))
