"""Bytes the web UI's entities page sends with its pictures, beside the sum of the original files' sizes.

Creates ``--entities`` entities (default 50), each with its own generated 12-MP JPEG (bench/previews.py's
cached photos) as its main picture, in a fresh home, signs in as the tests do, and for each view of
``/ui/entities`` (table, gallery) sums the page's HTML and every ``<img src>`` it references, fetched
in-process. The reference is the sum of the original files' sizes of the entities on that page: what the
page costs if it shows the originals. Only what the page really references is counted. The previews
are made first (what the background runner does after each upload), so the page shows them.

    python bench/gallery.py [--entities 50]
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.models import Entity
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import EntityQuery
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.app import create_app
from previews import generated_photos

IMG_SRC = re.compile(r'<img[^>]*\ssrc="([^"]+)"')
ENTITY_LINK = re.compile(r'href="/ui/entities/([^"/?]+)"')
CHUNK = 1024 * 1024


async def chunks_of(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


async def seed(core: Core, photos: list[Path]) -> dict[str, int]:
    """One entity per photo, the photo as its main picture; the originals' sizes by entity id."""
    sizes = {}
    for number, photo in enumerate(photos):
        stored = await core.assets.ingest(chunks_of(photo), IngestOptions(filename=photo.name))
        entity = await core.entities.create_from(
            {"display_name": f"Person {number:03d}", "primary_thumbnail_asset_id": stored.asset.asset_id}
        )
        sizes[entity.entity_id] = stored.asset.size_bytes
    return sizes


async def listed_entities(core: Core) -> list[Entity]:
    return (await core.entities.search(EntityQuery.build(), PageRequest(limit=200))).items


async def page_bytes(client: httpx.AsyncClient, view: str) -> tuple[int, int, set[str]]:
    """The page's HTML plus every picture it references, how many pictures, and the entities it lists."""
    page = await client.get("/ui/entities", params={"view": view})
    page.raise_for_status()
    sources = IMG_SRC.findall(page.text)
    total = len(page.content)
    for source in sources:
        picture = await client.get(source.replace("&amp;", "&"))
        picture.raise_for_status()
        total += len(picture.content)
    return total, len(sources), set(ENTITY_LINK.findall(page.text))


async def run(home: Path, entities: int) -> None:
    photos = generated_photos(entities)
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        sizes = await seed(core, photos)
        pictures = [entity.primary_thumbnail_asset_id for entity in await listed_entities(core)]
        await core.previews.build([p for p in pictures if p])  # what the background runner does
        transport = httpx.ASGITransport(app=create_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            await client.post("/ui/login", data={"token": core.install_token})
            print(f"/ui/entities with {entities} entities, each with its own 12-MP JPEG")
            for view in ("table", "gallery"):
                total, pictures, listed = await page_bytes(client, view)
                originals = sum(size for entity_id, size in sizes.items() if entity_id in listed)
                print(
                    f"  {view:8} {len(listed)} entities, {pictures} pictures: page + pictures"
                    f" {total / 1e6:8.2f} MB   reference, their original files: {originals / 1e6:.2f} MB"
                    f" -> {100 * total / originals:.0f}%",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ffbench-gallery-") as tmp:
        anyio.run(run, Path(tmp) / "home", args.entities)


if __name__ == "__main__":
    main()
