"""A library in memory with records on two providers, backups and leftovers, for the scan's tests."""

from __future__ import annotations

from datetime import timedelta

from jobs_support import TickingClock, make_service
from storage_support import one_chunk

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.memory.backup import InMemoryBackupTargets
from faceforge_adapters.memory.integrity import InMemoryInventory, InMemoryLeftovers
from faceforge_domain.backup.models import BackupBlob, DatabaseCopy, Manifest
from faceforge_domain.integrity.scan import JOB_TYPE, IntegrityScan, ScanSettings, register_integrity_scan
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.models import Asset
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.entities import EntityService

BACKUP = "/backups/library"
GRACE = timedelta(days=7)


def named_store(name: str) -> InMemoryBlobStore:
    store = InMemoryBlobStore()
    store.name = name
    return store


class Library:
    def __init__(self, *, fs: InMemoryBlobStore | None = None, checkpoint_files: int = 100) -> None:
        self.service, self.units, self.liveness = make_service()
        self.clock = TickingClock()
        self.fs = fs or named_store("fs")
        self.fs.name = "fs"
        self.s3 = named_store("s3")
        self.assets = AssetService(self.units, self.fs, self.clock, None)
        self.entities = EntityService(self.units, self.clock)
        self.inventories = {
            "fs": InMemoryInventory(self.fs, self.clock.now()),
            "s3": InMemoryInventory(self.s3, self.clock.now()),
        }
        self.leftovers = InMemoryLeftovers()
        self.targets = InMemoryBackupTargets()
        self.handler = IntegrityScan(
            self.units,
            {"fs": self.fs, "s3": self.s3},
            self.inventories,
            self.leftovers,
            self.targets,
            self.clock,
            ScanSettings(
                max_bytes_per_s=None,
                orphan_grace=GRACE,
                backup_targets=[BACKUP],
                checkpoint_files=checkpoint_files,
            ),
        )
        register_integrity_scan(self.service.registry, self.handler)

    async def add(self, data: bytes, name: str = "f.bin", entity_id: str | None = None) -> Asset:
        options = IngestOptions(filename=name, entity_id=entity_id)
        return (await self.assets.ingest(one_chunk(data), options)).asset

    async def back_up(self, assets: list[tuple[Asset, bytes]], created_at: str, where: str = BACKUP) -> None:
        """A complete snapshot at ``where`` holding these bytes (what ``backup create`` writes)."""
        snapshot_id = created_at.replace("-", "").replace(":", "").replace(".", "")
        async with self.targets.for_writing(where) as target:
            for asset, data in assets:
                target.blobs[asset.asset_id] = data
            await target.publish(
                Manifest(
                    snapshot_id=snapshot_id,
                    faceforge_version="9.9.9",
                    schema_version=15,
                    created_at=created_at,
                    database=DatabaseCopy(sha256="0" * 64, size_bytes=0),
                    config={},
                    blobs=[
                        BackupBlob(sha256=a.asset_id, size_bytes=a.size_bytes, provider="fs")
                        for a, _ in assets
                    ],
                )
            )

    async def scan(self, **given: object) -> Job:
        await self.service.create(JOB_TYPE, dict(given))
        claimed = await self.service.claim_next()
        assert claimed is not None
        return await JobExecutor(self.service, 1).run_job(claimed)

    async def findings(self, job: Job) -> list[JsonObject]:
        assert job.status == "succeeded", job.error
        assert job.result is not None
        found: list[JsonObject] = job.result["findings"]
        return found
