"""The command tree reads as one vocabulary (a singular noun, then a verb), says its version, and its help
shows what each option takes; the names of the release before keep working, hidden, with a note."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from litestar.testing import AsyncTestClient
from typer.core import TyperGroup
from typer.testing import CliRunner, Result

from faceforge_adapters.bootstrap import core_version
from faceforge_cli.main import OLD_NAMES, app

GROUPS = {
    "config",
    "token",
    "db",
    "entity",
    "field",
    "descriptor",
    "relationship",
    "asset",
    "job",
    "plugin",
    "seaweed",
    "storage",
    "preview",
    "duplicate",
    "backup",
}
COMMANDS = {"serve", "open", "home", "doctor", "import", "export"}


def command_paths(group: TyperGroup, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every visible command and group below ``group``, as the words a user types."""
    for name, command in group.commands.items():
        if command.hidden:
            continue
        yield (*prefix, name)
        if isinstance(command, TyperGroup):
            yield from command_paths(command, (*prefix, name))


def invoke(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})


def test_the_top_level_lists_singular_nouns_and_verbs_only() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    visible = {name for name, command in root.commands.items() if not command.hidden}
    assert visible == GROUPS | COMMANDS
    assert set(OLD_NAMES) & visible == set()


@pytest.mark.anyio
async def test_version_is_the_one_healthz_and_the_library_report(
    home: Path,
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    result = invoke(home, "--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"faceforge {core_version()}\n"
    healthz = (await client.get("/healthz")).json()["data"]
    assert healthz["version"] == core_version()


def test_every_help_shows_flags_as_flags(home: Path) -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    paths = [(), *command_paths(root)]
    assert len(paths) > 50
    for path in paths:
        result = invoke(home, *path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.stdout, path
    entity_list = invoke(home, "entity", "list", "--help").stdout
    assert "--limit <int>" in entity_list  # options that take a value still say what
    assert "--json " in entity_list


@pytest.mark.parametrize(("old", "new"), sorted(OLD_NAMES.items()))
def test_an_old_name_runs_the_new_group_with_a_note(home: Path, old: str, new: str) -> None:
    old_help, new_help = invoke(home, old, "--help"), invoke(home, new, "--help")
    assert old_help.exit_code == new_help.exit_code == 0
    commands = new_help.stdout.split("Commands:")[1]
    assert old_help.stdout.split("Commands:")[1] == commands


def test_old_names_give_the_same_answers_as_the_new_ones(home: Path) -> None:
    new, old = invoke(home, "job", "list", "--json"), invoke(home, "jobs", "list", "--json")
    assert new.exit_code == old.exit_code == 0
    assert json.loads(old.stdout) == json.loads(new.stdout) == []
    assert (
        old.stderr == "note: `faceforge jobs` is now `faceforge job` (the old name goes in a later release)\n"
    )
    assert new.stderr == ""
    purged = invoke(home, "assets", "purge", "--json")
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.stdout) == {"asset_ids": [], "bytes_freed": 0}
