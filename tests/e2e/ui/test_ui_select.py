"""Select many, act once, in a real Chromium on the Files page: two files ticked are linked to an entity
chosen by name, downloaded as one ZIP that unpacks to the stored bytes, moved to the trash, and
restored from the Trash page at once."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from ui_support import SAMPLES, UI, create_entity, upload

NAMES = ("GPS.jpg", "Apple.jpg", "Nikon.jpg")


def test_tick_files_link_them_zip_them_trash_them_and_restore_them(ui: UI, tmp_path: Path) -> None:
    ids = {name: upload(ui, name) for name in NAMES}
    ui.sign_in()
    ray = create_entity(ui, "Ray Bulk")
    ui.go("/ui/assets")
    bar = ui.page.locator("[data-bulk]")
    expect(bar.get_by_role("button", name="Download as one ZIP")).to_be_disabled()
    ui.page.get_by_label("Select GPS.jpg").check()
    ui.page.get_by_label("Select Nikon.jpg").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2 selected")
    ui.shot("select-files", for_docs=True)

    box = bar.get_by_role("combobox", name="Link to entity")
    box.fill("Ray")
    bar.get_by_role("option", name="Ray Bulk").click()
    bar.get_by_role("button", name="Link", exact=True).click()
    ui.page.wait_for_load_state("load")
    expect(ui.page.get_by_label("Select GPS.jpg")).not_to_be_checked()
    linked = {a["filename"] for a in ui.server.call("GET", f"/v1/assets?entity_id={ray}")["items"]}
    assert linked == {"GPS.jpg", "Nikon.jpg"}

    ui.page.get_by_label("Select GPS.jpg").check()
    ui.page.get_by_label("Select Nikon.jpg").check()
    with ui.page.expect_download() as waiting:
        bar.get_by_role("button", name="Download as one ZIP").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    assert saved.name == "faceforge-files.zip"
    with zipfile.ZipFile(saved) as archive:
        got = {i.filename: hashlib.sha256(archive.read(i)).hexdigest() for i in archive.infolist()}
    assert got == {
        n: hashlib.sha256((SAMPLES / n).read_bytes()).hexdigest() for n in ("GPS.jpg", "Nikon.jpg")
    }

    ui.page.get_by_label("Select every file on this page").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("3 selected")
    bar.get_by_role("button", name="Move to the trash").click()
    expect(ui.page.locator("table.list")).to_have_count(0)
    trashed = {a["asset_id"] for a in ui.server.call("GET", "/v1/assets?in_trash=true")["items"]}
    assert trashed == set(ids.values())

    ui.go("/ui/trash?tab=files")
    ui.page.get_by_label("Select everything on this page").check()
    ui.page.get_by_role("button", name="Restore selected").click()
    expect(ui.page.locator("#trash-table")).to_have_count(0)
    assert ui.server.call("GET", "/v1/assets?in_trash=true")["items"] == []
    assert len(ui.server.call("GET", "/v1/assets")["items"]) == len(NAMES)
    assert not ui.console_errors
