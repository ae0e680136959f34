"""``faceforge asset``: store, list and show files and the entities they are linked to, purge deleted
ones, correct recorded types (``retype``, through the ``core.assets.retype`` job) and derive facts
again (``facts``, through the ``core.assets.facts`` job).

They run straight through the library (no server needed); ``asset add`` runs the metadata runner and
waits for it, so it prints the final ``metadata_status``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import STORES_BYTES, command_group, fail, print_json, with_core
from faceforge_cli.jobs import run_job_here
from faceforge_cli.resumable import add_resumable
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.jobs.assets_facts import JOB_TYPE as FACTS_JOB
from faceforge_domain.jobs.assets_retype import JOB_TYPE as RETYPE_JOB
from faceforge_domain.jobs.models import Job, LogEntry
from faceforge_domain.lookalikes import DEFAULT_MAX_DISTANCE, DEFAULT_SIMILAR_LIMIT, MAX_DISTANCE
from faceforge_domain.models import Asset, LinkedEntity
from faceforge_domain.paging import MAX_LIMIT, PageRequest, PageResult
from faceforge_domain.services.assets import IngestOptions, IngestResult, PurgeReport
from faceforge_domain.services.lookalikes import SimilarAsset

asset_app = command_group("Assets: files attached to entities.")

READ_CHUNK = 4 * 1024 * 1024


async def read_file(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(READ_CHUNK):
            yield chunk


def _line(asset: Asset) -> str:
    a = asset
    return f"{a.asset_id}  {a.kind:16} {a.size_bytes:>12}  {a.metadata_status:8} {a.filename}"


@asset_app.command("add")
def asset_add(
    file: Path = typer.Argument(..., help="The file to store."),
    kind: str | None = typer.Option(None, help="Asset kind (inferred when omitted)."),
    entity: str | None = typer.Option(None, help="Link to this entity id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Store a file (streamed, hashed, deduplicated), extract its metadata, print its asset id.

    Files of ``uploads.resumable_threshold_bytes`` or more go in chunks that survive an interruption:
    running the same command again resumes where the last one stopped.
    """
    if not file.is_file():
        fail(f"{file} is not a readable file", 2)
    size = file.stat().st_size

    async def add(core: Core) -> IngestResult:
        if size >= core.config.uploads.resumable_threshold_bytes:
            wanted = {"filename": file.name, "kind": kind, "entity_id": entity}
            metadata = {key: value for key, value in wanted.items() if value is not None}
            record = await add_resumable(core, file, metadata, lambda line: typer.echo(line, err=True))
            assert record.asset_id is not None, "a complete upload names its asset"
            asset_id, deduplicated = record.asset_id, record.deduplicated
        else:
            options = IngestOptions(filename=file.name, kind=kind, entity_id=entity)
            result = await core.assets.ingest(read_file(file), options, size_hint=size)
            asset_id, deduplicated = result.asset.asset_id, result.deduplicated
        await core.metadata.wait_idle()
        return IngestResult(await core.assets.get(asset_id), deduplicated=deduplicated)

    result = with_core(add, ("metadata", *STORES_BYTES))
    if as_json:
        print_json({"deduplicated": result.deduplicated, **msgspec.to_builtins(result.asset)})
    else:
        note = " (already stored)" if result.deduplicated else ""
        typer.echo(_line(result.asset) + note)


