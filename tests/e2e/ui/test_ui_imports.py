"""An import started from a picked folder, in a real Chromium against ``faceforge serve`` whose
``import.allowed_roots`` is one folder: the picker browses it (never above it, never a hidden folder or
a link leading out), and the finished job says what happened in words."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from servers import Server
from ui_support import SAMPLES, UI


@pytest.fixture(scope="module")
def import_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pictures/shoot with two pictures, one twice and one hidden; a hidden folder; a link out."""
    base = tmp_path_factory.mktemp("imports")
    root, outside = base / "Pictures", base / "private"
    shoot = root / "shoot"
    shoot.mkdir(parents=True)
    (root / ".thumbnails").mkdir()
    outside.mkdir()
    (root / "elsewhere").symlink_to(outside, target_is_directory=True)
    for name in ("GPS.jpg", "Apple.jpg"):
        shutil.copyfile(SAMPLES / name, shoot / name)
    shutil.copyfile(SAMPLES / "GPS.jpg", shoot / "GPS copy.jpg")
    shutil.copyfile(SAMPLES / "GIF.gif", shoot / ".hidden.gif")
    return root


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, import_root: Path) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ui-imports") / "home"
    server = Server.faceforge(
        home, settings={"FACEFORGE_IMPORT__ALLOWED_ROOTS": json.dumps([str(import_root)])}
    )
    try:
        yield server
    finally:
        server.stop()


def test_pick_a_folder_import_it_and_read_the_result_in_words(ui: UI, import_root: Path) -> None:
    ui.sign_in()
    ui.go("/ui/jobs")
    drawer = ui.page.locator("#new-import")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()
    drawer.get_by_role("button", name="Browse…").click()
    picker = ui.page.locator("#folder-picker")
    expect(picker.locator("#folder-here")).to_have_text("Folders you may import from")
    expect(picker.get_by_role("button", name="Use this folder")).to_be_disabled()
    picker.get_by_role("button", name=f"Open {import_root}").click()
    expect(picker.locator("#folder-here")).to_have_text(str(import_root))
    expect(picker.locator("#folder-list button")).to_have_text(["shoot"])  # no .thumbnails, no link out
    picker.get_by_role("button", name="Open shoot").click()
    expect(picker.locator("#folder-here")).to_have_text(str(import_root / "shoot"))
    expect(picker.locator("#folder-list")).to_have_text("No folders inside.")
    ui.shot("import-folder-picker", for_docs=True)
    picker.get_by_role("button", name="Up one folder").click()
    expect(picker.locator("#folder-here")).to_have_text(str(import_root))
    picker.get_by_role("button", name="Open shoot").click()
    picker.get_by_role("button", name=f"Use the folder {import_root / 'shoot'}").click()
    expect(picker).to_be_hidden()
    expect(drawer.get_by_label("Folder on this computer")).to_have_value(str(import_root / "shoot"))
    expect(drawer.get_by_label("Folder on this computer")).to_be_focused()
    drawer.get_by_role("button", name="Start import").click()
    ui.page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    summary = ui.page.locator("#import-summary li")
    expect(summary).to_have_count(3, timeout=60_000)  # the page reloads with the result in words
    expect(summary.nth(0)).to_have_text(re.compile(r"^2 files imported \(\d+\.\d KB read in all\)\.$"))
    expect(summary.nth(1)).to_have_text("1 file was already stored, so kept once.")
    expect(summary.nth(2)).to_have_text("1 skipped: 1 hidden (include_hidden is off).")
    expect(ui.page.locator("#job-counts")).to_have_text(re.compile(r"^100% · 3 of 3 files · (.+) of \1$"))
    ui.shot("import-result", for_docs=True)


def test_a_path_typed_outside_the_root_is_refused_in_words(ui: UI, import_root: Path) -> None:
    ui.sign_in()
    ui.go("/ui/jobs")
    drawer = ui.page.locator("#new-import")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()
    drawer.get_by_label("Folder on this computer").fill(str(import_root / "elsewhere"))
    drawer.get_by_role("button", name="Browse…").click()
    expect(ui.page.locator("#folder-error")).to_contain_text("outside the folders you may import from")
