"""``faceforge asset``: store files straight through the library, no server needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.cli.common import fail, print_json, with_core
from faceforge_domain.services.assets import IngestResult

asset_app = typer.Typer(help="Assets: files attached to entities.", no_args_is_help=True)

READ_CHUNK = 4 * 1024 * 1024


async def read_file(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(READ_CHUNK):
            yield chunk


@asset_app.command("add")
def asset_add(
    file: Path = typer.Argument(..., help="The file to store."),
    kind: str | None = typer.Option(None, help="Asset kind (inferred when omitted)."),
    entity: str | None = typer.Option(None, help="Link to this entity id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Store a file (streamed, hashed, deduplicated) and print its asset id."""
    if not file.is_file():
        fail(f"{file} is not a readable file", 2)

    async def add(core: Core) -> IngestResult:
        return await core.assets.ingest(read_file(file), file.name, kind=kind, entity_id=entity)

    result = with_core(add)
    if as_json:
        print_json({"deduplicated": result.deduplicated, **msgspec.to_builtins(result.asset)})
    else:
        note = " (already stored)" if result.deduplicated else ""
        typer.echo(f"{result.asset.asset_id}  {result.asset.kind}  {result.asset.filename}{note}")
