"""Create an entity from a Python script, with no server running: the library is the API."""

import anyio

from faceforge_adapters.bootstrap import bootstrap


async def main() -> None:
    async with bootstrap() as core:
        entity = await core.entities.create("Ada Lovelace", tags=["mathematician"])
        print(entity.entity_id, entity.display_name)


anyio.run(main)
