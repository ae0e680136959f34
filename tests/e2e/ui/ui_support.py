"""The browser-tab helper the UI tests share (not in conftest: that bare name is ambiguous)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from servers import Server

# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "exiftool-samples"
DOC_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


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

    def shot(self, name: str, *, for_docs: bool = False) -> None:
        """A screenshot; one ``for_docs`` is also copied to ``docs/images/ui-<name>.png`` when
        ``FACEFORGE_UPDATE_DOCS_SCREENSHOTS=1`` (as the install pictures are)."""
        self.shots.mkdir(parents=True, exist_ok=True)
        taken = self.shots / f"{name}.png"
        self.page.screenshot(path=str(taken), full_page=True)
        if for_docs and os.environ.get("FACEFORGE_UPDATE_DOCS_SCREENSHOTS") == "1":
            shutil.copyfile(taken, DOC_IMAGES / f"ui-{name}.png")


DROP = """([files]) => {
  const transfer = new DataTransfer();
  for (const [name, type, data] of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  const target = document.querySelector("main");
  for (const kind of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }
}"""


def drop(ui: UI, *paths: Path) -> None:
    """Drop files on the page as a drag from the desktop would (files only: a synthetic drop cannot carry
    folder entries)."""
    files = [[p.name, "image/jpeg", base64.b64encode(p.read_bytes()).decode()] for p in paths]
    ui.page.evaluate(DROP, [files])


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


def upload(ui: UI, name: str) -> str:
    """Store a shared sample file through the API (as a script would); returns its asset id."""
    return store(ui.server, name)


def store(server: Server, name: str, data: bytes | None = None) -> str:
    """``upload`` for a fixture that has the server but no browser tab yet; ``data`` instead of the
    shared sample of that name."""
    request = urllib.request.Request(  # noqa: S310  (the loopback test server)
        f"{server.base}/v1/assets/upload?filename={name}",
        data=(SAMPLES / name).read_bytes() if data is None else data,
        method="PUT",
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return str(json.load(response)["data"]["asset_id"])


def settled_preview(server: Server, asset_id: str, limit_s: float = 60) -> dict[str, Any]:
    """The file's preview info once the server made (or gave up on) its previews."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        info: dict[str, Any] = server.call("GET", f"/v1/assets/{asset_id}/preview/info")
        if info["status"] != "pending":
            return info
        time.sleep(0.1)
    raise TimeoutError(f"no preview for {asset_id} after {limit_s} s")
