"""Tags in the entity list are links: clicking one filters the list by it, in a real Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from ui_support import UI, create_entity


def test_clicking_a_tag_filters_the_list_by_it(ui: UI) -> None:
    ui.sign_in()
    create_entity(ui, "Tagged Tess")  # tags: e2e, reference
    other = create_entity(ui, "Untagged Uma")
    ui.server.call("PATCH", f"/v1/entities/{other}", {"tags": ["elsewhere"]})
    ui.go("/ui/entities")
    row = ui.page.locator("table.list tbody tr").filter(has_text="Tagged Tess")
    row.get_by_role("link", name="reference").click()
    ui.page.wait_for_url(re.compile(r"/ui/entities\?tag=reference$"))
    expect(ui.page.get_by_label("Tag", exact=True)).to_have_value("reference")
    expect(ui.page.get_by_role("link", name="Tagged Tess")).to_be_visible()
    expect(ui.page.get_by_role("link", name="Untagged Uma")).to_have_count(0)


def test_a_tag_prefix_finds_the_tag_and_tags_are_suggested_with_counts(ui: UI) -> None:
    ui.sign_in()
    fictional = create_entity(ui, "Fiona Fiction")
    ui.server.call("PATCH", f"/v1/entities/{fictional}", {"tags": ["fictional"]})
    ui.go("/ui/entities")
    tag_box = ui.page.get_by_label("Tag", exact=True)
    tag_box.press_sequentially("ficti")
    expect(ui.page.locator("#tag-list option")).to_have_count(1)
    expect(ui.page.locator("#tag-list option")).to_have_attribute("value", "fictional")
    expect(ui.page.locator("#tag-list option")).to_have_text("fictional (1)")
    ui.page.wait_for_url(re.compile(r"tag=ficti"))  # the list follows the box as you type
    expect(ui.page.locator("#results").get_by_role("link", name="Fiona Fiction")).to_be_visible()
    expect(ui.page.locator("#results").get_by_role("link", name="Tagged Tess")).to_have_count(0)
    ui.shot("entities-tag-prefix", for_docs=True)
