"""Work through items a few at a time, and fail as the first failure itself (not an exception group)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def side_by_side(items: Iterable[T], workers: int, work: Callable[[T], Awaitable[None]]) -> None:
    """Run ``work`` on every item, at most ``workers`` at once; the first error cancels the rest and is
    raised as itself, so callers catch ``InsufficientStorage`` or ``JobCanceled`` as they know them."""
    shared = iter(items)  # one iterator: each item goes to exactly one worker

    async def worker() -> None:
        for item in shared:
            await work(item)

    try:
        async with anyio.create_task_group() as group:
            for _ in range(workers):
                group.start_soon(worker)
    except BaseExceptionGroup as grouped:
        first = first_error(grouped)
        raise first from first.__cause__


def first_error(grouped: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error a task group collected, out of any nesting."""
    first = grouped.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
