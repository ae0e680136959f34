"""Store a file from a Python script and wait for its metadata: Core with only the service it needs."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import build_core
from faceforge_domain.services.assets import IngestOptions


async def chunks(path: Path) -> AsyncIterator[bytes]:  # the file, a piece at a time
    async with await anyio.open_file(path, "rb") as file:
        while piece := await file.read(1024 * 1024):
            yield piece


async def main(path: Path) -> None:
    async with build_core() as core, core.lifecycle.running({"metadata"}):
        stored = await core.assets.ingest(chunks(path), IngestOptions(filename=path.name))
        await core.metadata.wait_idle()
        asset = await core.assets.get(stored.asset.asset_id)
        print(asset.asset_id, asset.metadata_status)


anyio.run(main, Path(sys.argv[1]))
