"""The Clock port: services ask it for the time, so tests can pin and move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from faceforge_domain.timefmt import truncate_to_millis


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, millisecond precision."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return truncate_to_millis(datetime.now(UTC))


class FixedClock:
    """A clock that stands still until told to move: deterministic timestamps in tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = truncate_to_millis(start or datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self._now = truncate_to_millis(self._now + delta)
        return self._now
