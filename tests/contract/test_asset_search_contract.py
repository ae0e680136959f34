"""The asset list's ``q`` (a substring of any stored file name or of the camera make or model, ASCII case
ignored) gives the same answers on the in-memory fake and on SQLite, whose trigram index (migration 0015)
triggers keep in step with every write to assets."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from units_support import BACKENDS, units_for

from faceforge_adapters.sqlite.assets import NARROW_SEARCH, SqliteAssetRepository
from faceforge_adapters.sqlite.database import Database, open_connection
from faceforge_adapters.sqlite.migrate import migrate, shipped_migrations
from faceforge_adapters.sqlite.rows import to_json
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.facts import AssetFacts
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import UnitOfWorkFactory

pytestmark = pytest.mark.anyio

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
# Characters SQL and FTS5 treat specially, letters that fold beyond ASCII (É/é, K/Kelvin sign, ß, dotted
# and dotless i), and plain ones, so generated names hit both the rule's edges and ordinary matches.
ODD = "aAbB%_\"'\\*.- ÉéßİKKçÇ日本😀\u0131"  # \u0131: dotless i
TEXT = st.text(alphabet=ODD, min_size=1, max_size=8)


def record(n: int, names: list[str], make: str | None = None, model: str | None = None) -> Asset:
    sha = hashlib.sha256(b"search %d" % n).hexdigest()
    return Asset(
        asset_id=sha,
        kind="image.original",
        mime_type="image/jpeg",
        size_bytes=n,
        filename=names[0],
        filenames=names,
        storage=StorageLocation(provider="fs", key=sha),
        facts=AssetFacts(camera_make=make, camera_model=model),
        created_at=MOMENT,
        updated_at=MOMENT,
    )


def expected(assets: list[Asset], q: str) -> set[str]:
    query = AssetQuery.build(q=q)
    return {a.asset_id for a in assets if query.matches(a)}


async def found(units: UnitOfWorkFactory, q: str) -> set[str]:
    query = AssetQuery.build(q=q)
    async with units.read() as uow:
        items = await uow.assets.find(query, limit=1000)
        assert await uow.assets.count(query, up_to=1000) == len(items)
    return {a.asset_id for a in items}


LIBRARY = st.lists(
    st.tuples(st.lists(TEXT, min_size=1, max_size=3), st.none() | TEXT, st.none() | TEXT),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(library=LIBRARY, data=st.data())
def test_search_answers_agree_with_the_rule_on_odd_names(
    tmp_path_factory: pytest.TempPathFactory,
    library: list[tuple[list[str], str | None, str | None]],
    data: Any,
) -> None:
    assets = [record(n, names, make, model) for n, (names, make, model) in enumerate(library)]
    texts = [t for names, make, model in library for t in (*names, make or "", model or "") if t.strip()]
    # A piece of a stored text (any length, case swapped or not), or any text at all.
    piece = st.sampled_from(texts).flatmap(
        lambda t: st.tuples(st.integers(0, len(t)), st.integers(1, 8), st.booleans()).map(
            lambda c: t[c[0] : c[0] + c[1]].swapcase() if c[2] else t[c[0] : c[0] + c[1]]
        )
    )
    q = data.draw((piece | TEXT).filter(lambda t: bool(t.strip())))
    wanted = expected(assets, q)

    async def each(backend: str) -> set[str]:
        async with units_for(backend, tmp_path_factory.mktemp("db"), FixedClock()) as units:
            async with units.write() as uow:
                await uow.assets.add_many(assets)
                await uow.commit()
            return await found(units, q)

    for backend in BACKENDS:
        assert anyio.run(each, backend) == wanted, backend


@pytest.fixture(params=BACKENDS)
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with units_for(request.param, tmp_path, FixedClock()) as made:
        yield made


async def test_renames_camera_changes_and_purges_are_searched_at_once(units: UnitOfWorkFactory) -> None:
    holiday, other = record(1, ["holiday.jpg"]), record(2, ["other.jpg"], "Canon", "EOS R5")
    async with units.write() as uow:
        await uow.assets.add_many([holiday, other])
        await uow.commit()
    assert await found(units, "holiday") == {holiday.asset_id}
    assert await found(units, "eos") == {other.asset_id}
    renamed = msgspec.structs.replace(holiday, filenames=["holiday.jpg", "beach.JPG"])
    async with units.write() as uow:
        await uow.assets.update(renamed)
        await uow.assets.record_facts({other.asset_id: AssetFacts(camera_make="NIKON", camera_model="Z 6")})
        await uow.commit()
    assert await found(units, "BEACH") == {holiday.asset_id}
    assert await found(units, "eos") == set()
    assert await found(units, "nikon") == {other.asset_id}
    gone = msgspec.structs.replace(renamed, deleted_at=MOMENT)
    async with units.write() as uow:
        await uow.assets.update(gone)
        assert await uow.assets.remove_if_purgeable(holiday.asset_id)
        await uow.commit()
    assert await found(units, "beach") == set()
    assert await found(units, "jpg") == {other.asset_id}


async def test_the_migration_indexes_assets_stored_before_it(tmp_path: Path) -> None:
    conn: aiosqlite.Connection = await open_connection(tmp_path / "core.sqlite3")
    try:
        before = tuple(m for m in shipped_migrations() if m.version < 15)
        await migrate(conn, FixedClock(), before)
        old = record(1, ["Old Scan.TIFF", "scan-copy.tif"], "Epson", "V600")
        await conn.execute(
            "INSERT INTO assets (asset_id, kind, mime_type, size_bytes, filename, filenames, "
            "storage_provider, storage_key, facts_camera_make, facts_camera_model, created_at, updated_at) "
            "VALUES (?, 'image.original', 'image/tiff', 1, ?, ?, 'fs', 'k', 'Epson', 'V600', 't', 't')",
            (old.asset_id, old.filename, to_json(old.filenames)),
        )
        await conn.commit()
        await migrate(conn, FixedClock())
        for q, hits in (("old scan", 1), ("COPY", 1), ("v600", 1), ("ep", 1), ("nikon", 0)):
            assert await SqliteAssetRepository(conn).count(AssetQuery.build(q=q), up_to=10) == hits, q
    finally:
        await conn.close()


async def search_plans(tmp_path: Path, q: str, stored: int, *, analyzed: bool) -> tuple[str, str]:
    """The query plans of a page and of its total for ``q``, over ``stored`` assets all named alike;
    ``analyzed``: after ``ANALYZE`` (statistics can turn the planner to other plans)."""
    database = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    try:
        units = SqliteUnitOfWorkFactory(database)
        async with units.write() as uow:
            await uow.assets.add_many([record(n, [f"holiday {n}.jpg"]) for n in range(stored)])
            await uow.commit()
        if analyzed:
            async with database.write() as conn:
                await conn.execute("ANALYZE")
        query = AssetQuery.build(q=q, sort_by="taken_at", sort_order="desc")
        async with database.read() as conn:
            issued: list[str] = []
            await conn.set_trace_callback(issued.append)
            repository = SqliteAssetRepository(conn)
            await repository.find(query, limit=51)
            await repository.count(query, up_to=1001)
            await conn.set_trace_callback(None)
            plans = []
            probe = f"LIMIT {NARROW_SEARCH + 1}"  # the gauge of broad and narrow, asked once
            listed = (s for s in issued if " assets " in s or "FROM asset_search AS s" in s)
            for sql in (s for s in listed if probe not in s):
                async with conn.execute("EXPLAIN QUERY PLAN " + sql) as cursor:
                    plans.append(" | ".join(row[3] for row in await cursor.fetchall()))
        assert len(plans) == 2
        return plans[0], plans[1]
    finally:
        await database.close()


@pytest.mark.parametrize("analyzed", [False, True])
async def test_a_narrow_search_reads_its_matches_and_counts_from_the_live_id_index(
    tmp_path: Path, analyzed: bool
) -> None:
    page, total = await search_plans(tmp_path, "holiday 1", stored=20, analyzed=analyzed)
    assert "VIRTUAL TABLE INDEX" in page, page
    assert "(asset_id=?" in page, page
    assert "VIRTUAL TABLE INDEX" in total, total
    assert "COVERING INDEX assets_live_id (asset_id=?" in total, total
    assert "SCAN assets" not in page + total


@pytest.mark.parametrize("analyzed", [False, True])
async def test_a_broad_search_walks_the_order_index_and_counts_from_the_matching_documents(
    tmp_path: Path, analyzed: bool
) -> None:
    page, total = await search_plans(tmp_path, "holiday", stored=NARROW_SEARCH + 1, analyzed=analyzed)
    assert "INDEX assets_live_taken" in page, page
    assert "TEMP B-TREE" not in page, page
    assert total.startswith("CO-ROUTINE (subquery-1) | SCAN s VIRTUAL TABLE INDEX"), total
    assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in total, total
    assert "assets" not in total.replace("asset_search", ""), total  # the documents alone


@pytest.mark.parametrize("analyzed", [False, True])
async def test_a_short_text_seeks_the_name_and_camera_indexes_or_walks_when_broad(
    tmp_path: Path, analyzed: bool
) -> None:
    page, total = await search_plans(tmp_path / "narrow", "ho", stored=3, analyzed=analyzed)
    for plan in (page, total):
        assert "INDEX assets_live_filename (filename>? AND filename<?)" in plan, plan
        assert "INDEX assets_live_camera_make (facts_camera_make>? AND facts_camera_make<?)" in plan, plan
        assert "INDEX assets_live_camera_model (facts_camera_model>? AND facts_camera_model<?)" in plan, plan
        assert "SCAN assets" not in plan, plan
    page, total = await search_plans(tmp_path / "broad", "ho", stored=NARROW_SEARCH + 1, analyzed=analyzed)
    assert page.startswith("SCAN assets USING INDEX assets_live_taken"), page
    assert "TEMP B-TREE" not in page, page
    for index in ("camera_make", "camera_model", "filename"):  # the total: three parts, indexes alone
        assert f"COVERING INDEX assets_live_{index} (" in total, total
    assert "SCAN assets" not in total, total
