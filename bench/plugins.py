"""What a plugin token and the event feed cost per request, on the real server (``faceforge serve``).

Prints requests/s and p50/p99 latency, over sequential keep-alive requests from one client, for:
``GET /v1/ping`` with the install token, the same with a plugin token (verified once, then trusted
while the registry's change counter, read per request, stays the same; plus the permission check),
and ``GET /v1/events`` pages (100 events, after a random id) over a feed of ``--events`` events, with
the install token and filtered by a plugin's grants.
The reference, measured in the same run, is ``GET /healthz`` (the server with no auth and no query).

    python bench/plugins.py [--events 100000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import prepare_home
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import SystemClock
from faceforge_domain.events import NewEvent

HELLO = Path(__file__).resolve().parents[1] / "examples" / "plugins" / "hello"
TYPES = ["entity.created", "entity.updated", "asset.created", "asset.linked", "job.succeeded"]


async def seed(home: Path, count: int) -> None:
    loaded = prepare_home(home, {"FACEFORGE_HOME": str(home)}, None)
    database = await Database.open(loaded.paths.db_file, SystemClock())
    try:
        units = SqliteUnitOfWorkFactory(database)
        now = datetime.now(UTC)
        async with units.write() as uow:
            for i in range(count):
                await uow.events.append(NewEvent(ts=now, type=TYPES[i % len(TYPES)], subject_id=f"{i:064x}"))
            await uow.commit()
    finally:
        await database.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(
    conn: http.client.HTTPConnection, method: str, path: str, token: str | None, body: object = None
) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
    return payload


def measure(conn: http.client.HTTPConnection, label: str, paths: list[str], token: str | None) -> None:
    times = []
    started = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        call(conn, "GET", path, token)
        times.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(times, n=100)
    print(f"{label:42} {len(paths) / elapsed:8.0f} req/s   p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ffbench-plugins-"))
    try:
        shutil.copytree(HELLO, home / "plugins" / "hello")
        anyio.run(seed, home, args.events)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
        env["FACEFORGE_HOME"] = str(home)
        faceforge = Path(sys.executable).parent / "faceforge"
        server = subprocess.Popen(
            [str(faceforge), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(300):
                try:
                    call(conn, "GET", "/healthz", None)
                    break
                except (ConnectionError, OSError):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    time.sleep(0.1)
            install = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
            grant = {"grant": ["assets:read", "assets:write", "jobs:run"]}
            enabled = json.loads(call(conn, "POST", "/v1/plugins/hello/enable", install, grant))
            plugin = enabled["data"]["token"]
            rng = random.Random(7)
            n = args.requests
            feed = [f"/v1/events?after={rng.randrange(args.events)}&limit=100" for _ in range(n)]
            print(f"{args.events} events in the feed, {n} sequential requests per line")
            measure(conn, "reference: GET /healthz (no auth)", ["/healthz"] * n, None)
            measure(conn, "GET /v1/ping, install token", ["/v1/ping"] * n, install)
            measure(conn, "GET /v1/ping, plugin token", ["/v1/ping"] * n, plugin)
            measure(conn, "GET /v1/events (100/page), install token", feed, install)
            measure(conn, "GET /v1/events (100/page), plugin token", feed, plugin)
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
