"""A first session, as a person who has never seen FaceForge lives it, in a real Chromium: sign in from
the link the server prints, create two people, drag pictures onto one, link a stored picture to the
other with the file picker and unlink it again, find a photo by camera and date, delete a file and
restore it from the Trash, and import a folder picked on the server, never typing an identifier or
opening a terminal. Screenshots of each step (and of four on a phone) are the pictures docs/ui.md
shows (copied there with ``FACEFORGE_UPDATE_DOCS_SCREENSHOTS=1``)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from servers import Server
from ui_support import SAMPLES, UI, drop

LINK = re.compile(r"Sign in: (http://\S+/ui/login\?code=\S+)")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 860}
DROPPED = ("Canon1DmkIII.jpg", "Nikon.jpg", "GPS.jpg")
IMPORTED = ("Sony.jpg", "Kodak.jpg", "Pentax.jpg")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder imports may come from: Pictures, holding a ``holiday`` folder of three photos."""
    root = tmp_path_factory.mktemp("walkthrough") / "Pictures"
    (root / "holiday").mkdir(parents=True)
    for name in IMPORTED:
        shutil.copyfile(SAMPLES / name, root / "holiday" / name)
    return root


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, pictures: Path) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ui-walkthrough") / "home"
    server = Server.faceforge(home, settings={"FACEFORGE_IMPORT__ALLOWED_ROOTS": json.dumps([str(pictures)])})
    try:
        yield server
    finally:
        server.stop()


def both_sizes(ui: UI, name: str) -> None:
    """The page as it is, for the docs, at desktop size and on a phone."""
    ui.shot(f"walk-{name}", for_docs=True)
    ui.page.set_viewport_size(PHONE)
    try:
        ui.shot(f"walk-{name}-phone", for_docs=True)
    finally:
        ui.page.set_viewport_size(DESKTOP)


def create(ui: UI, name: str, other_names: str) -> None:
    ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Entities").click()
    ui.page.locator("summary", has_text="New entity").click()
    ui.page.get_by_label("Name", exact=True).fill(name)
    ui.page.get_by_label("Other names").fill(other_names)
    ui.page.get_by_label("Tags").fill("model, reference")
    ui.page.get_by_role("button", name="Create").click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(name)


def test_a_first_session_without_a_terminal_or_an_identifier(ui: UI, pictures: Path) -> None:
    page = ui.page
    page.context.clear_cookies()
    found = LINK.search((ui.server.home.parent / f"server-{ui.server.port}.log").read_text())
    assert found, "faceforge serve printed no sign-in link"
    page.goto(found.group(1))
    page.wait_for_url("**/ui/entities")
    expect(page.locator(".empty")).to_contain_text("No entities yet")
    ui.shot("walk-1-signed-in", for_docs=True)

    # Two people, created from the Entities page.
    create(ui, "Mia Stone", "Tessa")
    create(ui, "Leo Park", "")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Entities").click()
    expect(page.locator("#entity-table tbody tr")).to_have_count(2)
    both_sizes(ui, "2-entities")

    # Pictures dragged onto Mia's Attachments tab.
    page.get_by_role("link", name="Mia Stone").click()
    page.get_by_role("link", name="Attachments").click()
    page.wait_for_url(re.compile(r"tab=attachments"))  # loaded: its deferred drop script listens now
    drop(ui, *(SAMPLES / name for name in DROPPED))
    expect(page.locator(".uploads li.ok")).to_have_count(len(DROPPED), timeout=60_000)
    both_sizes(ui, "3-dropped")
    page.reload()
    expect(page.locator(".attachment")).to_have_count(len(DROPPED))

    # One of them linked to Leo too, found by typing its name, then unlinked again.
    page.get_by_role("link", name="Entities", exact=True).first.click()
    page.get_by_role("link", name="Leo Park").click()
    page.get_by_role("link", name="Attachments").click()
    page.get_by_role("combobox", name="Or link a file that is already stored").fill("nik")
    option = page.get_by_role("option", name=re.compile("^Nikon.jpg"))
    expect(option).to_be_visible()
    ui.shot("walk-4-link-picker", for_docs=True)
    option.click()
    page.get_by_role("button", name="Link file").click()
    expect(page.locator(".attachment")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Unlink Nikon.jpg").click()
    expect(page.locator(".attachment")).to_have_count(0)
    expect(page.get_by_text("No files attached yet.")).to_be_visible()

    # The Canon photo of 2007, found by camera and date on the Files page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Files").click()
    page.get_by_label("Camera").fill("Canon")
    page.get_by_label("Taken from").fill("2007-01-01")
    page.get_by_label("Taken until").fill("2007-12-31")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Canon1DmkIII.jpg")
    expect(rows).to_contain_text("Canon EOS-1D Mark III")
    both_sizes(ui, "5-find-by-camera")

    # A file deleted, then brought back from the Trash.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Files").click()
    page.get_by_role("link", name="GPS.jpg", exact=True).click()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#undo")).to_contain_text("“GPS.jpg” is in the trash.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    page.get_by_role("navigation", name="What was deleted").get_by_role("link", name="Files").click()
    expect(page.locator("#trash-table tbody tr")).to_have_count(1)
    ui.shot("walk-6-trash", for_docs=True)
    page.get_by_role("button", name="Restore GPS.jpg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("GPS.jpg")

    # A folder on the server imported for Leo, picked by browsing instead of typing its path.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    drawer = page.locator("#new-import")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()
    drawer.get_by_role("button", name="Browse…").click()
    drawer.get_by_role("button", name=f"Open {pictures}").click()
    drawer.get_by_role("button", name="Open holiday").click()
    drawer.get_by_role("button", name=f"Use the folder {pictures / 'holiday'}").click()
    drawer.get_by_role("combobox", name="Attach every file to entity (optional)").fill("Leo")
    drawer.get_by_role("option", name=re.compile("^Leo Park")).click()
    both_sizes(ui, "7-import-form")
    drawer.get_by_role("button", name="Start import").click()
    page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    summary = page.locator("#import-summary li")
    expect(summary.first).to_have_text(re.compile(r"^3 files imported"), timeout=60_000)
    ui.shot("walk-8-import-done", for_docs=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Entities").click()
    page.get_by_role("link", name="Leo Park").click()
    page.get_by_role("link", name="Attachments").click()
    expect(page.locator(".attachment")).to_have_count(len(IMPORTED))
    assert sorted(page.locator(".attachment .att-name").all_inner_texts()) == sorted(IMPORTED)
    assert not re.search(r"[0-9a-f]{64}", page.locator("main").inner_text().replace(page.url, ""))
