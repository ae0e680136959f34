"""Timestamps on the wire: RFC 3339, UTC, millisecond precision (``2026-11-24T11:02:04.123Z``); dates
as people know them: a year, a year and month, or a day."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
PARTIAL_DATE_WORDS = "a year (1990), a year and month (1990-05) or a day (1990-05-17)"


def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as RFC 3339 UTC with milliseconds."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (any offset) into an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment.astimezone(UTC)


def truncate_to_millis(moment: datetime) -> datetime:
    """Drop sub-millisecond precision so stored and rendered times agree exactly."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def parse_partial_date(text: str, *, last: bool = False) -> date:
    """``1990``, ``1990-05`` or ``1990-05-17`` as the first day it names (the last with ``last``);
    ``ValueError`` for anything else, a month 13 or a 30 February too."""
    found = PARTIAL_DATE.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        return _first_or_last(int(found[1]), found[2], found[3], last=last)
    except ValueError:
        raise ValueError(f"{text!r} is not {PARTIAL_DATE_WORDS}") from None


def _first_or_last(year: int, month: str | None, day: str | None, *, last: bool) -> date:
    if day is not None:
        return date(year, int(month or 1), int(day))
    if month is not None:
        chosen = int(month)
        return date(year, chosen, calendar.monthrange(year, chosen)[1] if last else 1)
    return date(year, 12, 31) if last else date(year, 1, 1)
