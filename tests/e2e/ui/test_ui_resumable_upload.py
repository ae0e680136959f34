"""Big files from the web UI go up as resumable (tus) uploads: per-file progress, the right bytes on the
right entity, a dropped connection survived, a reload resumed from the server's offset, and Cancel.

The server here sends files from 512 KiB up as resumable uploads, in 256 KiB slices, so a 2 MiB file
takes eight PATCH requests.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request, Route, expect
from servers import Server
from ui_support import UI, create_entity

CHUNK = 256 * 1024
THRESHOLD = 512 * 1024
SETTINGS = {
    "FACEFORGE_UPLOADS__UI_RESUMABLE_THRESHOLD_BYTES": str(THRESHOLD),
    "FACEFORGE_UPLOADS__UI_CHUNK_BYTES": str(CHUNK),
}
STORE_PREFIX = "faceforge.upload:"
# Every text an upload's state line shows, in order (the page rewrites it faster than a test polls),
# kept in sessionStorage because the page reloads itself once all its uploads are done.
RECORD_STATES = """() => {
  sessionStorage.uploadStates = "[]";
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.uploadStates);
    for (const s of document.querySelectorAll('.upload-state')) seen.push(s.textContent);
    sessionStorage.uploadStates = JSON.stringify(seen);
  }).observe(document.querySelector('.uploads'), {subtree: true, childList: true, characterData: true});
}"""

# The page ending an upload itself, with its cookie and CSRF proof (as the Cancel button does).
END_UPLOAD = """async (url) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("ff_csrf=")).slice(8);
  const response = await fetch(url, {
    method: "DELETE", headers: {"Tus-Resumable": "1.0.0", "X-FaceForge-CSRF": decodeURIComponent(csrf)},
  });
  return response.status;
}"""


def tus_status(server: Server, method: str, url: str) -> int:
    """The status the server answers a tus request with, as another client would see it."""
    headers = {"Authorization": f"Bearer {server.token}", "Tus-Resumable": "1.0.0"}
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310  (the test server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own with a low resumable threshold and small slices."""
    server = Server.faceforge(tmp_path_factory.mktemp("ui-resumable") / "home", settings=SETTINGS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def no_remembered_uploads(ui: UI) -> None:
    """The browser profile is shared by the module: an upload an earlier test left must not show here."""
    ui.go("/ui/login")
    ui.page.evaluate(
        f"() => Object.keys(localStorage).filter(k => k.startsWith('{STORE_PREFIX}'))"
        ".forEach(k => localStorage.removeItem(k))"
    )


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan.bin"
    path.write_bytes(os.urandom(8 * CHUNK))
    return path


class Traffic:
    """The tus requests the page sends, as (method, url, headers), in order."""

    def __init__(self, ui: UI) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        ui.page.on("request", self.note)

    def note(self, request: Request) -> None:
        if "/v1/uploads" in request.url or "/v1/assets/upload" in request.url:
            self.seen.append((request.method, request.url, request.headers))

    def of(self, method: str) -> list[tuple[str, dict[str, str]]]:
        return [(url, headers) for m, url, headers in self.seen if m == method]


def patches_cut_after(allowed: int) -> Callable[[Route], None]:
    """A route handler letting the first ``allowed`` PATCH requests through and dropping the rest."""
    passed: list[str] = []

    def handle(route: Route) -> None:
        if route.request.method != "PATCH" or len(passed) < allowed:
            if route.request.method == "PATCH":
                passed.append(route.request.url)
            route.fallback()
        else:
            route.abort("connectionreset")

    return handle


def choose(ui: UI, path: Path) -> None:
    ui.page.evaluate(RECORD_STATES)
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(path)


def states(ui: UI) -> list[str]:
    found: list[str] = ui.page.evaluate("() => JSON.parse(sessionStorage.uploadStates)")
    return found


def stored_uploads(ui: UI) -> list[str]:
    keys: list[str] = ui.page.evaluate(
        f"() => Object.keys(localStorage).filter(k => k.startsWith('{STORE_PREFIX}'))"
    )
    return keys


def attached_asset(ui: UI, entity_id: str, filename: str) -> dict[str, Any]:
    """The entity's one attached file once the page has reloaded after the upload."""
    link = ui.page.locator(".attachment").get_by_role("link", name=filename, exact=True)
    expect(link).to_have_count(1, timeout=20_000)
    asset_id = (link.get_attribute("href") or "").rsplit("/", 1)[1]
    linked: list[dict[str, Any]] = ui.server.call("GET", f"/v1/entities/{entity_id}/assets")["items"]
    assert [a["asset_id"] for a in linked] == [asset_id]
    asset: dict[str, Any] = ui.server.call("GET", f"/v1/assets/{asset_id}")
    return asset


def test_a_big_file_goes_up_in_slices_with_progress_and_lands_on_the_entity(ui: UI, big_file: Path) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Tess Resumable")
    traffic = Traffic(ui)
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    choose(ui, big_file)
    row = ui.page.locator(".uploads li")
    expect(row.locator(".upload-state")).to_have_text("Done", timeout=30_000)
    expect(row.locator("progress")).to_have_attribute("value", "100")
    ui.shot("entity-resumable-upload")
    asset = attached_asset(ui, entity_id, big_file.name)

    assert [url.split("/v1/", 1)[1] for url, _ in traffic.of("POST")] == ["uploads/"]
    offsets = [int(headers["upload-offset"]) for _, headers in traffic.of("PATCH")]
    assert offsets == [n * CHUNK for n in range(8)]
    shown = [int(s.rstrip("%")) for s in states(ui) if s.endswith("%")]
    assert shown == sorted(shown)
    assert {12, 25, 37, 50, 62, 75, 87} <= set(shown), shown
    assert stored_uploads(ui) == []
    assert asset["content_hash"] == hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert asset["size_bytes"] == big_file.stat().st_size


def test_a_small_file_still_goes_up_in_one_request(ui: UI, tmp_path: Path) -> None:
    small = tmp_path / "note.txt"
    small.write_bytes(b"x" * (THRESHOLD - 1))
    ui.sign_in()
    entity_id = create_entity(ui, "Sam Small")
    traffic = Traffic(ui)
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    choose(ui, small)
    expect(ui.page.locator(".uploads .upload-state")).to_have_text("Done")
    assert attached_asset(ui, entity_id, small.name)["size_bytes"] == THRESHOLD - 1
    assert [url.split("/v1/", 1)[1] for url, _ in traffic.of("POST")] == ["assets/upload"]
    assert traffic.of("PATCH") == []


def test_a_small_file_can_be_canceled_too_and_nothing_is_kept(ui: UI, tmp_path: Path) -> None:
    small = tmp_path / "draft.bin"
    small.write_bytes(os.urandom(THRESHOLD - 1))
    ui.sign_in()
    entity_id = create_entity(ui, "Cal Small")
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    assets_before = ui.server.call("GET", "/v1/assets?limit=1")["total"]
    slow_link(ui)
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(small)
    expect(ui.page.locator(".uploads .upload-state")).to_have_text(re.compile(r"^([1-9]|[1-4][0-9])%$"))
    ui.page.get_by_role("button", name=f"Cancel the upload of {small.name}").click()
    expect(ui.page.locator(".uploads .upload-state")).to_have_text("Canceled")

    deadline = time.monotonic() + 10  # the server notices the cut connection and drops its half file
    while list((ui.server.home / "tmp").glob("upload-*.part")) and time.monotonic() < deadline:
        ui.page.wait_for_timeout(100)
    assert list((ui.server.home / "tmp").glob("upload-*.part")) == []
    assert ui.server.call("GET", "/v1/assets?limit=1")["total"] == assets_before
    assert ui.server.call("GET", f"/v1/entities/{entity_id}/assets")["items"] == []


def test_a_dropped_connection_is_retried_from_the_servers_offset(ui: UI, big_file: Path) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Rita Retry")
    traffic = Traffic(ui)
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    dropped: list[str] = []

    def drop_the_third_slice_once(route: Route) -> None:
        if (
            route.request.method == "PATCH"
            and route.request.headers["upload-offset"] == str(2 * CHUNK)
            and not dropped
        ):
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.fallback()

    ui.page.route("**/v1/uploads/**", drop_the_third_slice_once)
    choose(ui, big_file)
    expect(ui.page.locator(".uploads .upload-state")).to_have_text("Done", timeout=30_000)
    asset = attached_asset(ui, entity_id, big_file.name)
    assert any(s.startswith("Connection lost, trying again") for s in states(ui))
    methods = [method for method, _, _ in traffic.seen]
    assert methods == ["POST", "PATCH", "PATCH", "PATCH", "HEAD", *["PATCH"] * 6]
    assert [int(h["upload-offset"]) for _, h in traffic.of("PATCH")].count(2 * CHUNK) == 2
    assert asset["content_hash"] == hashlib.sha256(big_file.read_bytes()).hexdigest()


def test_choosing_the_same_file_after_a_reload_resumes_where_the_server_stopped(
    ui: UI, big_file: Path
) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Ray Reload")
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    ui.page.route("**/v1/uploads/**", patches_cut_after(1))
    choose(ui, big_file)
    state = ui.page.locator(".uploads .upload-state")
    expect(state).to_contain_text("Connection lost")
    ui.shot("entity-upload-connection-lost")
    assert len(stored_uploads(ui)) == 1

    ui.page.reload()  # the page forgets everything but what it kept in localStorage
    ui.page.unroute("**/v1/uploads/**")  # only now: a retry before the reload must not get through
    traffic = Traffic(ui)
    choose(ui, big_file)
    expect(state).to_have_text("Done", timeout=30_000)
    asset = attached_asset(ui, entity_id, big_file.name)
    assert "Resuming at 12%" in states(ui)
    assert traffic.of("POST") == []
    resumed = [int(headers["upload-offset"]) for _, headers in traffic.of("PATCH")]
    assert resumed[0] == CHUNK
    assert resumed == [n * CHUNK for n in range(1, 8)]
    assert stored_uploads(ui) == []
    assert asset["content_hash"] == hashlib.sha256(big_file.read_bytes()).hexdigest()


def while_a_retry_waits(ui: UI) -> None:
    ui.page.route("**/v1/uploads/**", patches_cut_after(1))
    expect(ui.page.locator(".uploads .upload-state")).to_contain_text("Connection lost")


def slow_link(ui: UI) -> None:
    """Chromium's own throttling: 64 KiB/s up, so a 256 KiB request takes four seconds."""
    ui.page.context.new_cdp_session(ui.page).send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": CHUNK // 4},
    )


