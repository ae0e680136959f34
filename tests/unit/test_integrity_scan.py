"""The ``core.integrity.scan`` job against in-memory fakes: what it finds, how it repairs from backups,
the grace period of orphans, resuming, cancel and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import pytest
from integrity_fakes import BACKUP, GRACE, Library, named_store

from faceforge_domain.errors import Invalid
from faceforge_domain.ids import content_hash
from faceforge_domain.integrity.models import Leftover
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.models import StorageLocation

pytestmark = pytest.mark.anyio

DATAS = [b"alpha" * 100, b"beta" * 300, b"gamma" * 50, b"delta" * 70]


def flip_a_byte(data: bytes) -> bytes:
    return bytes([data[0] ^ 0xFF]) + data[1:]


async def test_a_healthy_library_has_no_findings_and_progress_counts_files_and_bytes() -> None:
    library = Library()
    for n, data in enumerate(DATAS):
        await library.add(data, f"{n}.bin")

    job = await library.scan()

    assert await library.findings(job) == []
    assert job.result is not None
    assert (job.result["files_checked"], job.result["bytes_checked"]) == (4, sum(map(len, DATAS)))
    p = job.progress
    total = sum(map(len, DATAS))
    assert (p.current, p.total, p.bytes_current, p.bytes_total) == (4, 4, total, total)


async def test_the_scan_finds_corrupt_missing_orphan_misplaced_blobs_and_leftovers() -> None:
    library = Library()
    ada = await library.entities.create("Ada Lovelace")
    corrupt = await library.add(DATAS[0], "portrait.jpg", entity_id=ada.entity_id)
    missing = await library.add(DATAS[1], "letter.pdf", entity_id=ada.entity_id)
    moved = await library.add(DATAS[2], "moved.bin")
    library.fs.blobs[corrupt.asset_id] = flip_a_byte(DATAS[0])
    del library.fs.blobs[missing.asset_id]
    library.s3.blobs[moved.asset_id] = library.fs.blobs.pop(moved.asset_id)  # bytes moved, record not
    orphan = content_hash(DATAS[3])
    library.fs.blobs[orphan] = DATAS[3]
    library.leftovers.found.append(Leftover(kind="expired_upload", name="u1", size_bytes=10))

    job = await library.scan()

    found = {(f["problem"], f["asset_id"]): f for f in await library.findings(job)}
    assert set(found) == {
        ("corrupt", corrupt.asset_id),
        ("missing", missing.asset_id),
        ("wrong_provider", moved.asset_id),
        ("orphan", orphan),
        ("leftover", None),
    }
    assert found["missing", missing.asset_id]["entity_ids"] == [ada.entity_id]
    assert "linked to Ada Lovelace" in found["missing", missing.asset_id]["detail"]
    assert found["corrupt", corrupt.asset_id]["detail"].startswith(
        f"its {len(DATAS[0])} bytes hash to {content_hash(flip_a_byte(DATAS[0]))}"
    )
    assert all(f["repaired"] is None for f in found.values())
    assert job.result is not None
    assert job.result["counts"] == {
        "missing": 1,
        "corrupt": 1,
        "wrong_provider": 1,
        "orphan": 1,
        "leftover": 1,
    }
    assert (job.result["damaged"], job.result["unrepaired"]) == (3, 5)
    messages = [e.message for e in (await library.service.log(job.job_id, limit=100)).items]
    assert any(m.startswith(f"missing: asset {missing.asset_id}: not on fs") for m in messages)
    # nothing was changed without --repair
    assert library.fs.blobs[corrupt.asset_id] == flip_a_byte(DATAS[0])
    assert orphan in library.fs.blobs
    assert library.leftovers.found


async def test_repair_restores_corrupt_and_missing_blobs_from_the_backup_hash_checked() -> None:
    library = Library()
    ada = await library.entities.create("Ada Lovelace")
    corrupt = await library.add(DATAS[0], entity_id=ada.entity_id)
    missing = await library.add(DATAS[1])
    await library.back_up([(corrupt, DATAS[0]), (missing, DATAS[1])], "2026-01-01T00:00:00.000Z")
    library.fs.blobs[corrupt.asset_id] = flip_a_byte(DATAS[0])
    del library.fs.blobs[missing.asset_id]

    job = await library.scan(repair=True)

    repaired = {f["asset_id"]: f["repaired"] for f in await library.findings(job)}
    assert repaired == {
        corrupt.asset_id: f"restored from {BACKUP}, snapshot 20260101T000000000Z",
        missing.asset_id: f"restored from {BACKUP}, snapshot 20260101T000000000Z",
    }
    assert library.fs.blobs[corrupt.asset_id] == DATAS[0]
    assert library.fs.blobs[missing.asset_id] == DATAS[1]
    assert await library.findings(await library.scan()) == []


async def test_a_damaged_backup_copy_is_refused_and_the_next_older_backup_is_used() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    await library.back_up([(asset, DATAS[0])], "2026-01-01T00:00:00.000Z", where="/backups/old")
    await library.back_up([(asset, flip_a_byte(DATAS[0]))], "2026-02-01T00:00:00.000Z", where="/backups/new")
    library.fs.blobs[asset.asset_id] = flip_a_byte(DATAS[0])

    job = await library.scan(repair=True, **{"from": ["/backups/new", "/backups/old"]})

    [finding] = await library.findings(job)
    assert finding["repaired"] == "restored from /backups/old, snapshot 20260101T000000000Z"
    assert library.fs.blobs[asset.asset_id] == DATAS[0]


async def test_a_blob_no_backup_holds_is_reported_and_left_as_it_is() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    await library.back_up([], "2026-01-01T00:00:00.000Z")
    library.fs.blobs[asset.asset_id] = flip_a_byte(DATAS[0])

    job = await library.scan(repair=True)

    [finding] = await library.findings(job)
    assert finding["repaired"] is None
    assert finding["detail"].endswith(f"not in any backup ({BACKUP})")
    assert library.fs.blobs[asset.asset_id] == flip_a_byte(DATAS[0])
    entries = (await library.service.log(job.job_id, limit=100)).items
    assert [e.level for e in entries if (e.data or {}).get("finding")] == ["error"]


async def test_only_a_backup_copy_that_hashes_right_replaces_anything() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    await library.back_up([(asset, flip_a_byte(DATAS[0]))], "2026-01-01T00:00:00.000Z")
    await library.back_up([(asset, flip_a_byte(DATAS[0]))], "2026-01-02T00:00:00.000Z")
    del library.fs.blobs[asset.asset_id]

    job = await library.scan(repair=True)

    [finding] = await library.findings(job)
    assert finding["repaired"] is None
    assert "no good backup copy" in finding["detail"]
    assert finding["detail"].count(BACKUP) == 1  # its snapshots share one copy: it is read once
    assert asset.asset_id not in library.fs.blobs


async def test_repair_removes_orphans_past_the_grace_period_only() -> None:
    library = Library()
    old, young = content_hash(DATAS[0]), content_hash(DATAS[1])
    library.fs.blobs[old] = DATAS[0]
    library.fs.blobs[young] = DATAS[1]
    now = library.clock.now()
    library.inventories["fs"].written_at = {
        old: now - GRACE - timedelta(hours=1),
        young: now - timedelta(days=2),
    }
    library.leftovers.found.append(Leftover(kind="stale_tmp", name="core-1-dead", size_bytes=3))

    job = await library.scan(repair=True)

    found = {f["asset_id"]: f for f in await library.findings(job)}
    assert found[old]["repaired"] == "removed"
    assert found[young]["repaired"] is None
    assert "kept: younger than the 7.0 days grace period" in found[young]["detail"]
    assert found[None]["repaired"] == "removed"
    assert set(library.fs.blobs) == {young}
    assert library.leftovers.found == []


async def test_a_stray_copy_of_a_damaged_file_is_never_removed_even_past_the_grace() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    library.fs.blobs[asset.asset_id] = flip_a_byte(DATAS[0])  # the recorded copy is damaged...
    library.s3.blobs[asset.asset_id] = DATAS[0]  # ...and an old copy elsewhere is the good one
    library.inventories["s3"].written_at = {asset.asset_id: library.clock.now() - GRACE * 4}

    job = await library.scan(repair=True)

    found = {f["problem"]: f for f in await library.findings(job)}
    assert found["orphan"]["repaired"] is None
    assert "whose recorded copy this scan did not confirm" in found["orphan"]["detail"]
    assert library.s3.blobs[asset.asset_id] == DATAS[0]


async def test_a_stray_copy_of_a_good_file_is_removed_past_the_grace() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    library.s3.blobs[asset.asset_id] = DATAS[0]  # what a storage migration stopped part-way left
    library.inventories["s3"].written_at = {asset.asset_id: library.clock.now() - GRACE * 4}

    job = await library.scan(repair=True)

    [finding] = await library.findings(job)
    assert (finding["problem"], finding["provider"], finding["repaired"]) == ("orphan", "s3", "removed")
    assert library.s3.blobs == {}
    assert library.fs.blobs[asset.asset_id] == DATAS[0]


async def test_an_orphan_whose_name_claims_no_hash_is_hashed_and_reported_by_what_it_holds() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    library.fs.blobs[asset.asset_id] = flip_a_byte(DATAS[0])  # the recorded copy is damaged
    library.s3.blobs["streamed/good"] = DATAS[0]  # a streamed upload's object holds its good bytes
    library.s3.blobs["streamed/other"] = DATAS[1]  # one that holds a file the library never recorded
    library.inventories["s3"].written_at = dict.fromkeys(library.s3.blobs, library.clock.now() - GRACE * 4)

    job = await library.scan(repair=True)

    orphans = {f["key"]: f for f in await library.findings(job) if f["problem"] == "orphan"}
    assert orphans["streamed/good"]["asset_id"] == asset.asset_id
    assert "whose recorded copy this scan did not confirm" in orphans["streamed/good"]["detail"]
    assert orphans["streamed/other"]["asset_id"] == content_hash(DATAS[1])
    assert orphans["streamed/other"]["repaired"] == "removed"
    assert set(library.s3.blobs) == {"streamed/good"}


async def test_repair_points_a_misplaced_record_at_its_checked_bytes() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    library.s3.blobs[asset.asset_id] = library.fs.blobs.pop(asset.asset_id)

    job = await library.scan(repair=True)

    [finding] = await library.findings(job)
    assert (finding["problem"], finding["repaired"]) == ("wrong_provider", "record pointed at s3")
    record = await library.assets.get(asset.asset_id)
    assert record.storage == StorageLocation(provider="s3", key=asset.asset_id)


async def test_a_misplaced_copy_with_other_bytes_is_missing_not_misplaced() -> None:
    library = Library()
    asset = await library.add(DATAS[0])
    library.s3.blobs[asset.asset_id] = flip_a_byte(library.fs.blobs.pop(asset.asset_id))

    job = await library.scan(repair=True)

    [finding] = [f for f in await library.findings(job) if f["problem"] != "orphan"]
    assert finding["problem"] == "missing"
    assert (await library.assets.get(asset.asset_id)).storage.provider == "fs"


async def test_a_backup_that_cannot_be_read_is_reported_and_the_scan_goes_on() -> None:
    library = Library()  # the configured backup folder does not exist (a disk not plugged in)
    asset = await library.add(DATAS[0])
    del library.fs.blobs[asset.asset_id]

    job = await library.scan(repair=True)

    [finding] = await library.findings(job)
    assert finding["repaired"] is None
    assert finding["detail"].endswith("no backup to repair it from")
    messages = [e.message for e in (await library.service.log(job.job_id, limit=100)).items]
    assert f"backup {BACKUP} cannot be read: backup '{BACKUP}' was not found" in messages


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"repair": "yes"}, "input/repair"),
        ({"from": "/backups"}, "input/from"),
        ({"from": ["relative/path"]}, "input/target"),
        ({"surprise": 1}, "input/surprise"),
    ],
)
async def test_bad_input_is_refused_before_any_job(given: dict[str, object], field: str) -> None:
    library = Library()
    with pytest.raises(Invalid) as refused:
        await library.service.create(JOB_TYPE, given)
    assert refused.value.errors[0].field == field
    assert library.units.state.jobs == {}


class PausingStore:
    """An in-memory store whose reads stop after ``allowed`` blobs until ``go`` is set."""

    def __init__(self, allowed: int) -> None:
        self.inner = named_store("fs")
        self.allowed = allowed
        self.reads: list[str] = []
        self.go = anyio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        if len(self.reads) >= self.allowed:
            await self.go.wait()
        self.reads.append(location.key)
        async for chunk in self.inner.open_range(location, start, end):
            yield chunk


async def test_a_stopped_scan_resumes_after_its_last_checkpoint_with_its_findings() -> None:
    store = PausingStore(allowed=7)
    library = Library(fs=store.inner, checkpoint_files=3)
    library.handler.stores["fs"] = store  # type: ignore[assignment]
    assets = [await library.add(n.to_bytes(2, "big") * 50, f"{n}.bin") for n in range(10)]
    first = sorted(a.asset_id for a in assets)[0]
    library.fs.blobs[first] = b"damaged"  # found by the first run, before its checkpoint
    job = await library.service.create(JOB_TYPE, {})

    async with anyio.create_task_group() as group:  # the first run: Core stops part-way
        await group.start(JobExecutor(library.service, 1, idle_poll_s=0.05).run)
        with anyio.fail_after(10):
            while len(store.reads) < 7:  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert (await library.service.get(job.job_id)).status == "queued"
    store.go.set()
    async with anyio.create_task_group() as group:  # the next start resumes it
        await group.start(JobExecutor(library.service, 1, idle_poll_s=0.05).run)
        with anyio.fail_after(10):
            while not (done := await library.service.get(job.job_id)).finished:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        group.cancel_scope.cancel()

    [finding] = await library.findings(done)
    assert (finding["problem"], finding["asset_id"]) == ("corrupt", first)
    assert done.result is not None
    assert done.result["files_checked"] == 10
    # files up to the last checkpoint (6) were not read again: 7 reads, then the 4 after it
    assert len(store.reads) == 7 + 4


async def test_a_cancelled_scan_stops_between_files() -> None:
    store = PausingStore(allowed=2)
    library = Library(fs=store.inner)
    library.handler.stores["fs"] = store  # type: ignore[assignment]
    for n in range(5):
        await library.add(n.to_bytes(2, "big") * 50, f"{n}.bin")
    job = await library.service.create(JOB_TYPE, {})
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(library.service, 1, idle_poll_s=0.05).run)
        with anyio.fail_after(10):
            while len(store.reads) < 2:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            await library.service.cancel(job.job_id)
            store.go.set()
            while not (done := await library.service.get(job.job_id)).finished:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        group.cancel_scope.cancel()
    assert done.status == "canceled"
    assert len(store.reads) < 5
