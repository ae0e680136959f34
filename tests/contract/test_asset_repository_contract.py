"""One contract for the asset port's lookups (linked entities, the content pre-check) and metadata
outcomes, run against the in-memory fake and the real SQLite adapter through AssetService, so its paging
and not-found rules are exercised too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from units_support import BACKENDS, units_for

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.sqlite.assets import SqliteAssetRepository
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.content_check import MAX_ITEMS, ContentClaim
from faceforge_domain.errors import Invalid, NotFound
from faceforge_domain.events import EventFilter
from faceforge_domain.facts import AssetFacts
from faceforge_domain.metadata import MetadataOutcome, MetadataState, exiftool_entry
from faceforge_domain.models import Asset, Entity, StorageLocation
from faceforge_domain.paging import PageRequest
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.metadata import MetadataRunner

pytestmark = pytest.mark.anyio


class Services:
    def __init__(self, units: UnitOfWorkFactory, clock: FixedClock) -> None:
        self.units = units
        self.clock = clock
        self.entities = EntityService(units, clock)
        self.assets = AssetService(units, InMemoryBlobStore(), clock)

    async def asset(self, data: bytes, name: str = "a.bin") -> Asset:
        async def body() -> AsyncIterator[bytes]:
            yield data

        self.clock.advance()
        return (await self.assets.ingest(body(), IngestOptions(filename=name))).asset

    async def entity(self, name: str) -> Entity:
        self.clock.advance()
        return await self.entities.create(name)


@pytest.fixture(params=BACKENDS)
async def svc(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Services]:
    clock = FixedClock()
    async with units_for(request.param, tmp_path, clock) as units:
        yield Services(units, clock)


async def test_linked_entities_come_oldest_first_with_their_roles(svc: Services) -> None:
    asset = await svc.asset(b"portrait")
    other = await svc.asset(b"elsewhere")
    ada, bob, cy = [await svc.entity(name) for name in ("Ada", "Bob", "Cy")]
    await svc.assets.link(cy.entity_id, asset.asset_id, "cameo")
    await svc.assets.link(ada.entity_id, asset.asset_id, "subject")
    await svc.assets.link(bob.entity_id, other.asset_id)
    page = await svc.assets.linked_entities(asset.asset_id, PageRequest())
    assert [(link.entity.display_name, link.role) for link in page.items] == [
        ("Ada", "subject"),
        ("Cy", "cameo"),
    ]
    assert page.items[0].entity == await svc.entities.get(ada.entity_id)
    assert (page.total, page.next_cursor) == (2, None)


async def test_an_unlinked_asset_has_no_entities(svc: Services) -> None:
    asset = await svc.asset(b"alone")
    page = await svc.assets.linked_entities(asset.asset_id, PageRequest())
    assert (page.items, page.total) == ([], 0)


async def test_soft_deleted_entities_are_left_out_unless_asked_for(svc: Services) -> None:
    asset = await svc.asset(b"group photo")
    ada, bob = await svc.entity("Ada"), await svc.entity("Bob")
    for entity in (ada, bob):
        await svc.assets.link(entity.entity_id, asset.asset_id)
    await svc.entities.delete(ada.entity_id)
    live = await svc.assets.linked_entities(asset.asset_id, PageRequest())
    assert ([link.entity.display_name for link in live.items], live.total) == (["Bob"], 1)
    every = await svc.assets.linked_entities(asset.asset_id, PageRequest(), include_deleted=True)
    assert [link.entity.display_name for link in every.items] == ["Ada", "Bob"]
    assert every.total == 2
    assert every.items[0].entity.deleted_at is not None


async def test_cursor_and_offset_pages_walk_every_linked_entity_once(svc: Services) -> None:
    asset = await svc.asset(b"crowd")
    names = [f"person {i}" for i in range(7)]
    for name in names:
        await svc.assets.link((await svc.entity(name)).entity_id, asset.asset_id)
    seen: list[str] = []
    cursor = None
    while True:
        page = await svc.assets.linked_entities(asset.asset_id, PageRequest(limit=3, cursor=cursor))
        seen += [link.entity.display_name for link in page.items]
        assert page.total == len(names)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == names
    by_offset = await svc.assets.linked_entities(asset.asset_id, PageRequest(limit=3, offset=6))
    assert [link.entity.display_name for link in by_offset.items] == ["person 6"]


async def test_unknown_or_deleted_asset_is_not_found(svc: Services) -> None:
    with pytest.raises(NotFound):
        await svc.assets.linked_entities("f" * 64, PageRequest())
    asset = await svc.asset(b"gone")
    ada = await svc.entity("Ada")
    await svc.assets.link(ada.entity_id, asset.asset_id)
    await svc.assets.delete(asset.asset_id)
    with pytest.raises(NotFound):
        await svc.assets.linked_entities(asset.asset_id, PageRequest())
    kept = await svc.assets.linked_entities(asset.asset_id, PageRequest(), include_deleted=True)
    assert [link.entity.entity_id for link in kept.items] == [ada.entity_id]


async def test_a_cursor_from_another_list_is_refused(svc: Services) -> None:
    first = await svc.asset(b"one")
    await svc.asset(b"two")
    assets_cursor = (await svc.assets.find(AssetQuery(), PageRequest(limit=1))).next_cursor
    assert assets_cursor is not None
    with pytest.raises(Invalid):
        await svc.assets.linked_entities(first.asset_id, PageRequest(cursor=assets_cursor))


async def test_live_sizes_leave_out_deleted_and_unknown_assets(svc: Services) -> None:
    kept = await svc.asset(b"kept")
    binned = await svc.asset(b"binned")
    await svc.assets.delete(binned.asset_id)
    claims = [
        ContentClaim(name=name, size=size, sha256=sha)
        for name, size, sha in (
            ("kept", 4, kept.asset_id),
            ("kept, other size", 5, kept.asset_id),
            ("binned", 6, binned.asset_id),
            ("unknown", 1, "0" * 64),
        )
    ]
    got = await svc.assets.check_content(claims)
    assert [(a.name, a.exists, a.asset_id) for a in got] == [
        ("kept", True, kept.asset_id),
        ("kept, other size", False, None),
        ("binned", False, None),
        ("unknown", False, None),
    ]


async def add_copies(svc: Services, template: Asset, count: int, **changes: object) -> list[Asset]:
    """``count`` new records like ``template`` with fresh ids, added in one write."""
    ids = [f"{n:064x}" for n in range(1, count + 1)]
    fresh = [msgspec.structs.replace(template, asset_id=i, **changes) for i in ids]
    async with svc.units.write() as uow:
        await uow.assets.add_many(fresh)
        await uow.commit()
    return fresh


async def test_batch_reads_and_writes_match_one_by_one(svc: Services, tmp_path: Path) -> None:
    """``get_many``/``add_many``/``update_many`` (what group commits use) agree with their single forms."""
    kept = await svc.asset(b"kept")
    binned = await svc.asset(b"binned")
    await svc.assets.delete(binned.asset_id)
    fresh = await add_copies(svc, kept, 1_100)  # more than one lookup statement carries
    ids = [a.asset_id for a in fresh]
    async with svc.units.write() as uow:
        await uow.assets.add_many([])
        await uow.commit()
    async with svc.units.read() as uow:
        found = await uow.assets.get_many([*ids, kept.asset_id, binned.asset_id, "f" * 64])
        with_deleted = await uow.assets.get_many([binned.asset_id], include_deleted=True)
        assert found == {a.asset_id: a for a in [*fresh, kept]}
        assert list(with_deleted) == [binned.asset_id]
        assert await uow.assets.get_many([]) == {}
    renamed = [msgspec.structs.replace(a, filename="renamed.bin") for a in fresh[:3]]
    async with svc.units.write() as uow:
        await uow.assets.update_many(renamed)
        await uow.commit()
    async with svc.units.read() as uow:
        for asset in renamed:
            assert await uow.assets.get(asset.asset_id) == asset
        assert (await uow.assets.get(fresh[3].asset_id)) == fresh[3]


async def query_plans(
    tmp_path: Path,
    lookups: Callable[[SqliteAssetRepository], Awaitable[object]],
    table: str,
    *,
    analyzed: bool = False,
) -> list[list[str]]:
    """The query plan of each statement on ``table`` that ``lookups`` issues against a real database;
    ``analyzed``: after ``ANALYZE`` of a library of varied assets (statistics change the planner's mind)."""
    database = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    try:
        if analyzed:
            await analyze_a_library(database)
        async with database.read() as conn:
            issued: list[str] = []
            await conn.set_trace_callback(issued.append)
            await lookups(SqliteAssetRepository(conn))
            await conn.set_trace_callback(None)
            plans = []
            for sql in issued:
                if f"FROM {table}" in sql:
                    async with conn.execute("EXPLAIN QUERY PLAN " + sql) as cursor:
                        plans.append([row[3] for row in await cursor.fetchall()])
            return plans
    finally:
        await database.close()


async def analyze_a_library(database: Database) -> None:
    """600 assets, a fifth of them in the trash, with varied facts (two thirds without a position,
    six cameras, most dated), then ``ANALYZE``: statistics like a real library's."""
    assets = []
    for n in range(600):
        sha = f"{n + 1:064x}"
        facts = AssetFacts(
            camera_make=f"Make {n % 6}",
            camera_model=f"Model {n % 6}",
            taken_at=None if n % 7 == 0 else datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=n),
            latitude=1.0 if n % 3 == 0 else None,
            longitude=1.0 if n % 3 == 0 else None,
        )
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
        assets.append(
            Asset(
                asset_id=sha,
                kind="image.original",
                mime_type="image/jpeg",
                size_bytes=n,
                filename=f"IMG_{n}.jpg",
                filenames=[f"IMG_{n}.jpg"],
                storage=StorageLocation(provider="fs", key=sha),
                facts=facts,
                created_at=moment,
                updated_at=moment,
                deleted_at=moment if n % 5 == 0 else None,
            )
        )
    units = SqliteUnitOfWorkFactory(database)
    async with units.write() as uow:
        await uow.assets.add_many(assets)
        await uow.commit()
    async with database.write() as conn:
        await conn.execute("ANALYZE")


