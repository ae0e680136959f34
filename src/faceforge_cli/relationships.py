"""``faceforge relationship``: relationships between entities, and relation-type suggestions."""

from __future__ import annotations

from typing import Any

import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import command_group, print_json, with_core
from faceforge_cli.entities import JSON_OPTION, json_object, plain, print_page, print_table
from faceforge_domain.models import Relationship
from faceforge_domain.paging import PageRequest
from faceforge_domain.queries import RelationshipQuery

relationship_app = command_group("Relationships between entities.")


@relationship_app.command("list")
def rel_list(
    entity: str | None = typer.Option(None, "--entity", help="Only relationships touching this entity."),
    type_: str | None = typer.Option(None, "--type", help="Only this type."),
    direction: str = typer.Option("both", help="out, in or both (with --entity)."),
    include_deleted: bool = typer.Option(False, "--include-deleted", help="Show deleted ones too."),
    limit: int = typer.Option(50, help="Page size (1-200)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List relationships."""

    async def run(core: Core) -> Any:
        query = RelationshipQuery.build(
            entity_id=entity, type=type_, direction=direction, include_deleted=include_deleted
        )
        return await core.relationships.search(query, PageRequest(limit=limit, offset=offset))

    print_page(
        with_core(run),
        ["ID", "SOURCE", "TYPE", "TARGET"],
        lambda r: [r.relationship_id[:12], r.src_entity_id[:12], r.type, r.dst_entity_id[:12]],
        as_json,
    )


@relationship_app.command("add")
def rel_add(
    src_entity_id: str = typer.Argument(..., help="Source entity id."),
    type_: str = typer.Argument(..., metavar="TYPE", help='The relation, read "SOURCE is TYPE of TARGET".'),
    dst_entity_id: str = typer.Argument(..., help="Target entity id."),
    fields: str | None = typer.Option(None, "--fields", help="A JSON object of extra facts."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Link two entities."""
    spec = {
        "src_entity_id": src_entity_id,
        "dst_entity_id": dst_entity_id,
        "type": type_,
        "fields": json_object(fields, "--fields") if fields else {},
    }

    async def run(core: Core) -> Relationship:
        return await core.relationships.create(spec)

    made = with_core(run)
    if as_json:
        print_json(plain(made))
    else:
        typer.echo(f"{made.relationship_id}  {made.src_entity_id[:12]} {made.type} {made.dst_entity_id[:12]}")


@relationship_app.command("delete")
def rel_delete(relationship_id: str = typer.Argument(..., help="Relationship id.")) -> None:
    """Soft-delete a relationship."""

    async def run(core: Core) -> None:
        await core.relationships.delete(relationship_id)

    with_core(run)
    typer.echo(f"deleted {relationship_id}")


@relationship_app.command("types")
def rel_types(
    query: str = typer.Argument("", help="Prefix or substring."),
    limit: int = typer.Option(20, help="How many (1-100)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Suggest relation types: used ones (most used first) and built-in seeds."""

    async def run(core: Core) -> Any:
        return await core.relationships.suggest_types(query, limit)

    found = with_core(run)
    if as_json:
        print_json(plain(found))
        return
    print_table(
        ["TYPE", "USES", "BUILT-IN"], [[s.type, str(s.count), "yes" if s.builtin else ""] for s in found]
    )
