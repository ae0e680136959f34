"""FilesystemImportSource on real folders: the safety checks, the walk, symlink loops, reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faceforge_adapters.imports import FilesystemImportSource, refused_folder, system_folders
from faceforge_domain.errors import Forbidden, Invalid
from faceforge_domain.imports.models import FolderListing

pytestmark = pytest.mark.anyio
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


async def walk(source: FilesystemImportSource, root: Path, **options: bool) -> list[FolderListing]:
    settings = {"recursive": True, "follow_symlinks": False, **options}
    return [listing async for listing in source.walk(str(root), **settings)]


def paths(listings: list[FolderListing]) -> list[str]:
    return sorted(f"{lst.folder}/{f.name}".lstrip("/") for lst in listings for f in lst.files)


@pytest.mark.parametrize("folder", ["/etc", "/etc/ssh", "/proc/self", "/sys", "/dev", "/boot"])
async def test_system_folders_are_forbidden(folder: str) -> None:
    with pytest.raises(Forbidden) as refused:
        await FilesystemImportSource(user_home="/home/someone").resolve_root(folder)
    assert refused.value.details == {"path": folder}


async def test_a_symlink_into_a_system_folder_is_forbidden_too(tmp_path: Path) -> None:
    (tmp_path / "innocent").symlink_to("/etc")
    with pytest.raises(Forbidden):
        await FilesystemImportSource(user_home="/home/someone").resolve_root(str(tmp_path / "innocent"))


def test_root_home_is_refused_unless_it_is_the_users_home() -> None:
    assert refused_folder("/root/pics", system_folders("linux", "/home/ada"), windows=False) is not None
    assert refused_folder("/root/pics", system_folders("linux", "/root"), windows=False) is None
    assert refused_folder("/rootless", system_folders("linux", "/home/ada"), windows=False) is None


def test_the_windows_folder_is_refused_whatever_its_case() -> None:
    folders = system_folders("win32", r"C:\Users\ada", {"SystemRoot": r"C:\WINDOWS"})
    assert refused_folder(r"c:\windows\System32", folders, windows=True) is not None
    assert refused_folder(r"C:\Users\ada\Pictures", folders, windows=True) is None


async def test_allowed_roots_fence_imports_in(tmp_path: Path) -> None:
    inside, outside = tmp_path / "allowed" / "pics", tmp_path / "elsewhere"
    inside.mkdir(parents=True)
    outside.mkdir()
    source = FilesystemImportSource([str(tmp_path / "allowed")])
    assert await source.resolve_root(str(inside)) == str(inside.resolve())
    with pytest.raises(Forbidden):
        await source.resolve_root(str(outside))
    with pytest.raises(Forbidden):  # a way out through .. is judged by where it really leads
        await source.resolve_root(str(inside / ".." / ".." / "elsewhere"))


async def test_missing_files_and_relative_paths_are_invalid(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    source = FilesystemImportSource()
    for bad, words in [
        (tmp_path / "none", "does not exist"),
        (tmp_path / "f.txt", "is not a folder"),
        (Path("relative/dir"), "absolute"),
    ]:
        with pytest.raises(Invalid, match=words) as refused:
            await source.resolve_root(str(bad))
        assert refused.value.errors[0].field == "path"


@pytest.mark.skipif(AS_ROOT, reason="root reads every folder whatever its permissions")
async def test_an_unreadable_folder_is_invalid(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        with pytest.raises(Invalid, match="cannot be read"):
            await FilesystemImportSource().resolve_root(str(locked))
    finally:
        locked.chmod(0o700)


async def test_walk_lists_files_skips_junk_and_respects_recursive(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for rel in ("top.jpg", "a/mid.jpg", "a/b/deep.jpg", ".DS_Store", "a/Thumbs.db", "a/._mid.jpg"):
        (tmp_path / rel).write_bytes(b"x" * 3)
    os.mkfifo(tmp_path / "pipe")
    source = FilesystemImportSource()
    listings = await walk(source, tmp_path)
    assert paths(listings) == ["a/b/deep.jpg", "a/mid.jpg", "top.jpg"]
    skipped = {s.path: s.reason for lst in listings for s in lst.skipped}
    assert set(skipped) == {".DS_Store", "a/Thumbs.db", "a/._mid.jpg", "pipe"}
    assert skipped["pipe"] == "not a regular file"
    assert paths(await walk(source, tmp_path, recursive=False)) == ["top.jpg"]


async def test_symlinks_are_skipped_unless_followed_and_loops_end(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.jpg").write_bytes(b"x")
    (tmp_path / "real" / "loop").symlink_to(tmp_path)  # a loop back to the root
    (tmp_path / "alias.jpg").symlink_to(tmp_path / "real" / "x.jpg")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    source = FilesystemImportSource()
    plain = await walk(source, tmp_path)
    assert paths(plain) == ["real/x.jpg"]
    assert {s.path for lst in plain for s in lst.skipped} == {"alias.jpg", "dangling.jpg", "real/loop"}
    followed = await walk(source, tmp_path, follow_symlinks=True)
    assert paths(followed) == ["alias.jpg", "real/x.jpg"]
    assert [p.path for lst in followed for p in lst.problems] == ["dangling.jpg"]
    assert any(s.reason.endswith("(a symlink loop)") for lst in followed for s in lst.skipped)


async def test_reads_stay_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_bytes(b"{}")
    (tmp_path / "big.bin").write_bytes(b"y" * 3_000_000)
    source = FilesystemImportSource()
    assert await source.read_small(str(tmp_path), "s.json", 10) == b"{}"
    with pytest.raises(ValueError, match="larger"):
        await source.read_small(str(tmp_path), "big.bin", 10)
    assert b"".join([c async for c in source.open(str(tmp_path), "big.bin")]) == b"y" * 3_000_000
    with pytest.raises(FileNotFoundError):
        await source.read_small(str(tmp_path), "../etc/passwd", 10)


async def test_read_many_answers_each_file_in_order(tmp_path: Path) -> None:
    """A batch read: bytes, or the error for the file at fault, never one file's error for the batch."""
    (tmp_path / "a.jpg").write_bytes(b"alpha")
    (tmp_path / "grown.bin").write_bytes(b"y" * 11)
    (tmp_path / "folder").mkdir()
    source = FilesystemImportSource()
    names = ["a.jpg", "gone.jpg", "grown.bin", "../etc/passwd", "folder", "a.jpg"]
    first, gone, grown, outside, folder, again = await source.read_many(str(tmp_path), names, 10)
    assert first == again == b"alpha"
    assert isinstance(gone, FileNotFoundError)
    assert isinstance(grown, ValueError)
    assert isinstance(outside, FileNotFoundError)
    assert isinstance(folder, IsADirectoryError)
