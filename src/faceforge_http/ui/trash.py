"""The Trash page: what was deleted (entities, files), newest first, to restore or delete forever.

Like every page it only reads; Restore and Delete forever are buttons that call the ``/v1`` API
(``POST .../restore``, ``POST .../purge``).
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import EntityQuery
from faceforge_http.deps import AssetServiceDep, EntityServiceDep
from faceforge_http.routes.assets import asset_out
from faceforge_http.routes.entities import entity_out
from faceforge_http.ui.pages import PAGE_SIZE, paging, plain

TRASH_TABS = {"entities": "Entities", "files": "Files"}


@get("/trash", include_in_schema=False)
async def trash_page(
    entities: EntityServiceDep,
    assets: AssetServiceDep,
    tab: FromQuery[str] = "entities",
    offset: FromQuery[int] = 0,
) -> Template:
    tab = tab if tab in TRASH_TABS else "entities"
    page = PageRequest(limit=PAGE_SIZE, offset=max(offset, 0))
    items: list[dict[str, Any]]
    if tab == "entities":
        query = EntityQuery.build(sort_by="updated_at", sort_order="desc", in_trash=True)
        found = await entities.search(query, page)
        items, total = [plain(entity_out(e)) for e in found.items], found.total
    else:
        files = await assets.find(AssetQuery.build(in_trash=True), page)
        items, total = [plain(asset_out(a)) for a in files.items], files.total
    return Template(
        "trash.html",
        context={
            "tab": tab,
            "tabs": TRASH_TABS,
            "items": items,
            "paging": paging(total, page.offset, PAGE_SIZE, {"tab": tab}),
        },
    )
