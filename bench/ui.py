"""Web UI pages at scale: server time to render each page with N entities (default 100,000).

Seeds the entities with bench/entities.py's fast path, signs in, and renders each page many times
in-process (no network), printing p50/p95 milliseconds beside the reference measured in the same run:
``GET /v1/entities`` for the same first page as JSON (the same query and count without templates).
Also prints each page's weight: HTML plus the CSS and JS it loads, before images.

    python bench/ui.py [--count 100000] [--home DIR] [--rounds 50]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from entities import existing_count, seed
from faceforge_adapters.bootstrap import bootstrap
from faceforge_http.app import create_app
from faceforge_http.ui.pages import PAGE_SIZE

PAGES = [
    ("entities, first page", "/ui/entities"),
    ("entities, gallery", "/ui/entities?view=gallery"),
    ("entities, name search", "/ui/entities?q=ann"),
    ("entities, tag filter", "/ui/entities?tag=actor"),
    ("entities, by name", "/ui/entities?sort=name"),
    ("one entity", "{entity}"),
    ("files", "/ui/assets"),
    ("jobs", "/ui/jobs"),
    ("fields", "/ui/admin/fields"),
    ("plugins", "/ui/plugins"),
]
REFERENCE = (
    "reference: GET /v1/entities (JSON)",
    f"/v1/entities?limit={PAGE_SIZE}&sort_by=created_at&sort_order=desc",
)


async def timed(client: httpx.AsyncClient, path: str, rounds: int) -> tuple[float, float, int]:
    samples = []
    size = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], size


async def weight(client: httpx.AsyncClient, html: str) -> int:
    total = len(html.encode())
    for ref in set(re.findall(r'(?:src|href)="(/ui/static/[^"]+\.(?:js|css))"', html)):
        total += len((await client.get(ref)).content)
    return total


async def run(home: Path, count: int, rounds: int) -> None:
    if await existing_count(home) != count:
        print(f"seeding {count:,} entities into {home}", flush=True)
        await seed(home, count)
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        transport = httpx.ASGITransport(app=create_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            await client.post("/ui/login", data={"token": core.install_token})
            first = (await client.get(REFERENCE[1], headers={"X-FaceForge-Token": core.install_token})).json()
            entity = "/ui/entities/" + first["data"]["items"][0]["entity_id"]
            print(f"{count:,} entities, {rounds} renders each, in-process (ms)")
            print(f"{'page':40} {'p50':>8} {'p95':>8} {'weight KB':>10}")
            for label, path in [REFERENCE, *PAGES]:
                path = path.replace("{entity}", entity)
                p50, p95, _ = await timed(client, path, rounds)
                kb = (
                    ""
                    if path.startswith("/v1")
                    else f"{await weight(client, (await client.get(path)).text) / 1024:.1f}"
                )
                print(f"{label:40} {p50:8.1f} {p95:8.1f} {kb:>10}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    home = args.home or Path(tempfile.gettempdir()) / f"faceforge-bench-ui-{args.count}"
    anyio.run(run, home, args.count, args.rounds)


if __name__ == "__main__":
    main()
