"""Recording and polling metadata outcomes on a real SQLite file, each beside the whole-record work it
replaced, measured in the same run.

- ``record``: one 32-asset batch of ExifTool outcomes through ``AssetRepository.record_metadata`` in a
  write transaction, beside reading the same records whole (``get_many``), merging the entry and writing
  them back whole (``update_many``). The ``asset.metadata_extracted`` events, the same in both, are left out.
- ``poll``: the status and reason of ``--assets`` assets, 500 to a read transaction, through
  ``AssetRepository.metadata_states``, beside whole records through ``get_many`` (what a bulk import's
  wait read before).

    python bench/metadata_outcomes.py [--assets 10000] [--rounds 15]

Prints medians of ``--rounds`` timings: wall time and the process's CPU time (what ExifTool loses).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio

from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import SystemClock
from faceforge_domain.metadata import ENTRY_TYPE, SOURCE, MetadataOutcome, replace_entry
from faceforge_domain.models import Asset, JsonObject, StorageLocation

BATCH = 32  # MetadataRunner's batch
POLL = 500  # the bulk import's ids per status read
START = datetime(2025, 1, 1, tzinfo=UTC)
# About what ExifTool reports for a small JPEG once the copy-specific keys are removed.
ENTRY: JsonObject = {
    "Source": SOURCE,
    "Type": ENTRY_TYPE,
    "Name": None,
    "NameHashes": None,
    "Data": {f"EXIF:Tag{i}": "x" * 30 for i in range(40)},
}


def asset_row(i: int) -> Asset:
    sha = hashlib.sha256(b"bench metadata %d" % i).hexdigest()
    return Asset(
        asset_id=sha,
        kind="image.original",
        mime_type="image/jpeg",
        size_bytes=20_000 + i,
        filename=f"img{i}.jpg",
        filenames=[f"img{i}.jpg"],
        storage=StorageLocation(provider="fs", key=f"{sha[:2]}/{sha[2:4]}/{sha}"),
        extracted_metadata=[ENTRY],
        metadata_status="done",
        created_at=START,
        updated_at=START,
    )


async def medians(action: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``action``."""
    await action()  # warm the page cache and the statement cache
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        await action()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def line(label: str, value: tuple[float, float], reference: tuple[float, float], ref_label: str) -> None:
    (wall, cpu), (ref_wall, ref_cpu) = value, reference
    print(f"  {label:34} wall {wall:7.2f} ms  cpu {cpu:7.2f} ms")
    print(
        f"  {'  ' + ref_label:34} wall {ref_wall:7.2f} ms  cpu {ref_cpu:7.2f} ms  (cpu x{ref_cpu / cpu:.1f})"
    )


async def run(db_file: Path, assets: int, rounds: int) -> None:
    clock = SystemClock()
    database = await Database.open(db_file, clock)
    units = SqliteUnitOfWorkFactory(database)
    try:
        rows = [asset_row(i) for i in range(assets)]
        async with units.write() as uow:
            await uow.assets.add_many(rows)
            await uow.commit()
        ids = [row.asset_id for row in rows]
        batch = ids[:BATCH]

        async def record() -> None:
            async with units.write() as uow:
                outcomes = {asset_id: MetadataOutcome("done", None, ENTRY) for asset_id in batch}
                await uow.assets.record_metadata(outcomes, clock.now())
                await uow.commit()

        async def record_whole() -> None:
            async with units.write() as uow:
                found = await uow.assets.get_many(batch, include_deleted=True)
                now = clock.now()
                for asset in found.values():
                    asset.extracted_metadata = replace_entry(asset.extracted_metadata, ENTRY)
                    asset.metadata_status, asset.metadata_reason, asset.updated_at = "done", None, now
                await uow.assets.update_many(list(found.values()))
                await uow.commit()

        line(
            f"record: {BATCH} outcomes",
            await medians(record, rounds),
            await medians(record_whole, rounds),
            "whole records",
        )

        async def read_states(some: list[str]) -> None:
            async with units.read() as uow:
                await uow.assets.metadata_states(some)

        async def read_whole(some: list[str]) -> None:
            async with units.read() as uow:
                await uow.assets.get_many(some)

        def poll(read: Callable[[list[str]], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
            async def every() -> None:
                for start in range(0, len(ids), POLL):
                    await read(ids[start : start + POLL])

            return every

        states = await medians(poll(read_states), rounds)
        whole = await medians(poll(read_whole), rounds)
        line(f"poll: {assets:,} statuses", states, whole, "whole records")
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ff-bench-metadata-") as scratch:
        anyio.run(run, Path(scratch) / "core.sqlite3", args.assets, args.rounds)


if __name__ == "__main__":
    main()
