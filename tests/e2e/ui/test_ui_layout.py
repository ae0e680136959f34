"""Layout in a real Chromium: very long names and values never make a page wider than the window (they
wrap, or are cut after a few lines and shown whole on hover and focus); on a phone, tables scroll inside
their own box and the tab rows scroll sideways instead of being cut off."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from servers import Server
from ui_support import UI, store

LONG_NAME = "Longname" + "x" * 492  # 500 characters and no space to break at
LONG_VALUE = "Descriptor" + "y" * 1990
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}


@dataclass(frozen=True)
class Seeded:
    entity_id: str
    asset_id: str


@pytest.fixture(scope="module")
def seeded(ui_server: Server) -> Seeded:
    """An entity with a 500-character name and a long other name, a descriptor with a long value,
    source and note, an attached file with a long name, and a relationship."""
    call = ui_server.call
    entity_id = call("POST", "/v1/entities", {"display_name": LONG_NAME, "aliases": [LONG_NAME[:300]]})[
        "entity_id"
    ]
    call(
        "POST", "/v1/admin/field-defs", {"field_key": "remark", "scope": "descriptor", "field_type": "string"}
    )
    descriptor = {"field_key": "remark", "value": LONG_VALUE, "source": "s" * 200, "note": "n" * 2000}
    call("POST", f"/v1/entities/{entity_id}/descriptors", descriptor)
    asset_id = store(ui_server, "GPS.jpg")
    call("PATCH", f"/v1/assets/{asset_id}", {"filename": "photo-" + "z" * 240 + ".jpg"})
    call("POST", f"/v1/entities/{entity_id}/assets/{asset_id}/link", {})
    other = call("POST", "/v1/entities", {"display_name": "Short"})["entity_id"]
    call(
        "POST", "/v1/relationships", {"src_entity_id": entity_id, "dst_entity_id": other, "type": "friend of"}
    )
    return Seeded(entity_id, asset_id)


def page_overflow(ui: UI) -> int:
    """How far the page scrolls sideways, in CSS pixels (0 when it does not)."""
    return int(ui.page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def test_long_names_and_values_never_widen_a_page(ui: UI, seeded: Seeded) -> None:
    entity_id, asset_id = seeded.entity_id, seeded.asset_id
    ui.sign_in()
    pages = [
        ("entities", "/ui/entities?view=table"),
        ("gallery", "/ui/entities?view=gallery"),
        ("entity", f"/ui/entities/{entity_id}"),
        ("descriptors", f"/ui/entities/{entity_id}?tab=descriptors"),
        ("attachments", f"/ui/entities/{entity_id}?tab=attachments"),
        ("relationships", f"/ui/entities/{entity_id}?tab=relationships"),
        ("files", "/ui/assets"),
        ("file", f"/ui/assets/{asset_id}"),
        ("trash", "/ui/trash"),
    ]
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        ui.page.set_viewport_size(size)
        for name, path in pages:
            ui.go(path)
            assert page_overflow(ui) <= 0, f"{path} at {size_name} scrolls sideways by {page_overflow(ui)}px"
            ui.shot(f"layout-{name}-{size_name}")
    ui.page.set_viewport_size(DESKTOP)


def test_a_long_name_is_cut_and_shown_whole_on_hover_and_focus(ui: UI, seeded: Seeded) -> None:
    ui.sign_in()
    ui.go("/ui/entities?view=table&q=Longname")
    link = ui.page.locator("#entity-table").get_by_role("link", name=LONG_NAME)
    lines = (
        "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"
    )
    ui.page.mouse.move(0, 0)
    assert link.evaluate(lines) == 3, "a 500-character name is not cut after three lines"
    link.focus()
    assert link.evaluate(lines) > 3, "the focused name is not shown whole"
    ui.page.locator("#q").focus()
    assert link.evaluate(lines) == 3
    link.hover()
    assert link.evaluate(lines) > 3, "the hovered name is not shown whole"


def test_on_a_phone_tables_and_tab_rows_scroll_inside_their_box(ui: UI, seeded: Seeded) -> None:
    entity_id = seeded.entity_id
    ui.sign_in()
    ui.page.set_viewport_size(PHONE)
    try:
        ui.go("/ui/assets")
        box = ui.page.locator(".table-scroll").first
        assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        assert box.evaluate("el => el.scrollWidth > el.clientWidth"), (
            "the Files table is squeezed into the phone"
        )
        for header in ("Taken", "Camera", "Added"):
            expect(box.get_by_role("columnheader", name=header)).to_be_attached()
        assert page_overflow(ui) <= 0
        ui.shot("layout-files-table-phone")

        for path, last in ((f"/ui/entities/{entity_id}", "Relationships"), ("/ui/trash", "Relationships")):
            ui.go(path)
            tabs = ui.page.locator("nav.tabs")
            assert tabs.evaluate("el => el.scrollWidth > el.clientWidth"), (
                f"{path}: the tab row fits, nothing to test"
            )
            assert tabs.evaluate("el => getComputedStyle(el).overflowX") == "auto"
            tab = tabs.get_by_role("link", name=last)
            tab.scroll_into_view_if_needed()
            right = tab.evaluate("el => el.getBoundingClientRect().right")
            assert right <= PHONE["width"], f"{path}: {last} is cut off at {right}px"
            assert page_overflow(ui) <= 0
    finally:
        ui.page.set_viewport_size(DESKTOP)
