"""The ``core.duplicates.scan`` job: group look-alike assets across the library into the review list.

It reads every live hash in pages (checking for a cancel between pages), finds the close pairs with
an in-memory band index, joins them into groups (pairs the user dismissed never connect) and
replaces the open review list in one transaction; resolved and dismissed groups stay as they are.
"""

from __future__ import annotations

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.ids import new_id
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.lookalikes import (
    DEFAULT_MAX_DISTANCE,
    DuplicateGroup,
    check_max_distance,
    group_lookalikes,
)
from faceforge_domain.ports import UnitOfWorkFactory

JOB_TYPE = "core.duplicates.scan"
# Hashes read per page: each page is one short read, and a cancel is honoured between pages.
SCAN_PAGE = 5000


class DuplicatesScanInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``max_distance``: how many of the 64 hash bits two look-alikes may differ in."""

    max_distance: int = DEFAULT_MAX_DISTANCE


class DuplicatesScan:
    """Validates scan input and runs scan jobs (the ``JobHandler``)."""

    def __init__(self, units: UnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    @staticmethod
    def _options(raw: JsonObject) -> DuplicatesScanInput:
        options = convert_job_input(raw, DuplicatesScanInput)
        check_max_distance(options.max_distance, "input/max_distance")
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = self._options(job.input)
        hashes = await self._read_all(ctx)
        ctx.progress(step="grouping")
        async with self._units.read() as uow:
            dismissed = await uow.duplicate_groups.dismissed_pairs()
        found = group_lookalikes(hashes, options.max_distance, dismissed)
        await ctx.checkpoint()
        now = self._clock.now()
        groups = [
            DuplicateGroup(
                group_id=new_id(), status="open", max_distance=options.max_distance, members=m, created_at=now
            )
            for m in found
        ]
        async with self._units.write() as uow:
            replaced = await uow.duplicate_groups.replace_open(groups)
            await uow.commit()
        result: JsonObject = {
            "hashes": len(hashes),
            "groups": len(groups),
            "assets_in_groups": sum(len(g.members) for g in groups),
            "replaced_open_groups": replaced,
            "max_distance": options.max_distance,
        }
        ctx.log("info", f"found {len(groups)} look-alike groups among {len(hashes)} pictures", result)
        ctx.progress(step="done")
        return result

    async def _read_all(self, ctx: JobReporter) -> dict[str, int]:
        async with self._units.read() as uow:
            total = await uow.lookalikes.count()
        ctx.progress(step="reading", current=0, total=total)
        hashes: dict[str, int] = {}
        after: str | None = None
        while True:
            await ctx.checkpoint()
            async with self._units.read() as uow:
                page = await uow.lookalikes.page(after, SCAN_PAGE)
            hashes.update(page)
            ctx.progress(current=len(hashes))
            if len(page) < SCAN_PAGE:
                return hashes
            after = page[-1][0]


def register_duplicates_scan(registry: JobRegistry, units: UnitOfWorkFactory, clock: Clock) -> None:
    """Make ``core.duplicates.scan`` startable; a rerun replaces the open list, so it is resumable."""
    handler = DuplicatesScan(units, clock)
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Group look-alike pictures (by perceptual hash) into the review list.",
    )