async def test_a_full_pre_check_batch_is_one_indexed_query(tmp_path: Path) -> None:
    async def check(repository: SqliteAssetRepository) -> None:
        assert await repository.live_sizes({f"{i:064x}" for i in range(MAX_ITEMS)}) == {}

    plans = await query_plans(tmp_path, check, "assets")
    assert len(plans) == 1
    assert not any(step.startswith("SCAN") for step in plans[0]), plans


async def test_the_linked_entities_query_uses_indexes_not_scans(tmp_path: Path) -> None:
    async def linked(repository: SqliteAssetRepository) -> None:
        await repository.linked_entities("a" * 64, include_deleted=False, limit=10)
        await repository.count_linked_entities("a" * 64, include_deleted=False)

    plans = await query_plans(tmp_path, linked, "entity_assets")
    assert len(plans) == 2
    for plan in plans:
        assert any("entity_assets_asset (asset_id=?)" in step for step in plan), plan
        assert not any(step.startswith("SCAN") for step in plan), plan


SIDECAR_ENTRY = {"Source": "Sidecar", "Type": "JsonMetadata", "Name": "a.json", "Data": {"k": 1}}
OLD_EXIFTOOL = {"Source": "ExifTool", "Type": "JsonMetadata", "Name": None, "Data": {"old": True}}
NEW_EXIFTOOL = {"Source": "ExifTool", "Type": "JsonMetadata", "Name": None, "Data": {"new": True}}


