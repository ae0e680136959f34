"""The Trash page: what was deleted (entities, files, descriptors, relationships), to restore or delete
forever.

Like every page it only reads; Restore and Delete forever are buttons that call the ``/v1`` API
(``POST .../restore``, ``POST .../purge``).
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.paging import PageRequest, PageResult
from faceforge_domain.queries import EntityQuery, RelationshipQuery
from faceforge_http.deps import (
    AssetServiceDep,
    DescriptorServiceDep,
    EntityServiceDep,
    RelationshipServiceDep,
)
from faceforge_http.routes.assets import asset_out
from faceforge_http.routes.descriptors import descriptor_out
from faceforge_http.routes.entities import entity_out
from faceforge_http.routes.relationships import relationship_out
from faceforge_http.ui.pages import PAGE_SIZE, entity_names, page_links, plain

TRASH_TABS = {
    "entities": "Entities",
    "files": "Files",
    "descriptors": "Descriptors",
    "relationships": "Relationships",
}


@get("/trash", include_in_schema=False)
async def trash_page(
    entities: EntityServiceDep,
    assets: AssetServiceDep,
    descriptors: DescriptorServiceDep,
    relationships: RelationshipServiceDep,
    tab: FromQuery[str] = "entities",
    offset: FromQuery[int] = 0,
) -> Template:
    tab = tab if tab in TRASH_TABS else "entities"
    page = PageRequest(limit=PAGE_SIZE, offset=max(offset, 0))
    found: PageResult[Any]
    if tab == "entities":
        query = EntityQuery.build(sort_by="updated_at", sort_order="desc", in_trash=True)
        found = await entities.search(query, page)
        items = [plain(entity_out(e)) for e in found.items]
    elif tab == "files":
        found = await assets.find(AssetQuery.build(in_trash=True), page)
        items = [plain(asset_out(a)) for a in found.items]
    elif tab == "descriptors":
        found = await descriptors.in_trash(page)
        items = [plain(descriptor_out(d)) for d in found.items]
    else:
        found = await relationships.search(RelationshipQuery.build(in_trash=True), page)
        items = [plain(relationship_out(r)) for r in found.items]
    ends = {i[key] for i in items for key in ("entity_id", "src_entity_id", "dst_entity_id") if key in i}
    return Template(
        "trash.html",
        context={
            "tab": tab,
            "tabs": TRASH_TABS,
            "items": items,
            "names": await entity_names(entities, ends) if tab in ("descriptors", "relationships") else {},
            "paging": page_links(found, PAGE_SIZE, {"tab": tab}),
        },
    )
