"""The event feed: an append-only log of what changed, for plugins and integrations to follow.

An event is appended through the unit of work that makes the change (``uow.events.append``), so it is
committed in the same transaction: a rolled-back change never leaves an event behind, and a reader who
sees event ``n`` sees every change up to it. Ids only grow; ``after=<last id seen>`` resumes a feed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import anyio
import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Invalid
from faceforge_domain.paging import PageRequest, check_position
from faceforge_domain.transaction import Scope

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# A type filter entry: an exact type, or a family such as ``asset.*``.
TYPE_FILTER_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$")
DEFAULT_EVENT_LIMIT = 100
# What one read of the log takes while following it; a client's page follows the shared paging limit.
FOLLOW_BATCH = 1000
MAX_TYPE_FILTERS = 50


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event before the log numbered it."""

    ts: datetime
    type: str
    subject_id: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """A stored event: ``id`` orders the feed; ``subject_id`` is the entity, asset, job or plugin."""

    id: int
    ts: datetime
    type: str
    subject_id: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


def _matches_pattern(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


class EventFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which events a reader gets.

    ``types`` is what the reader asked for (empty: everything). ``visible`` is what the reader may see
    (``None``: everything; plugin tokens get the families their permissions cover), and
    ``own_plugin`` additionally lets a plugin see the ``plugin.*`` events about itself.
    """

    types: tuple[str, ...] = ()
    visible: tuple[str, ...] | None = None
    own_plugin: str | None = None

    def admits(self, event_type: str, subject_id: str | None) -> bool:
        if self.types and not any(_matches_pattern(event_type, p) for p in self.types):
            return False
        if self.visible is None:
            return True
        if any(_matches_pattern(event_type, p) for p in self.visible):
            return True
        return (
            self.own_plugin is not None and event_type.startswith("plugin.") and subject_id == self.own_plugin
        )


def parse_type_filter(values: Iterable[str]) -> tuple[str, ...]:
    """Comma-separated or repeated ``types`` values as a clean tuple; a malformed entry is a 422."""
    patterns: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not TYPE_FILTER_PATTERN.fullmatch(part):
                raise Invalid.one("types", f"{part!r} is not an event type such as asset.created or asset.*")
            if part not in patterns:
                patterns.append(part)
    if len(patterns) > MAX_TYPE_FILTERS:
        raise Invalid.one("types", f"at most {MAX_TYPE_FILTERS} types may be given")
    return tuple(patterns)


class EventLog(Protocol):
    """The events table inside one unit of work."""

    async def append(self, event: NewEvent) -> int:
        """Append an event to the transaction's writes; returns its id (visible only after commit)."""
        ...

    async def append_many(self, events: Sequence[NewEvent]) -> None:
        """Append several events in order, in one statement (a batch of ingests or extractions)."""
        ...

    async def after(self, after_id: int, event_filter: EventFilter, *, limit: int) -> list[Event]:
        """Events with ``id > after_id`` that the filter admits, oldest first."""
        ...

    async def count(self, after_id: int, event_filter: EventFilter) -> int:
        """How many events ``after`` would return without a limit."""
        ...

    async def last_id(self) -> int:
        """The newest event's id (0 for an empty log)."""
        ...


class HasEvents(Protocol):
    @property
    def events(self) -> EventLog: ...


def _new_event(
    clock: Clock, event_type: str, subject_id: str | None, data: dict[str, Any] | None
) -> NewEvent:
    if not EVENT_TYPE_PATTERN.fullmatch(event_type):
        raise ValueError(f"{event_type!r} is not a dotted event type")
    return NewEvent(ts=clock.now(), type=event_type, subject_id=subject_id, data=data or {})


async def record(
    uow: HasEvents, clock: Clock, event_type: str, subject_id: str | None, data: dict[str, Any] | None = None
) -> int:
    """Append one event through ``uow``: the single way services emit events."""
    return await uow.events.append(_new_event(clock, event_type, subject_id, data))


async def record_many(
    uow: HasEvents, clock: Clock, events: Sequence[tuple[str, str | None, dict[str, Any] | None]]
) -> None:
    """``record`` for a batch of ``(event_type, subject_id, data)``: one write for them all."""
    if events:
        await uow.events.append_many([_new_event(clock, *event) for event in events])


class EventReadUnitOfWork(Scope, Protocol):
    @property
    def events(self) -> EventLog: ...


class EventReadFactory(Protocol):
    def read(self) -> EventReadUnitOfWork: ...


class EventFeed:
    """Reading the feed: polling pages and the follow loop the SSE stream is built on."""

    def __init__(self, uow: EventReadFactory) -> None:
        self._uow = uow

    async def page(
        self, after: int, event_filter: EventFilter, *, limit: int, offset: int = 0
    ) -> tuple[list[Event], int]:
        """Up to ``limit`` events after ``after``, and how many there are after it in all.

        The feed pages by position (``after``, the last id seen), never by offset: an offset into a log
        that grows while it is read would skip or repeat events, so any other than 0 is refused.
        """
        check_position(after, "after")
        PageRequest(limit=limit)
        if offset:
            raise Invalid.one("offset", "the event feed pages with after=<the last id seen>, not offset")
        return await self._read(after, event_filter, limit)

    async def _read(self, after: int, event_filter: EventFilter, limit: int) -> tuple[list[Event], int]:
        async with self._uow.read() as uow:
            found = await uow.events.after(after, event_filter, limit=limit)
            total = await uow.events.count(after, event_filter) if len(found) == limit else len(found)
        return found, total

    async def follow(
        self, after: int, event_filter: EventFilter, *, poll_seconds: float = 0.5
    ) -> AsyncIterator[Event]:
        """Every event after ``after``, then each new one as it commits (in this or another process)."""
        while True:
            found, _ = await self._read(check_position(after, "after"), event_filter, FOLLOW_BATCH)
            for event in found:
                yield event
                after = event.id
            if len(found) < FOLLOW_BATCH:
                await anyio.sleep(poll_seconds)

    async def last_id(self) -> int:
        async with self._uow.read() as uow:
            return await uow.events.last_id()
