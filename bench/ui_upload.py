"""Uploading a big file from the web UI: resumable (tus slices) against one request, in a real browser.

Starts ``faceforge serve`` on a fresh home and Debian's Chromium (Playwright), picks a fresh file in an
entity's Attachments tab once per mode and round, and times from choosing the file to the line saying
*Done*. Prints MB/s for the resumable upload beside the references measured in the same run: the same
page sending the file in one multipart request, and ``cp`` of the file on the same disk.

    python bench/ui_upload.py [--mib 256] [--chunk-mib 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from servers import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MIB = 1024 * 1024
ENDED = "() => document.querySelector('.uploads li.ok, .uploads li.failed') !== null"


def sign_in(page: Page, server: Server) -> str:
    """Signs in and creates the entity the files are attached to; returns its Attachments address."""
    page.goto(server.base + "/ui/login")
    page.get_by_label("Access token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ui/entities")
    entity = server.call("POST", "/v1/entities", {"display_name": "Upload bench"})
    return f"{server.base}/ui/entities/{entity['entity_id']}?tab=attachments"


def upload_seconds(page: Page, address: str, path: Path, resumable: bool) -> float:
    """One upload through the file chooser; the other mode is forced by moving the page's threshold."""
    page.goto(address)
    chooser = page.get_by_label("Choose one or more files to upload")
    if not resumable:
        chooser.evaluate(
            "(input, size) => { input.dataset.resumableFrom = String(size + 1); }", path.stat().st_size
        )
    with page.expect_navigation(timeout=600_000):  # the page reloads itself 0.6 s after the upload
        started = time.perf_counter()
        chooser.set_input_files(path)
        page.wait_for_function(ENDED, polling=50, timeout=600_000)  # polled: the line lives until then
        elapsed = time.perf_counter() - started
        if page.locator(".uploads li.failed").count():
            raise SystemExit(f"the upload failed: {page.locator('.uploads .upload-state').text_content()}")
    return elapsed


def copy_seconds(path: Path) -> float:
    target = path.with_suffix(".copy")
    started = time.perf_counter()
    shutil.copyfile(path, target)
    with target.open("rb") as copied:
        os.fsync(copied.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def random_file(path: Path, mib: int) -> Path:
    """Fresh bytes for every upload, so none is answered by deduplication."""
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(MIB))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--chunk-mib", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mib * MIB
    with tempfile.TemporaryDirectory(prefix="ff-ui-upload-") as folder:
        root = Path(folder)
        settings = {"FACEFORGE_UPLOADS__UI_CHUNK_BYTES": str(args.chunk_mib * MIB)}
        server = Server.faceforge(root / "home", settings=settings)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page()
                address = sign_in(page, server)
                modes: dict[str, Callable[[Path], float]] = {
                    f"resumable (tus, {args.chunk_mib} MiB slices)": lambda p: upload_seconds(
                        page, address, p, True
                    ),
                    "reference: one multipart request": lambda p: upload_seconds(page, address, p, False),
                    "reference: cp on the same disk": copy_seconds,
                }
                times: dict[str, list[float]] = {name: [] for name in modes}
                for round_number in range(args.rounds):
                    for number, (name, run) in enumerate(modes.items()):
                        path = random_file(root / f"round-{round_number}-{number}.bin", args.mib)
                        times[name].append(run(path))
                        path.unlink()
                browser.close()
        finally:
            server.stop()
    print(f"{args.mib} MiB from Chromium to a local Core, {args.rounds} rounds (median MB/s):")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"  {name:<40} {size / median / 1e6:8.1f} MB/s  ({median:.2f} s)")


if __name__ == "__main__":
    main()
