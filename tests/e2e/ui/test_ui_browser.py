"""The web UI in a real Chromium against a real server: what a person does, click by click."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from ui_support import SAMPLES, UI


def test_signed_out_visitors_are_sent_to_sign_in_and_come_back(ui: UI) -> None:
    ui.page.context.clear_cookies()
    ui.go("/ui/jobs")
    expect(ui.page).to_have_url(re.compile(r"/ui/login\?next=/ui/jobs$"))
    ui.shot("login")
    ui.page.get_by_label("Access token").fill("wrong")
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page.get_by_role("alert")).to_have_text("That access token is not right.")
    ui.page.get_by_label("Access token").fill(ui.server.token)
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page).to_have_url(re.compile(r"/ui/jobs$"))
    ui.page.get_by_role("button", name="Sign out").click()
    expect(ui.page).to_have_url(re.compile(r"/ui/login$"))
    ui.go("/")
    expect(ui.page).to_have_url(re.compile(r"/ui/login\?next=/ui/entities$"))


def create_entity(ui: UI, name: str) -> str:
    """Create an entity from the list page; returns its id (from the address it opens)."""
    ui.go("/ui/entities")
    ui.page.locator("summary", has_text="New entity").click()
    ui.page.get_by_label("Name", exact=True).fill(name)
    ui.page.get_by_label("Tags").fill("e2e, reference")
    ui.page.get_by_role("button", name="Create").click()
    ui.page.wait_for_url(re.compile(r"/ui/entities/[0-9a-f]{64}$"))
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(name)
    return ui.page.url.rsplit("/", 1)[1]


def test_create_upload_link_download(ui: UI, tmp_path: Path) -> None:
    ui.sign_in()
    ann = create_entity(ui, "Ann <b>Lee</b>")
    ui.shot("entity-overview")
    bob = create_entity(ui, "Bob Stone")

    ui.go(f"/ui/entities/{ann}?tab=attachments")
    sample = SAMPLES / "GPS.jpg"
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(
        [sample, SAMPLES / "Apple.jpg"]
    )
    rows = ui.page.locator(".uploads li")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("progress")).to_have_attribute("value", "100")
    ui.page.wait_for_load_state("load")
    attached = ui.page.locator(".attachment")
    expect(attached).to_have_count(2, timeout=20_000)
    ui.shot("entity-attachments")

    gps = attached.filter(has_text="GPS.jpg")
    for _ in range(40):  # metadata is read in the background; the page shows it once it is there
        if gps.locator("details.metadata").count():
            break
        ui.page.wait_for_timeout(250)
        ui.page.reload()
    gps.locator("details.metadata > summary").click()
    expect(gps.locator("details.metadata")).to_contain_text("GPS")
    ui.shot("entity-metadata")
    asset_id = gps.get_by_role("link", name="GPS.jpg").get_attribute("href").rsplit("/", 1)[1]  # type: ignore[union-attr]

    gps.get_by_role("button", name="Use as main picture").click()
    expect(ui.page.locator(".attachment").filter(has_text="GPS.jpg")).to_contain_text("Main picture")

    ui.go(f"/ui/entities/{bob}?tab=attachments")
    ui.page.get_by_label("Or link a file that is already stored").fill("f" * 64)
    ui.page.get_by_role("button", name="Link file").click()
    expect(ui.page.locator("[data-error-for=asset_id]")).to_have_text("No stored file has this identifier.")
    expect(ui.page.locator(".attachment")).to_have_count(0)
    ui.page.get_by_label("Or link a file that is already stored").fill(asset_id)
    ui.page.get_by_role("button", name="Link file").click()
    linked = ui.page.locator(".attachment").filter(has_text="GPS.jpg")
    expect(linked).to_have_count(1)

    with ui.page.expect_download() as download_info:
        linked.get_by_role("link", name="Download").click()
    saved = tmp_path / "downloaded.jpg"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == sample.read_bytes()

    ui.page.once("dialog", lambda dialog: dialog.accept())
    linked.get_by_role("button", name="Unlink").click()
    expect(ui.page.locator(".attachment")).to_have_count(0)

    ui.go("/ui/entities?view=gallery")
    expect(ui.page.locator(".gallery .tile").filter(has_text="Ann <b>Lee</b>").locator("img")).to_be_visible()
    ui.shot("entities-gallery")
    ui.go(f"/ui/assets/{asset_id}")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("GPS.jpg")
    ui.shot("asset")
    ui.go("/ui/assets")
    ui.shot("assets")
