"""Asset list filters and sorts at scale, through the library on a real SQLite file: each beside the
unfiltered list measured in the same run.

Seeds ``--assets`` assets (default 100,000) whose facts vary like a photo library's: 24 cameras, most
with a date taken over ten years, a third with a position, a stored ExifTool entry of ``--metadata-bytes``
on each (the rows are as wide as real ones, which is what a scan pays for). Then times
``AssetService.find`` (the page of 50 and its total, what ``GET /v1/assets`` runs) for each filter and
sort, and for the second page by cursor of each sort.

    python bench/asset_filters.py [--assets 100000] [--rounds 200] [--metadata-bytes 2000] [--home DIR]

Prints p50 and p99 in milliseconds (target: every p99 under 20 ms), and each case's total (counted up to
1,000: "1,000+" beyond). The seeded home is reused when it already holds ``--assets`` assets.
"""

from __future__ import annotations

import argparse
import hashlib
import random
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
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import SystemClock
from faceforge_domain.facts import AssetFacts
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.paging import PageRequest
from faceforge_domain.services.assets import AssetService

BATCH = 5_000
START = datetime(2025, 1, 1, tzinfo=UTC)
FIRST_TAKEN = datetime(2015, 1, 1, tzinfo=UTC)
CAMERAS = [(make, f"{make} {model}") for make in ("Canon", "NIKON", "SONY", "FUJIFILM", "Apple", "Google")
           for model in ("A1", "B2", "C3", "D4")]  # fmt: skip
PAGE = PageRequest(limit=50)
DEEP_OFFSET = 10_000  # the Files page pages by offset: its 201st page
# A case whose runs pass this many seconds is timed on fewer runs (at least 5; the count is printed).
BUDGET_S = 15.0


def content_hash(i: int) -> str:
    return hashlib.sha256(b"bench filtered asset %d" % i).hexdigest()


def asset_row(i: int, rng: random.Random, metadata_bytes: int) -> Asset:
    moment = START + timedelta(milliseconds=i)
    sha = content_hash(i)
    make, model = rng.choice(CAMERAS)
    dated = rng.random() < 0.85
    located = rng.random() < 0.33
    facts = AssetFacts(
        taken_at=FIRST_TAKEN + timedelta(seconds=rng.randrange(10 * 365 * 86400)) if dated else None,
        taken_offset=rng.choice(["+01:00", "-05:00", None]) if dated else None,
        camera_make=make if dated else None,
        camera_model=model if dated else None,
        width=4000,
        height=3000,
        latitude=rng.uniform(-60, 60) if located else None,
        longitude=rng.uniform(-170, 170) if located else None,
    )
    name = f"IMG_{i:06d}.jpg"
    data = {"SourceFile": name, "IFD0:Make": make, "Padding:Tags": "x" * metadata_bytes}
    return Asset(
        asset_id=sha,
        kind="image.original",
        mime_type="image/jpeg",
        size_bytes=rng.randrange(100_000, 30_000_000),
        filename=name,
        filenames=[name],
        storage=StorageLocation(provider="fs", key=f"{sha[:2]}/{sha[2:4]}/{sha}"),
        extracted_metadata=[{"Source": "ExifTool", "Type": "JsonMetadata", "Name": None, "Data": data}],
        metadata_status="done",
        facts=facts,
        created_at=moment,
        updated_at=moment,
    )


async def seed(units: SqliteUnitOfWorkFactory, assets: int, metadata_bytes: int) -> None:
    async with units.read() as uow:
        if await uow.assets.get(content_hash(assets - 1)) is not None:
            return
    rng = random.Random(19)
    begun = time.perf_counter()
    for base in range(0, assets, BATCH):
        async with units.write() as uow:
            await uow.assets.add_many(
                [asset_row(i, rng, metadata_bytes) for i in range(base, min(base + BATCH, assets))]
            )
            await uow.commit()
    print(f"  seeded {assets:,} assets in {time.perf_counter() - begun:.0f} s", flush=True)


async def timings_ms(
    action: Callable[[], Awaitable[object]], rounds: int, budget_s: float = BUDGET_S
) -> tuple[float, float, int]:
    """p50 and p99 of ``rounds`` runs (fewer when they pass ``budget_s``), after one to warm the caches;
    and how many runs were timed."""
    await action()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < rounds and (time.perf_counter() - started < budget_s or len(times) < 5):
        begun = time.perf_counter()
        await action()
        times.append((time.perf_counter() - begun) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, max(0, round(0.99 * len(times)) - 1))]
    return statistics.median(times), p99, len(times)


