"""The keyboard in a real Chromium: Escape closes every slide-out form and gives the focus back to the
button that opened it; inside a picker, Escape first closes the picker's list and empties its box."""

from __future__ import annotations

from playwright.sync_api import Locator, expect
from ui_support import UI, create_entity, upload


def escape_closes(ui: UI, summary: Locator) -> None:
    """Open the slide-out behind ``summary``, focus its first field, press Escape."""
    summary.click()
    details = summary.locator("xpath=..")
    expect(details).to_have_attribute("open", "")
    field = details.locator("form input:not([type=hidden]), form select").first
    field.focus()
    ui.page.keyboard.press("Escape")
    expect(details).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()


def test_escape_closes_every_slide_out_form_and_returns_focus(ui: UI) -> None:
    ui.sign_in()
    ann = create_entity(ui, "Esc Ann")
    asset = upload(ui, "GIF.gif")
    ui.server.call(
        "POST", "/v1/admin/field-defs", {"field_key": "mood", "scope": "descriptor", "field_type": "string"}
    )
    ui.server.call("POST", f"/v1/entities/{ann}/descriptors", {"field_key": "mood", "value": "calm"})
    ui.server.call("POST", "/v1/jobs", {"job_type": "core.duplicates.scan", "input": {}})
    slide_outs = [
        ("/ui/entities", "New entity"),
        (f"/ui/entities/{ann}?tab=descriptors", "Edit"),
        (f"/ui/assets/{asset}", "Edit name and kind"),
        ("/ui/jobs", "Import a folder"),
        ("/ui/admin/fields", "New field"),
        ("/ui/admin/fields", "Edit"),
    ]
    for path, label in slide_outs:
        ui.go(path)
        escape_closes(ui, ui.page.locator("summary", has_text=label).first)

    ui.go("/ui/plugins")
    ui.page.locator("#plugin-hello").get_by_role("button", name="Enable").click()
    ui.page.wait_for_load_state("load")
    ui.go("/ui/plugins")
    escape_closes(ui, ui.page.locator("#plugin-hello summary", has_text="Settings"))


def test_escape_in_a_picker_closes_its_list_before_the_form(ui: UI) -> None:
    ui.sign_in()
    create_entity(ui, "Esc Picked")
    ui.go("/ui/jobs")
    summary = ui.page.locator("summary", has_text="Import a folder")
    summary.click()
    drawer = ui.page.locator("#new-import")
    box = drawer.get_by_role("combobox", name="Attach every file to entity (optional)")
    box.fill("Esc Pi")
    expect(drawer.get_by_role("option", name="Esc Picked")).to_be_visible()
    ui.page.keyboard.press("Escape")
    expect(drawer.get_by_role("listbox")).to_be_hidden()
    expect(drawer).to_have_attribute("open", "")
    ui.page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(drawer).to_have_attribute("open", "")
    ui.page.keyboard.press("Escape")
    expect(drawer).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
