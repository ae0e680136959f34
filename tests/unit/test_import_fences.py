"""The bulk-import path rules, over many paths: system folders and FaceForge's own at any depth,
the folders that hold them, links that leave the import folder, and hidden names."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.imports import OWN_FOLDER, SYSTEM_FOLDER, Fences, system_folders
from faceforge_domain.imports.plan import is_hidden

POSIX = Fences(
    system=system_folders("linux", "/home/ada"),
    own=[PurePosixPath("/home/ada/.local/share/faceforge"), PurePosixPath("/mnt/ff-assets")],
    allowed=[],
    windows=False,
)
WINDOWS = Fences(
    system=system_folders("win32", r"C:\Users\ada", {"SystemRoot": r"C:\Windows"}),
    own=[PureWindowsPath(r"C:\Users\ada\AppData\Local\FaceForge")],
    allowed=[],
    windows=True,
)
names = st.text(st.characters(codec="utf-8", exclude_characters="/\\\x00:"), min_size=1, max_size=12).filter(
    lambda name: name not in (".", "..")
)
tails = st.lists(names, max_size=5)


@given(st.sampled_from(["/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run"]), tails)
def test_anything_under_a_system_folder_is_refused_at_any_depth(folder: str, tail: list[str]) -> None:
    path = "/".join([folder, *tail])
    assert POSIX.refusal(path) == SYSTEM_FOLDER
    assert POSIX.link_refusal("/home/ada/Pictures", path) == "leads into a system folder"


@given(st.sampled_from(["/home/ada/.local/share/faceforge", "/mnt/ff-assets"]), tails)
def test_anything_under_faceforges_own_folders_is_refused_at_any_depth(folder: str, tail: list[str]) -> None:
    assert POSIX.refusal("/".join([folder, *tail])) == OWN_FOLDER


@given(tails)
def test_the_user_folders_are_neither_refused_nor_holding_system_folders(tail: list[str]) -> None:
    path = "/".join(["/home/ada/Pictures", *tail])
    assert POSIX.refusal(path) is None
    assert not POSIX.holds_system_folder(path)
    assert POSIX.link_refusal("/home/ada/Pictures", path) is None


@given(st.lists(names, min_size=2, max_size=5))
def test_removable_drives_under_run_media_may_be_imported(tail: list[str]) -> None:
    path = "/".join(["/run/media", *tail])
    assert POSIX.refusal(path) is None
    assert not POSIX.holds_system_folder(path)
    assert POSIX.refusal("/run/user/1000/keyring") == SYSTEM_FOLDER


@given(tails)
def test_a_link_leaving_the_import_folder_is_refused(tail: list[str]) -> None:
    target = "/".join(["/home/ada/Documents", *tail])
    assert POSIX.link_refusal("/home/ada/Pictures", target) == "leads outside the import folder"


@given(st.sampled_from(["C", "c"]), st.sampled_from(["Windows", "WINDOWS", "windows"]), tails)
def test_the_windows_folder_is_refused_whatever_its_case(drive: str, windows: str, tail: list[str]) -> None:
    assert WINDOWS.refusal("\\".join([f"{drive}:\\{windows}", *tail])) == SYSTEM_FOLDER
    assert WINDOWS.holds_system_folder(f"{drive}:\\")


@given(names)
def test_a_name_is_hidden_exactly_when_it_starts_with_a_dot(name: str) -> None:
    assert is_hidden(name) == name.startswith(".")
    assert is_hidden("." + name)
