"""The ``core.assets.facts`` job: derive the facts of stored assets from their recorded metadata again.

``AssetFactsBackfill.refresh`` does the work for a batch; this handler walks the assets (all, or the
``asset_ids`` given) a batch at a time, reports progress and stops for a cancel only between batches.
Re-running it finds nothing left to change, so it resumes.
"""

from __future__ import annotations

import msgspec

from faceforge_domain.inputs import check_asset_ids, convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.services.facts_backfill import AssetFactsBackfill

JOB_TYPE = "core.assets.facts"
MAX_ASSET_IDS = 10_000
BATCH = 200


class AssetsFactsInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``asset_ids``: only these assets (absent: every asset, soft-deleted ones included)."""

    asset_ids: list[str] | None = None


class AssetsFacts:
    """Validates facts-backfill input and runs the jobs (the ``JobHandler``)."""

    def __init__(self, backfill: AssetFactsBackfill, batch: int = BATCH) -> None:
        self._backfill = backfill
        self._batch = max(1, batch)

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    @staticmethod
    def _options(raw: JsonObject) -> AssetsFactsInput:
        options = convert_job_input(raw, AssetsFactsInput)
        check_asset_ids(options.asset_ids or [], MAX_ASSET_IDS)
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        todo = await self._backfill.asset_ids(self._options(job.input).asset_ids)
        ctx.progress(step="deriving", current=0, total=len(todo))
        changed = 0
        for start in range(0, len(todo), self._batch):
            await ctx.checkpoint()  # the only place a cancel takes effect: between two batches
            changed += len(await self._backfill.refresh(todo[start : start + self._batch]))
            ctx.progress(current=min(start + self._batch, len(todo)))
        ctx.progress(step="done")
        if changed:
            ctx.log("info", f"facts of {changed} of {len(todo)} assets updated", {"changed": changed})
        return {"total": len(todo), "changed": changed, "unchanged": len(todo) - changed}


def register_assets_facts(registry: JobRegistry, backfill: AssetFactsBackfill, batch: int = BATCH) -> None:
    """Make ``core.assets.facts`` startable; it resumes by deriving again (what is right stays as is)."""
    handler = AssetsFacts(backfill, batch)
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Derive stored assets' facts (date taken, camera, place...) from their metadata again.",
    )
