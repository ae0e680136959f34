"""The ``core.backups.create`` job against in-memory fakes: what a snapshot holds, incremental copies,
resuming, retention, damaged sources, a full target, cancel and bad input."""

from __future__ import annotations

import pytest
from backup_fakes import CONFIG, TARGET, Library
from storage_support import CorruptingStore

from faceforge_adapters.memory.backup import InMemoryBackupTarget
from faceforge_domain.backup.models import FORMAT_VERSION, BackupBlob
from faceforge_domain.backup.ports import TargetUnavailable
from faceforge_domain.errors import Invalid
from faceforge_domain.ids import content_hash
from faceforge_domain.jobs.executor import JobExecutor

pytestmark = pytest.mark.anyio

DATAS = [b"alpha" * 100, b"beta" * 300, b"gamma" * 50]
ENTITY = "e" * 64


async def test_a_backup_holds_every_blob_the_snapshot_names_and_a_manifest() -> None:
    library = Library()
    ids = [
        await library.add(DATAS[0], "fs", [ENTITY]),
        await library.add(DATAS[1], "s3"),
        await library.add(DATAS[2], "fs"),
    ]

    job = await library.back_up()

    assert job.status == "succeeded", job.error
    [manifest] = await library.target.snapshots()
    assert (manifest.format_version, manifest.schema_version, manifest.faceforge_version) == (
        FORMAT_VERSION,
        7,
        "9.9.9",
    )
    assert manifest.config == CONFIG
    assert manifest.blobs == [
        BackupBlob(sha256=ids[0], size_bytes=len(DATAS[0]), provider="fs", entity_ids=[ENTITY]),
        BackupBlob(sha256=ids[1], size_bytes=len(DATAS[1]), provider="s3"),
        BackupBlob(sha256=ids[2], size_bytes=len(DATAS[2]), provider="fs"),
    ]
    assert library.target.blobs == dict(zip(ids, DATAS, strict=True))
    assert library.target.databases[manifest.snapshot_id] == library.snapshots.data
    assert manifest.database.sha256 == content_hash(library.snapshots.data)
    assert library.snapshots.left_out == [job.job_id]  # the backup's own job stays out of its snapshot
    total = sum(map(len, DATAS))
    p = job.progress
    assert (p.current, p.total, p.bytes_current, p.bytes_total, p.percent) == (3, 3, total, total, 100.0)
    assert job.result == {
        "target": TARGET,
        "snapshot_id": manifest.snapshot_id,
        "files": 3,
        "bytes": total,
        "copied": 3,
        "bytes_copied": total,
        "already_there": 0,
        "pruned": [],
    }


async def test_a_second_backup_copies_only_the_new_blob_and_both_snapshots_are_complete() -> None:
    library = Library()
    for data in DATAS:
        await library.add(data)
    await library.back_up()
    new = await library.add(b"delta" * 10)

    job = await library.back_up()

    assert job.result is not None
    assert (job.result["copied"], job.result["already_there"]) == (1, 3)
    assert library.target.blob_writes == 4
    first, second = await library.target.snapshots()
    assert len(first.blobs) == 3
    assert [b.sha256 for b in second.blobs][-1] == new
    assert first.snapshot_id < second.snapshot_id


async def test_a_rerun_after_an_interrupted_backup_resumes_and_sweeps_the_unfinished_snapshot() -> None:
    library = Library()
    ids = [await library.add(data) for data in DATAS]
    interrupted = library.targets.targets.setdefault(TARGET, InMemoryBackupTarget(TARGET))
    interrupted.blobs = {ids[0]: DATAS[0], ids[1]: DATAS[1]}  # copied before the kill
    interrupted.databases["20260101T000000000Z"] = b"half"  # no manifest: never listed

    assert await interrupted.snapshots() == []
    job = await library.back_up()

    assert job.result is not None
    assert (job.result["copied"], job.result["already_there"]) == (1, 2)
    [manifest] = await library.target.snapshots()
    assert "20260101T000000000Z" not in library.target.databases
    assert library.target.blobs == dict(zip(ids, DATAS, strict=True))
    log = await library.log(job)
    assert any("leftovers of an interrupted backup" in message for _, message, _ in log)
    assert manifest.blobs[0].sha256 == ids[0]


async def test_keep_prunes_the_oldest_snapshots_and_the_blobs_only_they_needed() -> None:
    library = Library()
    first = await library.add(DATAS[0])
    await library.back_up()
    library.snapshots.blobs.clear()  # the first asset was purged from the library
    second = await library.add(DATAS[1])
    await library.back_up()
    third = await library.add(DATAS[2])

    job = await library.back_up(keep=2)

    assert job.result is not None
    snapshots = await library.target.snapshots()
    assert len(snapshots) == 2
    assert len(job.result["pruned"]) == 1
    assert job.result["pruned"][0] not in [s.snapshot_id for s in snapshots]
    assert set(library.target.blobs) == {second, third}
    assert first not in library.target.blobs


