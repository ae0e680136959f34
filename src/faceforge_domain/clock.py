"""The Clock port: services ask it for the time, so tests can pin and move time.

This is the one domain module that reads the system clock; a lint rule keeps it that way.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from faceforge_domain.timefmt import truncate_to_millis


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, millisecond precision."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go back: for durations and deadlines."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return truncate_to_millis(datetime.now(UTC))

    def monotonic(self) -> float:
        return time.monotonic()


class FixedClock:
    """A clock that stands still until told to move: deterministic timestamps in tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = truncate_to_millis(start or datetime(2026, 1, 1, tzinfo=UTC))
        self._elapsed = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        """Move both readings forward by ``delta``."""
        self._now = truncate_to_millis(self._now + delta)
        self._elapsed += delta.total_seconds()
        return self._now
