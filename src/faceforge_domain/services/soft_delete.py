"""Soft delete and restore, written once for every record that has ``deleted_at``.

A soft-deleted record is hidden from lists and lookups until restored; its ``updated_at`` moves when it
is hidden or brought back. Entities, assets, descriptors and relationships all go through ``SoftDelete``,
each with its repository and, where it has them, the names of the events to record and the rules
that follow a record into the trash and back out (an asset's: ``services/main_picture.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, NotFound
from faceforge_domain.events import record
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.selection import MISSING, MISSING_OR_TRASHED, Selection


class SoftDeletable(Protocol):
    deleted_at: datetime | None
    updated_at: datetime


R = TypeVar("R", bound=SoftDeletable)
# A rule run in the same unit of work as a hide or a restore, given the record's key.
Consequence = Callable[[UnitOfWork, Clock, str], Awaitable[None]]


class SoftDeleteRepository(Protocol[R]):
    """What soft delete needs of a repository: read a record (hidden ones on request) and write it."""

    async def get(self, key: str, /, *, include_deleted: bool = False) -> R | None: ...

    async def update(self, record: R, /) -> None: ...


class SoftDelete(Generic[R]):
    """Hide and bring back records of one kind (``kind`` names it in a ``NotFound``)."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        clock: Clock,
        kind: str,
        repository: Callable[[UnitOfWork], SoftDeleteRepository[R]],
        *,
        deleted_event: str | None = None,
        restored_event: str | None = None,
        after_hide: Consequence | None = None,
        before_restore: Consequence | None = None,
        after_restore: Consequence | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._kind = kind
        self._repository = repository
        self._deleted_event = deleted_event
        self._restored_event = restored_event
        self._after_hide = after_hide
        self._before_restore = before_restore
        self._after_restore = after_restore

    async def delete(self, key: str) -> None:
        """Hide a live record; an unknown or already hidden one is ``NotFound``."""
        async with self._units.write() as uow:
            await self.hide(uow, key)
            await uow.commit()

    async def hide(self, uow: UnitOfWork, key: str) -> None:
        """``delete`` inside a caller's unit of work (one step of a larger change)."""
        found = await self._require(uow, key, include_deleted=False)
        found.deleted_at = found.updated_at = self._clock.now()
        await self._repository(uow).update(found)
        if self._deleted_event is not None:
            await record(uow, self._clock, self._deleted_event, key)
        if self._after_hide is not None:
            await self._after_hide(uow, self._clock, key)

    async def restore(self, key: str) -> R:
        """Bring a hidden record back; a live one is returned unchanged."""
        async with self._units.write() as uow:
            found = await self.bring_back(uow, key)
            await uow.commit()
        return found

    async def bring_back(self, uow: UnitOfWork, key: str) -> R:
        """``restore`` inside a caller's unit of work (one step of a larger change)."""
        found = await self._require(uow, key, include_deleted=True)
        if found.deleted_at is not None:
            if self._before_restore is not None:  # may refuse (raise) before anything changed
                await self._before_restore(uow, self._clock, key)
            found.deleted_at = None
            found.updated_at = self._clock.now()
            await self._repository(uow).update(found)
            if self._restored_event is not None:
                await record(uow, self._clock, self._restored_event, key)
            if self._after_restore is not None:
                await self._after_restore(uow, self._clock, key)
        return found

    async def delete_many(self, chosen: Selection) -> None:
        """Hide several live records at once: all of them, or none when one is unknown or hidden."""
        async with self._units.write() as uow:
            repository = self._repository(uow)
            await chosen.records(repository.get, MISSING_OR_TRASHED)
            for key in chosen.ids:
                await self.hide(uow, key)
            await uow.commit()

    async def restore_many(self, chosen: Selection) -> list[R]:
        """Bring several records back at once (live ones unchanged): all, or none when one is unknown."""
        async with self._units.write() as uow:
            repository = self._repository(uow)

            async def any_record(key: str) -> R | None:
                return await repository.get(key, include_deleted=True)

            await chosen.records(any_record, MISSING)
            restored = [await self.bring_back(uow, key) for key in chosen.ids]
            await uow.commit()
        return restored

    async def trashed(self, uow: UnitOfWork, key: str) -> R:
        """The record, which must be in the trash: deleting for good is done from there only."""
        found = await self._require(uow, key, include_deleted=True)
        if found.deleted_at is None:
            raise Conflict(
                f"the {self._kind} is not in the trash: delete it first, then delete it forever",
                {"kind": self._kind, "id": key},
            )
        return found

    async def _require(self, uow: UnitOfWork, key: str, *, include_deleted: bool) -> R:
        found = await self._repository(uow).get(key, include_deleted=include_deleted)
        if found is None:
            raise NotFound(self._kind, key)
        return found
