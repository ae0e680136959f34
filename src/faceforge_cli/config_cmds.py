"""``faceforge config`` and ``faceforge token``."""

from __future__ import annotations

from typing import Any

import msgspec
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.config import load_config, new_install_token, update_core_json
from faceforge_adapters.home import fixed_paths, resolve_home
from faceforge_cli import signin
from faceforge_cli.common import clear_errors, command_group, print_json, with_core

config_app = command_group("Show or check the configuration.")
token_app = command_group("The install token that guards the API.")

SECRET_KEYS = (("auth", "install_token"), ("storage", "s3", "secret_key"))


def _redacted(config: dict[str, Any]) -> dict[str, Any]:
    for path in SECRET_KEYS:
        node = config
        for key in path[:-1]:
            node = node.get(key, {})
        if node.get(path[-1]):
            node[path[-1]] = "[hidden: faceforge token show]"
    return config


@config_app.command("show")
def config_show(
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Include the token and keys."),
) -> None:
    """Print the effective configuration (all layers applied) as JSON."""
    with clear_errors():
        loaded = load_config(resolve_home(), create=False)
    effective = msgspec.to_builtins(loaded.config)
    print_json(
        {
            "sources": list(loaded.sources),
            "config": effective if show_secrets else _redacted(effective),
        }
    )


@config_app.command("validate")
def config_validate() -> None:
    """Check every config source; exit 2 with the file and key when one is wrong."""
    with clear_errors():
        loaded = load_config(resolve_home(), create=False)
    typer.echo("configuration is valid: " + ", ".join(loaded.sources or ("defaults",)))


@token_app.command("show")
def token_show() -> None:
    """Print the install token (created on first start)."""
    with clear_errors():
        loaded = load_config(resolve_home())
    typer.echo(loaded.config.auth.install_token)


@token_app.command("link")
def token_link() -> None:
    """Print a new sign-in link for the web UI of this home's server (single use, ten minutes)."""

    async def issue(core: Core) -> tuple[str, str]:
        return await signin.new_link(core)

    signin.announce(*with_core(issue))


@token_app.command("rotate")
def token_rotate() -> None:
    """Replace the install token; the old one stops working when Core restarts."""
    token = new_install_token()
    paths = fixed_paths(resolve_home())
    paths.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with clear_errors():
        load_config(paths.home)  # refuse to touch a broken file
        update_core_json(paths, lambda raw: raw.setdefault("auth", {}).update(install_token=token))
    typer.echo(token)
    typer.secho("restart Core for the new token to take effect", err=True)
