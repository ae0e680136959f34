"""The export folder on real files: a full disk fails cleanly and the next run resumes; a second writer
is refused; a cancel leaves nothing half-listed. Records come from the in-memory fakes."""

from __future__ import annotations

import errno
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from faceforge_adapters.backup.files import HashingWriter
from faceforge_adapters.export import TMP, FolderExportTargets
from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.jobs import InMemoryLiveness
from faceforge_adapters.storage.filesystem import storage_error
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict
from faceforge_domain.export.job import Export, register_export
from faceforge_domain.export.models import JOB_TYPE, MANIFEST
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.entities import EntityService

pytestmark = pytest.mark.anyio
FILES = 6
SIZE = 200_000


class Ticking(FixedClock):
    def now(self):  # type: ignore[no-untyped-def]
        return self.advance(timedelta(milliseconds=1))


def full_after(budget: int) -> Callable[[Path], HashingWriter]:
    """Writers sharing ``budget`` bytes of disk; the write that would pass it fails as a full disk
    does, after writing what still fits."""
    left = [budget]

    class FullDisk(HashingWriter):
        def write(self, data: bytes | bytearray) -> None:
            room = min(left[0], len(data))
            left[0] -= room
            super().write(data[:room])
            if room < len(data):
                raise storage_error(OSError(errno.ENOSPC, "No space left on device", str(self.tmp)))

    return FullDisk


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def library() -> tuple[InMemoryUnitOfWorkFactory, AssetService]:
    units, clock = InMemoryUnitOfWorkFactory(), Ticking()
    assets = AssetService(units, InMemoryBlobStore(), clock)
    ada = await EntityService(units, clock).create("Ada")
    for n in range(FILES):
        data = hashlib.sha256(str(n).encode()).digest() * (SIZE // 32)
        await assets.ingest(one(data), IngestOptions(filename=f"f{n}.bin", entity_id=ada.entity_id))
    return units, assets


async def run_export(
    units: InMemoryUnitOfWorkFactory,
    assets: AssetService,
    target: Path,
    writer: Callable[[Path], HashingWriter],
) -> Job:
    clock = Ticking()
    service = JobService(units, JobRegistry(), clock, InMemoryLiveness("core-test"))
    register_export(
        service.registry, Export(units, assets, FolderExportTargets(writer=writer), clock, version="1")
    )
    await service.create(JOB_TYPE, {"target": str(target)})
    claimed = await service.claim_next()
    assert claimed is not None
    return await JobExecutor(service, 1).run_job(claimed)


def whole_files(target: Path) -> dict[str, str]:
    return {
        p.relative_to(target).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in target.rglob("*.bin")
    }


async def test_a_full_disk_fails_the_export_cleanly_and_the_next_run_resumes(tmp_path: Path) -> None:
    units, assets = await library()
    target = tmp_path / "export"

    failed = await run_export(units, assets, target, full_after(int(SIZE * 2.5)))

    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.code == "insufficient_storage", failed.error
    assert not (target / MANIFEST).exists()  # nothing listed as complete
    assert not (target / TMP).exists()  # no partial file left
    written = whole_files(target)
    assert 0 < len(written) < FILES
    async with units.read() as uow:
        ids = {a.filename: a.asset_id for a in await uow.assets.find(AssetQuery(), limit=50)}
    for path, digest in written.items():
        assert ids[path.split("/")[-1]] == digest  # whatever is there is whole

    resumed = await run_export(units, assets, target, HashingWriter)

    assert resumed.status == "succeeded", resumed.error
    assert resumed.result is not None
    assert (resumed.result["already_there"], resumed.result["written"]) == (
        len(written),
        FILES - len(written),
    )
    assert (target / MANIFEST).is_file()
    assert sorted(whole_files(target).values()) == sorted(ids.values())


def slow(started: anyio.Event) -> Callable[[Path], HashingWriter]:
    """Writers that take a while per piece, so a cancel lands while files are being written."""

    class Slow(HashingWriter):
        def write(self, data: bytes | bytearray) -> None:
            anyio.from_thread.run_sync(started.set)
            time.sleep(0.02)
            super().write(data)

    return Slow


async def test_a_cancel_stops_between_pieces_and_leaves_nothing_half_listed(tmp_path: Path) -> None:
    units, assets = await library()
    target, started = tmp_path / "export", anyio.Event()
    clock = Ticking()
    service = JobService(units, JobRegistry(), clock, InMemoryLiveness("core-test"))
    handler = Export(units, assets, FolderExportTargets(writer=slow(started)), clock, version="1")
    register_export(service.registry, handler)
    job = await service.create(JOB_TYPE, {"target": str(target)})
    claimed = await service.claim_next()
    assert claimed is not None
    ended: list[Job] = []

    async def run() -> None:
        ended.append(await JobExecutor(service, 1).run_job(claimed))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await started.wait()
        await service.cancel(job.job_id)

    assert ended[0].status == "canceled", ended[0]
    assert not (target / MANIFEST).exists()
    assert not (target / TMP).exists()
    assert len(whole_files(target)) < FILES


async def test_a_second_writer_is_refused_while_an_export_is_written(tmp_path: Path) -> None:
    targets = FolderExportTargets()
    async with targets.for_writing(str(tmp_path / "export")):
        with pytest.raises(Conflict, match="another export is writing"):
            async with targets.for_writing(str(tmp_path / "export")):
                pass
