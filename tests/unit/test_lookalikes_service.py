"""Look-alike search, the ``core.duplicates.scan`` job, and keeping one of a group, over the fakes.

The search test stands for "finds a resized, recompressed and slightly cropped copy and not unrelated
photos" at the hash level: such copies hash a few bits apart, unrelated photos about half the bits
apart (the preview pipeline's tests check that of the hash function itself).
"""

from __future__ import annotations

import pytest
from jobs_support import TickingClock, make_service

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_domain.errors import Conflict, Invalid, NotFound
from faceforge_domain.events import EventFeed, EventFilter
from faceforge_domain.jobs.duplicates_scan import JOB_TYPE, register_duplicates_scan
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.lookalikes import NoPictureHash
from faceforge_domain.paging import PageRequest
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.lookalikes import LookalikeService, ReviewGroup, dimensions
from lookalikes_support import asset_id, asset_record, seed_hashes

pytestmark = pytest.mark.anyio
PHOTO = 0x9F3A_5C11_E7D2_08B4
RESIZED, RECOMPRESSED, CROPPED = PHOTO ^ 0b1, PHOTO ^ 0b1010_0000, PHOTO ^ (0b111 << 40)
UNRELATED = (PHOTO ^ 0x5A5A_A5A5_F0F0_0F0F, 0x0123_4567_89AB_CDEF)


class World:
    def __init__(self) -> None:
        self.jobs, self.units, _ = make_service()
        self.clock = TickingClock()
        register_duplicates_scan(self.jobs.registry, self.units, self.clock)
        self.lookalikes = LookalikeService(self.units, self.clock)
        self.assets = AssetService(self.units, InMemoryBlobStore(), self.clock)
        self.entities = EntityService(self.units, self.clock)

    async def scan(self, **given: object) -> Job:
        await self.jobs.create(JOB_TYPE, dict(given))
        claimed = await self.jobs.claim_next()
        assert claimed is not None
        return await JobExecutor(self.jobs, 1).run_job(claimed)

    async def groups(self) -> list[ReviewGroup]:
        return (await self.lookalikes.open_groups(PageRequest())).items


async def test_search_finds_resized_recompressed_and_cropped_copies_but_not_unrelated_photos() -> None:
    world = World()
    await seed_hashes(world.units, dict(enumerate([PHOTO, RESIZED, RECOMPRESSED, CROPPED, *UNRELATED])))
    found = await world.lookalikes.similar(asset_id(0))
    assert [(s.asset.asset_id, s.distance) for s in found] == [
        (asset_id(1), 1),
        (asset_id(2), 2),
        (asset_id(3), 3),
    ]
    [nearest] = await world.lookalikes.similar(asset_id(0), max_distance=2, limit=1)
    assert (nearest.asset.filename, nearest.distance) == ("IMG_0001.jpg", 1)


async def test_search_refuses_unknown_assets_missing_hashes_and_bad_distances() -> None:
    world = World()
    await seed_hashes(world.units, {1: PHOTO})
    async with world.units.write() as uow:
        await uow.lookalikes.remove(asset_id(1))
        await uow.commit()
    with pytest.raises(NoPictureHash, match="no picture hash yet"):
        await world.lookalikes.similar(asset_id(1))
    with pytest.raises(NotFound):
        await world.lookalikes.similar(asset_id(2))
    for bad in (-1, 13):
        with pytest.raises(Invalid):
            await world.lookalikes.similar(asset_id(1), max_distance=bad)


async def test_a_scan_groups_look_alikes_and_a_rescan_replaces_only_the_open_list() -> None:
    world = World()
    await seed_hashes(world.units, {0: PHOTO, 1: RESIZED, 2: CROPPED, 3: UNRELATED[1], 4: UNRELATED[1] ^ 1})
    job = await world.scan()
    assert job.status == "succeeded"
    assert job.result == {
        "hashes": 5,
        "groups": 2,
        "assets_in_groups": 5,
        "replaced_open_groups": 0,
        "max_distance": 6,
    }
    second, first = sorted(await world.groups(), key=lambda g: len(g.members))
    assert [(m.asset.asset_id, m.distance) for m in first.members] == [
        (asset_id(0), 0),
        (asset_id(1), 1),
        (asset_id(2), 3),
    ]
    await world.lookalikes.dismiss(second.group_id)
    rescanned = await world.scan()
    assert rescanned.result is not None
    assert (rescanned.result["groups"], rescanned.result["replaced_open_groups"]) == (1, 1)
    assert [g.group_id for g in await world.groups()] != [first.group_id]
    assert [[m.asset.asset_id for m in g.members] for g in await world.groups()] == [
        [m.asset.asset_id for m in first.members]
    ]
    assert (await world.lookalikes.group(second.group_id)).status == "dismissed"


