"""Undo right after a delete: the page a delete leads to (``/ui/entities?deleted=<id>``,
``/ui/assets?deleted=<id>``) offers to bring the record back while it is still in the trash.

The offer is a plain API button (``POST .../restore``) rendered by the server, so no script has to
remember anything between the two pages; a reload shows it again only while the record is in the trash.
"""

from __future__ import annotations

from faceforge_domain.errors import NotFound
from faceforge_domain.ids import is_id
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService


async def entity_undo(entities: EntityService, entity_id: str) -> dict[str, str] | None:
    if not is_id(entity_id):
        return None
    try:
        entity = await entities.get(entity_id, include_deleted=True)
    except NotFound:
        return None
    if entity.deleted_at is None:
        return None
    return _offer(entity.display_name, f"/v1/entities/{entity_id}/restore", f"/ui/entities/{entity_id}")


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
