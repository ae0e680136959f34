"""Signing in without a terminal, as a user does it: ``faceforge serve`` (or ``faceforge open``) prints a
link, the browser opens it, the UI is signed in and the address bar no longer holds the code."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from servers import FACEFORGE, Server, clean_env

LINK = re.compile(r"Sign in: (http://\S+/ui/login\?code=\S+)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    started = Server.faceforge(tmp_path / "ffhome")
    yield started
    started.stop()


def printed_link(server: Server) -> str:
    output = (server.home.parent / f"server-{server.port}.log").read_text()
    found = LINK.search(output)
    assert found, output
    return found.group(1)


@contextmanager
def opened(link: str) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """``link`` opened the way a browser does (following redirects, keeping cookies)."""
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        yield browser, browser.get(link)


def test_the_link_serve_prints_signs_in_once_and_leaves_no_code_in_the_address(server: Server) -> None:
    link = printed_link(server)
    assert link.startswith(f"{server.base}/ui/login?code=")
    assert server.token not in link
    with opened(link) as (_, page):
        assert page.status_code == 200
        assert str(page.url) == f"{server.base}/ui/entities"
        assert "Sign out" in page.text
    with opened(link) as (second, refused):
        assert refused.status_code == 401
        assert "already been used" in refused.text
        assert "ff_session" not in second.cookies


def test_token_link_prints_a_fresh_link_for_the_running_server(server: Server) -> None:
    done = subprocess.run(
        [str(FACEFORGE), "token", "link"],
        env=clean_env(server.home) | {"FACEFORGE_NETWORK__CORE_PORT": str(server.port)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = LINK.search(done.stdout)
    assert found, done.stdout + done.stderr
    assert found.group(1) != printed_link(server)
    with opened(found.group(1)) as (_, page):
        assert str(page.url) == f"{server.base}/ui/entities"


def test_open_starts_the_server_and_opens_the_link_in_the_browser(tmp_path: Path) -> None:
    link_file = tmp_path / "opened.txt"
    browser_script = tmp_path / "browser"
    record_url = f'import sys\nopen({str(link_file)!r}, "w").write(sys.argv[1])\n'
    browser_script.write_text(f"#!{sys.executable}\n{record_url}")
    browser_script.chmod(0o755)
    server = Server(
        tmp_path / "ffhome",
        [str(FACEFORGE), "open", "--port", "{port}"],
        env={"BROWSER": f"{browser_script} %s"},
    )
    try:
        deadline = time.monotonic() + 30
        while not link_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link_file.read_text() == printed_link(server)
        with opened(link_file.read_text()) as (_, page):
            assert str(page.url) == f"{server.base}/ui/entities"
    finally:
        server.stop()
