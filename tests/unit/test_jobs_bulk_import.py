"""The bulk-import job against the fakes: counts, sidecars, links, problem files, cancel, validation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import msgspec
import pytest
from jobs_support import TickingClock, make_service, pass_time

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.imports import ROOT, InMemoryImportSource
from faceforge_adapters.memory.renderer import InMemoryPreviewRenderer
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.imports import handler
from faceforge_domain.imports.handler import BulkImport
from faceforge_domain.imports.models import (
    JOB_TYPE,
    LARGE_FILE_BYTES,
    LARGE_FILES_AT_ONCE,
    SMALL_BATCH_FILES,
    FolderListing,
    FoundFile,
)
from faceforge_domain.jobs.context import FLUSH_INTERVAL_S
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.service import JobService
from faceforge_domain.metadata import MetadataError, MetadataOutcome
from faceforge_domain.models import Asset, MetadataStatus
from faceforge_domain.previews import PreviewQueue
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.metadata import MetadataRunner
from faceforge_domain.services.previews import PreviewRunner, PreviewService

pytestmark = pytest.mark.anyio


@dataclass
class World:
    service: JobService
    units: InMemoryUnitOfWorkFactory
    store: InMemoryBlobStore
    source: InMemoryImportSource
    entities: EntityService

    async def run(self, **options: object) -> tuple[Job, list[str]]:
        job = await self.service.create(JOB_TYPE, {"path": ROOT, **options})
        claimed = await self.service.claim_next()
        assert claimed is not None
        assert claimed.job_id == job.job_id
        ended = await JobExecutor(self.service, 1).run_job(claimed)
        log = await self.service.log(job.job_id, limit=1000)
        return ended, [f"{e.level}: {e.message}" for e in log.items]


@pytest.fixture
def world() -> World:
    units = InMemoryUnitOfWorkFactory()
    clock = TickingClock()
    store = InMemoryBlobStore()
    entities = EntityService(units, clock)
    source = InMemoryImportSource()
    bulk = BulkImport(source, AssetService(units, store, clock), entities, clock, wait_for_metadata=False)
    service, _, _ = make_service(units=units)
    service.registry.register(JOB_TYPE, bulk, validate=bulk.validate, resumable=True)
    return World(service, units, store, source, entities)


def sidecar(value: object) -> bytes:
    return msgspec.json.encode(value)


async def test_an_import_counts_every_file_and_applies_sidecars(world: World) -> None:
    ada = await world.entities.create("Ada")
    world.source.files = {
        "a.jpg": b"\xff\xd8\xff alpha",
        "a.jpg_meta.json": sidecar({"tags": ["x", " y"], "note": "hi", "entity_ids": [ada.entity_id]}),
        "b.txt": b"beta",
        "sub/c.jpg": b"\xff\xd8\xff alpha",  # the same bytes as a.jpg
        "sub/_directorymeta.json": sidecar({"kind": "photo.scan", "album": "old"}),
        "lonely_meta.json": sidecar({}),
    }
    job, log = await world.run()
    assert job.status == "succeeded", log
    assert job.result == {
        "scanned": 4,
        "imported": 2,
        "duplicates": 1,
        "skipped": 1,
        "failed": 0,
        "bytes": 22,
        "sidecars": 2,
        "warnings": 0,
        "skipped_by_reason": {"sidecar without a companion file": 1},
    }
    assets = {a.filename: a for a in world.units.state.assets.values()}
    assert sorted(assets) == ["a.jpg", "b.txt"]
    a = assets["a.jpg"]
    assert a.filenames == ["a.jpg", "c.jpg"]
    assert a.user_metadata == {
        "tags": ["x", "y"],
        "note": "hi",
        "entity_ids": [ada.entity_id],
        "album": "old",
        "kind": "photo.scan",
    }
    assert (ada.entity_id, a.asset_id) in world.units.state.links
    assert not any(name.endswith(".json") for name in assets)
    assert "info: sub/c.jpg: already stored" in log
    assert job.progress.current == job.progress.total == 3
    assert job.progress.bytes_current == job.progress.bytes_total == 22
    assert job.progress.percent == 100.0


async def test_entity_id_links_every_file_and_kind_applies_where_sidecars_are_silent(world: World) -> None:
    ada = await world.entities.create("Ada")
    world.source.files = {"a.bin": b"1", "b.bin": b"2", "b.bin_meta.json": sidecar({"kind": "model.lora"})}
    job, _ = await world.run(entity_id=ada.entity_id, kind="doc.raw")
    assert job.status == "succeeded"
    kinds = {a.filename: a.kind for a in world.units.state.assets.values()}
    assert kinds == {"a.bin": "doc.raw", "b.bin": "model.lora"}
    assert len([link for link in world.units.state.links if link[0] == ada.entity_id]) == 2


class CountingSource(InMemoryImportSource):
    """Records the most files being read at once, all of them and those over ``LARGE_FILE_BYTES``."""

    def __init__(self) -> None:
        super().__init__(chunk=256 * 1024, chunk_pause=0.01)
        self.reading: list[int] = []
        self.most = self.most_large = 0

    def _start(self, paths: Sequence[str]) -> list[int]:
        sizes = [len(self.files[path]) for path in paths]
        self.reading += sizes
        self.most = max(self.most, len(self.reading))
        self.most_large = max(self.most_large, sum(s > LARGE_FILE_BYTES for s in self.reading))
        return sizes

    def _end(self, sizes: list[int]) -> None:
        for size in sizes:
            self.reading.remove(size)

    async def open(self, root: str, path: str, *, follow_symlinks: bool) -> AsyncIterator[bytes]:
        sizes = self._start([path])
        try:
            async for chunk in super().open(root, path, follow_symlinks=follow_symlinks):
                yield chunk
        finally:
            self._end(sizes)

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int, *, follow_symlinks: bool
    ) -> list[bytes | OSError | ValueError]:
        sizes = self._start(paths)
        try:
            return await super().read_many(root, paths, limit, follow_symlinks=follow_symlinks)
        finally:
            self._end(sizes)


async def import_counting(
    world: World, files: dict[str, bytes], source: CountingSource | None = None, **options: int
) -> tuple[CountingSource, dict[str, Any]]:
    """Import ``files`` through a ``CountingSource``: the source, to ask what it saw, and the result."""
    source = source or CountingSource()
    source.files = files
    clock = TickingClock()
    assets = AssetService(world.units, world.store, clock)
    bulk = BulkImport(source, assets, world.entities, clock, wait_for_metadata=False, **options)
    world.service.registry.register("core.test_import", bulk, validate=bulk.validate)
    await world.service.create("core.test_import", {"path": ROOT})
    claimed = await world.service.claim_next()
    assert claimed is not None
    ended = await JobExecutor(world.service, 1).run_job(claimed)
    assert ended.status == "succeeded"
    assert ended.result is not None
    assert ended.result["imported"] == len(files)
    return source, ended.result


async def test_many_small_files_overlap_but_few_large_ones_are_in_flight(world: World) -> None:
    large = {f"big/{n}.bin": bytes([n]) * (LARGE_FILE_BYTES + 1) for n in range(12)}
    small = {f"small/{n}.bin": bytes([n]) * 1000 for n in range(40)}
    source, _ = await import_counting(world, {**large, **small})
    assert source.most_large == LARGE_FILES_AT_ONCE
    assert source.most > LARGE_FILES_AT_ONCE  # small files went on beside the large ones


class GrowingSource(CountingSource):
    """``grown.bin`` is small when the walk lists it and larger than a small file when it is read."""

    async def walk(
        self, root: str, *, recursive: bool, follow_symlinks: bool, include_hidden: bool
    ) -> AsyncIterator[FolderListing]:
        async for listing in super().walk(
            root, recursive=recursive, follow_symlinks=follow_symlinks, include_hidden=include_hidden
        ):
            files = [FoundFile(name=f.name, size=10) if f.name == "grown.bin" else f for f in listing.files]
            yield FolderListing(folder=listing.folder, files=files)


async def test_a_small_file_grown_past_the_batch_size_since_the_walk_is_streamed_whole(world: World) -> None:
    grown = b"g" * (LARGE_FILE_BYTES + 5)
    files = {"a.bin": b"a", "grown.bin": grown, "z.bin": b"z"}
    source, result = await import_counting(world, files, GrowingSource())
    assert result["bytes"] == len(grown) + 2
    assert grown in world.store.blobs.values()
    assert source.most_large == 1  # it went the streaming way, under the large-file limit


@pytest.mark.parametrize("file_workers", [1, 3, 20])
async def test_file_workers_bounds_the_files_in_flight(world: World, file_workers: int) -> None:
    source, _ = await import_counting(
        world, {f"{n}.bin": bytes([n]) * 100 for n in range(50)}, file_workers=file_workers
    )
    assert source.most == min(file_workers, SMALL_BATCH_FILES)  # 20: one whole batch of 16


async def test_vanished_and_unreadable_files_are_logged_counted_and_the_job_goes_on(world: World) -> None:
    world.source.files = {"ok.txt": b"fine", "gone.txt": b"gone", "locked.txt": b"locked"}
    world.source.vanished.add("gone.txt")
    world.source.unreadable.add("locked.txt")
    job, log = await world.run()
    assert job.status == "succeeded"
    assert job.result is not None
    assert (job.result["imported"], job.result["failed"], job.result["bytes"]) == (1, 2, 4)
    assert any(line.startswith("error: gone.txt: could not be read") for line in log)
    assert any(line.startswith("error: locked.txt: could not be read (Permission denied)") for line in log)
    assert job.progress.current == 3


@pytest.mark.parametrize(
    ("doc", "warning"),
    [
        (b"{broken", "a.txt: sidecar a.txt_meta.json is not valid JSON"),
        (sidecar({"entity_ids": ["b" * 64]}), "which does not exist; not linked"),
        (sidecar({"kind": "Not A Kind!"}), "sidecar metadata refused"),
    ],
    ids=["bad-json", "unknown-entity", "refused-kind"],
)
async def test_a_bad_sidecar_is_a_warning_and_the_file_is_still_imported(
    world: World, doc: bytes, warning: str
) -> None:
    world.source.files = {"a.txt": b"alpha", "a.txt_meta.json": doc}
    job, log = await world.run()
    assert job.status == "succeeded"
    assert job.result is not None
    assert (job.result["imported"], job.result["warnings"]) == (1, 1)
    assert any(line.startswith("warning:") and warning in line for line in log), log
    assert len(world.units.state.assets) == 1
    assert world.units.state.links == {}


@pytest.mark.parametrize(
    ("count", "size", "pause"),
    [(60, LARGE_FILE_BYTES + 1, 0.0005), (400, 2_000, 0.005)],
    ids=["large files streamed: cancel lands mid-file", "small files in batches: cancel between batches"],
)
async def test_cancel_stops_mid_import_and_leaves_only_complete_assets(
    world: World, count: int, size: int, pause: float
) -> None:
    world.source.chunk = 4096
    world.source.chunk_pause = pause  # a slow disk: the cancel lands mid-import on any machine
    world.source.files = {f"f{i:03d}.bin": bytes([i % 256]) * size for i in range(count)}
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(world.service, 1, idle_poll_s=0.05).run)
        job = await world.service.create(JOB_TYPE, {"path": ROOT})
        with anyio.fail_after(10):
            while not (await world.service.get(job.job_id)).progress.bytes_current:
                pass_time(world.service, FLUSH_INTERVAL_S)  # progress is stored at the next checkpoint
                await anyio.sleep(0.01)
        await world.service.cancel(job.job_id)
        with anyio.fail_after(2):
            while (ended := await world.service.get(job.job_id)).status != "canceled":  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert ended.result is None
    assert len(world.units.state.assets) < count
    for asset in world.units.state.assets.values():
        assert world.store.blobs[asset.asset_id] == bytes([world.store.blobs[asset.asset_id][0]]) * size
    assert len(world.store.blobs) == len(world.units.state.assets)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"path": ROOT, "recursive": "yes"}, "input/recursive"),
        ({"path": ROOT, "kind": "Not A Kind"}, "input/kind"),
        ({"path": ROOT, "entity_id": "c" * 64}, "entity_id"),
        ({"path": "/elsewhere"}, "path"),
        ({}, "input/path"),
        ({"path": ROOT, "surprise": True}, "input/surprise"),
    ],
)
async def test_bad_input_is_refused_before_any_job(
    world: World, given: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await world.service.create(JOB_TYPE, given)
    assert refused.value.errors[0].field == field
    assert world.units.state.jobs == {}


async def test_rerunning_an_import_stores_nothing_twice(world: World) -> None:
    world.source.files = {"a.txt": b"a", "b.txt": b"b"}
    first, _ = await world.run()
    again, _ = await world.run()
    assert first.result is not None
    assert again.result is not None
    assert (first.result["imported"], again.result["imported"], again.result["duplicates"]) == (2, 0, 2)
    assert len(world.units.state.assets) == 2


async def outcome_logged(service: JobService, job_id: str) -> bool:
    entries = (await service.log(job_id, limit=1000)).items
    return any((e.data or {}).get("outcome") for e in entries)


async def test_a_resumed_import_does_not_read_again_what_an_earlier_run_stored(world: World) -> None:
    world.source.chunk_pause = 0.01  # a slow disk: Core stops while files are still being read
    world.source.files = {f"f{i:03d}.bin": i.to_bytes(2, "big") * 100_000 for i in range(200)}
    job = await world.service.create(JOB_TYPE, {"path": ROOT})
    async with anyio.create_task_group() as group:  # the first run: Core stops part-way
        await group.start(JobExecutor(world.service, 1, idle_poll_s=0.05).run)
        with anyio.fail_after(10):
            while not await outcome_logged(world.service, job.job_id):
                pass_time(world.service, FLUSH_INTERVAL_S)  # the log is stored at the next checkpoint
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert (await world.service.get(job.job_id)).status == "queued"
    async with anyio.create_task_group() as group:  # the next start resumes it
        await group.start(JobExecutor(world.service, 1, idle_poll_s=0.05).run)
        with anyio.fail_after(30):
            while not (done := await world.service.get(job.job_id)).finished:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        group.cancel_scope.cancel()
    assert done.status == "succeeded"
    assert done.result is not None
    assert done.result["imported"] + done.result["duplicates"] == 200
    assert len(world.units.state.assets) == 200
    entries = (await world.service.log(job.job_id, limit=1000)).items
    resumed = next(i for i, e in enumerate(entries) if e.message.startswith("resuming: "))
    earlier = {e.data["path"] for e in entries[:resumed] if e.data and e.data.get("outcome")}
    assert earlier
    assert (
        entries[resumed].message
        == f"resuming: {len(earlier)} files stored by an earlier run are not read again"
    )
    assert all(world.source.opened.count(path) == 1 for path in earlier)


class CannedExtractor:
    """ExifTool's stand-in: a JSON answer for every file, a failure for ``bad.jpg``; counts warm-ups."""

    unavailable_reason = None

    def __init__(self) -> None:
        self.warm_ups = 0

    async def warm_up(self) -> None:
        self.warm_ups += 1

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        return [
            MetadataError("exiftool stopped unexpectedly")
            if asset.filename == "bad.jpg"
            else msgspec.json.encode([{"SourceFile": "x", "File:FileType": "JPEG"}])
            for asset in assets
        ]


