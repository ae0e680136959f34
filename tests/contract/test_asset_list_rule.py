"""The asset list on a real SQLite file, at a size where every plan is in play (broad and narrow
searches, substring and prefix, the capped total): any filter, sort and page equals the same rule
applied in Python to every stored row."""

from __future__ import annotations

import hashlib
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.sqlite.asset_search import NARROW_SEARCH
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.asset_query import ASSET_SORTS, TOTAL_CAP, AssetQuery, sort_key, sort_value
from faceforge_domain.clock import FixedClock
from faceforge_domain.facts import AssetFacts
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.paging import PageRequest
from faceforge_domain.previews import PREVIEW_KIND
from faceforge_domain.services.assets import AssetService

START = datetime(2026, 1, 1, tzinfo=UTC)
# More assets than a narrow search holds, so common texts take the broad plans and rare ones the narrow.
STORED = NARROW_SEARCH + 1500
STEMS = ["IMG_", "IMG_", "IMG_", "img-", "DSC", "holiday ", "Ny", "nikon", "_%", "Été "]
CAMERAS = [(None, None), ("Canon", "Canon EOS R5"), ("NIKON", "D4"), ("SONY", "ILCE-7"), ("Apple", "iPhone")]
TEXTS = [
    "i",
    "I",
    "im",
    "IMG",
    ".jpg",
    "1.JP",
    "img_1",
    "ni",
    "nik",
    "D4",
    "sony",
    "holiday 1",
    "_",
    "_%",
    "zz",
    "été",
    "Été",
    "2",
]


def stored_assets() -> list[Asset]:
    """A library with common and rare names and cameras, a few deleted assets and previews."""
    rng = random.Random(19)
    made = []
    for n in range(STORED):
        sha = hashlib.sha256(b"list rule %d" % n).hexdigest()
        make, model = rng.choice(CAMERAS)
        taken = START - timedelta(hours=rng.randrange(24 * 400)) if rng.random() < 0.8 else None
        located = rng.random() < 0.3
        stem = rng.choice(STEMS) if n % 50 else "zz"
        preview = n % 97 == 5  # made from asset 1, stored before it
        names = [f"{stem}{n}.jpg"] + ([f"copy {n}.JPG"] if n % 7 == 0 else [])
        made.append(
            Asset(
                asset_id=sha,
                kind=PREVIEW_KIND if preview else "image.original",
                mime_type="image/jpeg",
                size_bytes=rng.randrange(1, 50),  # many ties, broken by the id
                filename=names[0],
                filenames=names,
                storage=StorageLocation(provider="fs", key=sha),
                derived_from_asset_id=hashlib.sha256(b"list rule 1").hexdigest() if preview else None,
                facts=AssetFacts(
                    taken_at=taken,
                    camera_make=make,
                    camera_model=model,
                    latitude=1.0 if located else None,
                    longitude=2.0 if located else None,
                ),
                created_at=START + timedelta(seconds=n // 3),  # ties in created_at too
                updated_at=START,
                deleted_at=START if n % 89 == 0 else None,
            )
        )
    return made


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Asset]]:
    path = tmp_path_factory.mktemp("list-rule") / "core.sqlite3"
    assets = stored_assets()

    async def seed() -> None:
        database = await Database.open(path, FixedClock())
        try:
            units = SqliteUnitOfWorkFactory(database)
            async with units.write() as uow:
                await uow.assets.add_many(assets)
                await uow.commit()
        finally:
            await database.close()

    anyio.run(seed)
    return path, assets


def expected(assets: list[Asset], query: AssetQuery) -> list[str]:
    """The rule in Python: live, not a preview, matching; in the asked order, the id breaking ties."""
    live = [
        a for a in assets if a.deleted_at is None and not (a.kind == PREVIEW_KIND and a.derived_from_asset_id)
    ]
    found = [a for a in live if query.matches(a)]
    found.sort(
        key=lambda a: sort_key(sort_value(a, query.sort_by), a.asset_id, query.sort_by),
        reverse=query.sort_order == "desc",
    )
    return [a.asset_id for a in found]


DAYS = st.integers(0, 400).map(lambda d: (START - timedelta(days=d)).date().isoformat())
QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(TEXTS),
        "camera": st.sampled_from(["Canon", "nikon", "D4", "iphone"]),
        "taken_after": DAYS,
        "has_location": st.booleans(),
        "sort_by": st.sampled_from(ASSET_SORTS),
        "sort_order": st.sampled_from(["asc", "desc"]),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=QUERIES, limit=st.sampled_from([1, 13, 200]), offset=st.integers(0, 1200))