@asset_app.command("list")
def asset_list(
    kind: str | None = typer.Option(None, help="Only this kind."),
    entity: str | None = typer.Option(None, help="Only assets linked to this entity id."),
    mime: str | None = typer.Option(None, help="Only MIME types starting with this."),
    q: str | None = typer.Option(None, help="Only file names containing this."),
    in_trash: bool = typer.Option(False, "--in-trash", help="Only soft-deleted ones (the trash)."),
    limit: int = typer.Option(50, min=1, max=MAX_LIMIT, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List assets, oldest first."""

    async def find(core: Core) -> PageResult[Asset]:
        query = AssetQuery.build(kind=kind, entity_id=entity, mime=mime, q=q, in_trash=in_trash)
        return await core.assets.find(query, PageRequest(limit=limit))

    page = with_core(find)
    if as_json:
        print_json(msgspec.to_builtins(page))
        return
    for asset in page.items:
        typer.echo(_line(asset))
    typer.echo(f"{len(page.items)} of {page.total}{'' if page.total_exact else '+'}")


@asset_app.command("show")
def asset_show(
    asset_id: str = typer.Argument(..., help="The asset id (its SHA-256)."),
    include_deleted: bool = typer.Option(False, help="Show it even when soft-deleted."),
) -> None:
    """Print one asset's record as JSON, extracted metadata included."""

    async def show(core: Core) -> Any:
        return msgspec.to_builtins(await core.assets.get(asset_id, include_deleted=include_deleted))

    print_json(with_core(show))


@asset_app.command("entities")
def asset_entities(
    asset_id: str = typer.Argument(..., help="The asset id (its SHA-256)."),
    include_deleted: bool = typer.Option(False, help="Also soft-deleted entities (and a deleted asset)."),
    limit: int = typer.Option(50, min=1, max=MAX_LIMIT, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the entities an asset is linked to, oldest first, with each link's role."""

    async def linked(core: Core) -> PageResult[LinkedEntity]:
        page = PageRequest(limit=limit)
        return await core.assets.linked_entities(asset_id, page, include_deleted=include_deleted)

    page = with_core(linked)
    if as_json:
        print_json(msgspec.to_builtins(page))
        return
    for link in page.items:
        typer.echo(f"{link.entity.entity_id}  {link.role or '-':16} {link.entity.display_name}")
    typer.echo(f"{len(page.items)} of {page.total}")


@asset_app.command("similar")
def asset_similar(
    asset_id: str = typer.Argument(..., help="The asset id (its SHA-256)."),
    max_distance: int = typer.Option(
        DEFAULT_MAX_DISTANCE, min=0, max=MAX_DISTANCE, help="Bits of the 64-bit picture hash that may differ."
    ),
    limit: int = typer.Option(DEFAULT_SIMILAR_LIMIT, min=1, max=MAX_LIMIT, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the live assets whose picture looks like this one's, nearest first."""

    async def similar(core: Core) -> list[SimilarAsset]:
        return await core.lookalikes.similar(asset_id, max_distance, limit)

    found = with_core(similar)
    if as_json:
        print_json(msgspec.to_builtins(found))
        return
    for item in found:
        typer.echo(f"{item.distance:>2}  {_line(item.asset)}")
    typer.echo(f"{len(found)} look-alikes")


@asset_app.command("purge")
def asset_purge(
    asset_id: str | None = typer.Argument(
        None, help="Only this asset in the trash, unlinked from its entities first (default: every one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove the bytes and records of soft-deleted assets that no entity links to, or of one asset in
    the trash."""

    async def purge(core: Core) -> PurgeReport:
        return await (core.assets.purge() if asset_id is None else core.assets.delete_forever(asset_id))

    report = with_core(purge, STORES_BYTES)
    if as_json:
        print_json(msgspec.to_builtins(report))
        return
    typer.echo(f"purged {len(report.asset_ids)} asset(s), {report.bytes_freed} bytes freed")


def _print_changes(_job: Job, entries: list[LogEntry]) -> None:
    """One line on stderr per asset the job changed or could not check, as its log reports them."""
    for entry in entries:
        if entry.data and "asset_id" in entry.data:
            typer.echo(entry.message, err=True)


@asset_app.command("retype")
def asset_retype(
    asset_ids: list[str] = typer.Argument(None, help="Only these asset ids (default: every asset)."),
    as_json: bool = typer.Option(False, "--json", help="Print the job's result as JSON."),
) -> None:
    """Sniff stored assets' first bytes again; correct their MIME type and (inferred) kind."""
    given = {"asset_ids": asset_ids} if asset_ids else {}

    result = run_job_here(RETYPE_JOB, given, "retype", _print_changes)
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"checked {result['total']} assets: {result['changed']} corrected, "
            f"{result['unchanged']} already right, {result['failed']} failed"
        )
    if result["failed"]:
        raise typer.Exit(1)


@asset_app.command("facts")
def asset_facts(
    asset_ids: list[str] = typer.Argument(None, help="Only these asset ids (default: every asset)."),
    as_json: bool = typer.Option(False, "--json", help="Print the job's result as JSON."),
) -> None:
    """Derive stored assets' facts (date taken, camera, lens, size, place) from their metadata again."""
    given = {"asset_ids": asset_ids} if asset_ids else {}
    result = run_job_here(FACTS_JOB, given, "facts", _print_changes)
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"checked {result['total']} assets: {result['changed']} updated, "
            f"{result['unchanged']} already right"
        )
