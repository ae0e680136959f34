"""FaceForge Desktop end to end: the built app on a virtual display, driven through WebDriver.

Runs under ``xvfb-run`` with ``tauri-driver`` (crates.io) in front of Debian's ``WebKitWebDriver``;
see ``just test-desktop``. Against an empty home it walks the first-run wizard, checks that Core is
healthy on the chosen port, opens the Core UI, stops and restarts, kills Core and watches the
launcher bring it back, closes the window (the launcher keeps running) and exits with "stop
services" (nothing is left behind). Screenshots land in ``desktop/target/e2e-screenshots``.

The WebDriver protocol is a handful of JSON requests, spoken here with urllib to need no client.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

DESKTOP = Path(__file__).resolve().parents[1]
APP = DESKTOP / "target" / "debug" / "faceforge-desktop"
TAURI_DRIVER = DESKTOP / "target" / "tools" / "bin" / "tauri-driver"
SHOTS = DESKTOP / "target" / "e2e-screenshots"


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
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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


def launcher_pids() -> list[int]:
    """The running launcher processes started from this build."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "exe")) == APP:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Driver:
    """Just enough of W3C WebDriver for these steps."""

    def __init__(self, base: str, capabilities: dict[str, Any]) -> None:
        self.base = base
        created = http_json("POST", f"{base}/session", {"capabilities": capabilities}, timeout=120)
        self.session = f"{base}/session/{created['value']['sessionId']}"

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        return http_json(method, self.session + path, body)["value"]

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
        return bool(self.run("const e = document.querySelector(arguments[0]); return !!e && !e.closest('[hidden]');", css))

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        return path


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, Path]:
    return {
        "config": tmp_path / "config",
        "data": tmp_path / "data",
        "home": tmp_path / "Libraries" / "FaceForge Home",
    }


