"""An accessibility scan of every page with axe-core (tests/e2e/assets/axe.min.js, see the README
there), in a real Chromium at desktop and phone sizes: no serious or critical finding anywhere.

The pages' Content-Security-Policy (``script-src 'self'``) refuses an injected ``<script>``, so the
scanner is evaluated through the browser's debugging protocol instead, which the policy does not
govern; the pages are scanned exactly as they are served."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from servers import Server
from ui_support import UI, settled_preview, store

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 375, "height": 812}}
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Library:
    entity_id: str
    asset_id: str
    job_id: str


@pytest.fixture(scope="module")
def library(ui_server: Server) -> Library:
    """Something on every page: an entity with a picture, a descriptor and a relationship; a second
    file; a finished scan with a group of look-alikes; a deleted entity and file in the trash; a field
    of each scope."""
    call = ui_server.call
    ann = call("POST", "/v1/entities", {"display_name": "Axe Ann", "aliases": ["Annie"], "tags": ["actor"]})
    bob = call("POST", "/v1/entities", {"display_name": "Axe Bob"})["entity_id"]
    picture = store(ui_server, "GPS.jpg")
    call("POST", f"/v1/entities/{ann['entity_id']}/assets/{picture}/link", {})
    call("PATCH", f"/v1/entities/{ann['entity_id']}", {"primary_thumbnail_asset_id": picture})
    store(ui_server, "PDF.pdf")
    call("POST", "/v1/admin/field-defs", {"field_key": "height_cm", "scope": "entity", "field_type": "int"})
    call("POST", "/v1/admin/field-defs", {"field_key": "hair", "scope": "descriptor", "field_type": "string"})
    call("POST", f"/v1/entities/{ann['entity_id']}/descriptors", {"field_key": "hair", "value": "red"})
    call(
        "POST",
        "/v1/relationships",
        {"src_entity_id": ann["entity_id"], "dst_entity_id": bob, "type": "friend of"},
    )
    gone = call("POST", "/v1/entities", {"display_name": "Axe Gone"})["entity_id"]
    call("DELETE", f"/v1/entities/{gone}")
    call("DELETE", f"/v1/assets/{store(ui_server, 'GIF.gif')}")
    for n, data in enumerate(twins()):
        settled_preview(ui_server, store(ui_server, f"drawing-{n + 1}.jpg", data))
    job = call("POST", "/v1/jobs", {"job_type": "core.duplicates.scan", "input": {}})["job_id"]
    assert ui_server.wait_job(job, "succeeded", "failed")["status"] == "succeeded"
    assert call("GET", "/v1/duplicate-groups")["items"], "the scan found no look-alikes to show"
    return Library(ann["entity_id"], picture, job)


def twins() -> tuple[bytes, bytes]:
    """One drawing saved at two sizes: pictures the look-alike scan groups."""
    drawing = Image.new("RGB", (640, 480), (240, 240, 240))
    pen = ImageDraw.Draw(drawing)
    pen.ellipse((120, 60, 420, 360), fill=(200, 60, 40))
    pen.rectangle((380, 200, 600, 440), fill=(30, 90, 160))
    big, small = io.BytesIO(), io.BytesIO()
    drawing.save(big, "JPEG", quality=92)
    drawing.resize((320, 240)).save(small, "JPEG", quality=70)
    return big.getvalue(), small.getvalue()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's findings on the page as it is now (WCAG 2.x A and AA, and best practices)."""
    if not page.evaluate("typeof axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """() => axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary)})))"""
    )
    return found


def open_import_form(ui: UI) -> None:
    ui.page.locator("summary", has_text="Import a folder").click()
    ui.page.get_by_role("button", name="Browse…").click()
    expect(ui.page.locator("#folder-list")).to_be_visible()


def test_every_page_has_no_serious_or_critical_accessibility_finding(ui: UI, library: Library) -> None:
    entity = f"/ui/entities/{library.entity_id}"
    pages: list[tuple[str, str, Callable[[UI], None] | None]] = [
        ("entities", "/ui/entities?view=table", None),
        ("gallery", "/ui/entities?view=gallery", None),
        ("entity", entity, None),
        ("descriptors", f"{entity}?tab=descriptors", None),
        ("attachments", f"{entity}?tab=attachments", None),
        ("relationships", f"{entity}?tab=relationships", None),
        ("files", "/ui/assets", None),
        ("file", f"/ui/assets/{library.asset_id}", None),
        ("trash", "/ui/trash", None),
        ("trash-files", "/ui/trash?tab=files", None),
        ("jobs", "/ui/jobs", None),
        ("import-form", "/ui/jobs", open_import_form),
        ("job", f"/ui/jobs/{library.job_id}", None),
        ("fields", "/ui/admin/fields", None),
        ("plugins", "/ui/plugins", None),
        ("lookalikes", "/ui/lookalikes", None),
    ]
    findings: dict[str, list[dict[str, Any]]] = {}
    ui.sign_in()
    try:
        for size_name, size in SIZES.items():
            ui.page.set_viewport_size(size)
            for name, path, then in pages:
                ui.go(path)
                if then:
                    then(ui)
                findings[f"{name} ({size_name})"] = violations(ui.page)
            ui.page.get_by_role("button", name="Sign out").click()
            ui.page.wait_for_url("**/ui/login**")
            findings[f"login ({size_name})"] = violations(ui.page)
            ui.sign_in()
    finally:
        ui.page.set_viewport_size(SIZES["desktop"])
    blocking = [
        f"{page}: {v['id']} ({v['impact']}) {v['help']}: " + " | ".join(v["nodes"])
        for page, found in findings.items()
        for v in found
        if v["impact"] in BLOCKING
    ]
    assert not blocking, "\n".join(blocking)
