"""What every ``faceforge`` command shares: starting Core, printing, and turning errors into exits."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import anyio
import msgspec
import typer

from faceforge_adapters.bootstrap import Core, build_core
from faceforge_adapters.config import ConfigError
from faceforge_adapters.sqlite.migrate import MigrationError
from faceforge_domain.errors import DomainError

T = TypeVar("T")

# What a command that runs jobs in this process starts: recovery and the executor, and what a queued job
# may need while it runs (a bulk import waits for metadata; bytes may go to the managed SeaweedFS).
RUNS_JOBS = ("jobs_recovery", "jobs", "metadata", "seaweed")
# What a command that stores or removes bytes starts: the managed SeaweedFS, when enabled.
STORES_BYTES = ("seaweed",)

EXIT_USAGE = 2  # bad configuration or bad input: the same status argparse and typer use for usage


def command_group(help_text: str) -> typer.Typer:
    """A group of commands that prints its help when called bare."""
    return typer.Typer(help=help_text, no_args_is_help=True)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Known failures become one readable line and an exit status, never a traceback."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except MigrationError as exc:
        fail(f"database: {exc}", EXIT_USAGE)
    except DomainError as exc:
        fail(exc.message, EXIT_USAGE if exc.code == "validation_error" else 1)


def with_core(action: Callable[[Core], Awaitable[T]], services: Collection[str] = ()) -> T:
    """Build Core from the environment, start the named background services, run ``action``, stop.

    A command names only what it needs (see ``faceforge_adapters.lifecycle``): most need none, so a
    quick command starts no task and no child process, and never picks up queued work.
    """

    async def run() -> T:
        async with build_core() as core, core.lifecycle.running(services):
            return await action(core)

    with clear_errors():
        return anyio.run(run)


def print_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(value), indent=2).decode() + "\n")
