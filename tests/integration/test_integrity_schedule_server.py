"""The weekly integrity scan as the server runs it: counted from the library's creation (its first
migration in the real database), remembered in the jobs table across restarts, off with 0 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from faceforge_adapters.bootstrap import build_core
from faceforge_domain.clock import FixedClock
from faceforge_domain.integrity.scan import JOB_TYPE

pytestmark = pytest.mark.anyio
MADE = datetime(2026, 3, 1, tzinfo=UTC)


async def scans_after_a_moment(home: Path, clock: FixedClock, **env: str) -> list[str]:
    """Start Core's schedule for a moment at ``clock``'s time; the scans the jobs table then holds."""
    async with build_core(home=home, env={"FACEFORGE_HOME": str(home), **env}, clock=clock) as core:
        if "integrity_schedule" in core.lifecycle.services:
            async with core.lifecycle.running({"integrity_schedule"}):
                await anyio.sleep(0.3)
        found = await core.jobs.list_jobs(job_type=JOB_TYPE)
        return [job.created_by or "" for job in found.items]


async def test_a_scan_starts_a_week_after_the_library_was_made_and_only_once(home: Path) -> None:
    clock = FixedClock(MADE)
    assert await scans_after_a_moment(home, clock) == []  # a new library: nothing to scan yet

    clock.advance(timedelta(days=7))
    assert await scans_after_a_moment(home, clock) == ["schedule"]
    clock.advance(timedelta(days=3))
    assert await scans_after_a_moment(home, clock) == ["schedule"]  # restarted: still queued, not again


async def test_schedule_days_0_turns_the_schedule_off(home: Path) -> None:
    clock = FixedClock(MADE)
    await scans_after_a_moment(home, clock)
    clock.advance(timedelta(days=30))
    assert await scans_after_a_moment(home, clock, FACEFORGE_INTEGRITY__SCHEDULE_DAYS="0") == []
