"""Verified plugin tokens are remembered by a running Core, and a change made by another process (the
CLI on the same home) takes effect at its next request: a disable, a rotation, an upgrade that needs
new grants."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from faceforge_adapters.bootstrap import build_core
from faceforge_domain.plugins.service import PluginService

pytestmark = pytest.mark.anyio
HELLO = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
GRANT = ["assets:read", "assets:write", "jobs:run"]


@pytest.fixture
async def two_cores(tmp_path: Path) -> AsyncIterator[tuple[PluginService, PluginService]]:
    """The plugin services of a server and of a CLI command, each with its own database connections."""
    shutil.copytree(HELLO, tmp_path / "plugins" / "hello")
    async with AsyncExitStack() as stack:
        server, cli = [
            await stack.enter_async_context(build_core(home=tmp_path, env={"FACEFORGE_HOME": str(tmp_path)}))
            for _ in range(2)
        ]
        await server.plugins.rescan()
        await cli.plugins.rescan()
        yield server.plugins, cli.plugins


async def test_a_disable_by_another_process_refuses_the_remembered_token_at_once(
    two_cores: tuple[PluginService, PluginService],
) -> None:
    server, cli = two_cores
    token = (await cli.enable("hello", GRANT)).token
    assert await server.authenticate(token) is not None
    assert await server.authenticate(token) is not None  # remembered
    await cli.disable("hello")
    assert await server.authenticate(token) is None


async def test_a_rotation_by_another_process_retires_the_old_token_at_once(
    two_cores: tuple[PluginService, PluginService],
) -> None:
    server, cli = two_cores
    old = (await cli.enable("hello", GRANT)).token
    assert await server.authenticate(old) is not None
    new = await cli.rotate_token("hello")
    assert await server.authenticate(old) is None
    assert await server.authenticate(new) is not None


async def test_an_upgrade_found_by_another_process_that_needs_new_grants_refuses_the_token_at_once(
    two_cores: tuple[PluginService, PluginService], tmp_path: Path
) -> None:
    server, cli = two_cores
    token = (await cli.enable("hello", GRANT)).token
    assert await server.authenticate(token) is not None
    manifest_file = tmp_path / "plugins" / "hello" / "plugin.json"
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(
        json.dumps({**manifest, "version": "1.1.0", "permissions": [*GRANT, "entities:read"]})
    )
    await cli.rescan()
    assert await server.authenticate(token) is None
