"""FACEFORGE_HOME: where it resolves on each OS, what start-up creates there, and nothing elsewhere."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from faceforge_adapters.bootstrap import bootstrap
from faceforge_adapters.home import default_home, fixed_paths, resolve_home

pytestmark = pytest.mark.anyio

SUBFOLDERS = {"db", "assets", "s3", "logs", "run", "tmp", "config", "tools", "plugins"}


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("win32", {"LOCALAPPDATA": "C:/Users/ada/AppData/Local"}, "C:/Users/ada/AppData/Local/FaceForge"),
        ("win32", {"USERPROFILE": "/users/ada"}, "/users/ada/AppData/Local/FaceForge"),
        ("darwin", {"HOME": "/Users/ada"}, "/Users/ada/Library/Application Support/FaceForge"),
        ("linux", {"HOME": "/home/ada", "XDG_DATA_HOME": "/data/xdg"}, "/data/xdg/faceforge"),
        ("linux", {"HOME": "/home/ada"}, "/home/ada/.local/share/faceforge"),
        ("linux", {"HOME": "/home/ada", "XDG_DATA_HOME": "relative/xdg"}, "/home/ada/.local/share/faceforge"),
        ("freebsd14", {"HOME": "/home/ada", "XDG_DATA_HOME": ""}, "/home/ada/.local/share/faceforge"),
    ],
)
def test_default_home_is_the_per_user_data_dir(platform: str, env: dict[str, str], expected: str) -> None:
    assert default_home(env, platform) == Path(expected)


def test_faceforge_home_wins_and_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_home({"FACEFORGE_HOME": "rel/home", "HOME": "/home/ada"}) == tmp_path / "rel" / "home"
    assert resolve_home({"FACEFORGE_HOME": "~/ff", "HOME": str(tmp_path)}) == tmp_path / "ff"
    assert resolve_home({"FACEFORGE_HOME": "/srv/ff"}, "win32") == Path("/srv/ff")


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_without_faceforge_home_it_is_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for env in ({"HOME": "/home/ada"}, {"HOME": "/home/ada", "FACEFORGE_HOME": "  "}):
        resolved = resolve_home(env, platform)
        assert resolved.is_absolute()
        assert cwd not in (resolved, *resolved.parents)


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


async def test_start_creates_every_folder_and_a_private_core_json_and_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home, cwd, home = tmp_path / "user", tmp_path / "cwd", tmp_path / "ffhome"
    user_home.mkdir()
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    env = {"FACEFORGE_HOME": str(home), "HOME": str(user_home), "XDG_DATA_HOME": str(user_home / "xdg")}
    async with bootstrap(env=env, run_jobs=False) as core:
        assert core.home == home
    assert_only_home_was_written(tmp_path, home, core.install_token)


def assert_only_home_was_written(tmp_path: Path, home: Path, token: str) -> None:
    user_home, cwd = tmp_path / "user", tmp_path / "cwd"
    assert {p.name for p in home.iterdir()} >= SUBFOLDERS
    assert all((home / name).is_dir() for name in SUBFOLDERS)
    core_json = home / "config" / "core.json"
    assert stat.S_IMODE(core_json.stat().st_mode) == 0o600
    assert json.loads(core_json.read_text())["auth"]["install_token"] == token
    assert (home / "db" / "core.sqlite3").is_file()
    assert (home / "logs" / "core.log").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"user", "cwd", "ffhome"}
    assert _tree(user_home) == set()
    assert _tree(cwd) == set()


async def test_overridden_folders_are_created_where_the_config_says(tmp_path: Path) -> None:
    home, big_disk = tmp_path / "ffhome", tmp_path / "big-disk"
    paths = fixed_paths(home)
    paths.config_dir.mkdir(parents=True)
    paths.core_json.write_text(
        json.dumps(
            {"paths": {"assets_dir": str(big_disk / "blobs"), "db_dir": "meta", "logs_dir": "../ff-logs"}}
        )
    )
    async with bootstrap(home=home, env={}, run_jobs=False) as core:
        assert core.paths.assets_dir == big_disk / "blobs"
        assert core.paths.db_file == home / "meta" / "core.sqlite3"
    assert (big_disk / "blobs").is_dir()
    assert (home / "meta" / "core.sqlite3").is_file()
    assert (home / ".." / "ff-logs" / "core.log").is_file()
    assert not (home / "assets").exists()
    assert not (home / "db").exists()
