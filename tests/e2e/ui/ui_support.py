"""The browser-tab helper the UI tests share (not in conftest: that bare name is ambiguous)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from servers import Server

# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "exiftool-samples"


class UI:
    """A browser tab on the test server, with the few moves every flow needs."""

    def __init__(self, page: Page, server: Server, shots: Path) -> None:
        self.page = page
        self.server = server
        self.shots = shots
        self.console_errors: list[str] = []
        # Script errors and Content-Security-Policy refusals; HTTP error statuses are checked by the tests.
        page.on("console", lambda m: self.console_errors.append(m.text) if "Refused" in m.text else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def go(self, path: str) -> None:
        self.page.goto(self.server.base + path)

    def sign_in(self) -> None:
        self.go("/ui/login")
        if "/ui/login" in self.page.url:
            self.page.get_by_label("Access token").fill(self.server.token)
            self.page.get_by_role("button", name="Sign in").click()
            self.page.wait_for_url("**/ui/entities")

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
