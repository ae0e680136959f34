"""Records chosen together for one action (select many, act once): the ids a request names, checked.

A bulk action changes all of its records or none: every id must name a record that can take the
action before anything is written, and each one that does not is reported at its place in the request
(``entity_ids/2``), so a client can say which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.ids import is_id

MAX_SELECTION = 1000
# Why a chosen id cannot take the action, said at its place (``entity_ids/1: was not found...``).
MISSING = "was not found"
MISSING_OR_TRASHED = "was not found or is in the trash"
T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """The ids of a request's ``field``, each once, with the place it first had in the request."""

    field: str
    places: dict[str, int]

    @classmethod
    def of(cls, ids: Sequence[str], field: str) -> Selection:
        """Check the shape: 1 to ``MAX_SELECTION`` ids, each a record id; repeats count once."""
        errors: list[FieldError] = []
        if not ids:
            errors.append(FieldError(field, "choose at least one"))
        elif len(ids) > MAX_SELECTION:
            errors.append(FieldError(field, f"may hold at most {MAX_SELECTION} ids"))
        errors += [
            FieldError(f"{field}/{n}", "must be an id (64 lowercase hex)")
            for n, key in enumerate(ids)
            if not is_id(key)
        ]
        if errors:
            raise Invalid(errors)
        places: dict[str, int] = {}
        for n, key in enumerate(ids):
            places.setdefault(key, n)
        return cls(field, places)

    @property
    def ids(self) -> list[str]:
        return list(self.places)

    async def records(self, get: Callable[[str], Awaitable[T | None]], missing: str) -> list[T]:
        """Every chosen record through ``get``; any it does not find is ``Invalid`` (``missing`` says
        why at each place), before the caller has changed anything."""
        found = {key: await get(key) for key in self.places}
        errors = [
            FieldError(f"{self.field}/{self.places[key]}", missing)
            for key, rec in found.items()
            if rec is None
        ]
        if errors:
            raise Invalid(errors)
        return [rec for rec in found.values() if rec is not None]
