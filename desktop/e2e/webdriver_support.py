"""WebDriver helpers for driving the desktop launcher: shared by its end-to-end test and the package tests.

The session is opened on WebKitWebDriver directly with the capabilities tauri-driver would send on
Linux (``webkitgtk:browserOptions``): tauri-driver only relays them, and its pooled connection to
WebKitWebDriver drops sessions at random. The protocol is a handful of JSON requests, spoken with
urllib to need no client library.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

WEBKIT_DRIVER = Path(shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float = 30.0, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # noqa: BLE001  (keep polling; report the last problem)
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def http_json(method: str, url: str, body: object | None = None, timeout: float = 60) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310  (loopback http only)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raise AssertionError(f"{method} {url}: {err.code} {err.read()[:500]!r}") from err


def healthz(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except OSError:
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def processes_with_home(home: Path) -> list[int]:
    """Every process whose environment names this FACEFORGE_HOME (Core, weed, helpers)."""
    needle = f"FACEFORGE_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def pids_running(exe: Path) -> list[int]:
    """The running processes whose program is ``exe``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "exe")) == exe:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class DriverLost(Exception):
    """WebKitWebDriver dropped the connection: a fault of the test harness, not of the app."""


class Driver:
    """Just enough of W3C WebDriver for these steps."""

    def __init__(self, base: str, capabilities: dict[str, Any], shots: Path) -> None:
        self.base = base
        self.shots = shots
        created = http_json("POST", f"{base}/session", {"capabilities": capabilities}, timeout=30)
        self.session = f"{base}/session/{created['value']['sessionId']}"

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        try:
            return http_json(method, self.session + path, body)["value"]
        except (ConnectionError, urllib.error.URLError) as err:
            raise DriverLost(f"{method} {path}: {err}") from err

    def find(self, css: str) -> str:
        value = self.call("POST", "/element", {"using": "css selector", "value": css})
        return str(next(iter(value.values())))

    def click(self, css: str) -> None:
        self.call("POST", f"/element/{self.find(css)}/click", {})

    def text(self, css: str) -> str:
        return str(self.call("GET", f"/element/{self.find(css)}/text"))

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self.call("POST", f"/element/{element}/clear", {})
        self.call("POST", f"/element/{element}/value", {"text": text})

    def run(self, script: str, *args: object) -> Any:
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def visible(self, css: str) -> bool:
        return bool(
            self.run(
                "const e = document.querySelector(arguments[0]); return !!e && !e.closest('[hidden]');", css
            )
        )

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        return path


@contextlib.contextmanager
def launch(binary: Path, env: dict[str, str], shots: Path) -> Iterator[Driver]:
    """Start ``binary`` (the app, or a script that starts it) under WebKitWebDriver and hand over the
    WebDriver session; the driver's log lands beside ``shots``."""
    port = free_port()
    shots.mkdir(parents=True, exist_ok=True)
    with (shots.parent / "webdriver.log").open("ab") as log:
        native = subprocess.Popen(
            [str(WEBKIT_DRIVER), f"--port={port}", "--host=127.0.0.1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            # What tauri-driver sends on Linux for {"tauri:options": {"application": ...}}.
            capabilities = {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": str(binary), "args": []}}}
            yield wait_until(
                "a WebDriver session", lambda: Driver(base, capabilities, shots), timeout=60, every=0.5
            )
        finally:
            native.terminate()
            native.wait(timeout=10)


def core_card(driver: Driver) -> dict[str, str]:
    """The Core card's fields, read in one go (the card changes under our feet)."""
    script = """
      const card = document.querySelector('.service[data-name="core"]');
      if (!card) return {};
      const out = {};
      for (const f of ['badge', 'pid', 'port', 'restarts', 'last-error'])
        out[f] = card.querySelector('.' + f).textContent;
      return out;"""
    return dict(driver.run(script))


def core_running(driver: Driver, other_than: int | None = None) -> int | None:
    """Core's pid once the card shows it running (with a pid other than ``other_than``)."""
    card = core_card(driver)
    pid_text = card.get("pid", "").split(" ")[0]
    if card.get("badge") != "running" or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    return pid if pid != other_than else None


# What Core's access log shows once the launcher's UI window has signed in with the install token.
UI_SIGN_IN = ("GET /ui/login 200", "POST /ui/login 303", "GET /ui/entities 200")


def open_ui_signed_in(driver: Driver, home: Path) -> None:
    """Press Open UI and wait until the window it opens is signed in to Core's UI. Switching the WebDriver
    session to a window that is still loading upsets WebKitWebDriver, so Core's access log is read."""
    main_window = driver.call("GET", "/window")
    driver.click("#open-ui")
    wait_until(
        "the UI window", lambda: [h for h in driver.call("GET", "/window/handles") if h != main_window]
    )
    console = home / "logs" / "core.console.log"
    wait_until("the signed-in Core UI", lambda: all(line in console.read_text() for line in UI_SIGN_IN))
