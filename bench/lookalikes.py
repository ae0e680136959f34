"""Look-alike search and the duplicates scan at scale, on a real SQLite file.

- ``near``: ``LookalikeRepository.near`` (one read transaction per query, as a request makes it) at
  ``max_distance`` 6 and 10 over ``--queries`` queries, p50 and p99, beside the same query answered
  by a full scan of every stored hash (read them all, count differing bits), measured in the same run
  on ``--scan-queries`` queries (a full scan costs about a second at a million hashes).
- ``scan``: a ``core.duplicates.scan`` job run to the end through the job executor, on a second home
  of ``--scan-hashes`` hashes (the job holds every hash in memory and checks each one's band
  neighbours in Python: its time grows with the square of the library over 65,536 band values).

The library is random 64-bit hashes plus, for each query, three planted near copies (2, 4 and 6 bits
away). Homes are built once and cached under ``--cache`` (default ``~/.cache/faceforge-bench``).

    python bench/lookalikes.py [--hashes 1000000] [--queries 1000] [--scan-queries 5]
                               [--scan-hashes 100000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import prepare_home
from faceforge_adapters.memory.jobs import InMemoryLiveness
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.lookalikes import from_stored
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import SystemClock
from faceforge_domain.jobs.duplicates_scan import JOB_TYPE, register_duplicates_scan
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService
from faceforge_domain.lookalikes import distance
from faceforge_domain.models import Asset, StorageLocation

BATCH = 20_000
START = datetime(2025, 1, 1, tzinfo=UTC)
PLANTED = (0b11, 0b1111 << 20, 0b111111 << 40)  # near copies 2, 4 and 6 bits away


def asset_row(i: int) -> Asset:
    asset_id = f"{i:064x}"
    return Asset(
        asset_id=asset_id,
        kind="image.photo",
        mime_type="image/jpeg",
        size_bytes=1000,
        filename=f"IMG_{i}.jpg",
        filenames=[f"IMG_{i}.jpg"],
        storage=StorageLocation(provider="fs", key=asset_id),
        metadata_status="skipped",
        created_at=START,
        updated_at=START,
    )


def library(size: int, queries: int) -> tuple[list[int], list[int]]:
    """``size`` hashes (random, then each query's base and its planted copies) and the queries."""
    rng = random.Random(18)
    bases = [rng.getrandbits(64) for _ in range(queries)]
    planted = [base ^ mask for base in bases for mask in (0, *PLANTED)]
    return [rng.getrandbits(64) for _ in range(size - len(planted))] + planted, bases


async def open_home(cache: Path, size: int, queries: int) -> tuple[Database, list[int]]:
    home = cache / f"lookalikes-{size}"
    loaded = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None)
    database = await Database.open(loaded.paths.db_file, SystemClock())
    units = SqliteUnitOfWorkFactory(database)
    hashes, bases = library(size, queries)
    async with units.read() as uow:
        if await uow.lookalikes.count() == size:
            return database, bases
    begun = time.perf_counter()
    for start in range(0, size, BATCH):
        async with units.write() as uow:
            await uow.assets.add_many([asset_row(i) for i in range(start, min(start + BATCH, size))])
            for i in range(start, min(start + BATCH, size)):
                await uow.lookalikes.put(f"{i:064x}", hashes[i])
            await uow.commit()
    print(f"  built {size:,} hashes in {time.perf_counter() - begun:.0f} s ({home})", flush=True)
    return database, bases


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98]


async def time_near(units: SqliteUnitOfWorkFactory, bases: list[int], max_distance: int) -> list[float]:
    times = []
    for base in bases:
        begun = time.perf_counter()
        async with units.read() as uow:
            found = await uow.lookalikes.near(base, max_distance, 20)
        times.append((time.perf_counter() - begun) * 1000)
        assert len(found) >= 1 + sum(bin(m).count("1") <= max_distance for m in PLANTED), found
    return times


async def time_full_scan(database: Database, bases: list[int], max_distance: int) -> list[float]:
    times = []
    for base in bases:
        begun = time.perf_counter()
        async with database.read() as conn:
            rows = await conn.execute_fetchall("SELECT asset_id, phash FROM lookalike_hashes")
        found = sorted((d, a) for a, h in rows if (d := distance(base, from_stored(h))) <= max_distance)[:20]
        times.append((time.perf_counter() - begun) * 1000)
        assert found, "the planted copies are found"
    return times


async def bench_near(cache: Path, size: int, queries: int, scan_queries: int) -> None:
    database, bases = await open_home(cache, size, queries)
    units = SqliteUnitOfWorkFactory(database)
    try:
        await time_near(units, bases[:20], 6)  # warm the page cache
        for max_distance in (6, 10):
            p50, p99 = percentiles(await time_near(units, bases, max_distance))
            full = await time_full_scan(database, bases[:scan_queries], max_distance)
            print(
                f"  near, max_distance {max_distance:2}, {size:,} hashes: "
                f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms   "
                f"(full scan: median {statistics.median(full):8.1f} ms over {len(full)} queries)",
                flush=True,
            )
    finally:
        await database.close()


async def bench_scan(cache: Path, size: int) -> None:
    database, _ = await open_home(cache, size, 100)
    units = SqliteUnitOfWorkFactory(database)
    try:
        clock = SystemClock()
        jobs = JobService(units, JobRegistry(), clock, InMemoryLiveness())
        register_duplicates_scan(jobs.registry, units, clock)
        await jobs.create(JOB_TYPE, {"max_distance": 6})
        claimed = await jobs.claim_next()
        assert claimed is not None
        begun = time.perf_counter()
        ended = await JobExecutor(jobs, 1).run_job(claimed)
        took = time.perf_counter() - begun
        read_begun = time.perf_counter()
        async with database.read() as conn:
            await conn.execute_fetchall("SELECT asset_id, phash FROM lookalike_hashes")
        read = time.perf_counter() - read_begun
        print(
            f"  core.duplicates.scan, max_distance 6, {size:,} hashes: {took:6.1f} s, "
            f"{ended.status}, {ended.result}   (reading every hash once: {read:.2f} s)",
            flush=True,
        )
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--scan-queries", type=int, default=5)
    parser.add_argument("--scan-hashes", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "faceforge-bench")
    args = parser.parse_args()
    anyio.run(bench_near, args.cache, args.hashes, args.queries, args.scan_queries)
    anyio.run(bench_scan, args.cache, args.scan_hashes)


if __name__ == "__main__":
    main()
