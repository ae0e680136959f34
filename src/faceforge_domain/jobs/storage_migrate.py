"""The ``core.storage.migrate`` job: move every asset's bytes to one provider, one asset at a time.

The moving itself is ``StorageMigration.move`` (copy, verify, flip the record, delete the old copy);
this handler walks the assets so that it can report each one, count bytes, and stop for a cancel
only between assets, so no asset is ever left half-moved. With ``"from": "managed_weed"`` it copies
the S3 assets from the managed weed to the S3 endpoint Core is pointed at (``copy_across``): the way a
library moves to a cluster without passing through the filesystem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from faceforge_domain.errors import DomainError, Invalid
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.ports import BlobStore
from faceforge_domain.services.storage_migration import StorageMigration

JOB_TYPE = "core.storage.migrate"


MANAGED_WEED = "managed_weed"


class StorageMigrateInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``to``: the provider every asset should end up on; ``verify``: read each copy back first;
    ``from``: ``managed_weed`` to copy S3 assets from the managed weed to ``storage.s3``."""

    to: Literal["s3", "fs"]
    verify: bool = True
    source: Literal["managed_weed"] | None = msgspec.field(default=None, name="from")


class StorageMigrate:
    """Validates migration input and runs migration jobs (the ``JobHandler``).

    ``stores`` maps provider name to store, the same mapping ``migration`` was built with.
    """

    def __init__(
        self, migration: StorageMigration, stores: Mapping[str, BlobStore], managed_weed: BlobStore | None
    ) -> None:
        self._migration = migration
        self._stores = dict(stores)
        self._managed_weed = managed_weed

    async def validate(self, raw: JsonObject) -> JsonObject:
        """Shape first, then whether the target provider is configured in this Core."""
        valid: JsonObject = msgspec.to_builtins(self._options(raw))
        if valid["from"] is None:  # an ordinary move between providers, recorded as before
            del valid["from"]
        return valid

    def _options(self, raw: JsonObject) -> StorageMigrateInput:
        options = convert_job_input(raw, StorageMigrateInput)
        if options.to not in self._stores:
            known = ", ".join(sorted(self._stores)) or "none"
            raise Invalid.one("input/to", f"provider {options.to!r} is not available (available: {known})")
        if options.source == MANAGED_WEED:
            if options.to != "s3":
                raise Invalid.one("input/to", "must be s3 to copy from the managed weed")
            if self._managed_weed is None:
                raise Invalid.one(
                    "input/from",
                    "needs the managed weed enabled and storage.s3.endpoint_url pointing at the new endpoint",
                )
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = self._options(job.input)
        target = self._stores[options.to]
        weed = self._managed_weed if options.source == MANAGED_WEED else None
        sources = (
            [options.to]
            if weed is not None
            else [name for name in sorted(self._stores) if name != options.to]
        )
        todo = [asset for source in sources for asset in await self._migration.pending(source)]
        bytes_total = sum(asset.size_bytes for asset in todo)
        ctx.progress(step="moving", current=0, total=len(todo), bytes_current=0, bytes_total=bytes_total)
        result: dict[str, Any] = {
            "to": options.to,
            "total": len(todo),
            "moved": 0,
            "skipped": 0,
            "failed": 0,
            "bytes_moved": 0,
        }
        bytes_done = 0
        for done, asset in enumerate(todo, start=1):
            await ctx.checkpoint()  # the only place a cancel takes effect: between two assets
            data: JsonObject = {
                "asset_id": asset.asset_id,
                "from": options.source or asset.storage.provider,
                "to": options.to,
                "size_bytes": asset.size_bytes,
            }
            try:
                if weed is not None:
                    moved = await self._migration.copy_across(asset, weed, target, verify=options.verify)
                else:
                    moved = await self._migration.move(asset, options.to, target, verify=options.verify)
            except (DomainError, OSError) as exc:
                result["failed"] += 1
                ctx.log("error", f"asset {asset.asset_id} not moved: {exc}", {**data, "error": str(exc)})
            else:
                if moved:
                    result["moved"] += 1
                    result["bytes_moved"] += asset.size_bytes
                    ctx.log("info", f"moved asset {asset.asset_id} to {options.to}", data)
                else:
                    result["skipped"] += 1
                    ctx.log("debug", f"asset {asset.asset_id} needed no move", data)
            bytes_done += asset.size_bytes
            ctx.progress(current=done, bytes_current=bytes_done)
        ctx.progress(step="done")
        return result


def register_storage_migrate(
    registry: JobRegistry,
    migration: StorageMigration,
    stores: Mapping[str, BlobStore],
    managed_weed: BlobStore | None = None,
) -> None:
    """Make ``core.storage.migrate`` startable; re-running it skips what already moved, so it resumes.
    ``managed_weed``: the managed weed's store, when Core's S3 points at another endpoint."""
    handler = StorageMigrate(migration, stores, managed_weed)
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Move every asset's bytes to one storage provider (s3 or fs), verifying each copy.",
    )
