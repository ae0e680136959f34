"""Every field of every domain record reaches the wire, or is kept back by name with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args, get_origin

import msgspec
import pytest

from faceforge_domain.jobs.models import Job, JobError, Progress
from faceforge_domain.models import Asset, Descriptor, Entity, FieldDefinition, Relationship
from faceforge_domain.plugins.models import PluginView
from faceforge_http.routes.assets import asset_out
from faceforge_http.routes.descriptors import descriptor_out
from faceforge_http.routes.entities import entity_out
from faceforge_http.routes.events import event_out
from faceforge_http.routes.fielddefs import field_def_out
from faceforge_http.routes.jobs import JobOut, entry_out, job_out
from faceforge_http.routes.lookalikes import group_out, member_out, similar_out
from faceforge_http.routes.plugins import plugin_out
from faceforge_http.routes.relationships import relationship_out
from faceforge_http.routes.uploads import upload_status_out
from faceforge_http.wire import Wire, to_wire

WIRES: list[Wire[Any, Any]] = [
    entity_out,
    asset_out,
    descriptor_out,
    relationship_out,
    field_def_out,
    job_out,
    entry_out,
    plugin_out,
    event_out,
    upload_status_out,
    similar_out,
    member_out,
    group_out,
]


def _struct(annotation: Any) -> Any:
    """The Struct an annotation holds (``T``, ``T | None``, ``list[T]``), else None."""
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is list:
            candidate = get_args(candidate)[0]
        if isinstance(candidate, type) and issubclass(candidate, msgspec.Struct):
            return candidate
    return None


def missing_fields(record: type[Any], out: type[Any], hidden: set[str], at: str = "") -> list[str]:
    """The record's fields (nested records included, as ``a/b``) that neither the wire nor ``hidden`` has."""
    on_wire = {field.name: field.type for field in msgspec.structs.fields(out)}
    missing = []
    for field in msgspec.structs.fields(record):
        if field.name in hidden:
            continue
        if field.name not in on_wire:
            missing.append(at + field.name)
        elif (inner := _struct(field.type)) is not None and (inner_out := _struct(on_wire[field.name])):
            missing += missing_fields(inner, inner_out, set(), f"{at}{field.name}/")
    return missing


def test_the_records_the_api_exposes_are_all_checked() -> None:
    checked = {wire.record for wire in WIRES}
    assert {Entity, Asset, Descriptor, Relationship, FieldDefinition, Job, PluginView} <= checked


@pytest.mark.parametrize("wire", WIRES, ids=lambda wire: wire.record.__name__)
def test_every_field_is_on_the_wire_or_kept_back_with_a_reason(wire: Wire[Any, Any]) -> None:
    record_fields = {field.name for field in msgspec.structs.fields(wire.record)}
    out_fields = {field.name for field in msgspec.structs.fields(wire.out)}
    assert missing_fields(wire.record, wire.out, set(wire.hidden)) == []
    assert set(wire.hidden) <= record_fields, "a field kept back that the record does not have"
    assert not set(wire.hidden) & out_fields, "a field both kept back and on the wire"
    assert all(len(reason.split()) >= 3 for reason in wire.hidden.values()), "say why in a few words"


def test_a_field_added_to_a_record_but_not_to_the_wire_is_found() -> None:
    class Grown(Entity, kw_only=True):
        mood: str = "calm"

    assert missing_fields(Grown, entity_out.out, set()) == ["mood"]
    assert missing_fields(Job, JobOut, set()) == ["owner", "lease_id"]


def test_records_convert_with_millisecond_timestamps_and_nested_records() -> None:
    moment = datetime(2026, 11, 24, 11, 2, 4, 123456, tzinfo=UTC)
    job = Job(
        job_id="j" * 64,
        job_type="core.test",
        status="failed",
        progress=Progress(percent=50.0, current=1, total=2),
        error=JobError(code="boom", message="It broke."),
        owner="core-1",
        created_at=moment,
        updated_at=moment,
    )
    out = msgspec.to_builtins(job_out(job))
    assert out["created_at"] == "2026-11-24T11:02:04.123Z"
    assert out["started_at"] is None
    assert out["progress"]["percent"] == 50.0
    assert out["error"] == {"code": "boom", "message": "It broke."}
    assert "owner" not in out
    assert to_wire(JobOut, job, attempts=7).attempts == 7
