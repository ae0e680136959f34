"""The EventLog contract, run against the in-memory fake and the real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from faceforge_adapters.memory.uow import InMemoryUnitOfWorkFactory
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.events import EventFeed, EventFilter, NewEvent, parse_type_filter, record, record_many
from faceforge_domain.plugins.ports import PluginUnitOfWorkFactory

pytestmark = pytest.mark.anyio
MOMENT = datetime(2026, 11, 24, 11, 2, 4, 123000, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PluginUnitOfWorkFactory]:
    if request.param == "memory":
        yield InMemoryUnitOfWorkFactory()
        return
    database = await Database.open(tmp_path / "core.sqlite3", FixedClock())
    try:
        yield SqliteUnitOfWorkFactory(database)
    finally:
        await database.close()


async def append(units: PluginUnitOfWorkFactory, *types: str, subject: str | None = None) -> list[int]:
    async with units.write() as uow:
        ids = [
            await uow.events.append(NewEvent(ts=MOMENT, type=t, subject_id=subject, data={"n": i}))
            for i, t in enumerate(types)
        ]
        await uow.commit()
    return ids


async def test_events_come_back_in_order_with_growing_ids(units: PluginUnitOfWorkFactory) -> None:
    ids = await append(units, "entity.created", "asset.created", "asset.linked")
    assert ids == sorted(ids)
    page, total = await EventFeed(units).page(0, EventFilter(), limit=10)
    assert [(e.id, e.type, e.data, e.ts) for e in page] == [
        (ids[0], "entity.created", {"n": 0}, MOMENT),
        (ids[1], "asset.created", {"n": 1}, MOMENT),
        (ids[2], "asset.linked", {"n": 2}, MOMENT),
    ]
    assert total == 3
    assert await EventFeed(units).last_id() == ids[-1]


async def test_after_resumes_behind_the_last_event_seen(units: PluginUnitOfWorkFactory) -> None:
    ids = await append(units, "entity.created", "entity.updated", "entity.deleted")
    page, total = await EventFeed(units).page(ids[0], EventFilter(), limit=1)
    assert [e.id for e in page] == [ids[1]]
    assert total == 2


async def test_a_rolled_back_change_leaves_no_event(units: PluginUnitOfWorkFactory) -> None:
    await append(units, "entity.created")

    async def failing_change() -> None:
        async with units.write() as uow:
            await uow.events.append(NewEvent(ts=MOMENT, type="entity.updated"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with units.write() as uow:
        await uow.events.append(NewEvent(ts=MOMENT, type="entity.deleted"))  # never committed
    page, _ = await EventFeed(units).page(0, EventFilter(), limit=10)
    assert [e.type for e in page] == ["entity.created"]


async def test_type_filters_take_exact_types_and_families(units: PluginUnitOfWorkFactory) -> None:
    await append(units, "entity.created", "asset.created", "asset.linked", "job.succeeded", "assetx.odd")
    feed = EventFeed(units)
    page, _ = await feed.page(0, EventFilter(types=("asset.*", "job.succeeded")), limit=10)
    assert [e.type for e in page] == ["asset.created", "asset.linked", "job.succeeded"]
    page, _ = await feed.page(0, EventFilter(types=("asset.linked",)), limit=10)
    assert [e.type for e in page] == ["asset.linked"]
    page, total = await feed.page(0, EventFilter(types=("asset.*",)), limit=1)
    assert ([e.type for e in page], total) == (["asset.created"], 2)


async def test_visibility_limits_what_a_plugin_sees(units: PluginUnitOfWorkFactory) -> None:
    await append(units, "entity.created", "asset.created")
    await append(units, "plugin.enabled", subject="hello")
    await append(units, "plugin.enabled", subject="other")
    seen = EventFilter(visible=("asset.*",), own_plugin="hello")
    page, _ = await EventFeed(units).page(0, seen, limit=10)
    assert [(e.type, e.subject_id) for e in page] == [("asset.created", None), ("plugin.enabled", "hello")]


async def test_record_is_the_one_way_services_emit(units: PluginUnitOfWorkFactory) -> None:
    clock = FixedClock(MOMENT)
    async with units.write() as uow:
        await record(uow, clock, "plugin.discovered", "hello", {"version": "1.0.0"})
        await uow.commit()
    page, _ = await EventFeed(units).page(0, EventFilter(), limit=10)
    assert [(e.type, e.subject_id, e.data, e.ts) for e in page] == [
        ("plugin.discovered", "hello", {"version": "1.0.0"}, MOMENT)
    ]


async def test_record_many_appends_a_batch_in_order(units: PluginUnitOfWorkFactory) -> None:
    clock = FixedClock(MOMENT)
    before = await append(units, "asset.created")
    async with units.write() as uow:
        with pytest.raises(ValueError, match="not a dotted event type"):
            await record_many(uow, clock, [("asset.updated", "a", None), ("Bad Type", "b", None)])
        await record_many(uow, clock, [])
        await record_many(uow, clock, [("asset.updated", "a", {"n": 1}), ("asset.deleted", "b", None)])
        await uow.commit()
    page, _ = await EventFeed(units).page(before[-1], EventFilter(), limit=10)
    assert [(e.type, e.subject_id, e.data) for e in page] == [
        ("asset.updated", "a", {"n": 1}),
        ("asset.deleted", "b", {}),
    ]
    assert [e.id for e in page] == sorted(e.id for e in page)


async def test_bad_paging_input_is_refused(units: PluginUnitOfWorkFactory) -> None:
    with pytest.raises(Invalid):
        await EventFeed(units).page(-1, EventFilter(), limit=10)
    with pytest.raises(Invalid):
        await EventFeed(units).page(0, EventFilter(), limit=0)


def test_type_filters_parse_from_comma_lists_and_repeats() -> None:
    assert parse_type_filter(["asset.*,entity.created", "asset.*", " "]) == ("asset.*", "entity.created")
    with pytest.raises(Invalid):
        parse_type_filter(["asset.%"])


async def test_follow_yields_the_backlog_then_new_events(units: PluginUnitOfWorkFactory) -> None:
    await append(units, "entity.created", "job.queued")
    seen: list[str] = []

    async def follow() -> None:
        async for event in EventFeed(units).follow(0, EventFilter(types=("entity.*",)), poll_seconds=0.01):
            seen.append(event.type)
            if len(seen) == 2:
                return

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow)
        await anyio.sleep(0.05)
        await append(units, "entity.updated")
    assert seen == ["entity.created", "entity.updated"]
