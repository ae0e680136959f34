"""``faceforge entity``: entities straight through the library, no server needed."""

from __future__ import annotations

import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.cli.common import print_json, with_core

entity_app = typer.Typer(help="Entities: people, characters, creatures.", no_args_is_help=True)


@entity_app.command("create")
def entity_create(
    name: str = typer.Argument(..., help="Display name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create an entity."""

    async def create(core: Core) -> None:
        entity = await core.entities.create(name)
        if as_json:
            print_json(msgspec.to_builtins(entity))
        else:
            typer.echo(f"{entity.entity_id}  {entity.display_name}")

    with_core(create)