async def test_a_damaged_source_blob_fails_the_backup_names_its_asset_and_lists_no_snapshot() -> None:
    library = Library()
    library.fs = CorruptingStore()
    library.fs.name = "fs"
    library.handler = type(library.handler)(
        library.snapshots, {"fs": library.fs}, library.targets, library.service.clock, config={}, version="1"
    )
    library.service.registry.unregister("core.backups.create")
    library.service.registry.register(
        "core.backups.create", library.handler, validate=library.handler.validate
    )
    good = await library.add(b"")  # an empty file reads back empty: nothing to flip
    bad = await library.add(DATAS[0], "fs", [ENTITY])

    job = await library.back_up()

    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "damaged"
    assert bad in job.error.message
    assert await library.target.snapshots() == []
    assert set(library.target.blobs) == {good}  # what was fine stays for the next run
    errors = [data for level, _, data in await library.log(job) if level == "error" and data]
    assert errors[0]["asset_id"] == bad
    assert errors[0]["entity_ids"] == [ENTITY]


async def test_a_blob_missing_at_the_source_fails_the_backup_with_its_asset_named() -> None:
    library = Library()
    missing = await library.add(DATAS[0])
    library.fs.blobs.clear()

    job = await library.back_up()

    assert job.status == "failed"
    assert job.error is not None
    assert missing in job.error.message
    assert await library.target.snapshots() == []


async def test_a_full_target_stops_the_backup_at_once_with_nothing_listed() -> None:
    library = Library(workers=1)
    for data in DATAS:
        await library.add(data)
    library.targets.targets[TARGET] = InMemoryBackupTarget(TARGET, room=len(DATAS[0]) + 10)

    job = await library.back_up()

    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "insufficient_storage"
    assert await library.target.snapshots() == []
    assert library.target.databases == {}
    assert library.target.blob_writes == 1


async def test_a_target_that_goes_away_stops_the_backup_at_once_instead_of_failing_every_blob() -> None:
    library = Library(workers=1)
    for data in DATAS:
        await library.add(data)
    target = library.targets.targets.setdefault(TARGET, InMemoryBackupTarget(TARGET))
    attempts: list[str] = []

    async def unreachable(sha256: str, chunks: object) -> None:
        attempts.append(sha256)
        raise TargetUnavailable("the S3 backup target at http://backup.example failed: connection refused")

    target.put_blob = unreachable  # type: ignore[method-assign]
    job = await library.back_up()

    assert job.status == "failed"
    assert job.error is not None
    assert (job.error.code, job.error.message) == (
        "unavailable",
        "the S3 backup target at http://backup.example failed: connection refused",
    )
    assert len(attempts) == 1
    assert await target.snapshots() == []
    assert target.databases == {}


async def test_cancel_stops_between_blobs_and_publishes_nothing() -> None:
    library = Library(workers=1)
    for data in DATAS:
        await library.add(data)
    job = await library.service.create("core.backups.create", {"target": TARGET})
    target = library.targets.targets.setdefault(TARGET, InMemoryBackupTarget(TARGET))
    put_blob = target.put_blob

    async def put_then_cancel(sha256: str, chunks: object) -> None:
        await put_blob(sha256, chunks)  # type: ignore[arg-type]
        await library.service.cancel(job.job_id)

    target.put_blob = put_then_cancel  # type: ignore[method-assign]
    claimed = await library.service.claim_next()
    assert claimed is not None
    ended = await JobExecutor(library.service, 1).run_job(claimed)

    assert ended.status == "canceled"
    assert len(target.blobs) == 1
    assert await target.snapshots() == []


async def test_another_backup_writing_to_the_same_target_is_a_conflict() -> None:
    library = Library()
    await library.add(DATAS[0])
    library.targets.busy.add(TARGET)

    job = await library.back_up()

    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "conflict"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "input/target"),
        ({"target": "relative/folder"}, "input/target"),
        ({"target": TARGET, "keep": 0}, "input/keep"),
        ({"target": TARGET, "surprise": 1}, "input/surprise"),
    ],
)
async def test_bad_input_is_refused_before_any_job(given: dict[str, object], field: str) -> None:
    library = Library()
    with pytest.raises(Invalid) as refused:
        await library.service.create("core.backups.create", given)
    assert refused.value.errors[0].field == field
    assert library.units.state.jobs == {}
    assert library.targets.targets == {}
