"""Discovery on a real plugins folder with the registry in a real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faceforge_adapters.plugins import DirectoryPluginSource, JsonSchemaConfigs
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.plugins.service import PluginService

pytestmark = pytest.mark.anyio
HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
GRANT = ["assets:read", "assets:write", "jobs:run"]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "db" / "core.sqlite3", FixedClock())
    try:
        yield db
    finally:
        await db.close()


def service(database: Database, root: Path) -> PluginService:
    return PluginService(
        SqliteUnitOfWorkFactory(database),
        DirectoryPluginSource(root),
        JsonSchemaConfigs(),
        FixedClock(),
        core_version="0.1.0",
    )


async def test_a_dropped_in_folder_appears_after_a_rescan(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    root.mkdir()
    plugins = service(database, root)
    assert await plugins.rescan() == []
    shutil.copytree(HELLO_DIR, root / "hello")
    views = await plugins.rescan()
    assert [(v.plugin_id, v.status) for v in views] == [("hello", "disabled")]
    assert views[0].folders == [str(root / "hello")]


async def test_enabled_state_and_config_persist_in_sqlite(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    shutil.copytree(HELLO_DIR, root / "hello")
    first = service(database, root)
    await first.rescan()
    token = (await first.enable("hello", GRANT)).token
    await first.set_config("hello", {"greeting": "Hi", "tags": ["a-b"]})
    again = service(database, root)
    await again.rescan()
    view = await again.get("hello")
    assert view.status == "enabled"
    assert view.granted_permissions == sorted(GRANT)
    assert (await again.config("hello"))["tags"] == ["a-b"]
    assert (await again.authenticate(token)) is not None


async def test_problems_name_the_file_and_pointer(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    (root / "broken").mkdir(parents=True)
    (root / "broken" / "plugin.json").write_text(json.dumps({"id": "broken", "name": "B", "version": "x"}))
    (root / "empty").mkdir()
    (root / ".hidden").mkdir()
    (root / "README.txt").write_text("not a plugin")
    views = {v.plugin_id: v for v in await service(database, root).rescan()}
    assert set(views) == {"broken", "empty"}
    broken = {p.pointer: p for p in views["broken"].problems}
    assert broken["/core_compat"].message == "is required"
    assert broken["/core_compat"].file == str(root / "broken" / "plugin.json")
    assert views["empty"].status == "invalid"
    assert "no plugin.json" in views["empty"].problems[0].message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
async def test_an_unreadable_manifest_is_reported(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    shutil.copytree(HELLO_DIR, root / "hello")
    (root / "hello" / "plugin.json").chmod(0)
    views = await service(database, root).rescan()
    assert views[0].status == "invalid"
    assert "cannot be read" in views[0].problems[0].message
