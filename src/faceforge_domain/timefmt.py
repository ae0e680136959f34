"""Timestamps on the wire: RFC 3339, UTC, millisecond precision (``2026-11-24T11:02:04.123Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


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
