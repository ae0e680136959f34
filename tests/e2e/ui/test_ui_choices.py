"""Choice fields in a real Chromium: a list of choices on the Overview is picked in a list box (and
cleared by picking none), a
descriptor's value follows the field chosen (a Choice field's values in a select, any other typed) and
its edit form offers the choices too."""

from __future__ import annotations

from playwright.sync_api import expect
from ui_support import UI

DEFS = "/v1/admin/field-defs"


def test_choice_values_are_picked_from_a_list(ui: UI) -> None:
    ui.server.call(
        "POST",
        DEFS,
        {
            "field_key": "eyes",
            "scope": "entity",
            "field_type": "enum",
            "options": ["blue", "green", "grey"],
            "multiple": True,
        },
    )
    ui.server.call(
        "POST",
        DEFS,
        {"field_key": "hand", "label": "Hand", "field_type": "enum", "options": ["left", "right"]},
    )
    ui.server.call("POST", DEFS, {"field_key": "nickname", "field_type": "string"})
    cho = ui.server.call("POST", "/v1/entities", {"display_name": "Cho Choice"})["entity_id"]
    ui.sign_in()

    ui.go(f"/ui/entities/{cho}")
    ui.page.get_by_label("Eyes").select_option(["blue", "grey"])
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Save changes").click()
    assert ui.server.call("GET", f"/v1/entities/{cho}")["fields"] == {"eyes": ["blue", "grey"]}
    expect(ui.page.get_by_label("Eyes")).to_have_values(["blue", "grey"])
    ui.page.get_by_label("Eyes").select_option([])  # none picked: the value is cleared
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Save changes").click()
    assert ui.server.call("GET", f"/v1/entities/{cho}")["fields"] == {}

    ui.go(f"/ui/entities/{cho}?tab=descriptors")
    form = ui.page.locator("#add-descriptor")
    form.get_by_label("Field").fill("hand")
    value = form.get_by_label("Value")
    expect(value.locator("option")).to_have_text(["Not set", "left", "right"])
    value.select_option("right")
    ui.shot("descriptor-choice", for_docs=True)
    form.get_by_label("Field").fill("nickname")
    expect(form.get_by_role("textbox", name="Value")).to_be_visible()  # any other field is typed
    form.get_by_label("Field").fill("hand")
    form.get_by_label("Value").select_option("right")
    form.get_by_role("button", name="Add descriptor").click()
    row = ui.page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("right")

    row.locator("summary", has_text="Edit").click()
    edit = row.get_by_label("Value")
    expect(edit).to_have_value("right")
    edit.select_option("left")
    with ui.page.expect_navigation():  # the form reloads the page once saved
        row.get_by_role("button", name="Save").click()
    expect(ui.page.locator("table.list tbody tr td").nth(1)).to_contain_text("left")
    (stored,) = ui.server.call("GET", f"/v1/entities/{cho}/descriptors")["items"]
    assert (stored["field_key"], stored["value"]) == ("hand", "left")
    assert not ui.console_errors
