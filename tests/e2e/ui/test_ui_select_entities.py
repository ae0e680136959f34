"""Select many, act once, in a real Chromium, on the entity list and an entity's files: entities ticked
(by mouse, and every one from the keyboard) are tagged with a suggested tag, untagged, moved to the
trash and brought back with Undo; an entity's files ticked are downloaded as one ZIP and unlinked at
once (its main picture among them is cleared; the files stay stored), after a trip to the trash and
back with Undo."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from ui_support import SAMPLES, UI, upload

NAMES = ("Selma One", "Selma Two", "Selma Three")


def tags_of(ui: UI, name: str) -> list[str]:
    (found,) = ui.server.call("GET", f"/v1/entities?q={name.replace(' ', '%20')}")["items"]
    return list(found["tags"])


def test_tick_entities_tag_untag_trash_and_undo(ui: UI) -> None:
    for name in NAMES:
        ui.server.call("POST", "/v1/entities", {"display_name": name, "tags": ["draft"]})
    ui.server.call("POST", "/v1/entities", {"display_name": "Other Otto", "tags": ["reference"]})
    ui.sign_in()
    ui.go("/ui/entities?q=Selma")
    ui.page.get_by_role("link", name="Select", exact=True).click()
    ui.page.wait_for_url(re.compile(r"select=1"))
    bar = ui.page.locator("[data-bulk]")
    expect(bar.get_by_role("button", name="Add tags")).to_be_disabled()
    ui.page.get_by_label("Select Selma One").check()
    ui.page.get_by_label("Select Selma Three").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2 selected")

    tags = bar.get_by_label("Tags")
    tags.press_sequentially("refer")
    expect(ui.page.locator("#bulk-tag-list option")).to_have_text("reference (1)")
    tags.fill("reference")
    ui.shot("select-entities", for_docs=True)
    bar.get_by_role("button", name="Add tags").click()
    ui.page.wait_for_load_state("load")
    expect(ui.page.get_by_label("Select Selma One")).not_to_be_checked()
    assert [tags_of(ui, n) for n in NAMES] == [["draft", "reference"], ["draft"], ["draft", "reference"]]

    ui.page.get_by_label("Select Selma Three").check()
    bar.get_by_label("Tags").fill("DRAFT")
    bar.get_by_role("button", name="Remove tags").click()
    ui.page.wait_for_load_state("load")
    expect(ui.page.get_by_label("Select Selma Three")).not_to_be_checked()
    assert tags_of(ui, "Selma Three") == ["reference"]

    every = ui.page.get_by_label("Select every entity on this page")
    every.focus()
    ui.page.keyboard.press("Space")  # the boxes are plain checkboxes: the keyboard ticks them
    expect(bar.locator("[data-bulk-count]")).to_have_text("3 selected")
    bar.get_by_role("button", name="Move to the trash").click()
    ui.page.wait_for_url(re.compile(r"/ui/entities\?deleted="))
    undo = ui.page.locator("#undo")
    expect(undo).to_contain_text("3 entities are in the trash.")
    ui.shot("select-entities-undo", for_docs=True)
    assert ui.server.call("GET", "/v1/entities?q=Selma")["total"] == 0
    undo.get_by_role("button", name="Undo: restore 3 entities").click()
    ui.page.wait_for_url(re.compile(r"/ui/entities$"))
    assert ui.server.call("GET", "/v1/entities?q=Selma")["total"] == len(NAMES)
    assert not ui.console_errors


def test_a_refused_bulk_change_is_said_on_the_bar_and_changes_nothing(ui: UI) -> None:
    made = ui.server.call("POST", "/v1/entities", {"display_name": "Vanishing Vera", "tags": []})
    ui.sign_in()
    ui.go("/ui/entities?q=Vanishing&select=1")
    ui.page.get_by_label("Select Vanishing Vera").check()
    gone = ui.page.request.delete(  # meanwhile, elsewhere
        f"{ui.server.base}/v1/entities/{made['entity_id']}",
        headers={"Authorization": f"Bearer {ui.server.token}"},
    )
    assert gone.status == 204
    bar = ui.page.locator("[data-bulk]")
    bar.get_by_label("Tags").fill("kept")
    bar.get_by_role("button", name="Add tags").click()
    expect(bar.get_by_role("alert")).to_have_text("Vanishing Vera: was not found or is in the trash.")
    assert ui.server.call("GET", f"/v1/entities/{made['entity_id']}?include_deleted=true")["tags"] == []


def test_tick_an_entitys_files_zip_them_and_unlink_them(ui: UI, tmp_path: Path) -> None:
    names = ("Canon1DmkIII.jpg", "NikonD2Hs.jpg")
    ids = [upload(ui, name) for name in names]
    ray = ui.server.call("POST", "/v1/entities", {"display_name": "Ray Gallery"})["entity_id"]
    for asset_id in ids:
        ui.server.call("POST", f"/v1/entities/{ray}/assets/{asset_id}/link", {})
    ui.server.call("PATCH", f"/v1/entities/{ray}", {"primary_thumbnail_asset_id": ids[0]})
    ui.sign_in()
    ui.go(f"/ui/entities/{ray}?tab=attachments")
    bar = ui.page.locator("[data-bulk]")
    bar.get_by_label("Select every file").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2 selected")
    ui.shot("select-attachments", for_docs=True)
    with ui.page.expect_download() as waiting:
        bar.get_by_role("button", name="Download as one ZIP").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        got = {i.filename: hashlib.sha256(archive.read(i)).hexdigest() for i in archive.infolist()}
    assert got == {n: hashlib.sha256((SAMPLES / n).read_bytes()).hexdigest() for n in names}

    bar.get_by_role("button", name="Move to the trash").click()
    undo = ui.page.locator("#undo")
    expect(undo).to_contain_text("2 files are in the trash.")
    expect(ui.page.get_by_text("No files attached yet.")).to_be_visible()
    ui.shot("select-attachments-undo")
    undo.get_by_role("button", name="Undo: restore 2 files").click()
    expect(ui.page.locator(".attachment")).to_have_count(2)
    assert ui.server.call("GET", f"/v1/entities/{ray}")["primary_thumbnail_asset_id"] == ids[0]

    bar.get_by_label("Select every file").check()
    ui.page.once("dialog", lambda dialog: dialog.accept())
    bar.get_by_role("button", name="Unlink from Ray Gallery").click()
    expect(ui.page.get_by_text("No files attached yet.")).to_be_visible()
    assert ui.server.call("GET", f"/v1/entities/{ray}/assets")["items"] == []
    assert ui.server.call("GET", f"/v1/entities/{ray}")["primary_thumbnail_asset_id"] is None
    assert {a["asset_id"] for a in ui.server.call("GET", "/v1/assets?limit=200")["items"]} >= set(ids)
    assert not ui.console_errors


def test_the_select_bars_fit_a_phone(ui: UI) -> None:
    ann = ui.server.call("POST", "/v1/entities", {"display_name": "Phoebe Phone With A Long Name"})[
        "entity_id"
    ]
    asset_id = upload(ui, "GPS.jpg")
    ui.server.call("POST", f"/v1/entities/{ann}/assets/{asset_id}/link", {})
    ui.sign_in()
    ui.page.set_viewport_size({"width": 400, "height": 800})
    try:
        for name, path in [
            ("narrow-select-entities", "/ui/entities?q=Phoebe&select=1"),
            ("narrow-select-attachments", f"/ui/entities/{ann}?tab=attachments"),
        ]:
            ui.go(path)
            ui.page.locator("[data-select]").first.check()
            overflow = ui.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            ui.shot(name)
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    finally:
        ui.page.set_viewport_size({"width": 1280, "height": 860})
