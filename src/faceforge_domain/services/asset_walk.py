"""Every stored asset, soft-deleted ones included, oldest first, read a page at a time.

For the jobs that go over the whole store (storage migration, type correction): each page is its own
short read, so a long walk never pins one snapshot or holds a reader for its whole length.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from faceforge_domain.asset_query import AssetPosition, AssetQuery
from faceforge_domain.models import Asset
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.timefmt import format_timestamp

PAGE = 200


async def every_asset(units: UnitOfWorkFactory) -> AsyncIterator[Asset]:
    """Each asset once, live or soft-deleted (their bytes are kept until a purge)."""
    after: AssetPosition | None = None
    query = AssetQuery(include_deleted=True)
    while True:
        async with units.read() as uow:
            page = await uow.assets.find(query, limit=PAGE, after=after)
        for asset in page:
            yield asset
        if len(page) < PAGE:
            return
        last = page[-1]
        after = AssetPosition(value=format_timestamp(last.created_at), asset_id=last.asset_id)
