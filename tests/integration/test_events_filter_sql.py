"""The SQLite event filter agrees with the domain's ``EventFilter.admits`` on any filter (hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.events import EventFilter, NewEvent

TYPES = ["entity.created", "entity.updated", "asset.created", "asset_x.created", "assetx.linked",
         "plugin.enabled", "plugin.disabled", "job.succeeded"]  # fmt: skip
SUBJECTS = [None, "hello", "other"]
PATTERNS = st.sampled_from([*TYPES, "entity.*", "asset.*", "asset_x.*", "plugin.*", "job.*", "a.*"])
FILTERS = st.builds(
    EventFilter,
    types=st.lists(PATTERNS, max_size=3).map(tuple),
    visible=st.none() | st.lists(PATTERNS, max_size=3).map(tuple),
    own_plugin=st.sampled_from([None, "hello", "other"]),
)
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


class Feed:
    """A SQLite event log holding every (type, subject) pair, queried synchronously."""

    def __init__(self, path: Path) -> None:
        self.units: SqliteUnitOfWorkFactory
        self.database: Database
        anyio.run(self._open, path)

    async def _open(self, path: Path) -> None:
        self.database = await Database.open(path, FixedClock())
        self.units = SqliteUnitOfWorkFactory(self.database)
        async with self.units.write() as uow:
            for event_type in TYPES:
                for subject in SUBJECTS:
                    await uow.events.append(NewEvent(ts=MOMENT, type=event_type, subject_id=subject))
            await uow.commit()

    def query(self, event_filter: EventFilter) -> list[tuple[str, str | None]]:
        async def run() -> list[tuple[str, str | None]]:
            async with self.units.read() as uow:
                found = await uow.events.after(0, event_filter, limit=1000)
                assert await uow.events.count(0, event_filter) == len(found)
            return [(e.type, e.subject_id) for e in found]

        return anyio.run(run)

    def close(self) -> None:
        anyio.run(self.database.close)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Feed]:
    opened = Feed(tmp_path_factory.mktemp("events") / "core.sqlite3")
    yield opened
    opened.close()


@settings(max_examples=60, deadline=None)
@given(event_filter=FILTERS)
def test_sql_and_domain_filters_agree(feed: Feed, event_filter: EventFilter) -> None:
    expected = [(t, s) for t in TYPES for s in SUBJECTS if event_filter.admits(t, s)]
    assert feed.query(event_filter) == expected
