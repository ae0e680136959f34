"""Undo right after a delete: the page a delete leads to (``/ui/entities?deleted=<id>``,
``/ui/assets?deleted=<id>``) offers to bring the record back while it is still in the trash; after
several entities were deleted at once (``deleted=<id>,<id>``), to bring back those still there at once.

The offer is a plain API button (``POST .../restore``) rendered by the server, so no script has to
remember anything between the two pages; a reload shows it again only while the record is in the trash.
"""

from __future__ import annotations

from typing import Any

from faceforge_domain.errors import NotFound
from faceforge_domain.ids import is_id
from faceforge_domain.selection import MAX_SELECTION
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService


async def entity_undo(entities: EntityService, deleted: str) -> dict[str, Any] | None:
    trashed = []
    for entity_id in [i for i in deleted.split(",") if is_id(i)][:MAX_SELECTION]:
        try:
            entity = await entities.get(entity_id, include_deleted=True)
        except NotFound:
            continue
        if entity.deleted_at is not None:
            trashed.append(entity)
    if len(trashed) == 1:
        (one,) = trashed
        return _offer(
            one.display_name, f"/v1/entities/{one.entity_id}/restore", f"/ui/entities/{one.entity_id}"
        )
    if not trashed:
        return None
    body = {"entity_ids": [e.entity_id for e in trashed]}
    return _offer(f"{len(trashed)} entities", "/v1/entities/bulk-restore", "/ui/entities") | {"body": body}


async def asset_undo(assets: AssetService, asset_id: str) -> dict[str, str] | None:
    if not is_id(asset_id):
        return None
    try:
        asset = await assets.get(asset_id, include_deleted=True)
    except NotFound:
        return None
    if asset.deleted_at is None:
        return None
    return _offer(asset.filename, f"/v1/assets/{asset_id}/restore", f"/ui/assets/{asset_id}")


def _offer(name: str, restore: str, page: str) -> dict[str, str]:
    return {"name": name, "restore": restore, "page": page}
