"""``faceforge plugin``: list, inspect, enable with explicit grants, disable, configure, rescan."""

from __future__ import annotations

from typing import Any

import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_cli.common import EXIT_USAGE, command_group, fail, print_json, with_core
from faceforge_domain.plugins.models import PluginView

# Plugin commands see the plugins folder as it is now: it is scanned first.
DISCOVERED = ("plugins_rescan",)

plugin_app = command_group("Plugins: discover, enable with consent, configure.")
config_app = command_group("A plugin's config (checked against its schema).")
plugin_app.add_typer(config_app, name="config")

AS_JSON = typer.Option(False, "--json", help="Print JSON.")


def _print_list(views: list[PluginView], as_json: bool) -> None:
    if as_json:
        print_json(msgspec.to_builtins(views))
        return
    if not views:
        typer.echo("no plugins (put one folder per plugin, with its plugin.json, in the plugins folder)")
    for view in views:
        typer.echo(f"{view.plugin_id:24} {view.status:12} {view.version or '-':10} {view.name or ''}")


def _print_view(view: PluginView, as_json: bool) -> None:
    if as_json:
        print_json(msgspec.to_builtins(view))
        return
    typer.echo(f"{view.plugin_id}  {view.status}  {view.name or ''} {view.version or ''}".rstrip())
    if view.description:
        typer.echo(f"  {view.description}")
    for label, values in (
        ("folders", view.folders),
        ("permissions", view.permissions),
        ("granted", view.granted_permissions),
        ("not granted", view.missing_grants),
        ("job types", view.job_types),
    ):
        if values:
            typer.echo(f"  {label + ':':13} {', '.join(values)}")
    for problem in [*view.problems, *view.config_problems]:
        typer.echo(f"  problem: {problem.file} {problem.pointer or '(whole file)'}: {problem.message}")


@plugin_app.command("list")
def list_plugins(as_json: bool = AS_JSON) -> None:
    """Every plugin found or registered, with its status."""

    async def run(core: Core) -> list[PluginView]:
        return await core.plugins.list_plugins()

    _print_list(with_core(run, DISCOVERED), as_json)


@plugin_app.command("rescan")
def rescan(as_json: bool = AS_JSON) -> None:
    """Read the plugins folder again."""

    async def run(core: Core) -> list[PluginView]:
        return await core.plugins.rescan()

    _print_list(with_core(run), as_json)


@plugin_app.command("show")
def show(plugin_id: str = typer.Argument(..., help="Plugin id."), as_json: bool = AS_JSON) -> None:
    """One plugin: status, permissions, job types, problems."""

    async def run(core: Core) -> PluginView:
        return await core.plugins.get(plugin_id)

    _print_view(with_core(run, DISCOVERED), as_json)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@plugin_app.command("enable")
def enable(
    plugin_id: str = typer.Argument(..., help="Plugin id."),
    grant: list[str] = typer.Option(
        [], "--grant", "-g", help="A permission to grant (repeat, or comma-separate); all declared ones"
    ),
    as_json: bool = AS_JSON,
) -> None:
    """Enable a plugin, granting every permission it declares; prints its token once."""

    async def run(core: Core) -> tuple[PluginView, str]:
        enabled = await core.plugins.enable(plugin_id, _split(grant))
        return enabled.plugin, enabled.token

    view, token = with_core(run, DISCOVERED)
    if as_json:
        print_json({"plugin": msgspec.to_builtins(view), "token": token})
        return
    _print_view(view, False)
    typer.echo(f"token: {token}")
    typer.echo(
        "(shown once: give it to the plugin's runner; `faceforge plugin rotate-token` makes a new one)"
    )


@plugin_app.command("disable")
def disable(plugin_id: str = typer.Argument(..., help="Plugin id."), as_json: bool = AS_JSON) -> None:
    """Disable a plugin and revoke its token (grants and config are kept)."""

    async def run(core: Core) -> PluginView:
        return await core.plugins.disable(plugin_id)

    _print_view(with_core(run, DISCOVERED), as_json)


@plugin_app.command("rotate-token")
def rotate_token(plugin_id: str = typer.Argument(..., help="Plugin id.")) -> None:
    """Issue a new token for an enabled plugin; the old one stops working."""

    async def run(core: Core) -> str:
        return await core.plugins.rotate_token(plugin_id)

    typer.echo(with_core(run, DISCOVERED))


@config_app.command("get")
def config_get(plugin_id: str = typer.Argument(..., help="Plugin id.")) -> None:
    """Print the stored config as JSON."""

    async def run(core: Core) -> dict[str, Any]:
        return await core.plugins.config(plugin_id)

    print_json(with_core(run, DISCOVERED))


@config_app.command("set")
def config_set(
    plugin_id: str = typer.Argument(..., help="Plugin id."),
    config: str = typer.Argument(..., help='The whole config as a JSON object, e.g. \'{"greeting": "Hi"}\'.'),
    merge: bool = typer.Option(False, "--merge", help="Change only the keys given; keep the others."),
) -> None:
    """Replace (or with --merge, update) the config; refused whole when it breaks the schema."""
    try:
        value = msgspec.json.decode(config)
    except msgspec.DecodeError as exc:
        fail(f"the config is not valid JSON: {exc}", EXIT_USAGE)
    if not isinstance(value, dict):
        fail("the config must be a JSON object", EXIT_USAGE)

    async def run(core: Core) -> dict[str, Any]:
        current = await core.plugins.config(plugin_id) if merge else {}
        return await core.plugins.set_config(plugin_id, {**current, **value})

    print_json(with_core(run, DISCOVERED))
