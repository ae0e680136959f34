"""``faceforge field``: admin-defined fields (they apply at once, with no restart)."""

from __future__ import annotations

from typing import Any

import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import command_group, print_json, with_core
from faceforge_cli.entities import JSON_OPTION, json_object, plain, print_page, print_table
from faceforge_domain.models import FieldDefinition
from faceforge_domain.paging import PageRequest

field_app = command_group("Field definitions: the schema of entity fields and descriptors.")

SCOPE_OPTION = typer.Option("descriptor", "--scope", help="entity or descriptor.")


def _show(d: FieldDefinition, as_json: bool) -> None:
    if as_json:
        print_json(plain(d))
        return
    rules = [
        f"{k}={v}"
        for k, v in (("regex", d.regex), ("options", d.options), ("min", d.min), ("max", d.max))
        if v is not None
    ]
    flags = [flag for flag, on in (("required", d.required), ("multiple", d.multiple)) if on]
    typer.echo(f"{d.scope}.{d.field_key}  {d.field_type}  {' '.join(flags + rules)}".rstrip())


@field_app.command("list")
def field_def_list(
    scope: str | None = typer.Option(None, "--scope", help="entity or descriptor (both by default)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List field definitions."""

    async def run(core: Core) -> list[FieldDefinition]:
        return await core.field_defs.all(scope)

    found = with_core(run)
    if as_json:
        print_json(plain(found))
        return
    print_table(
        ["SCOPE", "KEY", "TYPE", "REQUIRED", "MULTIPLE", "LABEL"],
        [[d.scope, d.field_key, d.field_type, str(d.required).lower(), str(d.multiple).lower(), d.label or ""]
         for d in found],
    )  # fmt: skip


@field_app.command("show")
def field_def_show(
    field_key: str = typer.Argument(..., help="Field key."),
    scope: str = SCOPE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one definition."""

    async def run(core: Core) -> FieldDefinition:
        return await core.field_defs.get(field_key, scope)

    _show(with_core(run), as_json)


@field_app.command("create")
def field_def_create(
    field_key: str = typer.Argument(..., help="Key: lowercase letters, digits, underscores."),
    field_type: str = typer.Argument(
        ..., help="string, text, int, float, bool, date, datetime, enum, url, email or json."
    ),
    scope: str = SCOPE_OPTION,
    required: bool = typer.Option(False, "--required", help="A value must be given."),
    multiple: bool = typer.Option(False, "--multiple", help="Several values are allowed."),
    regex: str | None = typer.Option(None, help="Text values must match this regular expression."),
    option: list[str] = typer.Option([], "--option", help="An enum value (repeatable)."),
    minimum: float | None = typer.Option(None, "--min", help="Smallest number or shortest length."),
    maximum: float | None = typer.Option(None, "--max", help="Largest number or longest length."),
    label: str | None = typer.Option(None, help="Label shown in forms."),
    help_text: str | None = typer.Option(None, "--help-text", help="Help shown in forms."),
    order: int = typer.Option(0, help="Position in forms."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Define a field."""
    spec: dict[str, Any] = {
        "field_key": field_key,
        "field_type": field_type,
        "scope": scope,
        "required": required,
        "multiple": multiple,
        "regex": regex,
        "options": option or None,
        "min": minimum,
        "max": maximum,
        "label": label,
        "help": help_text,
        "order": order,
    }

    async def run(core: Core) -> FieldDefinition:
        return await core.field_defs.create(spec)

    _show(with_core(run), as_json)


@field_app.command("update")
def field_def_update(
    field_key: str = typer.Argument(..., help="Field key."),
    patch: str = typer.Option(..., "--patch", help="A JSON merge patch, e.g. '{\"max\": 10}'."),
    scope: str = SCOPE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a definition (stored values are never rewritten; see ``violations``)."""
    changes = json_object(patch, "--patch")

    async def run(core: Core) -> FieldDefinition:
        return await core.field_defs.patch(field_key, changes, scope)

    _show(with_core(run), as_json)


@field_app.command("delete")
def field_def_delete(
    field_key: str = typer.Argument(..., help="Field key."), scope: str = SCOPE_OPTION
) -> None:
    """Remove a definition (values already stored stay)."""

    async def run(core: Core) -> None:
        await core.field_defs.delete(field_key, scope)

    with_core(run)
    typer.echo(f"deleted {scope}.{field_key}")


@field_app.command("violations")
def field_def_violations(
    field_key: str = typer.Argument(..., help="Field key."),
    scope: str = SCOPE_OPTION,
    limit: int = typer.Option(50, help="Page size (1-200)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Records that do not satisfy the current definition."""

    async def run(core: Core) -> Any:
        return await core.field_defs.violations(field_key, PageRequest(limit=limit, offset=offset), scope)

    print_page(
        with_core(run),
        ["RECORD", "ID", "PROBLEM"],
        lambda v: [v.record_type, v.record_id[:12], "; ".join(f"{e.field}: {e.message}" for e in v.errors)],
        as_json,
    )
