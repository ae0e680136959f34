"""Group commit: records that concurrent callers ask for, written together in one transaction.

SQLite takes one write transaction at a time, so many small ones (a bulk import's files arriving side
by side) queue behind each other. Here each caller queues its item; whoever gets the turn writes every
item waiting at that moment in one transaction, and each caller gets its own item's answer. Whatever the
transaction's fate, a caller returns only once its item is settled, so it never guesses whether its
record was written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import anyio

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes the items in one transaction: a result or the domain error for each, in order. Raising fails
# the whole batch (the transaction was rolled back): every caller gets that exception.
BatchWriter = Callable[[Sequence[Item]], Awaitable[list[Result | Exception]]]


class _Entry(Generic[Item, Result]):
    def __init__(self, item: Item) -> None:
        self.item = item
        self.taken = False  # in a transaction being written
        self.abandoned = False  # its caller was cancelled and waits only to learn the outcome
        self.settled = anyio.Event()
        self.result: Result | None = None
        self.error: Exception | None = None


class GroupCommit(Generic[Item, Result]):
    """Queues items and writes the waiting ones in one go, at most ``limit`` to a transaction."""

    def __init__(self, write: BatchWriter[Item, Result], *, limit: int = 256) -> None:
        self._write = write
        self._limit = max(1, limit)
        self._waiting: list[_Entry[Item, Result]] = []
        self._turn = anyio.Lock()

    async def submit(self, item: Item) -> Result:
        (outcome,) = await self.submit_many([item])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def submit_many(self, items: Sequence[Item]) -> list[Result | Exception]:
        """Queue several items at once (they usually share a transaction); each gets its result or
        the error that settled it, in order."""
        entries: list[_Entry[Item, Result]] = [_Entry(item) for item in items]
        self._waiting.extend(entries)
        try:
            for entry in entries:
                while not entry.settled.is_set():
                    async with self._turn:
                        if not entry.taken and not entry.settled.is_set():
                            await self._write_waiting(entry)
        except BaseException:
            for entry in entries:
                if entry.taken:  # in a transaction still being written: learn its outcome first
                    entry.abandoned = True
                    with anyio.CancelScope(shield=True):
                        await entry.settled.wait()
                elif entry in self._waiting:
                    self._waiting.remove(entry)
            raise
        outcomes: list[Result | Exception] = []
        for entry in entries:
            if entry.error is not None:
                outcomes.append(entry.error)
            else:
                assert entry.result is not None
                outcomes.append(entry.result)
        return outcomes

    async def _write_waiting(self, own: _Entry[Item, Result]) -> None:
        self._waiting.remove(own)
        batch = [own, *self._waiting[: self._limit - 1]]
        del self._waiting[: len(batch) - 1]
        for entry in batch:
            entry.taken = True
        try:
            outcomes = await self._write([entry.item for entry in batch])
        except Exception as exc:  # noqa: BLE001  (the transaction failed: each caller gets why)
            outcomes = [exc] * len(batch)
        except BaseException:  # this caller was cancelled mid-write: rolled back, the rest wait again
            own.taken = False
            self._requeue(batch[1:])
            raise
        for entry, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                entry.error = outcome
            else:
                entry.result = outcome
            entry.settled.set()

    def _requeue(self, entries: list[_Entry[Item, Result]]) -> None:
        for entry in reversed(entries):
            entry.taken = False
            if entry.abandoned:  # nobody waits to write it: settle it as not written
                entry.settled.set()
            else:
                self._waiting.insert(0, entry)