async def test_metadata_states_read_live_assets_only(svc: Services) -> None:
    kept = await svc.asset(b"kept")
    binned = await svc.asset(b"binned")
    await svc.assets.delete(binned.asset_id)
    fresh = await add_copies(svc, kept, 1_100)  # more than one lookup statement carries
    failed = msgspec.structs.replace(fresh[-1], metadata_status="failed", metadata_reason="no tags")
    async with svc.units.write() as uow:
        await uow.assets.update(failed)
        await uow.commit()
    asked = [*(a.asset_id for a in fresh), kept.asset_id, binned.asset_id, "f" * 64, kept.asset_id]
    states = await svc.assets.metadata_states(asked)
    assert states == {
        **{a.asset_id: MetadataState("pending", None) for a in fresh[:-1]},
        failed.asset_id: MetadataState("failed", "no tags"),
        kept.asset_id: MetadataState("pending", None),
    }
    assert await svc.assets.metadata_states([]) == {}


async def test_recording_metadata_changes_only_the_metadata_fields(svc: Services) -> None:
    """The ExifTool entry is replaced, other sources' entries and every other field stay as they were."""
    template = await svc.asset(b"template")
    fresh = await add_copies(svc, template, 1_100, extracted_metadata=[SIDECAR_ENTRY, OLD_EXIFTOOL])
    binned = await svc.asset(b"binned")
    await svc.assets.delete(binned.asset_id)
    binned = await svc.assets.get(binned.asset_id, include_deleted=True)
    purged = "e" * 64  # no record at all: gone between extraction and recording
    outcomes = {a.asset_id: MetadataOutcome("done", None, NEW_EXIFTOOL) for a in fresh[:-1]}
    outcomes[purged] = MetadataOutcome("done", None, NEW_EXIFTOOL)
    outcomes[fresh[-1].asset_id] = MetadataOutcome("failed", "exiftool found no metadata in the file")
    outcomes[binned.asset_id] = MetadataOutcome("skipped", "exiftool is disabled")
    later = svc.clock.advance()
    async with svc.units.write() as uow:
        recorded = await uow.assets.record_metadata(outcomes, later)
        await uow.commit()
    assert recorded == [i for i in outcomes if i != purged]
    async with svc.units.read() as uow:
        stored = await uow.assets.get_many([*outcomes, template.asset_id], include_deleted=True)
    expected = {
        a.asset_id: msgspec.structs.replace(
            a, extracted_metadata=[SIDECAR_ENTRY, NEW_EXIFTOOL], metadata_status="done", updated_at=later
        )
        for a in fresh[:-1]
    }
    expected[fresh[-1].asset_id] = msgspec.structs.replace(
        fresh[-1],
        metadata_status="failed",
        metadata_reason="exiftool found no metadata in the file",
        updated_at=later,
    )
    expected[binned.asset_id] = msgspec.structs.replace(
        binned, metadata_status="skipped", metadata_reason="exiftool is disabled", updated_at=later
    )
    expected[template.asset_id] = template
    assert stored == expected


