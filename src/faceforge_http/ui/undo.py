"""Undo right after a delete: the page a delete leads to (``/ui/entities?deleted=<id>``,
``/ui/assets?deleted=<id>``) offers to bring the record back while it is still in the trash; after
several were deleted at once (``deleted=<id>,<id>``), to bring back those still there at once.

The offer is a plain API button (``POST .../restore``) rendered by the server, so no script has to
remember anything between the two pages; a reload shows it again only while the record is in the trash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from faceforge_domain.errors import NotFound
from faceforge_domain.ids import is_id
from faceforge_domain.selection import MAX_SELECTION
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService


class Trashable(Protocol):
    deleted_at: datetime | None


R = TypeVar("R", bound=Trashable)


async def in_trash(get: Callable[..., Awaitable[R]], deleted: str) -> list[R]:
    """The records ``deleted`` names (ids joined by commas) that are still in the trash."""
    found = []
    for key in [i for i in deleted.split(",") if is_id(i)][:MAX_SELECTION]:
        try:
            record = await get(key, include_deleted=True)
        except NotFound:
            continue
        if record.deleted_at is not None:
            found.append(record)
    return found


async def entity_undo(entities: EntityService, deleted: str) -> dict[str, Any] | None:
    trashed = await in_trash(entities.get, deleted)
    if len(trashed) == 1:
        (one,) = trashed
        return _offer(
            one.display_name, f"/v1/entities/{one.entity_id}/restore", f"/ui/entities/{one.entity_id}"
        )
    ids = {"entity_ids": [e.entity_id for e in trashed]}
    return (
        _several(f"{len(trashed)} entities", "/v1/entities/bulk-restore", ids, "/ui/entities")
        if trashed
        else None
    )


async def asset_undo(assets: AssetService, deleted: str, back: str = "/ui/assets") -> dict[str, Any] | None:
    """One file's Undo opens its page again; several files' Undo goes ``back`` (the list they left)."""
    trashed = await in_trash(assets.get, deleted)
    if len(trashed) == 1:
        (one,) = trashed
        return _offer(one.filename, f"/v1/assets/{one.asset_id}/restore", f"/ui/assets/{one.asset_id}")
    ids = {"asset_ids": [a.asset_id for a in trashed]}
    return _several(f"{len(trashed)} files", "/v1/assets/bulk-restore", ids, back) if trashed else None


def _offer(name: str, restore: str, page: str) -> dict[str, Any]:
    return {"name": name, "restore": restore, "page": page}


def _several(name: str, restore: str, body: dict[str, list[str]], page: str) -> dict[str, Any]:
    """The offer for several records: one call to a bulk route (``body`` names them)."""
    return _offer(name, restore, page) | {"body": body}
