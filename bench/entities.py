"""Entity lists at scale: seed N entities (default 1,000,000) through the library, start the real server
(``faceforge serve``) and load it with ``wrk`` on loopback.

Prints requests/s and p50/p99 latency for the first page, a cursor page deep in the set, ``q=``
substring search, a ``tag=`` filter, ``sort_by=display_name`` and a deep ``offset=`` page, beside the
reference measured in the same run: ``GET /healthz`` (the server and framework with no entity work).

    python bench/entities.py [--count 1000000] [--home DIR] [--duration 10] [--connections 4]

The seeded home is kept and reused when it already holds ``--count`` entities (pass ``--reseed`` to
start over). ``wrk`` comes from apt (``apt-get install wrk``); the script installs it when missing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import anyio

from faceforge_adapters.bootstrap import prepare_home
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import SystemClock
from faceforge_domain.ids import new_id
from faceforge_domain.models import Entity
from faceforge_domain.paging import Cursor, encode_cursor
from faceforge_domain.queries import EntityQuery
from faceforge_domain.timefmt import format_timestamp

BATCH = 10_000
FIRST = ["Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
         "Ines", "Jonas", "Kaveh", "Lucia", "Mateo", "Nadia", "Oskar"]  # fmt: skip
SYLLABLES = [a + b for a in "bdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "an", "er", "ol")]
TAGS = [f"tag{i:03d}" for i in range(500)]


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


async def seed(home: Path, count: int) -> None:
    """Insert ``count`` entities in batches through the SQLite repository's fast path."""
    loaded = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None)
    database = await Database.open(loaded.paths.db_file, SystemClock())
    units = SqliteUnitOfWorkFactory(database)
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    begun = time.perf_counter()
    try:
        for base in range(0, count, BATCH):
            batch = []
            for i in range(base, min(base + BATCH, count)):
                moment = start + timedelta(milliseconds=i)
                name = f"{rng.choice(FIRST)} {surname(rng)}"
                batch.append(
                    Entity(
                        entity_id=new_id(),
                        display_name=name,
                        aliases=[surname(rng) for _ in range(rng.randint(0, 2))],
                        tags=rng.sample(TAGS, 2),
                        external_ids={"seed": str(i)},
                        created_at=moment,
                        updated_at=moment,
                    )
                )
            async with units.write() as uow:
                await uow.entities.add_many(batch)
                await uow.commit()
            done = base + len(batch)
            if done % 100_000 == 0 or done == count:
                rate = done / (time.perf_counter() - begun)
                print(f"  seeded {done:,} entities ({rate:,.0f}/s)", flush=True)
    finally:
        await database.close()


async def existing_count(home: Path) -> int:
    db_file = home / "db" / "core.sqlite3"
    if not db_file.exists():
        return 0
    database = await Database.open(db_file, SystemClock())
    try:
        async with SqliteUnitOfWorkFactory(database).read() as uow:
            return await uow.entities.count()
    finally:
        await database.close()


async def deep_cursor(home: Path, position: int) -> str:
    """The cursor a client holds after paging to ``position`` in the default order."""
    database = await Database.open(home / "db" / "core.sqlite3", SystemClock())
    try:
        async with SqliteUnitOfWorkFactory(database).read() as uow:
            rows = await uow.entities.search(EntityQuery(), limit=1, offset=position)
    finally:
        await database.close()
    last = rows[0]
    return encode_cursor(Cursor("created_at:asc", format_timestamp(last.created_at), last.entity_id))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(wrk: str, url: str, token: str, duration: int, connections: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) for one URL."""
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    return rps, p50, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, default=Path("/tmp/faceforge-bench-entities"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    home: Path = args.home.resolve()
    if args.reseed and home.exists():
        shutil.rmtree(home)
    have = anyio.run(existing_count, home)
    if have != args.count:
        if have:
            shutil.rmtree(home)
        print(f"seeding {args.count:,} entities into {home}", flush=True)
        began = time.perf_counter()
        anyio.run(seed, home, args.count)
        print(f"seeded in {time.perf_counter() - began:,.0f} s", flush=True)
    else:
        print(f"reusing {have:,} entities in {home}")
    wrk = ensure_wrk()
    token = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None).config.auth.install_token
    cursor = anyio.run(deep_cursor, home, int(args.count * 0.9))
    port = free_port()
    env = {**os.environ, "FACEFORGE_HOME": str(home), "FACEFORGE_LOGGING__LEVEL": "warning"}
    faceforge = str(Path(sys.executable).with_name("faceforge"))
    server = subprocess.Popen(
        [faceforge, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310  (loopback)
                    break
            except OSError:
                time.sleep(0.2)
        deep = int(args.count * 0.9)
        cases = [
            ("reference: GET /healthz", "/healthz"),
            ("first page", "/v1/entities?limit=50"),
            (f"cursor page at {deep:,}", f"/v1/entities?limit=50&cursor={cursor}"),
            ('q= substring ("ikoler")', "/v1/entities?limit=50&q=" + quote("ikoler")),
            ("tag= filter", "/v1/entities?limit=50&tag=tag042"),
            ("sort_by=display_name", "/v1/entities?limit=50&sort_by=display_name"),
            (f"offset={deep:,}", f"/v1/entities?limit=50&offset={deep}"),
        ]
        print(f"\n{args.count:,} entities; wrk -t1 -c{args.connections} -d{args.duration}s on loopback")
        print(f"{'request':34} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
        results = {}
        for label, path in cases:
            rps, p50, p99 = run_wrk(wrk, base + path, token, args.duration, args.connections)
            results[label] = (rps, p50, p99)
            print(f"{label:34} {rps:9.0f} {p50:9.2f} {p99:9.2f}", flush=True)
        first = results["first page"][1]
        offset_p50 = results[f"offset={deep:,}"][1]
        print(f"\noffset paging at {deep:,} is {offset_p50 / first:.0f}x slower (p50) than the first page")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
