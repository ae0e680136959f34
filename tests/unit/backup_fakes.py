"""A library and a backup location in memory, for the backup job's domain tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from jobs_support import TickingClock, make_service

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.memory.backup import InMemoryBackupTarget, InMemoryBackupTargets, InMemorySnapshots
from faceforge_domain.backup.create import JOB_TYPE, BackupCreate, register_backup_create
from faceforge_domain.backup.ports import SnapshotBlob
from faceforge_domain.ids import content_hash
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.models import StorageLocation

TARGET = "/backups/library"
CONFIG = {"network": {"core_port": 43210}}


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class Library:
    """Blobs on two providers, what a database snapshot would reference, and the backup job."""

    def __init__(self, workers: int = 2, fs: InMemoryBlobStore | None = None) -> None:
        self.service, self.units, _ = make_service()
        self.fs = fs or InMemoryBlobStore()
        self.fs.name = "fs"
        self.s3 = InMemoryBlobStore()
        self.s3.name = "s3"
        self.snapshots = InMemorySnapshots(schema_version=7)
        self.targets = InMemoryBackupTargets()
        self.handler = BackupCreate(
            self.snapshots,
            {"fs": self.fs, "s3": self.s3},
            self.targets,
            TickingClock(),
            config=CONFIG,
            version="9.9.9",
            workers=workers,
        )
        register_backup_create(self.service.registry, self.handler)

    async def add(self, data: bytes, provider: str = "fs", entity_ids: list[str] | None = None) -> str:
        store = self.fs if provider == "fs" else self.s3
        stored = await store.put(one_chunk(data))
        self.snapshots.blobs.append(
            SnapshotBlob(
                asset_id=stored.sha256,
                size_bytes=len(data),
                location=StorageLocation(provider=provider, key=stored.location.key),
                entity_ids=entity_ids or [],
            )
        )
        assert stored.sha256 == content_hash(data)
        return stored.sha256

    async def back_up(self, **given: object) -> Job:
        await self.service.create(JOB_TYPE, {"target": TARGET, **given})
        claimed = await self.service.claim_next()
        assert claimed is not None
        return await JobExecutor(self.service, 1).run_job(claimed)

    @property
    def target(self) -> InMemoryBackupTarget:
        return self.targets.targets[TARGET]

    async def log(self, job: Job) -> list[tuple[str, str, dict[str, object] | None]]:
        entries = await self.service.log(job.job_id, limit=1000)
        return [(e.level, e.message, e.data) for e in entries.items]