def in_the_middle_of_a_slice(ui: UI) -> None:
    """The slow link (set before the file was chosen) keeps a slice on its way while Cancel is pressed."""
    expect(ui.page.locator(".uploads .upload-state")).to_have_text(re.compile(r"^([1-9]|[1-9][0-9])%$"))


def ended_on_the_server(ui: UI, url: str) -> bool:
    """Whether the upload at ``url`` is gone, waiting a little for Cancel's DELETE to land."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if tus_status(ui.server, "HEAD", url) in (404, 410):
            return True
        ui.page.wait_for_timeout(100)  # also lets the page's request events reach the test
    return False


@pytest.mark.parametrize(
    ("link", "moment"), [(None, while_a_retry_waits), (slow_link, in_the_middle_of_a_slice)]
)
def test_cancel_ends_the_upload_on_the_server_and_attaches_nothing(
    ui: UI, big_file: Path, link: Callable[[UI], None] | None, moment: Callable[[UI], None]
) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Cleo Cancel")
    traffic = Traffic(ui)
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    if link is not None:  # before the file is chosen: on a loaded machine a first slice is quick
        link(ui)
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(big_file)
    moment(ui)
    ui.page.get_by_role("button", name=f"Cancel the upload of {big_file.name}").click()
    expect(ui.page.locator(".uploads .upload-state")).to_have_text("Canceled")

    upload_url = traffic.of("PATCH")[0][0]
    assert ended_on_the_server(ui, upload_url)
    ui.page.wait_for_timeout(100)
    deletes = traffic.of("DELETE")
    assert deletes
    assert {url for url, _ in deletes} == {upload_url}
    assert all(headers["tus-resumable"] == "1.0.0" for _, headers in deletes)
    assert not (ui.server.home / "tmp" / "uploads" / upload_url.rsplit("/", 1)[1]).exists()
    assert stored_uploads(ui) == []
    assert ui.server.call("GET", f"/v1/entities/{entity_id}/assets")["items"] == []
    ui.page.reload()
    expect(ui.page.locator(".attachment")).to_have_count(0)


def test_an_upload_the_server_no_longer_has_starts_over_from_the_beginning(ui: UI, big_file: Path) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Eve Expired")
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    ui.page.route("**/v1/uploads/**", patches_cut_after(1))
    choose(ui, big_file)
    expect(ui.page.locator(".uploads .upload-state")).to_contain_text("Connection lost")
    ui.page.reload()
    ui.page.unroute("**/v1/uploads/**")
    (key,) = stored_uploads(ui)
    gone_url: str = ui.page.evaluate("(key) => localStorage.getItem(key)", key)
    assert ui.page.evaluate(END_UPLOAD, gone_url) == 204  # as an expiry would

    traffic = Traffic(ui)
    choose(ui, big_file)
    expect(ui.page.locator(".uploads .upload-state")).to_have_text("Done", timeout=30_000)
    asset = attached_asset(ui, entity_id, big_file.name)
    assert [method for method, _, _ in traffic.seen][:3] == ["HEAD", "POST", "PATCH"]
    assert traffic.of("HEAD")[0][0] == gone_url
    assert [int(h["upload-offset"]) for _, h in traffic.of("PATCH")] == [n * CHUNK for n in range(8)]
    assert not any(s.startswith("Resuming") for s in states(ui))
    assert stored_uploads(ui) == []
    assert asset["content_hash"] == hashlib.sha256(big_file.read_bytes()).hexdigest()


def test_an_upload_for_an_entity_removed_meanwhile_is_refused_with_the_reason(ui: UI, tmp_path: Path) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Gus Gone")
    ui.go(f"/ui/entities/{entity_id}?tab=attachments")
    assert (
        tus_status(ui.server, "DELETE", f"{ui.server.base}/v1/entities/{entity_id}") == 204
    )  # another window
    partial = ui.server.home / "tmp" / "uploads"
    held_before = set(partial.glob("*"))
    assets_before = ui.server.call("GET", "/v1/assets?limit=1")["total"]
    traffic = Traffic(ui)
    gone = tmp_path / "for-gus.bin"
    gone.write_bytes(os.urandom(2 * CHUNK))
    choose(ui, gone)

    state = ui.page.locator(".uploads .upload-state")
    expect(state).to_have_text(f"Failed: Entity '{entity_id}' was not found.")
    ui.shot("entity-upload-refused")
    assert [method for method, _, _ in traffic.seen] == ["POST"]
    assert stored_uploads(ui) == []
    assert set(partial.glob("*")) == held_before
    assert ui.server.call("GET", "/v1/assets?limit=1")["total"] == assets_before