def test_a_filtered_sorted_paged_list_equals_the_rule_applied_to_every_row(
    library: tuple[Path, list[Asset]], filters: dict[str, Any], limit: int, offset: int
) -> None:
    path, assets = library
    query = AssetQuery.build(**filters)
    wanted = expected(assets, query)

    async def pages() -> None:
        database = await Database.open(path, FixedClock())
        try:
            service = AssetService(SqliteUnitOfWorkFactory(database), InMemoryBlobStore(), FixedClock())
            seen: list[str] = []
            cursor = None
            for _ in range(3):  # the first pages by cursor
                page = await service.find(query, PageRequest(limit=limit, cursor=cursor))
                seen += [a.asset_id for a in page.items]
                if page.total_exact:
                    assert page.total == len(wanted)
                else:
                    assert len(wanted) > TOTAL_CAP
                    assert page.total == TOTAL_CAP
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert seen == wanted[: len(seen)]
            assert len(seen) == min(len(wanted), 3 * limit)
            at = await service.find(query, PageRequest(limit=limit, offset=offset))
            assert [a.asset_id for a in at.items] == wanted[offset : offset + limit]
            assert at.total_exact == (len(wanted) <= TOTAL_CAP)
            if not at.total_exact:
                assert at.total == max(TOTAL_CAP, offset + len(at.items))
        finally:
            await database.close()

    anyio.run(pages)


def test_the_library_holds_broad_and_narrow_searches(library: tuple[Path, list[Asset]]) -> None:
    """The generated queries meet every plan: more matches than a narrow search holds, and fewer."""
    _, assets = library
    sizes = {q: len(expected(assets, AssetQuery.build(q=q))) for q in TEXTS}
    assert sizes["i"] > NARROW_SEARCH
    assert sizes[".jpg"] > NARROW_SEARCH
    assert 0 < sizes["zz"] < NARROW_SEARCH
    assert 0 < sizes["ni"] < NARROW_SEARCH
    assert 0 < sizes["IMG"] < NARROW_SEARCH
    assert sizes["_%"] > 0
    assert sizes["Été"] > 0
    assert sizes["été"] == 0
    assert len(expected(assets, AssetQuery.build())) > TOTAL_CAP


@pytest.mark.parametrize(
    "filters",
    [
        {"has_location": True},
        {"has_location": False},
        {"camera": "sony"},
        {"camera": "iPhone", "has_location": True},
        {"taken_after": (START - timedelta(days=100)).date().isoformat()},
    ],
)
def test_a_broad_search_total_follows_facts_recorded_and_assets_deleted_or_restored_later(
    library: tuple[Path, list[Asset]], tmp_path: Path, filters: dict[str, Any]
) -> None:
    """A broad search's total is counted from the search documents, which carry the filtered columns:
    they must follow every later write to an asset, not only what it was stored with."""
    path, stored = library
    copied = tmp_path / "core.sqlite3"
    shutil.copyfile(path, copied)
    rng = random.Random(23)
    assets = [msgspec.structs.replace(a) for a in stored]
    changed = rng.sample(assets, 900)
    for asset in changed[:600]:  # other facts: a camera, a position and a date taken, or none
        make, model = rng.choice(CAMERAS)
        located = rng.random() < 0.5
        asset.facts = AssetFacts(
            taken_at=START - timedelta(days=rng.randrange(400)) if make else None,
            camera_make=make,
            camera_model=model,
            latitude=5.0 if located else None,
            longitude=6.0 if located else None,
        )
    for asset in changed[600:]:  # deleted, or restored from the trash
        asset.deleted_at = None if asset.deleted_at else START

    async def totals() -> None:
        database = await Database.open(copied, FixedClock())
        try:
            units = SqliteUnitOfWorkFactory(database)
            async with units.write() as uow:
                await uow.assets.record_facts({a.asset_id: a.facts for a in changed[:600]})
                await uow.assets.update_many(changed[600:])
                await uow.commit()
            service = AssetService(units, InMemoryBlobStore(), FixedClock())
            query = AssetQuery.build(q=".jpg", **filters)
            page = await service.find(query, PageRequest(limit=50))
            wanted = expected(assets, query)
            assert page.total == min(len(wanted), TOTAL_CAP)
            assert [a.asset_id for a in page.items] == wanted[:50]
        finally:
            await database.close()

    anyio.run(totals)