async def test_scan_input_is_checked_before_a_job_exists() -> None:
    world = World()
    for bad in ({"max_distance": 13}, {"max_distance": "6"}, {"other": 1}):
        with pytest.raises(Invalid):
            await world.jobs.create(JOB_TYPE, bad)
    assert (await world.jobs.list_jobs()).total == 0


async def test_keeping_one_trashes_the_others_and_moves_links_and_thumbnails() -> None:
    world = World()
    await seed_hashes(world.units, {0: PHOTO, 1: RESIZED, 2: CROPPED})
    ada = await world.entities.create("Ada", primary_thumbnail_asset_id=asset_id(2))
    bob = await world.entities.create("Bob")
    await world.assets.link(ada.entity_id, asset_id(1), "portrait")
    await world.assets.link(ada.entity_id, asset_id(0), "subject")  # already linked to the kept one
    await world.assets.link(bob.entity_id, asset_id(2), "cameo")
    await world.scan()
    [group] = await world.groups()

    kept = await world.lookalikes.keep(group.group_id, asset_id(0))

    assert (kept.status, kept.kept_asset_id) == ("resolved", asset_id(0))
    for gone in (1, 2):
        with pytest.raises(NotFound):
            await world.assets.get(asset_id(gone))
        assert (await world.assets.get(asset_id(gone), include_deleted=True)).deleted_at is not None
    links = await world.assets.linked_entities(asset_id(0), PageRequest())
    assert sorted((link.entity.display_name, link.role) for link in links.items) == [
        ("Ada", "subject"),
        ("Bob", "cameo"),
    ]
    assert (await world.entities.get(ada.entity_id)).primary_thumbnail_asset_id == asset_id(0)
    assert await world.groups() == []
    events, _ = await EventFeed(world.units).page(0, EventFilter(), limit=200)
    told = {(e.type, e.subject_id) for e in events}
    assert {("asset.deleted", asset_id(1)), ("asset.deleted", asset_id(2))} <= told
    assert {("asset.linked", asset_id(0)), ("entity.updated", ada.entity_id)} <= told
    assert ("duplicate_group.closed", group.group_id) in told
    await world.assets.restore(asset_id(1))  # the trash works as for any deleted asset
    assert (await world.assets.get(asset_id(1))).deleted_at is None


async def test_keep_and_dismiss_refuse_what_they_cannot_do_and_change_nothing() -> None:
    world = World()
    await seed_hashes(world.units, {0: PHOTO, 1: RESIZED, 2: UNRELATED[1]})
    await world.scan()
    [group] = await world.groups()
    with pytest.raises(Invalid):
        await world.lookalikes.keep(group.group_id, asset_id(2))
    with pytest.raises(NotFound):
        await world.lookalikes.keep("f" * 64, asset_id(0))
    await world.assets.delete(asset_id(0))
    with pytest.raises(Conflict, match="in the trash"):
        await world.lookalikes.keep(group.group_id, asset_id(0))
    assert (await world.assets.get(asset_id(1))).deleted_at is None
    assert (await world.lookalikes.group(group.group_id)).status == "open"
    await world.lookalikes.dismiss(group.group_id)
    with pytest.raises(Conflict, match="already dismissed"):
        await world.lookalikes.keep(group.group_id, asset_id(1))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"File:ImageWidth": 8, "File:ImageHeight": 6, "EXIF:ImageWidth": 1}, (8, 6)),
        ({"ImageWidth": 4, "ImageHeight": 3}, (4, 3)),
        ({"File:ImageWidth": "8", "File:ImageHeight": 6}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_dimensions_come_from_the_file_metadata_when_known(
    data: dict[str, object], expected: tuple[int | None, int | None]
) -> None:
    asset = asset_record(1)
    asset.extracted_metadata = [{"Source": "exiftool", "Type": "file", "Data": data}]
    assert dimensions(asset) == expected
