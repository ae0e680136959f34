"""The docs keep up with the code: every config key, CLI command and error code is documented.

Each list is read from the code itself (the config structs, the Typer app, the error table and the
domain's error classes) and looked up on its page in ``docs/``, so adding one without documenting it
fails here. Config keys and error codes are also checked the other way: the docs name none that
no longer exist.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import typer

import faceforge_domain
from faceforge_adapters.config import CoreConfig
from faceforge_domain.errors import DomainError
from faceforge_http.errors import STATUS_BY_CODE

DOCS = Path(__file__).resolve().parents[1] / "docs"


def cli_app() -> typer.Typer:
    """The ``faceforge`` Typer app: the one place this file names the CLI's module."""
    from faceforge_cli.main import app

    return app


# -- config keys -------------------------------------------------------------------------------------


def config_keys(struct: type[msgspec.Struct] = CoreConfig, prefix: str = "") -> Iterator[str]:
    """Every leaf key of ``core.json``, dotted, under the names the file uses."""
    for field in msgspec.structs.fields(struct):
        key = f"{prefix}{field.encode_name}"
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            yield from config_keys(field.type, f"{key}.")
        else:
            yield key


def documented_config_keys() -> set[str]:
    """The keys named in the first column of the ``core.json`` table of docs/configuration.md."""
    text = (DOCS / "configuration.md").read_text()
    section = text.split("## `config/core.json`", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([a-z0-9_.]+)`", line.split(" | ", 1)[0]))
    return keys


def test_every_config_key_is_documented_in_the_configuration_page() -> None:
    missing = sorted(set(config_keys()) - documented_config_keys())
    assert missing == [], f"config keys missing from docs/configuration.md: {missing}"


def test_the_configuration_page_names_no_key_that_does_not_exist() -> None:
    stale = sorted(documented_config_keys() - set(config_keys()))
    assert stale == [], f"docs/configuration.md documents keys the config does not have: {stale}"


# -- CLI commands ------------------------------------------------------------------------------------


def cli_commands() -> list[str]:
    """Every visible command of the Typer app, as typed after ``faceforge`` (``jobs list``)."""

    def walk(command: Any, path: list[str]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)  # a group (Typer ships its own click)
        if subcommands is None:
            yield " ".join(path)
            return
        for name, sub in subcommands.items():
            if not sub.hidden:
                yield from walk(sub, [*path, name])

    return sorted(walk(typer.main.get_command(cli_app()), []))


def test_the_cli_walk_finds_nested_commands() -> None:
    commands = cli_commands()
    assert len(commands) > 20
    assert "plugin config set" in commands


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_documented_in_the_cli_page(command: str) -> None:
    text = (DOCS / "cli.md").read_text()
    *group, last = command.split(" ")
    prefix = "".join(f"{re.escape(word)} " for word in group)
    alternatives = r"(?:[\w-]+\\\|)*"  # the table writes `faceforge job list\|show\|log`
    pattern = rf"faceforge {prefix}{alternatives}{re.escape(last)}(?![\w-])"
    assert re.search(pattern, text), f"`faceforge {command}` is not documented in docs/cli.md"


# -- error codes -------------------------------------------------------------------------------------


def domain_error_codes() -> set[str]:
    """The ``code`` of every domain error class, in every domain module."""
    for module in pkgutil.walk_packages(faceforge_domain.__path__, "faceforge_domain."):
        importlib.import_module(module.name)
    found: set[str] = set()
    todo: list[type[DomainError]] = [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo.extend(cls.__subclasses__())
    return found


def documented_error_codes() -> dict[str, int]:
    """The codes in the error-code table of docs/api.md, with the HTTP status each is given."""
    text = (DOCS / "api.md").read_text()
    section = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    return {code: int(status) for status, code in re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", section, re.M)}


def test_every_error_code_is_documented_in_the_api_page_with_its_status() -> None:
    documented = documented_error_codes()
    codes = set(STATUS_BY_CODE) | domain_error_codes()
    assert sorted(codes - documented.keys()) == [], "error codes missing from docs/api.md"
    wrong = {
        code: (documented[code], status)
        for code, status in STATUS_BY_CODE.items()
        if documented[code] != status
    }
    assert wrong == {}, "docs/api.md gives these codes another status (documented, real)"
