"""The scrub's byte-rate limit, on a clock that only moves when the limiter sleeps."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.clock import FixedClock
from faceforge_domain.integrity.throttle import BURST_S, Throttle

pytestmark = pytest.mark.anyio
MB = 1_000_000


class SleepingClock(FixedClock):
    """``sleep`` moves the clock on instead of waiting, and remembers each pause."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.advance(timedelta(seconds=seconds))


async def test_reading_at_most_the_rate_takes_as_long_as_the_rate_says() -> None:
    clock = SleepingClock()
    throttle = Throttle(10 * MB, clock, clock.sleep)
    for _ in range(100):
        await throttle.spend(MB)  # 100 MB at 10 MB/s: 10 s, less the one second of slack
    assert clock.monotonic() == pytest.approx(10 - BURST_S)


async def test_a_short_read_within_the_slack_is_not_slowed() -> None:
    clock = SleepingClock()
    throttle = Throttle(10 * MB, clock, clock.sleep)
    await throttle.spend(5 * MB)
    assert clock.pauses == []


async def test_an_idle_pause_earns_at_most_the_slack() -> None:
    clock = SleepingClock()
    throttle = Throttle(10 * MB, clock, clock.sleep)
    await throttle.spend(10 * MB)
    clock.advance(timedelta(hours=1))  # a long pause (other work, a slow disk) earns no big burst
    start = clock.monotonic()
    await throttle.spend(30 * MB)
    assert clock.monotonic() - start == pytest.approx(3 - BURST_S)


async def test_no_limit_never_sleeps() -> None:
    clock = SleepingClock()
    throttle = Throttle(None, clock, clock.sleep)
    await throttle.spend(10**12)
    assert clock.pauses == []


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        Throttle(0, FixedClock())


@given(
    rate=st.integers(min_value=1, max_value=10**9),
    chunks=st.lists(st.integers(min_value=0, max_value=10**9), max_size=30),
)
def test_the_average_rate_never_exceeds_the_limit_beyond_the_slack(rate: int, chunks: list[int]) -> None:
    clock = SleepingClock()
    throttle = Throttle(rate, clock, clock.sleep)

    async def read_all() -> None:
        for n in chunks:
            await throttle.spend(n)

    anyio.run(read_all)
    elapsed, tick = clock.monotonic(), 1e-5  # the fake clock keeps microseconds
    assert sum(chunks) <= rate * (elapsed + BURST_S + tick)
    assert elapsed <= max(0.0, sum(chunks) / rate - BURST_S) + tick
