"""One real server and one real Chromium for the browser tests.

The server is started the way a user starts it (``faceforge serve`` with its own FACEFORGE_HOME, the
example plugin in its plugins folder); the browser is Debian's Chromium driven by Playwright, headless,
with a fresh profile. Screenshots of every page visited land in ``<pytest basetemp>/ui-screenshots``
(or the folder ``FACEFORGE_UI_SCREENSHOTS`` names).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import Server
from ui_support import UI

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HELLO_PLUGIN = Path(__file__).resolve().parents[3] / "examples" / "plugins" / "hello"


# Module scope: the server holds Core's ports (SeaweedFS too), which later test modules need free.
@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ui") / "home"
    shutil.copytree(HELLO_PLUGIN, home / "plugins" / "hello")
    server = Server.faceforge(home)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[playwright_sync.BrowserContext]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/install-system-deps.sh installs it)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_sync.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1280, "height": 860},
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``FACEFORGE_UI_SCREENSHOTS`` keeps them somewhere stable (pytest prunes old base folders)."""
    chosen = os.environ.get("FACEFORGE_UI_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "ui-screenshots"


@pytest.fixture
def ui(browser_context: playwright_sync.BrowserContext, ui_server: Server, screenshots: Path) -> Iterator[UI]:
    page = browser_context.new_page()
    tab = UI(page, ui_server, screenshots)
    try:
        yield tab
    finally:
        page.close()
    assert not tab.console_errors, tab.console_errors
