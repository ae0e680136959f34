"""The ``core.previews.build`` job: previews for a library's existing files, in batches, with progress.

It walks the originals without a preview record (and, asked to, those whose previews failed, or all of
them again), so a run that stops (cancel, crash, kill) resumes where it was: what it finished is
recorded. A cancel takes effect between two batches. Each failure is one log line with its reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec

from faceforge_domain.inputs import check_asset_ids, convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.services.previews import BATCH, PreviewService

JOB_TYPE = "core.previews.build"
MAX_IDS = 10_000


class PreviewsBuildInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``retry_failed``: try again the files whose previews failed; ``asset_ids``: just these files
    (made again even when they have previews: after a decoder upgrade, say)."""

    retry_failed: bool = False
    asset_ids: list[str] | None = None


class PreviewsBuild:
    """Validates input and runs preview jobs (the ``JobHandler``)."""

    def __init__(self, previews: PreviewService) -> None:
        self._previews = previews

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    @staticmethod
    def _options(raw: JsonObject) -> PreviewsBuildInput:
        options = convert_job_input(raw, PreviewsBuildInput)
        check_asset_ids(options.asset_ids or [], MAX_IDS)
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = self._options(job.input)
        total = await self._total(options)
        ctx.progress(step="making previews", current=0, total=total)
        counts: dict[str, Any] = {"done": 0, "failed": 0, "none": 0}
        seen = 0
        async for batch, again in self._batches(options):
            await ctx.checkpoint()  # the only place a cancel takes effect: between two batches
            records = await self._previews.build(batch, force=again)
            for record in records:
                counts[record.status] += 1
                if record.status == "failed":
                    data: JsonObject = {"asset_id": record.asset_id, "reason": record.reason}
                    ctx.log("warning", f"no preview for asset {record.asset_id}: {record.reason}", data)
            seen += len(batch)
            ctx.progress(current=seen, total=max(total, seen))
        ctx.progress(step="done")
        return {"total": seen, **counts}

    async def _total(self, options: PreviewsBuildInput) -> int:
        if options.asset_ids is not None:
            return len(options.asset_ids)
        failed = await self._previews.count_failed() if options.retry_failed else 0
        return await self._previews.count_missing() + failed

    async def _batches(self, options: PreviewsBuildInput) -> AsyncIterator[tuple[list[str], bool]]:
        """Batches of ids, each with whether its files are made again though they have a record."""
        if options.asset_ids is not None:
            for start in range(0, len(options.asset_ids), BATCH):
                yield options.asset_ids[start : start + BATCH], True
            return
        walks = [(self._previews.missing, False)]
        if options.retry_failed:
            walks.append((self._previews.failed, True))
        for walk, again in walks:
            after: str | None = None
            while batch := await walk(after, BATCH):
                yield batch, again
                after = batch[-1]


def register_previews_build(registry: JobRegistry, previews: PreviewService) -> None:
    """Make ``core.previews.build`` startable; re-running it skips what is recorded, so it resumes."""
    handler = PreviewsBuild(previews)
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Make the previews (small and large pictures) of files that have none yet.",
    )
