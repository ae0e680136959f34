"""Descriptors: facts about an entity under a defined key, possibly time-bound (an address history).

Each value is checked against its descriptor-scope field definition when written; a key with no
definition is refused, so every stored fact has a known shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, FieldError, Invalid, NotFound
from faceforge_domain.fields import validate_value
from faceforge_domain.ids import new_id
from faceforge_domain.inputs import clean_text, convert, reject_keys, require_object
from faceforge_domain.jsonlimits import check_json
from faceforge_domain.mergepatch import merge_patch
from faceforge_domain.models import Descriptor
from faceforge_domain.paging import PageRequest, PageResult, offset_only, page_of
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.services.soft_delete import SoftDelete
from faceforge_domain.timefmt import PARTIAL_DATE, PARTIAL_DATE_WORDS, parse_partial_date, parse_timestamp

EDITABLE = ("value", "valid_from", "valid_to", "source", "note")
READ_ONLY = ("descriptor_id", "entity_id", "field_key", "created_at", "updated_at", "deleted_at")
MAX_SOURCE = 200
MAX_NOTE = 2000


class DescriptorValues(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A descriptor as a client sends it."""

    field_key: str
    value: Any = None
    valid_from: str | None = None
    valid_to: str | None = None
    source: str | None = None
    note: str | None = None


def _moment(text: str, field: str, errors: list[FieldError], *, end: bool = False) -> datetime | None:
    """A date (a year, a month or a day) or an RFC 3339 date-time, as a UTC moment for ordering: a
    date starts at its first day, or when it ``end``s a period, at its last ("until 1990" is all 1990)."""
    try:
        if PARTIAL_DATE.fullmatch(text):
            return datetime.combine(parse_partial_date(text, last=end), datetime.min.time(), UTC)
        return parse_timestamp(text)
    except ValueError:
        errors.append(FieldError(field, f"must be a date ({PARTIAL_DATE_WORDS}) or an RFC 3339 date-time"))
        return None


def _check_period(values: DescriptorValues, errors: list[FieldError]) -> None:
    start = _moment(values.valid_from, "valid_from", errors) if values.valid_from else None
    end = _moment(values.valid_to, "valid_to", errors, end=True) if values.valid_to else None
    if start is not None and end is not None and start > end:
        errors.append(FieldError("valid_to", "must not be before valid_from"))


def _content(d: Descriptor) -> dict[str, Any]:
    raw = {key: getattr(d, key) for key in ("field_key", *EDITABLE)}
    return {k: v for k, v in raw.items() if v is not None}


class DescriptorService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._soft_delete = SoftDelete(uow, clock, "descriptor", lambda unit: unit.descriptors)

    async def search(
        self,
        entity_id: str,
        page: PageRequest,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
    ) -> PageResult[Descriptor]:
        """An entity's descriptors, oldest first (offset paging)."""
        offset_only(page, "descriptors")
        async with self._uow.read() as uow:
            if await uow.entities.get(entity_id) is None:
                raise NotFound("entity", entity_id)
            items = await uow.descriptors.select(
                entity_id,
                field_key=field_key,
                include_deleted=include_deleted,
                limit=page.limit,
                offset=page.offset,
            )
            total = await uow.descriptors.count(
                entity_id, field_key=field_key, include_deleted=include_deleted
            )
        return page_of(items, total, page)

    async def get(self, descriptor_id: str) -> Descriptor:
        async with self._uow.read() as uow:
            descriptor = await uow.descriptors.get(descriptor_id)
        if descriptor is None:
            raise NotFound("descriptor", descriptor_id)
        return descriptor

    async def create(self, entity_id: str, raw: Mapping[str, Any]) -> Descriptor:
        """Record a fact; it must satisfy the key's field definition."""
        values = convert(raw, DescriptorValues)
        async with self._uow.write() as uow:
            if await uow.entities.get(entity_id) is None:
                raise NotFound("entity", entity_id)
            now = self._clock.now()
            descriptor = Descriptor(
                descriptor_id=new_id(),
                entity_id=entity_id,
                field_key=values.field_key,
                value=values.value,
                created_at=now,
                updated_at=now,
            )
            descriptor = await self._checked(uow, descriptor, values)
            await uow.descriptors.add(descriptor)
            await uow.commit()
        return descriptor

    async def patch(self, descriptor_id: str, patch: object) -> Descriptor:
        """Merge-patch value, period, source or note; an unchanged descriptor keeps its ``updated_at``."""
        changes = require_object(patch)
        reject_keys(changes, READ_ONLY, EDITABLE)
        async with self._uow.write() as uow:
            current = await uow.descriptors.get(descriptor_id)
            if current is None:
                raise NotFound("descriptor", descriptor_id)
            merged = merge_patch(_content(current), changes)
            if merged == _content(current):
                return current
            updated = await self._checked(uow, current, convert(merged, DescriptorValues))
            updated.updated_at = self._clock.now()
            await uow.descriptors.update(updated)
            await uow.commit()
        return updated

    async def delete(self, descriptor_id: str) -> None:
        """Soft delete: hidden from lists and lookups."""
        await self._soft_delete.delete(descriptor_id)

    async def restore(self, descriptor_id: str) -> Descriptor:
        """Undo a soft delete (a live descriptor is returned unchanged)."""
        return await self._soft_delete.restore(descriptor_id)

    async def delete_forever(self, descriptor_id: str) -> None:
        """Remove a descriptor in the trash for good; one not in the trash is a ``Conflict``."""
        async with self._uow.write() as uow:
            await self._soft_delete.trashed(uow, descriptor_id)
            await uow.descriptors.remove(descriptor_id)
            await uow.commit()

    async def in_trash(self, page: PageRequest) -> PageResult[Descriptor]:
        """Every entity's soft-deleted descriptors, oldest first (offset paging)."""
        offset_only(page, "descriptors")
        async with self._uow.read() as uow:
            items = await uow.descriptors.select(None, in_trash=True, limit=page.limit, offset=page.offset)
            total = await uow.descriptors.count(None, in_trash=True)
        return page_of(items, total, page)

    async def _checked(self, uow: UnitOfWork, base: Descriptor, values: DescriptorValues) -> Descriptor:
        """``base`` with ``values`` applied, once they satisfy the definition and the rules."""
        errors: list[FieldError] = []
        definition = await uow.field_defs.get("descriptor", values.field_key)
        if definition is None:
            errors.append(FieldError("field_key", f"no descriptor field {values.field_key!r} is defined"))
        elif values.value is None or values.value == "":
            errors.append(FieldError("value", "is required"))
        else:
            errors += validate_value(definition, values.value, "value", allow_list=False)
        check_json("value", values.value, errors)
        _check_period(values, errors)
        source = values.source and clean_text(values.source, "source", max_len=MAX_SOURCE, errors=errors)
        note = values.note and clean_text(
            values.note, "note", max_len=MAX_NOTE, errors=errors, multiline=True
        )
        if errors:
            raise Invalid(errors)
        assert definition is not None
        if not definition.multiple:
            others = await uow.descriptors.select(base.entity_id, field_key=values.field_key)
            clash = [d for d in others if d.descriptor_id != base.descriptor_id]
            if clash:
                raise Conflict(
                    f"the entity already has a {values.field_key!r} descriptor and the field is not "
                    "multiple; change that one instead",
                    {"field": "field_key", "descriptor_id": clash[0].descriptor_id},
                )
        return msgspec.structs.replace(
            base,
            field_key=values.field_key,
            value=values.value,
            valid_from=values.valid_from,
            valid_to=values.valid_to,
            source=source or None,
            note=note or None,
        )