CASES: list[tuple[str, dict[str, object]]] = [
    ("camera=Canon (make)", {"camera": "Canon"}),
    ("camera=SONY C3 (model)", {"camera": "SONY C3"}),
    ("taken in one month", {"taken_after": "2020-03-01", "taken_before": "2020-04-01"}),
    ("taken after 2024-06-01", {"taken_after": "2024-06-01"}),
    ("has_location=true", {"has_location": True}),
    ("has_location=false", {"has_location": False}),
    ("q=sony (camera or name)", {"q": "sony"}),
    ("q=IMG_0500 (name)", {"q": "IMG_0500"}),
    ("q=ni (2 characters: a start, NIKON)", {"q": "ni"}),
    ("q=IM (2 characters: every name)", {"q": "IM"}),
    ("q=zz (2 characters: nothing)", {"q": "zz"}),
    ("sort taken_at desc", {"sort_by": "taken_at", "sort_order": "desc"}),
    ("sort taken_at asc", {"sort_by": "taken_at"}),
    ("sort filename", {"sort_by": "filename"}),
    ("sort size_bytes desc", {"sort_by": "size_bytes", "sort_order": "desc"}),
    ("camera + has_location, taken_at desc",
     {"camera": "Apple", "has_location": True, "sort_by": "taken_at", "sort_order": "desc"}),
    ("month + camera, filename",
     {"taken_after": "2020-03-01", "taken_before": "2020-04-01", "camera": "Canon", "sort_by": "filename"}),
    ("q=sony + has_location, taken_at desc",
     {"q": "sony", "has_location": True, "sort_by": "taken_at", "sort_order": "desc"}),
    ("camera + year + has_location=false",
     {"camera": "NIKON B2", "taken_after": "2019-01-01", "taken_before": "2020-01-01",
      "has_location": False}),
]  # fmt: skip


async def run(home: Path, assets: int, rounds: int, metadata_bytes: int) -> None:
    loaded = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None)
    database = await Database.open(loaded.paths.db_file, SystemClock())
    units = SqliteUnitOfWorkFactory(database)
    try:
        await seed(units, assets, metadata_bytes)
        service = AssetService(units, InMemoryBlobStore(), SystemClock())
        plain = AssetQuery.build()
        ref50, ref99, runs = await timings_ms(lambda: service.find(plain, PAGE), rounds)
        print(f"  {'case':40} {'p50':>8} {'p99':>8}   (ms; the unfiltered list is the reference)")
        print(f"  {'unfiltered list (reference)':40} {ref50:8.2f} {ref99:8.2f}   ({runs} runs)")
        deep = PageRequest(limit=50, offset=DEEP_OFFSET)
        d50, d99, runs = await timings_ms(lambda: service.find(plain, deep), rounds)
        label = f"unfiltered, offset {DEEP_OFFSET:,} (Files page)"
        print(f"  {label:40} {d50:8.2f} {d99:8.2f}   ({runs} runs)")
        for label, filters in CASES:
            query = AssetQuery.build(**filters)  # type: ignore[arg-type]
            first = await service.find(query, PAGE)
            p50, p99, runs = await timings_ms(lambda q=query: service.find(q, PAGE), rounds)
            flag = "" if p99 < 20 else ", p99 over 20 ms"
            total = f"{first.total:,}{'' if first.total_exact else '+'}"
            print(f"  {label:40} {p50:8.2f} {p99:8.2f}   ({total} match, {runs} runs{flag})")
            if first.next_cursor and "sort_by" in filters:
                after = PageRequest(limit=50, cursor=first.next_cursor)
                c50, c99, runs = await timings_ms(lambda q=query, p=after: service.find(q, p), rounds)
                print(f"  {'  second page by cursor':40} {c50:8.2f} {c99:8.2f}   ({runs} runs)")
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--metadata-bytes", type=int, default=2_000)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="ff-bench-filters-"))
    print(f"asset filters: {args.assets:,} assets in {home}", flush=True)
    anyio.run(run, home, args.assets, args.rounds, args.metadata_bytes)


if __name__ == "__main__":
    main()
