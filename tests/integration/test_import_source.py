"""FilesystemImportSource on real folders: the safety checks, the walk, symlink loops, reads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import anyio
import pytest

from faceforge_adapters.imports import Fences, FilesystemImportSource, system_folders
from faceforge_domain.errors import Forbidden, Invalid
from faceforge_domain.imports.models import FolderListing
from faceforge_domain.imports.plan import HIDDEN

pytestmark = pytest.mark.anyio
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


async def walk(source: FilesystemImportSource, root: Path, **options: bool) -> list[FolderListing]:
    settings = {"recursive": True, "follow_symlinks": False, "include_hidden": False, **options}
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


def system_refusal(platform: str, home: str, path: str, env: dict[str, str] | None = None) -> str | None:
    fences = Fences(
        system=system_folders(platform, home, env), own=[], allowed=[], windows=platform == "win32"
    )
    return fences.refusal(path)


def test_root_home_is_refused_unless_it_is_the_users_home() -> None:
    assert system_refusal("linux", "/home/ada", "/root/pics") == "a system folder"
    assert system_refusal("linux", "/root", "/root/pics") is None
    assert system_refusal("linux", "/home/ada", "/rootless") is None


def test_the_windows_folder_is_refused_whatever_its_case() -> None:
    env = {"SystemRoot": r"C:\WINDOWS"}
    assert system_refusal("win32", r"C:\Users\ada", r"c:\windows\System32", env) == "a system folder"
    assert system_refusal("win32", r"C:\Users\ada", r"C:\Users\ada\Pictures", env) is None


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
    assert await source.read_small(str(tmp_path), "s.json", 10, follow_symlinks=False) == b"{}"
    with pytest.raises(ValueError, match="larger"):
        await source.read_small(str(tmp_path), "big.bin", 10, follow_symlinks=False)
    assert (
        b"".join([c async for c in source.open(str(tmp_path), "big.bin", follow_symlinks=False)])
        == b"y" * 3_000_000
    )
    with pytest.raises(FileNotFoundError):
        await source.read_small(str(tmp_path), "../etc/passwd", 10, follow_symlinks=False)


async def test_read_many_answers_each_file_in_order(tmp_path: Path) -> None:
    """A batch read: bytes, or the error for the file at fault, never one file's error for the batch."""
    (tmp_path / "a.jpg").write_bytes(b"alpha")
    (tmp_path / "grown.bin").write_bytes(b"y" * 11)
    (tmp_path / "folder").mkdir()
    source = FilesystemImportSource()
    names = ["a.jpg", "gone.jpg", "grown.bin", "../etc/passwd", "folder", "a.jpg"]
    first, gone, grown, outside, folder, again = await source.read_many(
        str(tmp_path), names, 10, follow_symlinks=False
    )
    assert first == again == b"alpha"
    assert isinstance(gone, FileNotFoundError)
    assert isinstance(grown, ValueError)
    assert isinstance(outside, FileNotFoundError)
    assert isinstance(folder, IsADirectoryError)


# -- the fences: system folders, FaceForge's own folders, links, hidden entries --------------------


def skips(listings: list[FolderListing]) -> dict[str, str]:
    return {s.path: s.reason for lst in listings for s in lst.skipped}


@pytest.mark.parametrize("folder", ["/", "/proc/../"])
async def test_the_filesystem_root_is_refused_as_it_holds_the_system_folders(folder: str) -> None:
    with pytest.raises(Forbidden, match="contains system folders") as refused:
        await FilesystemImportSource(user_home="/home/someone").resolve_root(folder)
    assert refused.value.details == {"path": folder}


def test_a_windows_drive_is_refused_only_when_it_holds_the_windows_folder() -> None:
    fences = Fences(
        system=system_folders("win32", r"C:\Users\ada", {"SystemRoot": r"C:\WINDOWS"}),
        own=[],
        allowed=[],
        windows=True,
    )
    assert fences.holds_system_folder("C:\\")
    assert fences.holds_system_folder("c:/")
    assert not fences.holds_system_folder("E:\\")  # a camera card or a data drive
    assert not fences.holds_system_folder(r"C:\Users\ada")
    assert fences.refusal(r"c:\WINDOWS\system32\config\SAM") == "a system folder"


