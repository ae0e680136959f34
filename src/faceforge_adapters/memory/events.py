"""InMemoryEventLog: the event-log fake; events live in the unit of work's copy of the state."""

from __future__ import annotations

from collections.abc import Sequence

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.events import Event, EventFilter, NewEvent


class InMemoryEventLog:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def append(self, event: NewEvent) -> int:
        self._state.last_event_id += 1
        self._state.events.append(
            Event(
                id=self._state.last_event_id,
                ts=event.ts,
                type=event.type,
                subject_id=event.subject_id,
                data=dict(event.data),
            )
        )
        return self._state.last_event_id

    async def append_many(self, events: Sequence[NewEvent]) -> None:
        for event in events:
            await self.append(event)

    async def after(self, after_id: int, event_filter: EventFilter, *, limit: int) -> list[Event]:
        found = [
            e for e in self._state.events if e.id > after_id and event_filter.admits(e.type, e.subject_id)
        ]
        return found[:limit]

    async def count(self, after_id: int, event_filter: EventFilter) -> int:
        return len(await self.after(after_id, event_filter, limit=len(self._state.events)))

    async def last_id(self) -> int:
        return self._state.events[-1].id if self._state.events else 0
