"""LookalikeService: search for look-alikes of an asset, and review the groups a scan found.

Keeping one asset of a group is one transaction: the others are soft-deleted through the assets'
own soft delete (so Trash and restore work as for any asset), their entity links (with roles) move
to the kept asset, entity thumbnails that showed a removed copy show the kept one, and the group is
marked resolved. Assets have no tags of their own (entities do), so there are none to merge.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, Invalid, NotFound
from faceforge_domain.events import record
from faceforge_domain.lookalikes import (
    DEFAULT_MAX_DISTANCE,
    DEFAULT_SIMILAR_LIMIT,
    DuplicateGroup,
    GroupStatus,
    NoPictureHash,
    check_max_distance,
    pair_key,
)
from faceforge_domain.models import Asset
from faceforge_domain.paging import PageRequest, PageResult, offset_only, page_of
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.services.assets import asset_soft_delete

# Links of one removed asset moved per read (an asset is rarely linked to more).
_LINKS_PER_READ = 1000


class SimilarAsset(msgspec.Struct, kw_only=True):
    """A look-alike found by a search: the asset and how many hash bits it differs in."""

    asset: Asset
    distance: int


class ReviewMember(msgspec.Struct, kw_only=True):
    """A live member of a group as the review shows it: the asset, its size on screen when its
    metadata says so, its distance to the group's first member and how many entities it is linked to."""

    asset: Asset
    distance: int
    width: int | None
    height: int | None
    linked_entities: int


class ReviewGroup(msgspec.Struct, kw_only=True):
    group_id: str
    status: GroupStatus
    max_distance: int
    kept_asset_id: str | None
    created_at: datetime
    resolved_at: datetime | None
    members: list[ReviewMember]


def dimensions(asset: Asset) -> tuple[int | None, int | None]:
    """Width and height from the asset's extracted metadata: ExifTool's ``ImageWidth`` and
    ``ImageHeight`` of the file itself (``File:``), else of any group."""
    for entry in asset.extracted_metadata:
        data = entry.get("Data")
        if isinstance(data, dict):
            for group in ("File:", ""):
                width, height = data.get(f"{group}ImageWidth"), data.get(f"{group}ImageHeight")
                if isinstance(width, int) and isinstance(height, int):
                    return width, height
    return None, None


