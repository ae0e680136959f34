"""The Library health page in a real Chromium against ``faceforge serve`` with a backup folder set:
back up from a picked folder, damage a stored file, check now, and read the finding in words with
links to the file and its entity, beside the list of backups."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from servers import Server
from ui_support import UI, settled_preview, upload


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An "external disk" the folder picker may browse, with an empty folder for the backups."""
    root = tmp_path_factory.mktemp("health") / "usb"
    (root / "faceforge-backup").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, disk: Path) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ui-health") / "home"
    server = Server.faceforge(
        home,
        settings={
            "FACEFORGE_IMPORT__ALLOWED_ROOTS": json.dumps([str(disk)]),
            "FACEFORGE_BACKUP__TARGETS": json.dumps([str(disk / "faceforge-backup")]),
        },
    )
    try:
        yield server
    finally:
        server.stop()


def job_id_of(ui: UI) -> str:
    ui.page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    return ui.page.url.rsplit("/", 1)[1]


def test_back_up_damage_a_file_check_now_and_read_what_is_wrong(ui: UI, disk: Path) -> None:
    server = ui.server
    ui.sign_in()
    asset_id = upload(ui, "GPS.jpg")
    previews = settled_preview(server, asset_id)  # backed up too: the count below must not race them
    assert previews["status"] == "done", previews
    stored_files = 1 + len(
        {parse_qs(urlsplit(previews[url]).query)["v"][0] for url in ("small_url", "large_url")}
    )
    ada = server.call("POST", "/v1/entities", {"display_name": "Ada Lovelace"})["entity_id"]
    server.call("POST", f"/v1/entities/{ada}/assets/{asset_id}/link", {})

    ui.page.get_by_role("link", name="Library health").click()
    ui.page.wait_for_url("**/ui/admin/health")
    expect(ui.page.locator("#last-check")).to_contain_text("The library has not been checked yet.")
    expect(ui.page.locator("#backups")).to_contain_text("No backup has been made in this folder yet.")
    target = ui.page.get_by_label("Backup folder (another disk)")
    expect(target).to_have_value(str(disk / "faceforge-backup"))  # the configured folder, ready

    target.fill("")
    ui.page.get_by_role("button", name="Browse…").click()
    picker = ui.page.locator("#folder-picker")
    expect(picker.locator("#folder-here")).to_have_text("Folders you may pick")
    picker.get_by_role("button", name=f"Open {disk}").click()
    picker.get_by_role("button", name="Open faceforge-backup").click()
    picker.get_by_role("button", name=f"Use the folder {disk / 'faceforge-backup'}").click()
    expect(target).to_have_value(str(disk / "faceforge-backup"))
    ui.page.get_by_role("button", name="Back up now").click()
    backup = server.wait_job(job_id_of(ui), "succeeded", "failed")
    assert backup["status"] == "succeeded", backup["error"]

    stored = server.home / "assets" / asset_id[:2] / asset_id[2:4] / asset_id
    data = bytearray(stored.read_bytes())
    data[200] ^= 0xFF
    stored.write_bytes(bytes(data))
    ui.go("/ui/admin/health")
    ui.page.get_by_role("button", name="Check now").click()
    scan = server.wait_job(job_id_of(ui), "succeeded", "failed")
    assert scan["status"] == "succeeded", scan["error"]

    ui.go("/ui/admin/health")
    check = ui.page.locator("#last-check")
    expect(check.locator("#check-state")).to_contain_text("1 stored file (")
    expect(check.locator("#check-state")).to_contain_text("1 file needs repair.")
    damaged = check.locator("#found-corrupt")
    expect(damaged.get_by_role("heading")).to_have_text("Damaged files (1)")
    expect(damaged.get_by_role("link", name="GPS.jpg")).to_have_attribute("href", f"/ui/assets/{asset_id}")
    expect(damaged.get_by_role("link", name="Ada Lovelace")).to_have_attribute("href", f"/ui/entities/{ada}")
    rows = ui.page.locator("#backup-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text(str(stored_files))  # the photo and its previews
    ui.shot("library-health", for_docs=True)
