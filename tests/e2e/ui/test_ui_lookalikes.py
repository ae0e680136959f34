"""The Look-alikes page in a real Chromium: scan, compare a group side by side, keep one.

Picture hashes are seeded into the home before the server starts (only the preview pipeline stores
them; no route sets one). The pictures themselves come from the preview route, which this test does
not depend on: it checks each ``<img>`` and its address, not that a picture loaded.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from playwright.sync_api import BrowserContext, expect
from servers import Server
from ui_support import UI

from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from lookalikes_support import asset_id, seed_hashes

PHOTO = 0x9F3A_5C11_E7D2_08B4
HASHES = {1: PHOTO, 2: PHOTO ^ 0b11, 3: PHOTO ^ (0b1 << 50), 4: ~PHOTO + (1 << 64)}


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("lookalikes") / "home"

    async def seed() -> None:
        async with build_core(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
            await seed_hashes(SqliteUnitOfWorkFactory(core.database), HASHES)

    with ThreadPoolExecutor(1) as thread:  # Playwright's own event loop runs in this thread
        thread.submit(anyio.run, seed).result()
    server = Server.faceforge(home)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def tab(browser_context: BrowserContext, seeded_server: Server, screenshots: Path) -> Iterator[UI]:
    page = browser_context.new_page()
    ui = UI(page, seeded_server, screenshots)
    try:
        yield ui
    finally:
        page.close()
    assert not ui.console_errors, ui.console_errors


def test_scan_compare_and_keep_one(tab: UI) -> None:
    server = tab.server
    ada = server.call("POST", "/v1/entities", {"display_name": "Ada"})["entity_id"]
    server.call("POST", f"/v1/entities/{ada}/assets/{asset_id(2)}/link", {"role": "portrait"})
    server.call("PATCH", f"/v1/entities/{ada}", {"primary_thumbnail_asset_id": asset_id(3)})
    tab.sign_in()

    tab.go("/ui/lookalikes")
    expect(tab.page.get_by_text("No look-alikes to review")).to_be_visible()
    tab.page.get_by_role("button", name="Scan for look-alikes").click()
    tab.page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    server.wait_job(tab.page.url.rsplit("/", 1)[1], "succeeded")

    tab.page.get_by_role("navigation", name="Main").get_by_role("link", name="Look-alikes").click()
    group = tab.page.locator(".lookalike-group")
    expect(group).to_have_count(1)
    members = group.locator(".lookalike-member")
    expect(members).to_have_count(3)
    for n in (1, 2, 3):
        picture = group.get_by_role("img", name=f"IMG_{n:04d}.jpg")
        expect(picture).to_have_attribute("src", f"/v1/assets/{asset_id(n)}/preview?size=large")
    expect(members.filter(has_text="IMG_0002.jpg")).to_contain_text("Linked entities1")
    tab.shot("lookalikes")

    keep = group.get_by_role("button", name="Keep this one: IMG_0001.jpg")
    keep.focus()
    tab.page.keyboard.press("Enter")  # keyboard operable
    expect(tab.page.get_by_text("No look-alikes to review")).to_be_visible()

    everything = server.call("GET", "/v1/assets?include_deleted=true&limit=200")["items"]
    trashed = {a["asset_id"] for a in everything if a["deleted_at"]}
    assert trashed == {asset_id(2), asset_id(3)}
    linked = server.call("GET", f"/v1/assets/{asset_id(1)}/entities")["items"]
    assert [(e["entity_id"], e["role"]) for e in linked] == [(ada, "portrait")]
    assert server.call("GET", f"/v1/entities/{ada}")["primary_thumbnail_asset_id"] == asset_id(1)
