"""Verifying a backup and restoring its blobs, against in-memory fakes; retention's rules."""

from __future__ import annotations

import pytest
from backup_fakes import TARGET, Library, one_chunk
from hypothesis import given
from hypothesis import strategies as st
from jobs_support import TickingClock

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.backup import InMemoryBackupTarget
from faceforge_domain.backup.models import BackupBlob, DatabaseCopy, Manifest
from faceforge_domain.backup.restore import BlobRestore
from faceforge_domain.backup.retention import blobs_needed, snapshots_to_prune
from faceforge_domain.backup.service import newest_or_named
from faceforge_domain.backup.verify import verify_backup
from faceforge_domain.errors import NotFound
from faceforge_domain.services.assets import AssetService, IngestOptions

pytestmark = pytest.mark.anyio

DATAS = [b"alpha" * 100, b"beta" * 300]
ENTITY = "e" * 64


async def backed_up() -> tuple[Library, list[str]]:
    library = Library()
    ids = [await library.add(DATAS[0], "fs", [ENTITY]), await library.add(DATAS[1])]
    job = await library.back_up()
    assert job.status == "succeeded"
    return library, ids


@pytest.mark.parametrize("deep", [False, True])
async def test_a_sound_backup_verifies_clean(deep: bool) -> None:
    library, _ = await backed_up()

    report = await verify_backup(library.target, await library.target.snapshots(), deep=deep)

    assert report.ok
    assert report.files_checked == 3  # two blobs and the database copy
    assert report.bytes_checked == sum(map(len, DATAS)) + len(library.snapshots.data)


async def test_a_missing_blob_is_reported_with_its_entity_and_snapshot() -> None:
    library, ids = await backed_up()
    del library.target.blobs[ids[0]]

    report = await verify_backup(library.target, await library.target.snapshots(), deep=False)

    [problem] = report.problems
    assert (problem.asset_id, problem.problem, problem.entity_ids) == (ids[0], "missing", [ENTITY])
    assert problem.snapshot_ids == [s.snapshot_id for s in await library.target.snapshots()]


async def test_a_truncated_blob_is_a_wrong_size_even_without_deep() -> None:
    library, ids = await backed_up()
    library.target.blobs[ids[1]] = DATAS[1][:-1]

    report = await verify_backup(library.target, await library.target.snapshots(), deep=False)

    assert [(p.asset_id, p.problem) for p in report.problems] == [(ids[1], "wrong_size")]


async def test_a_flipped_byte_is_found_only_by_deep_verify() -> None:
    library, ids = await backed_up()
    library.target.blobs[ids[0]] = b"X" + DATAS[0][1:]
    manifests = await library.target.snapshots()

    assert (await verify_backup(library.target, manifests, deep=False)).ok
    deep = await verify_backup(library.target, manifests, deep=True)

    [problem] = deep.problems
    assert (problem.asset_id, problem.problem, problem.entity_ids) == (ids[0], "corrupt", [ENTITY])


async def test_a_damaged_database_copy_is_reported_as_the_snapshots_database() -> None:
    library, _ = await backed_up()
    [manifest] = await library.target.snapshots()
    library.target.databases[manifest.snapshot_id] = b"SQLite format 3\x00broken"

    report = await verify_backup(library.target, [manifest], deep=False)

    [problem] = report.problems
    assert problem.asset_id is None
    assert "database copy of snapshot" in problem.detail


async def test_the_newest_snapshot_is_chosen_unless_one_is_named() -> None:
    library, _ = await backed_up()
    await library.back_up()
    first, second = await library.target.snapshots()

    assert await newest_or_named(library.target, None) == second
    assert await newest_or_named(library.target, first.snapshot_id) == first
    with pytest.raises(NotFound):
        await newest_or_named(library.target, "20990101T000000000Z")


def manifest_of(blobs: list[BackupBlob]) -> Manifest:
    return Manifest(
        snapshot_id="20261206T000000000Z",
        faceforge_version="1",
        schema_version=1,
        created_at="2026-12-06T00:00:00.000Z",
        database=DatabaseCopy(sha256="0" * 64, size_bytes=0),
        config={},
        blobs=blobs,
    )


async def restored_library() -> tuple[
    InMemoryUnitOfWorkFactory, AssetService, list[str], InMemoryBackupTarget, Manifest
]:
    """Records as a restored database holds them (bytes on the old install's s3) and their backup."""
    units = InMemoryUnitOfWorkFactory()
    old_s3 = InMemoryBlobStore()
    old_s3.name = "s3"
    assets = AssetService(units, old_s3, TickingClock(), None)
    ids = [
        (await assets.ingest(one_chunk(d), IngestOptions(filename=f"{i}.bin"))).asset.asset_id
        for i, d in enumerate(DATAS)
    ]
    target = InMemoryBackupTarget(TARGET)
    target.blobs = dict(zip(ids, DATAS, strict=True))
    manifest = manifest_of(
        [
            BackupBlob(sha256=a, size_bytes=len(d), provider="s3", entity_ids=[ENTITY])
            for a, d in zip(ids, DATAS, strict=True)
        ]
    )
    return units, assets, ids, target, manifest


async def test_restore_puts_every_blob_in_the_new_store_and_points_the_records_at_it() -> None:
    units, assets, ids, target, manifest = await restored_library()
    fs = InMemoryBlobStore()
    fs.name = "fs"

    result = await BlobRestore(units, fs).restore(target, manifest)

    assert (result.files, result.bytes, result.problems) == (2, sum(map(len, DATAS)), [])
    for asset_id, data in zip(ids, DATAS, strict=True):
        assert fs.blobs[asset_id] == data
        assert (await assets.get(asset_id)).storage.provider == "fs"


async def test_restore_reports_a_damaged_or_missing_blob_by_asset_and_entity_and_restores_the_rest() -> None:
    units, assets, ids, target, manifest = await restored_library()
    target.blobs[ids[0]] = b"X" + DATAS[0][1:]
    fs = InMemoryBlobStore()
    fs.name = "fs"

    result = await BlobRestore(units, fs).restore(target, manifest)

    assert result.files == 1
    [problem] = result.problems
    assert (problem.asset_id, problem.entity_ids) == (ids[0], [ENTITY])
    assert ids[0] not in fs.blobs
    assert fs.blobs[ids[1]] == DATAS[1]
    assert (await assets.get(ids[0])).storage.provider == "s3"  # unchanged: no bytes to point at


@given(st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=15))
def test_retention_keeps_the_newest_and_only_what_they_need(count: int, keep: int) -> None:
    snapshots = [
        manifest_of(
            [
                BackupBlob(sha256=f"{n:064x}", size_bytes=1, provider="fs"),
                BackupBlob(sha256="f" * 64, size_bytes=1, provider="fs"),
            ]
        )
        for n in range(count)
    ]

    doomed = snapshots_to_prune(snapshots, keep)
    kept = snapshots[len(doomed) :]

    assert len(kept) == min(count, keep)
    assert doomed + kept == snapshots
    assert blobs_needed(kept) == {b.sha256 for m in kept for b in m.blobs}
    assert not blobs_needed(kept) & ({f"{n:064x}" for n in range(len(doomed))})


def test_retention_never_prunes_everything() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        snapshots_to_prune([], 0)
