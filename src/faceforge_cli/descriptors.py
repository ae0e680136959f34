"""``faceforge descriptor``: facts about an entity, validated by their field definitions."""

from __future__ import annotations

import json
from typing import Any

import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import command_group, print_json, with_core
from faceforge_cli.entities import JSON_OPTION, json_object, json_value, plain, print_page
from faceforge_domain.models import Descriptor
from faceforge_domain.paging import PageRequest

descriptor_app = command_group("Descriptors: facts about an entity, possibly time-bound.")

WHEN_HELP = "A year (1990), a month (1990-05), a day (1990-05-17) or an RFC 3339 date-time."


def _period(d: Descriptor) -> str:
    return f"{d.valid_from or '...'} to {d.valid_to or '...'}" if d.valid_from or d.valid_to else ""


def _show(d: Descriptor, as_json: bool) -> None:
    if as_json:
        print_json(plain(d))
    else:
        typer.echo(f"{d.descriptor_id}  {d.field_key}={json.dumps(d.value)}  {_period(d)}".rstrip())


@descriptor_app.command("list")
def descriptor_list(
    entity_id: str = typer.Argument(..., help="Entity id."),
    field_key: str | None = typer.Option(None, "--field-key", help="Only this key."),
    include_deleted: bool = typer.Option(False, "--include-deleted", help="Show deleted ones too."),
    limit: int = typer.Option(50, help="Page size (1-200)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """An entity's descriptors, oldest first."""

    async def run(core: Core) -> Any:
        return await core.descriptors.search(
            entity_id,
            PageRequest(limit=limit, offset=offset),
            field_key=field_key,
            include_deleted=include_deleted,
        )

    print_page(
        with_core(run),
        ["ID", "KEY", "VALUE", "VALID", "SOURCE"],
        lambda d: [d.descriptor_id[:12], d.field_key, json.dumps(d.value), _period(d), d.source or ""],
        as_json,
    )


@descriptor_app.command("add")
def descriptor_add(
    entity_id: str = typer.Argument(..., help="Entity id."),
    field_key: str = typer.Argument(..., help="A defined descriptor field."),
    value: str = typer.Argument(..., help="The value (JSON when it parses, else text)."),
    valid_from: str | None = typer.Option(None, help=WHEN_HELP),
    valid_to: str | None = typer.Option(None, help=WHEN_HELP),
    source: str | None = typer.Option(None, help="Where the fact comes from."),
    note: str | None = typer.Option(None, help="A note."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a fact about an entity."""
    spec = {
        "field_key": field_key,
        "value": json_value(value),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "source": source,
        "note": note,
    }

    async def run(core: Core) -> Descriptor:
        return await core.descriptors.create(entity_id, spec)

    _show(with_core(run), as_json)


@descriptor_app.command("update")
def descriptor_update(
    descriptor_id: str = typer.Argument(..., help="Descriptor id."),
    patch: str = typer.Option(
        ..., "--patch", help='A JSON merge patch, e.g. \'{"valid_to": "2020-01-01"}\'.'
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a descriptor (value, period, source, note)."""
    changes = json_object(patch, "--patch")

    async def run(core: Core) -> Descriptor:
        return await core.descriptors.patch(descriptor_id, changes)

    _show(with_core(run), as_json)


@descriptor_app.command("delete")
def descriptor_delete(descriptor_id: str = typer.Argument(..., help="Descriptor id.")) -> None:
    """Soft-delete a descriptor."""

    async def run(core: Core) -> None:
        await core.descriptors.delete(descriptor_id)

    with_core(run)
    typer.echo(f"deleted {descriptor_id}")
