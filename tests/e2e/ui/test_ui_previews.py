"""Previews in a real Chromium against the real server: every sample that can have a picture shows
its small preview (never the original file) in the Files list, and the previews survive a restart
without being made again.

The server makes the previews with its real preview workers; the test uploads every ExifTool sample
the way a client does, waits for each file's preview record, then reads the pages.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext
from servers import Server
from ui_support import SAMPLES, UI, settled_preview

# Samples whose pictures the engines read (most of the others are stripped metadata-only files).
MUST_RENDER = {
    "Apple.jpg", "BMP.bmp", "BigTIFF.btf", "Canon1DmkIII.jpg", "FujiFilm.raf", "GIF.gif",
    "GeoTiff.tif", "PDF.pdf", "PPM.ppm", "Panasonic.rw2", "Photoshop.psd", "Writer.jpg",
}  # fmt: skip
# The picture's width once it loaded (0 when it cannot).
LOADED_WIDTH = """i => i.complete ? i.naturalWidth : new Promise(done => {
    i.addEventListener("load", () => done(i.naturalWidth)); i.addEventListener("error", () => done(0)); })"""


def upload(server: Server, path: Path) -> str:
    request = urllib.request.Request(  # noqa: S310
        f"{server.base}/v1/assets/upload?filename={urllib.request.quote(path.name)}",
        data=path.read_bytes(),
        method="PUT",
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return str(json.load(response)["data"]["asset_id"])


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, dict[str, Any]]]]:
    """A server holding every sample, each with its settled preview info (by file name)."""
    home = tmp_path_factory.mktemp("previews") / "home"
    server = Server.faceforge(home)
    try:
        ids = {path.name: upload(server, path) for path in sorted(SAMPLES.iterdir()) if path.is_file()}
        infos = {name: settled_preview(server, ids[name]) | {"asset_id": ids[name]} for name in ids}
        yield server, infos
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_every_sample_with_a_picture_shows_its_preview_never_the_original(
    browser_context: BrowserContext, library: tuple[Server, dict[str, dict[str, Any]]], screenshots: Path
) -> None:
    server, infos = library
    made = {name for name, info in infos.items() if info["status"] == "done"}
    assert made >= MUST_RENDER, sorted(MUST_RENDER - made)
    page = browser_context.new_page()
    tab = UI(page, server, screenshots)
    tab.sign_in()
    shown: dict[str, str] = {}
    for offset in range(0, len(infos), 40):
        tab.go(f"/ui/assets?offset={offset}")
        page.wait_for_load_state("networkidle")
        for row in page.locator("table.list tbody tr").all():
            name = row.locator('td a[href^="/ui/assets/"]').inner_text()
            image = row.locator("img")
            if image.count():
                shown[name] = str(image.get_attribute("src"))
                image.scroll_into_view_if_needed()  # the tiles load lazily
                width = image.evaluate(LOADED_WIDTH)
                assert 0 < width <= 256, f"{name}: the preview did not load ({width} px wide)"
            else:
                assert row.locator(".kind-icon").count() == 1, f"{name}: neither a preview nor a kind icon"
        if offset == 0:
            tab.shot("assets-previews")
    page.close()
    assert set(shown) == made
    for name in made:
        assert shown[name] == infos[name]["small_url"], name
        assert re.fullmatch(r"/v1/assets/[0-9a-f]{64}/preview\?size=small&v=[0-9a-f]{16}", shown[name])
    assert not tab.console_errors, tab.console_errors


def test_previews_survive_a_restart_and_are_not_made_again(
    library: tuple[Server, dict[str, dict[str, Any]]],
) -> None:
    server, infos = library
    pictures = server.call("GET", "/v1/assets?kind=image.thumbnail&limit=200")["total"]
    server.stop()
    again = Server.faceforge(server.home, port=server.port)
    try:
        for name, info in infos.items():
            after = again.call("GET", f"/v1/assets/{info['asset_id']}/preview/info")
            assert after | {"asset_id": info["asset_id"]} == info, name  # updated_at too: not made again
        assert again.call("GET", "/v1/assets?kind=image.thumbnail&limit=200")["total"] == pictures
    finally:
        again.stop()
