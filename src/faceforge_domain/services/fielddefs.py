"""Field definitions (admin): create, change and delete them at run time; report records that break them.

A definition takes effect on the next request that reads it (services read definitions inside each
transaction), and never rewrites stored data: ``violations`` lists what no longer fits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, FieldError, Invalid, NotFound
from faceforge_domain.fields import SCOPES, check_definition, validate_value
from faceforge_domain.ids import new_id
from faceforge_domain.inputs import convert, reject_keys, require_object
from faceforge_domain.mergepatch import merge_patch
from faceforge_domain.models import FieldDefinition, FieldScope, FieldType
from faceforge_domain.paging import PageRequest, PageResult, offset_only, page_of_all
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory

EDITABLE = ("field_type", "required", "regex", "options", "min", "max", "multiple", "label", "help", "order")
READ_ONLY = ("field_def_id", "field_key", "scope", "created_at", "updated_at")


class FieldDefinitionValues(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A definition as a client sends it (shapes; ``check_definition`` applies the rules)."""

    field_key: str
    scope: FieldScope = "descriptor"
    field_type: FieldType
    required: bool = False
    regex: str | None = None
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    multiple: bool = False
    label: str | None = None
    help: str | None = None
    order: int = 0


class Violation(msgspec.Struct, kw_only=True):
    """A stored record that does not satisfy the current definition, and why."""

    record_type: Literal["entity", "descriptor"]
    record_id: str
    entity_id: str
    errors: list[FieldError]


def check_scope(scope: str) -> FieldScope:
    if scope not in SCOPES:
        raise Invalid.one("scope", "must be one of: " + ", ".join(SCOPES))
    return "entity" if scope == "entity" else "descriptor"


def _checked(values: FieldDefinitionValues, base: FieldDefinition | None, now: datetime) -> FieldDefinition:
    definition = FieldDefinition(
        field_def_id=base.field_def_id if base else new_id(),
        created_at=base.created_at if base else now,
        updated_at=now,
        **msgspec.structs.asdict(values),
    )
    errors = check_definition(definition)
    if errors:
        raise Invalid(errors)
    return definition


def _values(definition: FieldDefinition) -> dict[str, Any]:
    raw = msgspec.to_builtins(definition)
    return {
        k: v
        for k, v in raw.items()
        if v is not None and k not in ("field_def_id", "created_at", "updated_at")
    }


class FieldDefinitionService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def all(self, scope: str | None = None) -> list[FieldDefinition]:
        wanted = None if scope is None else check_scope(scope)
        async with self._uow.read() as uow:
            return await uow.field_defs.all(wanted)

    async def get(self, field_key: str, scope: str = "descriptor") -> FieldDefinition:
        async with self._uow.read() as uow:
            return await self._require(uow, check_scope(scope), field_key)

    async def create(self, raw: Mapping[str, Any]) -> FieldDefinition:
        """Add a definition; it applies to the very next write that uses its key."""
        definition = _checked(convert(raw, FieldDefinitionValues), None, self._clock.now())
        async with self._uow.write() as uow:
            if await uow.field_defs.get(definition.scope, definition.field_key) is not None:
                raise Conflict(
                    f"a {definition.scope} field {definition.field_key!r} is already defined",
                    {"field": "field_key", "field_key": definition.field_key, "scope": definition.scope},
                )
            await uow.field_defs.add(definition)
            await uow.commit()
        return definition

    async def patch(self, field_key: str, patch: object, scope: str = "descriptor") -> FieldDefinition:
        """Merge-patch a definition; stored values are not touched (see ``violations``)."""
        changes = require_object(patch)
        reject_keys(changes, READ_ONLY, EDITABLE)
        async with self._uow.write() as uow:
            current = await self._require(uow, check_scope(scope), field_key)
            merged = merge_patch(_values(current), changes)
            if merged == _values(current):
                return current
            definition = _checked(convert(merged, FieldDefinitionValues), current, self._clock.now())
            await uow.field_defs.update(definition)
            await uow.commit()
        return definition

    async def delete(self, field_key: str, scope: str = "descriptor") -> None:
        """Remove a definition; values already stored under its key stay as they are."""
        async with self._uow.write() as uow:
            if not await uow.field_defs.delete(check_scope(scope), field_key):
                raise NotFound("field definition", field_key)
            await uow.commit()

    async def violations(
        self, field_key: str, page: PageRequest, scope: str = "descriptor"
    ) -> PageResult[Violation]:
        """Records that break the current definition (offset paging; cursors are not offered here)."""
        offset_only(page, "violations")
        async with self._uow.read() as uow:
            definition = await self._require(uow, check_scope(scope), field_key)
            if definition.scope == "entity":
                found = await self._entity_violations(uow, definition)
            else:
                found = await self._descriptor_violations(uow, definition)
        return page_of_all(found, page)

    async def _entity_violations(self, uow: UnitOfWork, d: FieldDefinition) -> list[Violation]:
        found = []
        key = d.field_key
        for entity_id, fields in await uow.entities.with_fields(None if d.required else key):
            path = f"fields/{key}"
            if key not in fields:
                errors = [FieldError(path, "is required")] if d.required else []
            else:
                errors = validate_value(d, fields[key], path, allow_list=True)
            if errors:
                found.append(
                    Violation(record_type="entity", record_id=entity_id, entity_id=entity_id, errors=errors)
                )
        return found

    async def _descriptor_violations(self, uow: UnitOfWork, d: FieldDefinition) -> list[Violation]:
        found = []
        per_entity: defaultdict[str, int] = defaultdict(int)
        for descriptor in await uow.descriptors.select(None, field_key=d.field_key):
            per_entity[descriptor.entity_id] += 1
            errors = validate_value(d, descriptor.value, "value", allow_list=False)
            if not d.multiple and per_entity[descriptor.entity_id] > 1:
                errors.append(FieldError("field_key", "another value exists and the field is not multiple"))
            if errors:
                found.append(
                    Violation(
                        record_type="descriptor",
                        record_id=descriptor.descriptor_id,
                        entity_id=descriptor.entity_id,
                        errors=errors,
                    )
                )
        return found

    @staticmethod
    async def _require(uow: UnitOfWork, scope: FieldScope, field_key: str) -> FieldDefinition:
        definition = await uow.field_defs.get(scope, field_key)
        if definition is None:
            raise NotFound("field definition", field_key)
        return definition
