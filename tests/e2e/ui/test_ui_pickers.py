"""Pickers instead of pasted identifiers, in a real Chromium: the keyboard alone picks an entity by one
of its other names, a name that matches nothing is refused in words before anything is sent, and an
import attaches its files to an entity chosen by name. The screenshots marked for the docs illustrate
``docs/ui.md``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from ui_support import SAMPLES, UI, create_entity


def test_the_keyboard_alone_picks_an_entity_by_another_name(ui: UI) -> None:
    ui.sign_in()
    mia = create_entity(ui, "Mia Stone")
    ui.server.call("PATCH", f"/v1/entities/{mia}", {"aliases": ["Tessa"]})
    create_entity(ui, "Mia Stonewall")
    kit = create_entity(ui, "Kit")
    ui.go(f"/ui/entities/{kit}?tab=relationships")
    form = ui.page.locator("#add-relationship")
    form.get_by_label("Kit is…").fill("sister")
    box = form.get_by_role("combobox", name="…of whom?")
    box.fill("tess")
    options = form.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("also Tessa")
    expect(box).to_have_attribute("aria-expanded", "true")
    ui.shot("picker-entity", for_docs=True)
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "rel-dst-list-0")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("Mia Stone")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")  # the list is closed: Enter sends the form
    row = ui.page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mia Stone")
    assert not ui.console_errors


def test_escape_closes_the_list_then_clears_and_nothing_is_sent(ui: UI) -> None:
    ui.sign_in()
    lou = create_entity(ui, "Lou")
    ui.go(f"/ui/entities/{lou}?tab=relationships")
    form = ui.page.locator("#add-relationship")
    form.get_by_label("Lou is…").fill("friend")
    box = form.get_by_role("combobox", name="…of whom?")
    box.fill("Lo")
    expect(form.get_by_role("option")).to_have_count(0)  # Lou herself is left out
    expect(form.locator(".picker-list")).to_contain_text("No entity is called “Lo”.")
    box.press("Escape")
    expect(form.locator(".picker-list")).to_be_hidden()
    box.press("Escape")
    expect(box).to_have_value("")
    form.get_by_role("button", name="Add relationship").click()
    expect(form.locator("[data-error-for=dst_entity_id]")).to_have_text("Choose an entity from the list.")
    box.fill("Nobody Known")
    form.get_by_role("button", name="Add relationship").click()
    error = form.locator("[data-error-for=dst_entity_id]")
    expect(error).to_have_text("No entity is called “Nobody Known”.")
    expect(box).to_be_focused()
    assert "regex" not in ui.page.content()
    assert ui.server.call("GET", f"/v1/relationships?entity_id={lou}")["items"] == []


def test_an_import_attaches_every_file_to_an_entity_named_not_pasted(ui: UI, tmp_path: Path) -> None:
    folder = tmp_path / "for-zoe"
    folder.mkdir()
    (folder / "Apple.jpg").write_bytes((SAMPLES / "Apple.jpg").read_bytes())
    ui.sign_in()
    zoe = create_entity(ui, "Zoe Park")
    ui.go("/ui/jobs")
    drawer = ui.page.locator("#new-import")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()
    drawer.get_by_label("Folder on this computer").fill(str(folder))
    box = drawer.get_by_role("combobox", name="Attach every file to entity (optional)")
    before = len(ui.server.call("GET", "/v1/jobs?limit=200")["items"])
    box.fill("Zoe Parks")
    expect(drawer.locator(".picker-list")).to_contain_text("No entity is called “Zoe Parks”.")
    box.press("Enter")  # nothing chosen in the open list: Enter sends the form, which is refused
    expect(drawer.locator("[data-error-for=entity_id]")).to_have_text("No entity is called “Zoe Parks”.")
    expect(drawer.locator(".picker-list")).to_be_hidden()  # said once, not twice
    ui.shot("picker-no-match", for_docs=True)
    assert len(ui.server.call("GET", "/v1/jobs?limit=200")["items"]) == before
    box.fill("zoe park")  # typed whole, not picked: the one entity of that name is taken
    expect(drawer.get_by_role("option", name=re.compile("^Zoe Park"))).to_be_visible()
    box.press("Escape")  # closes the list, keeps the name
    expect(box).to_have_value("zoe park")
    drawer.get_by_role("button", name="Start import").click()
    ui.page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    expect(ui.page.locator("#job-status")).to_have_text("Succeeded", timeout=60_000)
    linked: list[dict[str, Any]] = ui.server.call("GET", f"/v1/assets?entity_id={zoe}")["items"]
    assert [a["filename"] for a in linked] == ["Apple.jpg"]