async def test_every_new_assets_metadata_outcome_reaches_the_job_log(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More new assets than one status query reads: each outcome is logged once, failures as warnings."""
    monkeypatch.setattr(handler, "METADATA_BATCH", 40)
    clock = TickingClock()
    extractor = CannedExtractor()
    runner = MetadataRunner(world.units, extractor, clock, workers=2)
    assets = AssetService(world.units, world.store, clock, runner)
    bulk = BulkImport(world.source, assets, world.entities, clock)
    world.service.registry.register("core.test_metadata_import", bulk, validate=bulk.validate)
    world.source.files = {f"{n:04d}.jpg": b"\xff\xd8\xff" + bytes(str(n), "ascii") for n in range(100)}
    world.source.files["bad.jpg"] = b"\xff\xd8\xff bad"
    async with anyio.create_task_group() as group:
        await group.start(runner.run)
        job = await world.service.create("core.test_metadata_import", {"path": ROOT})
        claimed = await world.service.claim_next()
        assert claimed is not None
        ended = await JobExecutor(world.service, 1).run_job(claimed)
        group.cancel_scope.cancel()
    assert ended.status == "succeeded"
    log, after_id = [], 0
    while page := (await world.service.log(job.job_id, after_id=after_id, limit=1_000)).items:
        log += page
        after_id = page[-1].id
    outcomes = [e for e in log if "metadata_status" in (e.data or {})]
    assert len(outcomes) == 101
    assert {e.data["path"] for e in outcomes if e.data} == set(world.source.files)
    (failed,) = [e for e in outcomes if e.level == "warning"]
    assert failed.message == "bad.jpg: metadata failed (exiftool stopped unexpectedly)"
    assert extractor.warm_ups == 1  # the import readied the extractor as it began


async def run_registered(world: World, bulk: BulkImport) -> tuple[Job, list[str]]:
    """Run one import through ``bulk`` (registered as a type of its own); its end and its log lines."""
    world.service.registry.register("core.test_import_own", bulk, validate=bulk.validate)
    job = await world.service.create("core.test_import_own", {"path": ROOT})
    claimed = await world.service.claim_next()
    assert claimed is not None
    ended = await JobExecutor(world.service, 1).run_job(claimed)
    log = (await world.service.log(job.job_id, limit=1000)).items
    return ended, [f"{e.level}: {e.message}" for e in log]


async def record_when_stored(world: World, count: int, status: MetadataStatus) -> None:
    """Another process's metadata runner: once ``count`` assets are stored, it records their outcomes."""
    with anyio.fail_after(10):
        while len(world.units.state.assets) < count:  # noqa: ASYNC110
            await anyio.sleep(0.01)
    outcomes = {asset_id: MetadataOutcome(status, "done elsewhere") for asset_id in world.units.state.assets}
    async with world.units.write() as uow:
        await uow.assets.record_metadata(outcomes, FixedClock().now())
        await uow.commit()


async def test_metadata_outcomes_recorded_by_another_process_reach_the_log(world: World) -> None:
    """No runner here tells of them: the import finds them in the store once its runner is silent."""
    clock = FixedClock()
    bulk = BulkImport(world.source, AssetService(world.units, world.store, clock), world.entities, clock)
    world.source.files = {"a.jpg": b"\xff\xd8\xff a", "b.jpg": b"\xff\xd8\xff b"}
    async with anyio.create_task_group() as group:
        group.start_soon(record_when_stored, world, 2, "failed")
        job, log = await run_registered(world, bulk)
    assert job.status == "succeeded"
    assert sorted(line for line in log if "metadata failed" in line) == [
        "warning: a.jpg: metadata failed (done elsewhere)",
        "warning: b.jpg: metadata failed (done elsewhere)",
    ]


async def test_an_import_stops_waiting_for_metadata_after_its_patience_runs_out(world: World) -> None:
    """Nothing ever records the outcomes: once the clock has moved past the patience, the job ends."""
    clock = FixedClock()
    bulk = BulkImport(world.source, AssetService(world.units, world.store, clock), world.entities, clock)
    world.source.files = {"a.jpg": b"\xff\xd8\xff a"}

    async def time_passes() -> None:
        while True:
            clock.advance(timedelta(seconds=handler.METADATA_PATIENCE_S / 4))
            await anyio.sleep(handler.METADATA_RECHECK_S)

    async with anyio.create_task_group() as group:
        group.start_soon(time_passes)
        with anyio.fail_after(10):
            job, log = await run_registered(world, bulk)
        group.cancel_scope.cancel()
    assert job.status == "succeeded"
    assert "warning: metadata extraction is slow; not waiting for the rest" in log
    assert not any("a.jpg: metadata" in line for line in log)


class CrashingExtractor(CannedExtractor):
    """Crashes on ``bug.jpg`` (a bug, not a failure ExifTool reported): that asset stays pending."""

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        answers = await super().extract_many(assets)
        crashed = RuntimeError("a bug")
        return [crashed if a.filename == "bug.jpg" else out for a, out in zip(assets, answers, strict=True)]


async def test_an_asset_whose_extraction_crashed_is_awaited_until_the_patience_runs_out(
    world: World,
) -> None:
    clock = FixedClock()
    runner = MetadataRunner(world.units, CrashingExtractor(), clock, workers=1)
    assets = AssetService(world.units, world.store, clock, runner)
    bulk = BulkImport(world.source, assets, world.entities, clock)
    world.source.files = {"a.jpg": b"\xff\xd8\xff a", "bug.jpg": b"\xff\xd8\xff bug"}

    def a_is_done() -> bool:
        stored = world.units.state.assets.values()
        return any(a.filename == "a.jpg" and a.metadata_status == "done" for a in stored)

    async def time_passes_once_a_is_done() -> None:
        with anyio.fail_after(10):
            while not a_is_done():  # noqa: ASYNC110
                await anyio.sleep(0.01)
        while True:
            clock.advance(timedelta(seconds=handler.METADATA_PATIENCE_S / 4))
            await anyio.sleep(handler.METADATA_RECHECK_S)

    async with anyio.create_task_group() as group:
        await group.start(runner.run)
        group.start_soon(time_passes_once_a_is_done)
        with anyio.fail_after(10):
            job, log = await run_registered(world, bulk)
        group.cancel_scope.cancel()
    assert job.status == "succeeded"
    assert "debug: a.jpg: metadata done" in log
    assert not any("bug.jpg: metadata" in line for line in log), log
    assert log.index("debug: a.jpg: metadata done") < log.index(
        "warning: metadata extraction is slow; not waiting for the rest"
    )


async def test_a_refusal_the_sidecar_did_not_cause_is_not_blamed_on_it(world: World) -> None:
    """A file name longer than the asset rules allow fails the import as it would without a sidecar,
    and the sidecar is not reported as refused."""
    name = "n" * 1100 + ".txt"
    world.source.files = {name: b"alpha", f"{name}_meta.json": sidecar({"note": "fine"})}
    job, log = await world.run()
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "validation_error"
    assert "filename: must be at most 1024 characters" in job.error.message
    assert not any("sidecar metadata refused" in line for line in log), log
    assert world.units.state.assets == {}
    assert world.store.blobs == {}


async def test_skips_are_counted_by_reason_and_summed_up_in_a_few_log_lines(world: World) -> None:
    """A walk that skips thousands of entries writes one line per reason, not one per entry."""
    world.source.files = {f"skip/{n:05d}.txt": b"x" for n in range(3000)}
    world.source.files |= {".git/config": b"[core]", "keep.jpg": b"\xff\xd8\xff keep"}
    job, log = await world.run(include=["*.jpg"])
    assert job.status == "succeeded"
    assert job.result is not None
    assert (job.result["imported"], job.result["skipped"], job.result["scanned"]) == (1, 3001, 3002)
    assert job.result["skipped_by_reason"] == {
        "hidden (include_hidden is off)": 1,
        "excluded by the include/exclude patterns": 3000,
    }
    assert job.progress.skipped == 3001
    assert len(log) < 10, log
    assert "info: 3000 skipped, excluded by the include/exclude patterns: skip/00000.txt, " in "\n".join(log)
    assert "info: 1 skipped, hidden (include_hidden is off): .git" in log


async def test_hidden_files_are_imported_when_asked_for(world: World) -> None:
    world.source.files = {".env": b"TOKEN=1", "a/.hidden/b.txt": b"b", "c.txt": b"c"}
    skipped, _ = await world.run()
    assert skipped.result is not None
    assert (skipped.result["imported"], skipped.result["skipped"]) == (1, 2)
    asked, _ = await world.run(include_hidden=True)
    assert asked.result is not None
    assert (asked.result["imported"], asked.result["duplicates"], asked.result["skipped"]) == (2, 1, 0)
    assert sorted(a.filename for a in world.units.state.assets.values()) == [".env", "b.txt", "c.txt"]


async def test_a_nul_character_in_the_path_is_refused_before_any_job(world: World) -> None:
    with pytest.raises(Invalid) as refused:
        await world.service.create(JOB_TYPE, {"path": ROOT + "\x00/etc/shadow"})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("path", "must not contain a NUL character")
    ]
    assert world.units.state.jobs == {}


