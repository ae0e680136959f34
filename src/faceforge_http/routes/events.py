"""The event feed over HTTP: polling with ``after`` and a Server-Sent Events stream of the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from faceforge_domain.events import DEFAULT_EVENT_LIMIT, Event, EventFilter, parse_type_filter
from faceforge_domain.paging import MAX_POSITION, check_position
from faceforge_http.auth import plugin_principal
from faceforge_http.deps import EventFeedDep
from faceforge_http.envelope import Ok, Page, ok
from faceforge_http.params import Limit, position
from faceforge_http.wire import Wire

TYPES = Parameter(
    default=None,
    description="Event types to include: exact (`asset.created`) or a family (`asset.*`); "
    "comma-separated or repeated. All types when omitted.",
)
AFTER = position("Return events after this id (the last id you saw)")


class EventOut(msgspec.Struct, kw_only=True):
    id: int
    ts: str
    type: str
    subject_id: str | None
    data: dict[str, Any]


event_out = Wire(Event, EventOut)


def _filter(request: Request[Any, Any, Any], types: list[str] | None) -> EventFilter:
    patterns = parse_type_filter(types or [])
    principal = plugin_principal(request)
    return EventFilter(types=patterns) if principal is None else principal.event_filter(patterns)


class EventController(Controller):
    path = "/events"
    tags = ["events"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get(
        "/",
        operation_id="listEvents",
        summary="Events after a given id, oldest first (poll with the last id you saw)",
        description="A plugin token sees only the event families its permissions cover.",
    )
    async def list_events(
        self,
        events: EventFeedDep,
        request: Request[Any, Any, Any],
        after: int = AFTER,
        types: list[str] | None = TYPES,
        limit: Limit = DEFAULT_EVENT_LIMIT,
        offset: int = Parameter(
            default=0, ge=0, le=0, description="Always 0: the feed pages with `after`, not offset"
        ),
    ) -> Ok[Page[EventOut]]:
        found, total = await events.page(after, _filter(request, types), limit=limit, offset=offset)
        more = total > len(found)
        return ok(
            Page(
                items=[event_out(e) for e in found],
                total=total,
                limit=limit,
                offset=0,
                next_cursor=str(found[-1].id) if more else None,
            )
        )

    @get(
        "/stream",
        operation_id="streamEvents",
        media_type="text/event-stream",
        summary="The same events as Server-Sent Events, live",
        description=(
            "Each SSE message has the event type as `event`, its id as `id` (a reconnect with "
            "Last-Event-ID resumes after it) and the event as JSON `data`. `limit` closes the "
            "stream after that many events."
        ),
    )
    async def stream_events(
        self,
        events: EventFeedDep,
        request: Request[Any, Any, Any],
        after: int = AFTER,
        types: list[str] | None = TYPES,
        limit: int | None = Parameter(
            default=None, ge=1, le=MAX_POSITION, description="Close after this many events"
        ),
    ) -> ServerSentEvent:
        event_filter = _filter(request, types)
        resume = request.headers.get("last-event-id", "")
        start = check_position(int(resume), "last-event-id") if resume.isdigit() else after

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            sent = 0
            async for event in events.follow(start, event_filter):
                data = msgspec.json.encode(event_out(event)).decode()
                yield ServerSentEventMessage(data=data, event=event.type, id=event.id)
                sent += 1
                if limit is not None and sent >= limit:
                    return

        return ServerSentEvent(messages())