@pytest.fixture
def launched(sandbox: dict[str, Path]) -> Iterator[tuple[Driver, subprocess.Popen[bytes]]]:
    if not (APP.is_file() and TAURI_DRIVER.is_file()):
        pytest.fail(f"build first: {APP} and {TAURI_DRIVER} (just test-desktop does)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env |= {
        "FACEFORGE_DESKTOP_CONFIG_DIR": str(sandbox["config"]),
        "XDG_DATA_HOME": str(sandbox["data"]),
        "WEBKIT_DISABLE_COMPOSITING_MODE": "1",
    }
    port, native = free_port(), free_port()
    log = (SHOTS.parent / "tauri-driver.log").open("wb")
    driver_proc = subprocess.Popen(
        [str(TAURI_DRIVER), "--port", str(port), "--native-port", str(native)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until("tauri-driver", lambda: http_json("GET", f"{base}/status", timeout=2), timeout=20)
    capabilities = {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": str(APP)}}}
    # tauri-driver answers /status before its native driver is ready: retry the session.
    driver = wait_until("a WebDriver session", lambda: Driver(base, capabilities), timeout=30, every=1)
    try:
        yield driver, driver_proc
    finally:
        leftovers = processes_with_home(sandbox["home"])
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        driver_proc.terminate()
        driver_proc.wait(timeout=10)
        log.close()


def core_card(driver: Driver) -> dict[str, str]:
    """The Core card's fields, read in one go (the card changes under our feet)."""
    script = """
      const card = document.querySelector('.service[data-name="core"]');
      if (!card) return {};
      const out = {};
      for (const f of ['badge', 'pid', 'port', 'restarts', 'last-error']) out[f] = card.querySelector('.' + f).textContent;
      return out;"""
    return dict(driver.run(script))


def core_running(driver: Driver, other_than: int | None = None) -> int | None:
    """Core's pid once the card shows it running (with a pid other than ``other_than``)."""
    card = core_card(driver)
    if card.get("badge") != "running" or not card.get("pid", "").isdigit():
        return None
    pid = int(card["pid"])
    return pid if pid != other_than else None


def test_wizard_to_running_core_and_back_out(
    launched: tuple[Driver, subprocess.Popen[bytes]], sandbox: dict[str, Path]
) -> None:
    driver, _ = launched
    home = sandbox["home"]
    core_port = free_port()

    # First run: the wizard, with the OS default home proposed.
    wait_until("the wizard", lambda: driver.visible("#wizard"))
    default = sandbox["data"] / "faceforge"
    wait_until("the default home", lambda: driver.run("return document.getElementById('home').value") == str(default))
    driver.type("#home", str(home))
    driver.click("#core-auto")  # choose the port by hand
    driver.type("#core-port", str(core_port))
    wait_until("the home check", lambda: "will be created" in driver.text("#home-note"))
    wait_until("the port check", lambda: driver.text("#core-port-note") == f"Port {core_port} is free.")
    driver.screenshot("wizard")
    driver.click("#finish")

    # Core comes up healthy on the chosen port; the launcher wrote the home's config.
    wait_until("the status view", lambda: driver.visible("#status"))
    pid = wait_until("Core running", lambda: core_running(driver), timeout=90)
    assert healthz(core_port)["ok"] is True  # type: ignore[index]
    assert core_card(driver)["port"] == str(core_port)
    assert json.loads((home / "config" / "ports.json").read_text())["core"] == core_port
    core_json = json.loads((home / "config" / "core.json").read_text())
    assert core_json["network"]["core_port"] == core_port
    assert core_json["auth"]["install_token"], "Core added its token beside the launcher's keys"
    settings = json.loads((sandbox["config"] / "desktop.json").read_text())
    assert settings["home"] == str(home)
    assert json.loads((home / "run" / "core.pid").read_text())["pid"] == pid
    assert driver.visible("#no-tray"), "no tray host on a bare X server: the window says so"
    driver.screenshot("status")

    # Open UI shows the Core UI in its own window.
    main_window = driver.call("GET", "/window")
    driver.click("#open-ui")
    handles = wait_until("the UI window", lambda: [h for h in driver.call("GET", "/window/handles") if h != main_window])
    driver.call("POST", "/window", {"handle": handles[0]})
    # The launcher answers Core's sign-in form itself: the window lands inside the UI, signed in.
    ui_home = f"http://127.0.0.1:{core_port}/ui/entities"
    wait_until("the signed-in Core UI", lambda: driver.call("GET", "/url") == ui_home)
    driver.call("POST", "/window", {"handle": main_window})

    # Stop, then Restart.
    driver.click("#stop-all")
    wait_until("Core stopped", lambda: core_card(driver)["badge"] == "stopped", timeout=30)
    assert healthz(core_port) is None
    assert not alive(pid)
    driver.click("#restart-all")
    pid = wait_until("Core running again", lambda: core_running(driver), timeout=90)

    # Killing Core makes the launcher start it again.
    os.kill(pid, signal.SIGKILL)
    pid = wait_until("Core restarted after a kill", lambda: core_running(driver, other_than=pid), timeout=90)
    card = core_card(driver)
    assert card["restarts"] == "1"
    assert "killed by signal 9" in card["last-error"]
    assert healthz(core_port)["ok"] is True  # type: ignore[index]

    # Closing the window (as its close button does) does not quit: the launcher and Core keep running.
    (launcher,) = launcher_pids()
    driver.run("window.__TAURI__.window.getCurrentWindow().close()")
    time.sleep(1.5)
    assert alive(launcher) and alive(pid) and healthz(core_port) is not None
    assert driver.visible("#status"), "the page is still there: the window was minimised, not closed"

    # Exit, stopping the services: nothing is left behind.
    driver.click("#exit")
    wait_until("the exit question", lambda: driver.run("return document.getElementById('exit-dialog').open"))
    driver.screenshot("exit")
    driver.click("#exit-remember")
    driver.click("#exit-stop")
    wait_until("Core gone", lambda: not alive(pid), timeout=30)
    wait_until("no process of this home", lambda: processes_with_home(home) == [], timeout=30)
    wait_until("the launcher gone", lambda: not alive(launcher), timeout=30)
    assert healthz(core_port) is None
    assert not (home / "run" / "core.pid").exists()
    assert json.loads((sandbox["config"] / "desktop.json").read_text())["exit_action"] == "stop"
    log = (home / "logs" / "desktop.log").read_text()
    assert "wizard finished: new home" in log and "exit: stopping services" in log
