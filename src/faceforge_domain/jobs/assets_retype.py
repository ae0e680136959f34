"""The ``core.assets.retype`` job: correct the recorded MIME type and kind of stored assets.

``AssetRetyping.correct_type`` does the work for one asset; this handler walks the assets (all, or
the ``asset_ids`` given), reports progress, logs one line per changed asset and stops for a cancel
only between assets. Re-running it finds nothing left to change, so it resumes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from faceforge_domain.errors import DomainError
from faceforge_domain.inputs import check_asset_ids, convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.services.retype import AssetRetyping

JOB_TYPE = "core.assets.retype"
MAX_ASSET_IDS = 10_000


class AssetsRetypeInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``asset_ids``: only these assets (absent: every asset, soft-deleted ones included)."""

    asset_ids: list[str] | None = None


class AssetsRetype:
    """Validates retype input and runs retype jobs (the ``JobHandler``)."""

    def __init__(self, retyping: AssetRetyping) -> None:
        self._retyping = retyping

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    @staticmethod
    def _options(raw: JsonObject) -> AssetsRetypeInput:
        options = convert_job_input(raw, AssetsRetypeInput)
        check_asset_ids(options.asset_ids or [], MAX_ASSET_IDS)
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        todo = await self._retyping.asset_ids(self._options(job.input).asset_ids)
        ctx.progress(step="checking", current=0, total=len(todo))
        result: dict[str, Any] = {"total": len(todo), "changed": 0, "unchanged": 0, "failed": 0}
        for done, asset_id in enumerate(todo, start=1):
            await ctx.checkpoint()  # the only place a cancel takes effect: between two assets
            await self._one(asset_id, ctx, result)
            ctx.progress(current=done)
        ctx.progress(step="done")
        return result

    async def _one(self, asset_id: str, ctx: JobReporter, result: dict[str, Any]) -> None:
        try:
            changed = await self._retyping.retype(asset_id)
        except (DomainError, OSError) as exc:
            result["failed"] += 1
            ctx.log(
                "error", f"asset {asset_id} not checked: {exc}", {"asset_id": asset_id, "error": str(exc)}
            )
            return
        if changed is None:
            result["unchanged"] += 1
            return
        result["changed"] += 1
        asset, before = changed
        data: JsonObject = {
            "asset_id": asset_id,
            "before": {"mime_type": before.mime_type, "kind": before.kind},
            "after": {"mime_type": asset.mime_type, "kind": asset.kind},
        }
        ctx.log(
            "info",
            f"asset {asset_id}: {before.mime_type} ({before.kind}) -> {asset.mime_type} ({asset.kind})",
            data,
        )


def register_assets_retype(registry: JobRegistry, retyping: AssetRetyping) -> None:
    """Make ``core.assets.retype`` startable; it resumes by re-checking (what is right stays as is)."""
    handler = AssetsRetype(retyping)
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Sniff stored assets' first bytes again and correct their MIME type and kind.",
    )
