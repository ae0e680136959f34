"""Drag and drop, in a real Chromium: files dropped on an entity's page are uploaded and attached, and
files dropped on the Files page are stored, through the same uploader as the file input; the stored
bytes are the dropped bytes. (A synthetic drop carries files, not folder entries: reading a dropped
folder needs a drop from the desktop, which a headless browser cannot make.)"""

from __future__ import annotations

import hashlib
import re
import urllib.request
from typing import Any

from playwright.sync_api import expect
from ui_support import SAMPLES, UI, create_entity, drop


def sha256_of(ui: UI, asset_id: str) -> str:
    """The digest of the bytes FaceForge gives back for the file."""
    request = urllib.request.Request(  # noqa: S310  (the loopback test server)
        f"{ui.server.base}/v1/assets/{asset_id}/download",
        headers={"Authorization": f"Bearer {ui.server.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return hashlib.sha256(response.read()).hexdigest()


def test_files_dropped_on_an_entity_are_attached_byte_for_byte(ui: UI) -> None:
    ui.sign_in()
    ivy = create_entity(ui, "Ivy Drop")
    ui.go(f"/ui/entities/{ivy}?tab=attachments")
    expect(ui.page.locator(".drop-hint")).to_contain_text("Drop files or folders")
    drop(ui, SAMPLES / "Apple.jpg", SAMPLES / "Nikon.jpg")
    expect(ui.page.locator(".uploads li")).to_have_count(2)
    expect(ui.page.locator(".attachment")).to_have_count(2, timeout=20_000)
    linked: list[dict[str, Any]] = ui.server.call("GET", f"/v1/assets?entity_id={ivy}")["items"]
    assert {a["filename"]: sha256_of(ui, a["asset_id"]) for a in linked} == {
        name: hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest() for name in ("Apple.jpg", "Nikon.jpg")
    }
    assert not ui.console_errors


def test_files_dropped_on_the_files_page_are_stored_unlinked(ui: UI) -> None:
    ui.sign_in()
    ui.go("/ui/assets")
    drop(ui, SAMPLES / "Olympus.jpg")
    row = ui.page.locator(".uploads li")
    expect(row).to_contain_text("Done", timeout=20_000)
    ui.shot("drop-files", for_docs=True)
    ui.page.wait_for_url(re.compile(r"/ui/assets"))
    stored = ui.server.call("GET", "/v1/assets?q=Olympus.jpg")["items"]
    assert [a["filename"] for a in stored] == ["Olympus.jpg"]
    assert ui.server.call("GET", f"/v1/assets/{stored[0]['asset_id']}/entities")["items"] == []
    expected = hashlib.sha256((SAMPLES / "Olympus.jpg").read_bytes()).hexdigest()
    assert sha256_of(ui, stored[0]["asset_id"]) == expected
