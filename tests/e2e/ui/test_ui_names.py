"""Screen readers in a real Chromium: every button that repeats per row or item names what it acts on,
so an entity with thirteen files has no two buttons (or button-like links) of the same name."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import expect
from ui_support import UI, create_entity, upload

FILES = (
    "Apple.jpg", "BMP.bmp", "Canon1DmkIII.jpg", "Casio2.jpg", "GIF.gif", "GPS.jpg", "Google.jpg",
    "IPTC.jpg", "Kodak.jpg", "Nikon.jpg", "PDF.pdf", "Sony.jpg", "Text1.txt",
)  # fmt: skip
# One line of Playwright's ARIA snapshot: ``- button "Name"``, the whole line in YAML quotes when the name
# holds ": " (``- 'button "Use as main picture: a.jpg"'``).
CONTROL = re.compile(r"^\s*- '?(button|link) \"((?:[^\"\\]|\\.)*)\"", re.MULTILINE)


def control_names(ui: UI) -> Counter[tuple[str, str]]:
    """Every button and link of the page's main part, as the accessibility tree names them."""
    return Counter(CONTROL.findall(ui.page.locator("main").aria_snapshot()))


def shared(names: Counter[tuple[str, str]], role: str) -> list[str]:
    return [name for (r, name), n in names.items() if r == role and n > 1]


def test_no_two_buttons_on_an_entity_page_share_a_name(ui: UI) -> None:
    ui.sign_in()
    ann = create_entity(ui, "Named Ann")
    bob = create_entity(ui, "Named Bob")
    for name in FILES:
        ui.server.call("POST", f"/v1/entities/{ann}/assets/{upload(ui, name)}/link", {})
    ui.server.call(
        "POST",
        "/v1/admin/field-defs",
        {"field_key": "hair", "scope": "descriptor", "field_type": "string", "multiple": True},
    )
    for value, since in (("red", "2019"), ("brown", "2021")):
        descriptor = {"field_key": "hair", "value": value, "valid_from": since, "valid_to": since}
        ui.server.call("POST", f"/v1/entities/{ann}/descriptors", descriptor)
    for kind in ("friend of", "sister of"):
        ui.server.call(
            "POST", "/v1/relationships", {"src_entity_id": ann, "dst_entity_id": bob, "type": kind}
        )

    ui.go(f"/ui/entities/{ann}?tab=attachments")
    expect(ui.page.locator(".attachment")).to_have_count(len(FILES))
    names = control_names(ui)
    assert not shared(names, "button"), shared(names, "button")
    assert names["button", "Unlink Nikon.jpg"] == 1
    assert names["link", "Download Nikon.jpg"] == 1
    assert names["button", "Use as main picture: Nikon.jpg"] == 1
    # Each file's name is a link to its page, and its Download link names it too: never a bare "Download".
    assert names["link", "Download"] == 0
    ui.shot("names-attachments")

    for tab, expected in (
        ("descriptors", ("Delete hair red", "Delete hair brown")),
        ("relationships", ("Remove Named Ann friend of Named Bob", "Remove Named Ann sister of Named Bob")),
    ):
        ui.go(f"/ui/entities/{ann}?tab={tab}")
        names = control_names(ui)
        assert not shared(names, "button"), (tab, shared(names, "button"))
        for name in expected:
            assert names["button", name] == 1, (tab, name, names)
