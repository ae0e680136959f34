"""The Fields admin in plain words, in a real Chromium: the label first with the key made from it,
types named for people, errors without patterns, and a date that may be a year or a month."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from ui_support import UI, create_entity


def open_new_field(ui: UI) -> None:
    ui.go("/ui/admin/fields")
    ui.page.locator("summary", has_text="New field").click()


def test_a_field_is_made_from_its_label_with_a_type_named_for_people(ui: UI) -> None:
    ui.sign_in()
    open_new_field(ui)
    form = ui.page.locator("#new-field form")
    form.get_by_label("Label").fill("Eye colour (left)")
    expect(form.get_by_label("Key")).to_have_value("eye_colour_left")
    type_names = form.get_by_label("Type").locator("option").all_inner_texts()
    assert {"Text", "Whole number", "Yes/No", "Date", "Choice"} <= set(type_names)
    assert "enum" not in type_names
    form.get_by_label("Type").select_option(label="Choice")
    form.get_by_label("Choices (for a Choice field)", exact=True).fill("blue, green")
    ui.shot("fields-new-choice", for_docs=True)
    form.get_by_role("button", name="Create field").click()
    field = ui.page.locator(".def").filter(has_text="Eye colour (left)")
    expect(field).to_contain_text("eye_colour_left")
    expect(field.locator(".tag").first).to_have_text("Choice")
    picked = field.locator(".preview-field select option")  # a Choice is picked from a list, not typed
    expect(picked).to_have_text(["Not set", "blue", "green"])


def test_a_key_typed_by_hand_is_kept_and_a_bad_one_explained_in_words(ui: UI) -> None:
    ui.sign_in()
    open_new_field(ui)
    form = ui.page.locator("#new-field form")
    form.get_by_label("Key").fill("Bad Key")
    form.get_by_label("Label").fill("Something else")
    expect(form.get_by_label("Key")).to_have_value("Bad Key")  # typed by hand: the label leaves it alone
    form.get_by_role("button", name="Create field").click()
    error = form.locator('[data-error-for="field_key"]')
    expect(error).to_contain_text("must start with a lowercase letter")
    expect(error).not_to_contain_text("^")


def test_a_date_field_takes_a_year_or_a_month(ui: UI) -> None:
    ui.sign_in()
    open_new_field(ui)
    form = ui.page.locator("#new-field form")
    form.get_by_label("Label").fill("First seen")
    form.get_by_label("Type").select_option(label="Date")
    form.get_by_role("button", name="Create field").click()
    expect(ui.page.locator(".def").filter(has_text="First seen")).to_have_count(1)
    create_entity(ui, "Dated")
    seen = ui.page.get_by_label("First seen")
    for bad in ("May 1990", "1990-13"):
        seen.fill(bad)
        ui.page.get_by_role("button", name="Save changes").click()
        expect(ui.page.locator('[data-error-for="fields/first_seen"]')).to_contain_text(
            "a year (1990), a year and month (1990-05) or a day (1990-05-17)"
        )
    seen.fill("1990-05")
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Save changes").click()
    expect(ui.page.get_by_label("First seen")).to_have_value("1990-05")
    seen_year = ui.page.get_by_label("First seen")
    seen_year.fill("1990")
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Save changes").click()
    expect(ui.page.get_by_label("First seen")).to_have_value(re.compile(r"^1990$"))
