"""The import folder picker against real folders: only what lies under the roots, never a way out."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from faceforge_adapters.import_folders import ImportFolders
from faceforge_adapters.imports import FilesystemImportSource
from faceforge_domain.errors import Forbidden, Invalid

pytestmark = pytest.mark.anyio


def _browser(root: Path, *, own: Path | None = None) -> ImportFolders:
    source = FilesystemImportSource([str(root)], own_folders=[own] if own else [])
    return ImportFolders(source, [str(root)])


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "photos", tmp_path / "private"
    for folder in ("2024/summer", "2025", "Beach", ".cache", "Ffhome/inner"):
        (root / folder).mkdir(parents=True)
    (root / "a-file.jpg").write_bytes(b"x")
    outside.mkdir()
    (outside / "secrets").mkdir()
    return root, outside


async def test_no_path_lists_the_roots_and_a_root_lists_its_visible_folders(tmp_path: Path) -> None:
    root, _ = _tree(tmp_path)
    browser = _browser(root, own=root / "Ffhome")
    top = await browser.browse(None)
    assert [(f.name, f.path) for f in top.folders] == [(str(root), str(root))]
    listing = await browser.browse(str(root))
    assert [f.name for f in listing.folders] == ["2024", "2025", "Beach"]  # no file, hidden or own folder
    assert listing.parent is None
    inner = await browser.browse(str(root / "2024"))
    assert inner.parent == str(root)
    assert [f.path for f in inner.folders] == [str(root / "2024" / "summer")]


async def test_dot_dot_and_links_out_of_the_roots_are_refused(tmp_path: Path) -> None:
    root, outside = _tree(tmp_path)
    (root / "way-out").symlink_to(outside, target_is_directory=True)
    (root / "way-in").symlink_to(root / "Beach", target_is_directory=True)
    browser = _browser(root)
    names = {f.name: f.path for f in (await browser.browse(str(root))).folders}
    assert "way-out" not in names
    assert names["way-in"] == str(root / "Beach")  # a link inside the roots is offered where it leads
    for escape in (
        str(root / ".." / "private"),
        str(root / "way-out"),
        str(root / "way-out" / "secrets"),
        "/",
    ):
        with pytest.raises(Forbidden, match="outside the folders you may import from"):
            await browser.browse(escape)


async def test_system_and_own_folders_are_refused_even_under_a_root(tmp_path: Path) -> None:
    root, _ = _tree(tmp_path)
    with pytest.raises(Forbidden, match="FaceForge's own folder"):
        await _browser(root, own=root / "Ffhome").browse(str(root / "Ffhome" / "inner"))
    system = ImportFolders(FilesystemImportSource(["/"]), ["/"])
    names = [f.name for f in (await system.browse("/")).folders]
    assert "etc" not in names
    assert "proc" not in names
    with pytest.raises(Forbidden, match="a system folder"):
        await system.browse("/etc")


async def test_missing_folders_files_and_relative_paths_are_invalid(tmp_path: Path) -> None:
    root, _ = _tree(tmp_path)
    browser = _browser(root)
    for bad, words in [
        (str(root / "none"), "is not a folder that exists"),
        (str(root / "a-file.jpg"), "is not a folder that exists"),
        ("photos/2024", "must be a full folder path"),
    ]:
        with pytest.raises(Invalid) as caught:
            await browser.browse(bad)
        assert words in caught.value.errors[0].message


def test_without_allowed_roots_the_home_folder_is_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    browser = ImportFolders(FilesystemImportSource(), [])
    assert browser.roots == [str(tmp_path.resolve())]
    with pytest.raises(Forbidden):
        anyio.run(browser.browse, str(tmp_path.parent))
