"""``faceforge entity``: entities straight through the library, no server needed.

Every command prints a readable table or line by default and the same JSON the API answers with
``--json`` (timestamps RFC 3339 with milliseconds), for scripts.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import command_group, fail, print_json, with_core
from faceforge_domain.models import Entity
from faceforge_domain.paging import PageRequest, PageResult
from faceforge_domain.queries import EntityQuery
from faceforge_domain.timefmt import format_timestamp

entity_app = command_group("Entities: people, characters, creatures.")

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


def plain(value: Any) -> Any:
    """A record as JSON-ready builtins, timestamps as the API renders them."""
    built = msgspec.to_builtins(value, builtin_types=(datetime,))

    def walk(node: Any) -> Any:
        if isinstance(node, datetime):
            return format_timestamp(node)
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(built)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for line in [headers, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def print_page(page: PageResult[Any], headers: list[str], row: Any, as_json: bool) -> None:
    """A page as JSON (the API's ``data``) or a table with a footer saying where the next page is."""
    if as_json:
        print_json(plain(page))
        return
    print_table(headers, [row(item) for item in page.items])
    more = f"; next: --cursor {page.next_cursor}" if page.next_cursor else ""
    if page.items:
        typer.echo(f"({page.offset + 1}-{page.offset + len(page.items)} of {page.total}{more})")
    else:
        typer.echo(f"(none here; {page.total} in all)")


def json_value(text: str) -> Any:
    """A command-line value: JSON when it parses (``42``, ``true``, ``["a"]``), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    """``key=value`` options, split on the first ``=``."""
    found = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{option} takes key=value, got {item!r}", 2)
        found.append((key, value))
    return found


def json_object(text: str, option: str) -> dict[str, Any]:
    value = json_value(text)
    if not isinstance(value, dict):
        fail(f"{option} takes a JSON object, got {text!r}", 2)
    return value


def show_entity(entity: Entity, as_json: bool) -> None:
    if as_json:
        print_json(plain(entity))
        return
    typer.echo(f"{entity.entity_id}  {entity.display_name}")
    details = {
        "aliases": ", ".join(entity.aliases),
        "tags": ", ".join(entity.tags),
        "fields": json.dumps(entity.fields) if entity.fields else "",
        "external_ids": ", ".join(f"{k}={v}" for k, v in entity.external_ids.items()),
        "thumbnail": entity.primary_thumbnail_asset_id or "",
        "created_at": format_timestamp(entity.created_at),
        "updated_at": format_timestamp(entity.updated_at),
        "deleted_at": format_timestamp(entity.deleted_at) if entity.deleted_at else "",
    }
    for key, value in details.items():
        if value:
            typer.echo(f"  {key:13} {value}")


def _entity_row(e: Entity) -> list[str]:
    return [e.entity_id[:12], e.display_name, ", ".join(e.tags), format_timestamp(e.created_at)]


@entity_app.command("list")
def entity_list(
    q: str | None = typer.Option(None, "--q", "-q", help="Substring of the name or an alias."),
    tag: list[str] = typer.Option([], "--tag", help="Only entities with this tag (repeatable)."),
    field: list[str] = typer.Option([], "--field", help="key=value on a defined field (repeatable)."),
    sort_by: str = typer.Option("created_at", help="created_at, updated_at or display_name."),
    order: str = typer.Option("asc", help="asc or desc."),
    limit: int = typer.Option(50, help="Page size (1-200)."),
    offset: int = typer.Option(0, help="Skip this many."),
    cursor: str | None = typer.Option(None, help="Continue after a previous page."),
    include_deleted: bool = typer.Option(False, "--include-deleted", help="Show soft-deleted ones too."),
    in_trash: bool = typer.Option(False, "--in-trash", help="Only soft-deleted ones (the trash)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List entities, a page at a time."""

    async def run(core: Core) -> PageResult[Entity]:
        query = EntityQuery.build(
            sort_by=sort_by,
            sort_order=order,
            q=q,
            tags=tag,
            fields=pairs(field, "--field"),
            include_deleted=include_deleted,
            in_trash=in_trash,
        )
        return await core.entities.search(query, PageRequest(limit=limit, offset=offset, cursor=cursor))

    page = with_core(run)
    print_page(page, ["ID", "NAME", "TAGS", "CREATED"], _entity_row, as_json)


@entity_app.command("show")
def entity_show(
    entity_id: str = typer.Argument(..., help="Entity id."),
    include_deleted: bool = typer.Option(False, "--include-deleted", help="Also a soft-deleted one."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one entity."""

    async def run(core: Core) -> Entity:
        return await core.entities.get(entity_id, include_deleted=include_deleted)

    show_entity(with_core(run), as_json)


@entity_app.command("create")
def entity_create(
    name: str = typer.Argument(..., help="Display name."),
    alias: list[str] = typer.Option([], "--alias", help="Another name (repeatable)."),
    tag: list[str] = typer.Option([], "--tag", help="A tag (repeatable)."),
    field: list[str] = typer.Option([], "--field", help="key=value on a defined field (repeatable)."),
    external_id: list[str] = typer.Option([], "--external-id", help="source=id (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an entity."""

    async def run(core: Core) -> Entity:
        return await core.entities.create(
            name,
            aliases=alias,
            tags=tag,
            fields={key: json_value(value) for key, value in pairs(field, "--field")},
            external_ids=dict(pairs(external_id, "--external-id")),
        )

    entity = with_core(run)
    if as_json:
        print_json(plain(entity))
    else:
        typer.echo(f"{entity.entity_id}  {entity.display_name}")


@entity_app.command("update")
def entity_update(
    entity_id: str = typer.Argument(..., help="Entity id."),
    name: str | None = typer.Option(None, "--name", help="New display name."),
    tag: list[str] | None = typer.Option(None, "--tag", help="Replace the tags (repeatable)."),
    alias: list[str] | None = typer.Option(None, "--alias", help="Replace the aliases (repeatable)."),
    patch: str | None = typer.Option(
        None, "--patch", help='A JSON merge patch, e.g. \'{"fields": {"x": null}}\'.'
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an entity (JSON merge patch; only what is given changes)."""
    changes: dict[str, Any] = json_object(patch, "--patch") if patch else {}
    if name is not None:
        changes["display_name"] = name
    if tag:
        changes["tags"] = tag
    if alias:
        changes["aliases"] = alias
    if not changes:
        fail("nothing to change: give --name, --tag, --alias or --patch", 2)

    async def run(core: Core) -> Entity:
        return await core.entities.patch(entity_id, changes)

    show_entity(with_core(run), as_json)


@entity_app.command("delete")
def entity_delete(entity_id: str = typer.Argument(..., help="Entity id.")) -> None:
    """Soft-delete an entity (``restore`` brings it back)."""

    async def run(core: Core) -> None:
        await core.entities.delete(entity_id)

    with_core(run)
    typer.echo(f"deleted {entity_id}")


@entity_app.command("restore")
def entity_restore(
    entity_id: str = typer.Argument(..., help="Entity id."), as_json: bool = JSON_OPTION
) -> None:
    """Undo a soft delete."""

    async def run(core: Core) -> Entity:
        return await core.entities.restore(entity_id)

    show_entity(with_core(run), as_json)


@entity_app.command("purge")
def entity_purge(entity_id: str = typer.Argument(..., help="Entity id (of an entity in the trash).")) -> None:
    """Delete an entity in the trash forever, with its descriptors, relationships and links (its
    files stay)."""

    async def run(core: Core) -> None:
        await core.entities.delete_forever(entity_id)

    with_core(run)
    typer.echo(f"deleted {entity_id} forever")


@entity_app.command("bulk-upsert")
def entity_bulk_upsert(
    file: Path = typer.Argument(..., help="A JSON file: a list of items keyed by external_ids."),
    on_conflict: str = typer.Option("merge", help="merge, replace or skip."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create or update up to 1,000 entities matched by external ids, in one transaction."""
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{file}: {exc}", 2)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        fail(f"{file}: expected a JSON list of objects", 2)

    async def run(core: Core) -> Any:
        return await core.entities.bulk_upsert(items, on_conflict)

    results = with_core(run)
    if as_json:
        print_json(plain(results))
        return
    for r in results:
        problems = "; ".join(f"{e.field}: {e.message}" for e in r.errors)
        typer.echo(f"{r.index:5}  {r.status:9}  {r.entity_id or ''}  {problems}".rstrip())
