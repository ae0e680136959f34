"""A byte-rate limit for background reading, so a scrub of terabytes does not take the machine.

``spend(n)`` is called after each chunk read; it sleeps just long enough that the bytes read so far
were read no faster than ``max_bytes_per_s``, with one second of slack so short files are not slowed.
Time comes from the ``Clock`` and sleeping from ``sleep``, so the rule is tested without waiting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from faceforge_domain.clock import Clock

Sleep = Callable[[float], Awaitable[None]]
BURST_S = 1.0


class Throttle:
    """Paces ``spend`` to ``max_bytes_per_s`` on average; ``None`` means no limit."""

    def __init__(self, max_bytes_per_s: int | None, clock: Clock, sleep: Sleep = anyio.sleep) -> None:
        if max_bytes_per_s is not None and max_bytes_per_s <= 0:
            raise ValueError("max_bytes_per_s must be positive")
        self._rate = max_bytes_per_s
        self._clock = clock
        self._sleep = sleep
        self._due: float | None = None  # when the bytes spent so far may be done at the rate

    async def spend(self, n: int) -> None:
        if self._rate is None or n <= 0:
            return
        now = self._clock.monotonic()
        start = now if self._due is None else max(self._due, now)  # idle time earns no credit
        self._due = start + n / self._rate
        ahead = self._due - now - BURST_S
        if ahead > 0:
            await self._sleep(ahead)
