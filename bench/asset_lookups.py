"""Asset lookups at scale, through the library on a real SQLite file: the batch pre-check and an asset's
linked entities, each beside the work it replaces or resembles, measured in the same run.

- ``check``: ``AssetService.check_content`` for 1,000 claims (half of them stored), beside 1,000
  ``AssetRepository.get`` calls in one read transaction (what a client asking file by file costs Core
  at the very least, before any HTTP round trip).
- ``linked``: the first page (50) of the entities linked to an asset that has ``--links`` of them,
  beside the first page of the entity list (``EntityService.search``).

    python bench/asset_lookups.py [--assets 200000] [--links 1000] [--rounds 15] [--home DIR]

Prints the median of ``--rounds`` timings in milliseconds. The seeded home is reused when it already
holds ``--assets`` assets.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import prepare_home
from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import SystemClock
from faceforge_domain.content_check import MAX_ITEMS, ContentClaim
from faceforge_domain.ids import new_id
from faceforge_domain.models import Asset, Entity, StorageLocation
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import EntityQuery
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService

BATCH = 10_000
START = datetime(2025, 1, 1, tzinfo=UTC)


def content_hash(i: int) -> str:
    return hashlib.sha256(b"bench asset %d" % i).hexdigest()


def asset_row(i: int) -> Asset:
    moment = START + timedelta(milliseconds=i)
    sha = content_hash(i)
    return Asset(
        asset_id=sha,
        kind="file",
        mime_type="application/octet-stream",
        size_bytes=1000 + i,
        filename=f"file{i}.bin",
        filenames=[f"file{i}.bin"],
        storage=StorageLocation(provider="fs", key=f"{sha[:2]}/{sha[2:4]}/{sha}"),
        metadata_status="skipped",
        created_at=moment,
        updated_at=moment,
    )


async def seed(units: SqliteUnitOfWorkFactory, assets: int, links: int) -> None:
    """``assets`` asset rows; the first one linked to ``links`` entities (the last two get one each)."""
    async with units.read() as uow:
        if await uow.assets.get(content_hash(assets - 1)) is not None:
            return
    for base in range(0, assets, BATCH):
        async with units.write() as uow:
            for i in range(base, min(base + BATCH, assets)):
                await uow.assets.add(asset_row(i))
            await uow.commit()
    entities = [
        Entity(entity_id=new_id(), display_name=f"Person {i}", created_at=START, updated_at=START)
        for i in range(links + 2)
    ]
    async with units.write() as uow:
        await uow.entities.add_many(entities)
        for entity in entities[:links]:
            await uow.assets.link(entity.entity_id, content_hash(0), "subject")
        for n, entity in enumerate(entities[links:], start=1):
            await uow.assets.link(entity.entity_id, content_hash(n), None)
        await uow.commit()
    print(f"  seeded {assets:,} assets, {links:,} links on one of them", flush=True)


async def median_ms(action: Callable[[], Awaitable[object]], rounds: int) -> float:
    await action()  # warm the page cache and the statement cache
    times = []
    for _ in range(rounds):
        begun = time.perf_counter()
        await action()
        times.append((time.perf_counter() - begun) * 1000)
    return statistics.median(times)


def line(label: str, value: float, reference: float, ref_label: str) -> None:
    print(f"  {label:44} {value:9.2f} ms   ({ref_label}: {reference:.2f} ms, x{reference / value:.1f})")


async def run(home: Path, assets: int, links: int, rounds: int) -> None:
    loaded = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None)
    database = await Database.open(loaded.paths.db_file, SystemClock())
    units = SqliteUnitOfWorkFactory(database)
    try:
        await seed(units, assets, links)
        service = AssetService(units, InMemoryBlobStore(), SystemClock())
        step = max(assets // MAX_ITEMS, 1)
        claims = [
            ContentClaim(name=f"f{n}", size=1000 + n * step, sha256=content_hash(n * step))
            if n % 2 == 0
            else ContentClaim(name=f"f{n}", size=1, sha256=hashlib.sha256(b"absent %d" % n).hexdigest())
            for n in range(MAX_ITEMS)
        ]

        async def one_by_one() -> None:
            async with units.read() as uow:
                for claim in claims:
                    await uow.assets.get(claim.sha256)

        batch = await median_ms(lambda: service.check_content(claims), rounds)
        single = await median_ms(one_by_one, rounds)
        line(f"check: {MAX_ITEMS:,} claims in one batch", batch, single, f"{MAX_ITEMS:,} single gets")

        entities = EntityService(units, SystemClock())
        first_page = PageRequest(limit=50)
        linked = await median_ms(lambda: service.linked_entities(content_hash(0), first_page), rounds)
        listed = await median_ms(lambda: entities.search(EntityQuery(), first_page), rounds)
        line(f"linked: first 50 of {links:,} entities", linked, listed, "entity list page")
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    if args.home is not None:
        anyio.run(run, args.home, args.assets, args.links, args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="ff-bench-lookups-") as scratch:
        anyio.run(run, Path(scratch) / "home", args.assets, args.links, args.rounds)


if __name__ == "__main__":
    main()
