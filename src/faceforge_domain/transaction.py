"""The shape every unit of work shares; each area's unit-of-work port adds only its repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class Scope(Protocol):
    """``async with``: a read snapshot or a transaction, released when the block ends."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Transaction(Scope, Protocol):
    """A scope that rolls back unless ``await commit()`` ran before the block ended."""

    async def commit(self) -> None: ...


class ReadOnlyTransaction(RuntimeError):
    """A write or a commit through a read-only unit of work: a bug in the caller, never bad input.

    Every implementation raises it (SQLite at the write, the in-memory fake when the block ends), and
    nothing the block wrote is kept.
    """
