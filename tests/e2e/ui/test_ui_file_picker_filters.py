"""The file picker narrowed by kind and by the day taken, in a real Chromium: choosing a kind lists the
files of that kind without a name typed, the days taken keep only the pictures taken then, and the
keyboard picks the one left, which is linked."""

from __future__ import annotations

import time

from playwright.sync_api import Route, expect
from ui_support import UI, upload

# Taken (DateTimeOriginal): Canon 2007-02-22, Nikon 2005-03-18, GPS 2002-07-13; FLAC is sound.
SAMPLES = ("Canon1DmkIII.jpg", "NikonD2Hs.jpg", "GPS.jpg", "FLAC.flac", "PDF.pdf")


def with_facts(ui: UI, asset_id: str, limit_s: float = 60) -> None:
    """Wait until the server read the file's metadata (the date taken filters by it)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if ui.server.call("GET", f"/v1/assets/{asset_id}")["metadata_status"] != "pending":
            return
        time.sleep(0.1)
    raise TimeoutError(f"no metadata for {asset_id} after {limit_s} s")


def test_the_file_picker_narrows_by_kind_and_day_taken(ui: UI) -> None:
    ids = {name: upload(ui, name) for name in SAMPLES}
    for asset_id in ids.values():
        with_facts(ui, asset_id)
    ray = ui.server.call("POST", "/v1/entities", {"display_name": "Ray Picker"})["entity_id"]
    ui.sign_in()
    ui.go(f"/ui/entities/{ray}?tab=attachments")
    form = ui.page.locator("form[data-link-asset]")
    box = form.get_by_role("combobox", name="Or link a file that is already stored")
    options = form.locator(".picker-list").get_by_role("option")

    form.get_by_label("Kind").select_option(label="Sound")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("FLAC.flac")

    form.get_by_label("Kind").select_option(label="Pictures")
    expect(options).to_have_count(3)
    form.get_by_label("Taken from").fill("2005-03-18")
    form.get_by_label("Taken until").fill("2005-03-18")  # the whole day, both days included
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("NikonD2Hs.jpg")
    expect(options.first).to_contain_text("taken 2005-03-18")
    ui.shot("picker-file-filters", for_docs=True)

    form.get_by_label("Taken from").fill("2030-01-01")
    form.get_by_label("Taken until").fill("")
    expect(form.locator(".picker-list")).to_contain_text("No file matches these filters.")
    form.get_by_label("Taken from").fill("2005-01-01")
    form.get_by_label("Taken until").fill("2005-12-31")
    box.focus()
    box.press("ArrowDown")  # the list of what the filters keep opens without a name typed
    expect(options).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("NikonD2Hs.jpg")
    box.press("Enter")  # the list is closed: Enter sends the form
    expect(ui.page.locator(".attachment")).to_have_count(1)
    linked = ui.server.call("GET", f"/v1/entities/{ray}/assets")["items"]
    assert [a["asset_id"] for a in linked] == [ids["NikonD2Hs.jpg"]]
    assert not ui.console_errors


def test_an_older_answer_never_shows_over_a_newer_one(ui: UI) -> None:
    """Two filters changed quickly: the answer to the first change, arriving last, is not shown."""
    for name in ("Canon1DmkIII.jpg", "NikonD2Hs.jpg"):
        with_facts(ui, upload(ui, name))
    ray = ui.server.call("POST", "/v1/entities", {"display_name": "Ray Quick"})["entity_id"]
    ui.sign_in()
    ui.go(f"/ui/entities/{ray}?tab=attachments")
    form = ui.page.locator("form[data-link-asset]")
    shown = form.locator(".picker-list")
    held: list[Route] = []

    def from_only(url: str) -> bool:
        return "taken_after=" in url and "taken_before=" not in url

    def hold(route: Route) -> None:
        held.append(route)

    ui.page.route(from_only, hold)

    form.get_by_label("Kind").select_option(label="Pictures")
    form.get_by_label("Taken from").fill("2005-03-18")  # its answer (2005 and 2007) is held back
    form.get_by_label("Taken until").fill("2005-03-18")
    expect(shown).to_contain_text("NikonD2Hs.jpg")
    expect(shown).not_to_contain_text("Canon1DmkIII.jpg")

    assert len(held) == 1
    with ui.page.expect_response(lambda response: from_only(response.url)):
        held[0].continue_()
    ui.page.evaluate("() => new Promise((done) => setTimeout(done, 200))")  # the page has read it
    expect(shown).to_contain_text("NikonD2Hs.jpg")
    expect(shown).not_to_contain_text("Canon1DmkIII.jpg")