async def test_previews_wait_while_an_import_runs_and_are_made_right_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    units, clock, store = InMemoryUnitOfWorkFactory(), TickingClock(), InMemoryBlobStore()
    queue, renderer, source = PreviewQueue(), InMemoryPreviewRenderer(), InMemoryImportSource()
    assets = AssetService(units, store, clock, None, None, queue)
    previews = PreviewService(units, assets, renderer, clock)
    entities = EntityService(units, clock)
    bulk = BulkImport(source, assets, entities, clock, file_workers=1, wait_for_metadata=False)
    service, _, _ = make_service(units=units)
    service.registry.register(JOB_TYPE, bulk, validate=bulk.validate, resumable=True)
    world = World(service, units, store, source, entities)
    source.files = {f"{n:02}.png": b"\x89PNG\r\n\x1a\n" + bytes([n]) for n in range(3 * SMALL_BATCH_FILES)}
    source.chunk_pause = 0.01  # a slow disk: the runner has time to work between the import's batches
    rendered_at_each_read: list[int] = []
    reading = source.read_many

    async def read_many(*args: Any, **kwargs: Any) -> list[bytes | OSError | ValueError]:
        rendered_at_each_read.append(len(renderer.rendered))
        return await reading(*args, **kwargs)

    monkeypatch.setattr(source, "read_many", read_many)
    async with anyio.create_task_group() as group:
        await group.start(PreviewRunner(previews, queue).run)
        job, log = await world.run()
        with anyio.fail_after(5):
            while await previews.missing(None, 10):  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert job.status == "succeeded", log
    assert len(rendered_at_each_read) > 1
    assert set(rendered_at_each_read) == {0}  # nothing made while the import's batches were read
    assert len(renderer.rendered) == 3 * SMALL_BATCH_FILES  # every file previewed once it ended
