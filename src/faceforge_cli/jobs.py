"""``faceforge job``: list, show, read the log of (and follow), and cancel jobs, no server needed."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import RUNS_JOBS, command_group, fail, print_json, with_core
from faceforge_domain.jobs.models import Job, JsonObject, LogEntry
from faceforge_domain.jobs.service import JobService
from faceforge_domain.paging import PageRequest
from faceforge_domain.timefmt import format_timestamp

# Job commands show jobs as they stand: what a dead process left running is settled first.
SETTLES_JOBS = ("jobs_recovery",)

job_app = command_group("Jobs: background work, its progress and its log.")
LEVEL_COLORS = {"warning": typer.colors.YELLOW, "error": typer.colors.RED, "debug": typer.colors.BRIGHT_BLACK}


def job_line(job: Job) -> str:
    percent = "" if job.progress.percent is None else f" {job.progress.percent:5.1f}%"
    step = f" {job.progress.step}" if job.progress.step else ""
    return f"{job.job_id}  {job.status:16} {job.job_type}{percent}{step}  {format_timestamp(job.created_at)}"


def print_entry(entry: LogEntry) -> None:
    typer.secho(
        f"{entry.id:>7} {format_timestamp(entry.ts)} {entry.level:7} {entry.message}",
        fg=LEVEL_COLORS.get(entry.level),
    )


def job_json(job: Job) -> object:
    return msgspec.to_builtins(job)


@job_app.command("list")
def jobs_list(
    status: list[str] = typer.Option([], "--status", help="Only jobs in this status (repeatable)."),
    job_type: str | None = typer.Option(None, "--type", help="Only jobs of this type."),
    limit: int = typer.Option(50, help="How many (newest first), 1-200."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Jobs, newest first."""

    async def run(core: Core) -> list[Job]:
        page = await core.jobs.list_jobs(statuses=status, job_type=job_type, page=PageRequest(limit=limit))
        return page.items

    items = with_core(run, SETTLES_JOBS)
    if as_json:
        print_json([job_json(j) for j in items])
        return
    for job in items:
        typer.echo(job_line(job))


@job_app.command("show")
def jobs_show(
    job_id: str = typer.Argument(..., help="The job id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One job: status, progress, input, result or error."""

    async def run(core: Core) -> Job:
        return await core.jobs.get(job_id)

    job = with_core(run, SETTLES_JOBS)
    if as_json:
        print_json(job_json(job))
        return
    typer.echo(job_line(job))
    for label, value in (("input", job.input), ("result", job.result), ("error", job.error)):
        if value:
            typer.echo(f"{label}: {msgspec.json.encode(value).decode()}")


async def follow_log(
    jobs: JobService, job_id: str, after_id: int, on_update: Callable[[Job, list[LogEntry]], None]
) -> Job:
    """Follow a job until it ends, handing each update to ``on_update``; returns the final job."""
    last = await jobs.get(job_id)
    async for update in jobs.follow(job_id, after_id=after_id):
        on_update(update.job, update.entries)
        last = update.job
    return last


def run_job_here(
    job_type: str, given: JsonObject, noun: str, on_update: Callable[[Job, list[LogEntry]], None]
) -> JsonObject:
    """Start a job in this process and follow it to its end (``on_update`` sees each update); its
    result, or exit 1 saying how it ended without one. The job runs with the services it needs."""

    async def action(core: Core) -> Job:
        job = await core.jobs.create(job_type, given, created_by="cli")
        typer.echo(f"{noun} job {job.job_id}", err=True)
        return await follow_log(core.jobs, job.job_id, 0, on_update)

    final = with_core(action, RUNS_JOBS)
    if final.result is None:
        fail(f"{noun} {final.status}: {final.error.message if final.error else 'no result'}", 1)
    return final.result


@job_app.command("log")
def jobs_log(
    job_id: str = typer.Argument(..., help="The job id."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job ends."),
    after: int = typer.Option(0, "--after", help="Only entries after this id."),
    limit: int = typer.Option(1000, help="At most this many entries (without --follow), 1-1000."),
) -> None:
    """Print a job's log; with -f, follow it live until the job ends."""

    async def run(core: Core) -> None:
        if not follow:
            for entry in (await core.jobs.log(job_id, after_id=after, limit=limit)).items:
                print_entry(entry)
            return

        def show(_job: Job, entries: list[LogEntry]) -> None:
            for entry in entries:
                print_entry(entry)

        final = await follow_log(core.jobs, job_id, after, show)
        typer.echo(f"job {final.status}")

    with_core(run, SETTLES_JOBS)


@job_app.command("cancel")
def jobs_cancel(
    job_id: str = typer.Argument(..., help="The job id."),
    wait: bool = typer.Option(False, "--wait", help="Wait until a running job has stopped."),
) -> None:
    """Cancel a job: a queued one at once, a running one at its next safe point."""

    async def run(core: Core) -> Job:
        job = await core.jobs.cancel(job_id)
        while wait and not job.finished:
            await anyio.sleep(0.2)
            job = await core.jobs.get(job_id)
        return job

    typer.echo(job_line(with_core(run, SETTLES_JOBS)))