class LookalikeService:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock
        self._soft_delete = asset_soft_delete(units, clock)

    async def similar(
        self, asset_id: str, max_distance: int = DEFAULT_MAX_DISTANCE, limit: int = DEFAULT_SIMILAR_LIMIT
    ) -> list[SimilarAsset]:
        """The live assets that look like this one, nearest first."""
        check_max_distance(max_distance)
        if not 1 <= limit <= 200:
            raise Invalid.one("limit", "must be between 1 and 200")
        async with self._units.read() as uow:
            if await uow.assets.get(asset_id) is None:
                raise NotFound("asset", asset_id)
            phash = await uow.lookalikes.get(asset_id)
            if phash is None:
                raise NoPictureHash(asset_id)
            found = await uow.lookalikes.near(phash, max_distance, limit, exclude_asset_id=asset_id)
            assets = await uow.assets.get_many([other for other, _ in found])
        return [SimilarAsset(asset=assets[other], distance=d) for other, d in found if other in assets]

    async def open_groups(self, page: PageRequest) -> PageResult[ReviewGroup]:
        """The open review list, oldest scan first (offset paging)."""
        offset_only(page, "duplicate groups")
        async with self._units.read() as uow:
            found = await uow.duplicate_groups.select("open", limit=page.limit, offset=page.offset)
            items = [await _review(uow, group) for group in found]
            total = await uow.duplicate_groups.count("open")
        return page_of(items, total, page)

    async def group(self, group_id: str) -> ReviewGroup:
        async with self._units.read() as uow:
            return await _review(uow, await _require_group(uow, group_id))

    async def keep(self, group_id: str, asset_id: str) -> DuplicateGroup:
        """Keep ``asset_id`` and soft-delete the group's other live members, moving what they carry."""
        async with self._units.write() as uow:
            group = await _require_open(uow, group_id)
            if asset_id not in group.member_ids():
                raise Invalid.one("asset_id", "is not a member of this group")
            if await uow.assets.get(asset_id) is None:
                raise Conflict("the asset to keep is in the trash; restore it first", {"asset_id": asset_id})
            removed = [m for m in group.member_ids() if m != asset_id]
            live = await uow.assets.get_many(removed)
            await self._move_thumbnails(uow, list(live), asset_id)  # before the trash would clear them
            for other in removed:
                if other in live:
                    await self._move_links(uow, other, asset_id)
                    await self._soft_delete.hide(uow, other)
            group.status, group.kept_asset_id = "resolved", asset_id
            await self._close(uow, group)
            await uow.commit()
        return group

    async def dismiss(self, group_id: str) -> DuplicateGroup:
        """ "Not duplicates": close the group and never connect its members again in a scan."""
        async with self._units.write() as uow:
            group = await _require_open(uow, group_id)
            ids = group.member_ids()
            await uow.duplicate_groups.dismiss_pairs(
                pair_key(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]
            )
            group.status = "dismissed"
            await self._close(uow, group)
            await uow.commit()
        return group

    async def _close(self, uow: UnitOfWork, group: DuplicateGroup) -> None:
        group.resolved_at = self._clock.now()
        await uow.duplicate_groups.update(group)
        data = {"status": group.status, "kept_asset_id": group.kept_asset_id}
        await record(uow, self._clock, "duplicate_group.closed", group.group_id, data)

    async def _move_links(self, uow: UnitOfWork, source: str, target: str) -> None:
        while links := await uow.assets.linked_entities(source, include_deleted=True, limit=_LINKS_PER_READ):
            for link in links:
                entity_id = link.entity.entity_id
                await uow.assets.unlink(entity_id, source)
                await record(uow, self._clock, "asset.unlinked", source, {"entity_id": entity_id})
                if await uow.assets.link(entity_id, target, link.role):
                    data = {"entity_id": entity_id, "role": link.role}
                    await record(uow, self._clock, "asset.linked", target, data)

    async def _move_thumbnails(self, uow: UnitOfWork, removed: list[str], target: str) -> None:
        for entity_id in await uow.entities.showing_thumbnail(removed):
            entity = await uow.entities.get(entity_id, include_deleted=True)
            if entity is not None:
                entity.primary_thumbnail_asset_id = target
                entity.updated_at = self._clock.now()
                await uow.entities.update(entity)
                await record(uow, self._clock, "entity.updated", entity_id)


async def _review(uow: UnitOfWork, group: DuplicateGroup) -> ReviewGroup:
    """The group with its live members' records (members trashed since the scan are left out)."""
    assets = await uow.assets.get_many(group.member_ids())
    members = []
    for member in group.members:
        asset = assets.get(member.asset_id)
        if asset is not None:
            width, height = dimensions(asset)
            linked = await uow.assets.count_linked_entities(asset.asset_id, include_deleted=False)
            members.append(
                ReviewMember(
                    asset=asset, distance=member.distance, width=width, height=height, linked_entities=linked
                )
            )
    return ReviewGroup(
        group_id=group.group_id,
        status=group.status,
        max_distance=group.max_distance,
        kept_asset_id=group.kept_asset_id,
        created_at=group.created_at,
        resolved_at=group.resolved_at,
        members=members,
    )


async def _require_group(uow: UnitOfWork, group_id: str) -> DuplicateGroup:
    group = await uow.duplicate_groups.get(group_id)
    if group is None:
        raise NotFound("duplicate group", group_id)
    return group


async def _require_open(uow: UnitOfWork, group_id: str) -> DuplicateGroup:
    group = await _require_group(uow, group_id)
    if group.status != "open":
        raise Conflict(
            f"this group is already {group.status}", {"group_id": group_id, "status": group.status}
        )
    return group