async def test_recorded_metadata_is_dropped_with_its_transaction(svc: Services) -> None:
    asset = await svc.asset(b"rolled back")
    async with svc.units.write() as uow:
        recorded = await uow.assets.record_metadata(
            {asset.asset_id: MetadataOutcome("done", None, NEW_EXIFTOOL)}, svc.clock.advance()
        )
        assert recorded == [asset.asset_id]
    assert await svc.assets.get(asset.asset_id) == asset
    async with svc.units.write() as uow:
        assert await uow.assets.record_metadata({}, svc.clock.now()) == []
        await uow.commit()


class PurgingExtractor:
    """Soft-deletes and purges the first asset while the tool is still reading it."""

    unavailable_reason = None

    def __init__(self, assets: AssetService, output: bytes) -> None:
        self.assets = assets
        self.output = output

    async def warm_up(self) -> None:
        return None

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        await self.assets.delete(assets[0].asset_id)
        await self.assets.purge()
        return [self.output for _ in assets]


async def test_an_asset_purged_during_extraction_is_left_out_of_the_record(svc: Services) -> None:
    gone = await svc.asset(b"gone", "gone.jpg")
    kept = await svc.asset(b"kept", "kept.jpg")
    output = msgspec.json.encode([{"SourceFile": "/t/kept.jpg", "File:FileType": "JPEG"}])
    runner = MetadataRunner(svc.units, PurgingExtractor(svc.assets, output), svc.clock, workers=1)
    async with svc.units.read() as uow:
        last_event = await uow.events.last_id()
    assert await runner.process([gone.asset_id, kept.asset_id]) == {
        gone.asset_id: "done",
        kept.asset_id: "done",
    }
    async with svc.units.read() as uow:
        assert await uow.assets.get(gone.asset_id, include_deleted=True) is None
        stored = await uow.assets.get(kept.asset_id)
        events = await uow.events.after(last_event, EventFilter(), limit=10)
    assert stored is not None
    assert (stored.metadata_status, stored.extracted_metadata) == ("done", [exiftool_entry(output)])
    assert [(e.type, e.subject_id) for e in events] == [
        ("asset.deleted", gone.asset_id),
        ("asset.purged", gone.asset_id),
        ("asset.metadata_extracted", kept.asset_id),
    ]


async def test_metadata_reads_are_indexed_queries_of_500_ids(tmp_path: Path) -> None:
    ids = [f"{i:064x}" for i in range(1_000)]

    async def metadata(repository: SqliteAssetRepository) -> None:
        assert await repository.metadata_states(ids) == {}
        outcomes = {i: MetadataOutcome("done", None, NEW_EXIFTOOL) for i in ids}
        assert await repository.record_metadata(outcomes, FixedClock().now()) == []

    plans = await query_plans(tmp_path, metadata, "assets")
    assert len(plans) == 4
    assert not any(step.startswith("SCAN") for plan in plans for step in plan), plans
