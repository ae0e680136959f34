"""A stored file that is a web page never acts as the signed-in user, in a real Chromium.

The payload does what an attack run did: it reads the CSRF value and creates an entity through the API
with the user's session. A control serves the same bytes on FaceForge's origin without the download
defences and watches it succeed, so the test proves the payload works before it proves it is stopped.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Error, Route
from servers import Server
from ui_support import UI

PLANTED = "Planted by a stored file"
PAYLOAD = f"""<!doctype html><html><head><title>hostile</title></head><body><script>
const csrf = decodeURIComponent((document.cookie.split("; ").find((c) => c.startsWith("ff_csrf=")) || "=")
  .split("=")[1]);
fetch("/v1/entities", {{method: "POST", headers: {{"Content-Type": "application/json",
  "X-FaceForge-CSRF": csrf}}, body: JSON.stringify({{display_name: "{PLANTED}"}})}})
  .then((r) => {{ document.title = "ran " + r.status; }});
</script></body></html>""".encode()
SVG_PAYLOAD = PAYLOAD.replace(b"<!doctype html><html>", b'<svg xmlns="http://www.w3.org/2000/svg"><html>')


def api(server: Server, method: str, path: str, body: bytes | None = None) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310  (the test server on loopback)
        server.base + path, data=body, method=method, headers={"Authorization": f"Bearer {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
    answer: dict[str, object] = json.loads(body) if body else {}
    return answer


def planted(server: Server) -> int:
    found = api(server, "GET", "/v1/entities?q=" + urllib.request.quote(PLANTED))
    return int(found["data"]["total"])  # type: ignore[index]


def store(server: Server, filename: str, content: bytes) -> str:
    answer = api(server, "PUT", f"/v1/assets/upload?filename={filename}", content)
    return str(answer["data"]["asset_id"])  # type: ignore[index]


@pytest.fixture
def signed_in(browser_context: BrowserContext, ui_server: Server, screenshots: Path) -> Iterator[UI]:
    """A signed-in tab of its own: the payload's refused scripts are expected here, not errors."""
    page = browser_context.new_page()
    tab = UI(page, ui_server, screenshots)
    tab.sign_in()
    try:
        yield tab
    finally:
        page.close()


def open_in_tab(tab: UI, path: str) -> None:
    """Open ``path`` as a user clicking a link would; a download ends the navigation early."""
    try:
        tab.go(path)
    except Error as exc:
        if "Download is starting" not in str(exc):
            raise
    tab.page.wait_for_timeout(1500)  # time for a payload to run, had it been allowed to


def test_the_payload_works_when_served_without_the_download_defences(signed_in: UI) -> None:
    before = planted(signed_in.server)

    def unprotected(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=PAYLOAD)

    signed_in.page.route("**/control-page", unprotected)
    open_in_tab(signed_in, "/control-page")
    assert signed_in.page.title() == "ran 201"
    assert planted(signed_in.server) == before + 1
    found = api(signed_in.server, "GET", "/v1/entities?q=" + urllib.request.quote(PLANTED))
    for entity in found["data"]["items"]:  # type: ignore[index]
        api(signed_in.server, "DELETE", f"/v1/entities/{entity['entity_id']}")


@pytest.mark.parametrize(
    ("filename", "content"),
    [("page.html", PAYLOAD), ("page.xhtml", PAYLOAD), ("drawing.svg", SVG_PAYLOAD), ("notes.txt", PAYLOAD)],
)
def test_a_stored_page_opened_inline_never_runs_as_the_user(
    signed_in: UI, filename: str, content: bytes
) -> None:
    before = planted(signed_in.server)
    asset_id = store(signed_in.server, filename, content)
    for query in ("?inline=1", ""):
        open_in_tab(signed_in, f"/v1/assets/{asset_id}/download{query}")
        assert not signed_in.page.title().startswith("ran")
    assert planted(signed_in.server) == before
