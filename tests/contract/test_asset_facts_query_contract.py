"""One contract for listing assets by their facts (date taken, camera, position) and in every sort order,
run against the in-memory fake and the real SQLite adapter through AssetService (paging and cursors too)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_asset_repository_contract import query_plans
from units_support import BACKENDS, units_for

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.sqlite.assets import SqliteAssetRepository
from faceforge_domain.asset_query import ASSET_SORTS, AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.facts import AssetFacts
from faceforge_domain.models import Asset
from faceforge_domain.paging import PageRequest
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.services.assets import AssetService, IngestOptions

pytestmark = pytest.mark.anyio


def taken(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


# name, size, facts: ties in size and date, a name differing only in case, files without facts.
NIKON = AssetFacts(camera_make="NIKON", camera_model="E775", taken_at=taken(1), latitude=1.5, longitude=2.5)
POWERSHOT = AssetFacts(
    camera_make="canon", camera_model="PowerShot", taken_at=taken(9, 23), latitude=-3.0, longitude=7.0
)
FILES = [
    ("b.jpg", 30, AssetFacts(camera_make="Canon", camera_model="Canon EOS M50", taken_at=taken(3))),
    ("A.jpg", 10, NIKON),
    ("c.mov", 30, AssetFacts(camera_make="Apple", camera_model="iPhone 7", taken_at=taken(3))),
    ("a.txt", 20, AssetFacts()),
    ("d.jpg", 5, POWERSHOT),
    ("notes.pdf", 20, AssetFacts()),
]


class World:
    def __init__(self, units: UnitOfWorkFactory, clock: FixedClock) -> None:
        self.units = units
        self.clock = clock
        self.assets = AssetService(units, InMemoryBlobStore(), clock)
        self.by_name: dict[str, Asset] = {}

    async def fill(self) -> None:
        for name, size, facts in FILES:

            async def body(n: str = name, s: int = size) -> AsyncIterator[bytes]:
                yield n.encode().ljust(s, b".")

            self.clock.advance()
            asset = (await self.assets.ingest(body(), IngestOptions(filename=name))).asset
            async with self.units.write() as uow:
                await uow.assets.record_facts({asset.asset_id: facts})
                await uow.commit()
            self.by_name[name] = await self.assets.get(asset.asset_id)

    async def names(self, **filters: object) -> list[str]:
        page = await self.assets.find(AssetQuery.build(**filters), PageRequest(limit=200))  # type: ignore[arg-type]
        assert page.total == len(page.items)
        return [asset.filename for asset in page.items]

    async def walk(self, query: AssetQuery, limit: int) -> list[str]:
        """Every page by cursor, ``limit`` at a time."""
        names: list[str] = []
        cursor = None
        while True:
            page = await self.assets.find(query, PageRequest(limit=limit, cursor=cursor))
            names += [asset.filename for asset in page.items]
            if page.next_cursor is None:
                return names
            cursor = page.next_cursor


@pytest.fixture(params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    clock = FixedClock()
    async with units_for(request.param, tmp_path, clock) as units:
        made = World(units, clock)
        await made.fill()
        yield made


async def test_facts_are_stored_and_read_back_whole(world: World) -> None:
    assert world.by_name["A.jpg"].facts == NIKON
    assert world.by_name["a.txt"].facts == AssetFacts()


async def test_camera_matches_make_or_model_whole_without_case(world: World) -> None:
    assert await world.names(camera="CANON") == ["b.jpg", "d.jpg"]
    assert await world.names(camera="e775") == ["A.jpg"]
    assert await world.names(camera="Can") == []
    assert await world.names(camera="canon", taken_after="2024-05-04") == ["d.jpg"]
    assert await world.names(camera="canon", has_location=True) == ["d.jpg"]


async def test_date_taken_range_includes_its_start_and_excludes_its_end(world: World) -> None:
    assert await world.names(taken_after="2024-05-03") == ["b.jpg", "c.mov", "d.jpg"]
    assert await world.names(taken_before="2024-05-03T12:00:00Z") == ["A.jpg"]
    assert await world.names(taken_after="2024-05-02", taken_before="2024-05-09T23:00") == ["b.jpg", "c.mov"]
    assert await world.names(taken_after="2024-05-09T23:00:00+01:00") == ["d.jpg"]


async def test_has_location_splits_the_list(world: World) -> None:
    assert await world.names(has_location=True) == ["A.jpg", "d.jpg"]
    assert await world.names(has_location=False) == ["b.jpg", "c.mov", "a.txt", "notes.pdf"]


async def test_search_finds_names_and_cameras(world: World) -> None:
    assert await world.names(q="iphone") == ["c.mov"]
    assert await world.names(q="canon") == ["b.jpg", "d.jpg"]
    assert await world.names(q=".JPG") == ["b.jpg", "A.jpg", "d.jpg"]
    assert await world.names(q="notes", camera="Canon") == []


EXPECTED = {
    # files without a date taken come first ascending, last descending; the id breaks ties
    "taken_at": ["a.txt|notes.pdf", "A.jpg", "b.jpg|c.mov", "d.jpg"],
    "filename": ["A.jpg", "a.txt", "b.jpg", "c.mov", "d.jpg", "notes.pdf"],
    "size_bytes": ["d.jpg", "A.jpg", "a.txt|notes.pdf", "b.jpg|c.mov"],
    "created_at": ["b.jpg", "A.jpg", "c.mov", "a.txt", "d.jpg", "notes.pdf"],
}


def expected_order(world: World, sort_by: str, descending: bool) -> list[str]:
    """EXPECTED, with each tie ordered by asset id, then reversed for descending."""
    names: list[str] = []
    for group in EXPECTED[sort_by]:
        names += sorted(group.split("|"), key=lambda n: world.by_name[n].asset_id)
    return names[::-1] if descending else names


@pytest.mark.parametrize("sort_by", ASSET_SORTS)
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 2, 4, 200])
async def test_every_sort_pages_each_asset_once_in_order(
    world: World, sort_by: str, sort_order: str, limit: int
) -> None:
    query = AssetQuery.build(sort_by=sort_by, sort_order=sort_order)
    assert await world.walk(query, limit) == expected_order(world, sort_by, sort_order == "desc")


async def test_offset_pages_follow_the_same_order(world: World) -> None:
    query = AssetQuery.build(sort_by="size_bytes", sort_order="desc")
    page = await world.assets.find(query, PageRequest(limit=2, offset=2))
    assert [a.filename for a in page.items] == expected_order(world, "size_bytes", True)[2:4]


async def test_a_cursor_only_fits_its_own_order(world: World) -> None:
    by_size = AssetQuery.build(sort_by="size_bytes")
    page = await world.assets.find(by_size, PageRequest(limit=1))
    assert page.next_cursor is not None
    for other in (
        AssetQuery.build(sort_by="size_bytes", sort_order="desc"),
        AssetQuery.build(sort_by="filename"),
    ):
        with pytest.raises(Invalid) as refused:
            await world.assets.find(other, PageRequest(limit=1, cursor=page.next_cursor))
        assert refused.value.errors[0].field == "cursor"


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"sort_by": "taken_at", "sort_order": "desc"},
        {"taken_after": "2024-01-01", "taken_before": "2024-02-01"},
        {"sort_by": "filename"},
        {"sort_by": "size_bytes"},
        {"camera": "Canon"},
        {"has_location": True},
        {"has_location": False},
    ],
)
@pytest.mark.parametrize("analyzed", [False, True])
async def test_live_lists_are_answered_from_the_partial_list_indexes(
    tmp_path: Path, filters: dict[str, object], analyzed: bool
) -> None:
    """The indexes are partial on the live-list condition spelled as the repository writes it: if the
    two drift apart, SQLite silently stops using them (and reads every wide row). Core never runs
    ``ANALYZE``; the plans stay on the indexes after one all the same (a person may run it)."""
    query = AssetQuery.build(**filters)  # type: ignore[arg-type]

    async def listing(repository: SqliteAssetRepository) -> None:
        await repository.find(query, limit=51)
        await repository.count(query, up_to=1001)

    plans = await query_plans(tmp_path, listing, "assets", analyzed=analyzed)
    assert len(plans) == 2
    for plan in plans:
        assert any("INDEX assets_live_" in step for step in plan), plan


async def test_a_camera_named_alike_by_make_and_model_counts_once(world: World) -> None:
    async with world.units.write() as uow:
        leica = AssetFacts(camera_make="Leica", camera_model="leica", latitude=4.0, longitude=5.0)
        await uow.assets.record_facts({world.by_name["a.txt"].asset_id: leica})
        await uow.commit()
    assert await world.names(camera="LEICA") == ["a.txt"]
    assert await world.names(camera="leica", has_location=True) == ["a.txt"]
    assert await world.names(camera="leica", has_location=False) == []