async def test_faceforge_home_and_its_folders_are_refused_as_starting_folders(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    elsewhere = tmp_path / "assets-elsewhere"
    for folder in (home / "config", home / "db", elsewhere / "ab"):
        folder.mkdir(parents=True)
    source = FilesystemImportSource(own_folders=[home, elsewhere])
    for folder in (home, home / "config", home / "db", elsewhere / "ab"):
        with pytest.raises(Forbidden, match="FaceForge's own folder") as refused:
            await source.resolve_root(str(folder))
        assert refused.value.details == {"path": str(folder)}
    (tmp_path / "alias").symlink_to(home / "config")
    with pytest.raises(Forbidden):
        await source.resolve_root(str(tmp_path / "alias"))


async def test_a_parent_of_the_home_is_walked_without_entering_the_home(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    (home / "config").mkdir(parents=True)
    (home / "config" / "core.json").write_text('{"auth": {"install_token": "secret"}}')
    (tmp_path / "photo.jpg").write_bytes(b"jpg")
    source = FilesystemImportSource(own_folders=[home])
    root = await source.resolve_root(str(tmp_path))
    listings = await walk(source, Path(root))
    assert paths(listings) == ["photo.jpg"]
    assert skips(listings) == {"ffhome": "FaceForge's own folder"}


async def test_hidden_files_and_folders_are_skipped_unless_asked_for(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("key")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".env").write_text("TOKEN=x")
    (tmp_path / "sub" / "seen.jpg").write_bytes(b"x")
    source = FilesystemImportSource()
    default = await walk(source, tmp_path)
    assert paths(default) == ["sub/seen.jpg"]
    assert skips(default) == {".ssh": HIDDEN, "sub/.env": HIDDEN}
    asked = await walk(source, tmp_path, include_hidden=True)
    assert paths(asked) == [".ssh/id_ed25519", "sub/.env", "sub/seen.jpg"]


def links_out(tmp_path: Path) -> tuple[Path, Path]:
    """An import folder whose links lead into system folders, out of it, and within it."""
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "private.txt").write_text("not yours")
    (root / "real" / "x.jpg").write_bytes(b"x")
    (root / "etc").symlink_to("/etc")
    (root / "shadow").symlink_to("/etc/shadow")
    (root / "environ").symlink_to("/proc/self/environ")
    (root / "out").symlink_to(outside)
    (root / "private.txt").symlink_to(outside / "private.txt")
    (root / "alias.jpg").symlink_to(root / "real" / "x.jpg")
    (root / "real-again").symlink_to(root / "real")
    return root, outside


async def test_links_out_of_the_import_folder_are_never_followed(tmp_path: Path) -> None:
    root, _outside = links_out(tmp_path)
    source = FilesystemImportSource(user_home="/home/someone")
    plain = await walk(source, root)
    assert paths(plain) == ["real/x.jpg"]
    assert set(skips(plain).values()) == {"symbolic link (follow_symlinks is off)"}
    followed = await walk(source, root, follow_symlinks=True)
    assert paths(followed) == ["alias.jpg", "real/x.jpg"]  # real-again is real/ a second time
    into_system = "symbolic link that leads into a system folder"
    assert skips(followed) == {
        "etc": into_system,
        "shadow": into_system,
        "environ": into_system,
        "out": "symbolic link that leads outside the import folder",
        "private.txt": "symbolic link that leads outside the import folder",
        "real-again": "folder already visited (a symlink loop)",
    }


async def test_a_followed_link_may_lead_into_an_allowed_root(tmp_path: Path) -> None:
    root, outside = links_out(tmp_path)
    source = FilesystemImportSource([str(root), str(outside)], user_home="/home/someone")
    followed = await walk(source, root, follow_symlinks=True)
    assert paths(followed) == ["alias.jpg", "out/private.txt", "private.txt", "real/x.jpg"]
    assert "etc" in skips(followed)
    data = await source.read_small(str(root), "out/private.txt", 100, follow_symlinks=True)
    assert data == b"not yours"


async def read_every_way(
    source: FilesystemImportSource, root: Path, path: str, *, follow: bool
) -> list[bytes | OSError | ValueError]:
    """The same file through the three reads a bulk import uses: bytes or the error each gave."""
    answers: list[bytes | OSError | ValueError] = []
    with anyio.fail_after(5):  # a pipe swapped in must not block a read
        answers += await source.read_many(str(root), [path], 1000, follow_symlinks=follow)
        try:
            answers.append(await source.read_small(str(root), path, 1000, follow_symlinks=follow))
        except OSError as exc:
            answers.append(exc)
        try:
            answers.append(b"".join([c async for c in source.open(str(root), path, follow_symlinks=follow)]))
        except OSError as exc:
            answers.append(exc)
    return answers


@pytest.mark.parametrize("follow", [False, True], ids=["links-off", "links-followed"])
@pytest.mark.parametrize("swap", ["file", "folder", "pipe"])
async def test_a_link_swapped_in_after_the_walk_is_not_read(tmp_path: Path, follow: bool, swap: str) -> None:
    root = tmp_path / "in"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "shadow").write_text("a harmless file")
    (root / "etc" / "hostname").write_text("another")
    source = FilesystemImportSource(user_home="/home/someone")
    listed = paths(await walk(source, root, follow_symlinks=follow))
    assert listed == ["etc/hostname", "etc/shadow"]
    if swap == "file":
        (root / "etc" / "shadow").unlink()
        (root / "etc" / "shadow").symlink_to("/etc/shadow")
    elif swap == "folder":
        shutil.rmtree(root / "etc")
        (root / "etc").symlink_to("/etc")
    else:
        (root / "etc" / "shadow").unlink()
        os.mkfifo(root / "etc" / "shadow")
    answers = await read_every_way(source, root, "etc/shadow", follow=follow)
    assert all(isinstance(answer, OSError) for answer in answers), answers
    assert await anyio.Path("/etc/shadow").read_bytes() not in answers


async def test_a_followed_file_link_inside_the_folder_reads_through_every_way(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "real").mkdir(parents=True)
    (root / "real" / "x.jpg").write_bytes(b"jpeg bytes")
    (root / "alias.jpg").symlink_to(root / "real" / "x.jpg")
    source = FilesystemImportSource()
    assert await read_every_way(source, root, "alias.jpg", follow=True) == [b"jpeg bytes"] * 3
    refused = await read_every_way(source, root, "alias.jpg", follow=False)
    assert all(isinstance(answer, PermissionError) for answer in refused)
    assert "symbolic link" in str(refused[0])
