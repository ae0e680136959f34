"""FaceForge Desktop end to end: the built app on a virtual display, driven through WebDriver.

Runs under ``dbus-run-session`` and ``xvfb-run`` with Debian's ``WebKitWebDriver`` (see ``just
test-desktop``). Against an empty home it walks the first-run wizard, checks that Core is healthy on
the chosen port, opens the Core UI signed in, stops and restarts, kills Core and watches the launcher
bring it back, closes the window (the launcher keeps running) and exits with "stop services"
(nothing is left behind). A second scenario exits leaving Core running, checks that a second
launch hands over to the first, and that the next launch adopts the running Core. Screenshots land
in ``desktop/target/e2e-screenshots``.

The WebDriver helpers live in ``webdriver_support`` (the package tests drive the installed launcher
with them too).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import webdriver_support
from webdriver_support import (
    WEBKIT_DRIVER,
    Driver,
    DriverLost,
    alive,
    comm,
    core_card,
    core_running,
    free_port,
    healthz,
    open_ui_signed_in,
    pids_running,
    processes_with_home,
    wait_until,
)

pytestmark = pytest.mark.slow

DESKTOP = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or DESKTOP / "target")
APP = TARGET / "debug" / "faceforge-desktop"
SHOTS = DESKTOP / "target" / "e2e-screenshots"
LAUNCHER_VERSION = tomllib.loads((DESKTOP / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def launcher_pids() -> list[int]:
    """The running launcher processes started from this build."""
    return pids_running(APP)


@contextlib.contextmanager
def launch(env: dict[str, str]) -> Iterator[Driver]:
    with webdriver_support.launch(APP, env, SHOTS) as driver:
        yield driver


Scenario = Callable[[dict[str, Path], dict[str, str]], None]


def make_sandbox(root: Path) -> dict[str, Path]:
    return {"config": root / "config", "data": root / "data", "home": root / "Libraries" / "FaceForge Home"}


def launcher_env(sandbox: dict[str, Path]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    return clean | {
        "FACEFORGE_DESKTOP_CONFIG_DIR": str(sandbox["config"]),
        "XDG_DATA_HOME": str(sandbox["data"]),
        "WEBKIT_DISABLE_COMPOSITING_MODE": "1",
        # Lets WebKitWebDriver drive the app's webview (what tauri-driver sets).
        "TAURI_WEBVIEW_AUTOMATION": "true",
        # No accessibility bus: under a bare dbus-run-session it only slows and upsets WebKit.
        "NO_AT_BRIDGE": "1",
        "GTK_A11Y": "none",
    }


@pytest.fixture
def run_scenario(tmp_path: Path) -> Callable[[Scenario], None]:
    """Run a scenario in a fresh sandbox; once more in a new one if WebKitWebDriver itself drops
    the session (it occasionally does under Xvfb). Anything left running is killed after each try."""
    if not APP.is_file():
        pytest.fail(f"build first: {APP} (just test-desktop does)")
    if not WEBKIT_DRIVER.is_file():
        pytest.fail("WebKitWebDriver is missing: install webkit2gtk-driver (scripts/install-system-deps.sh)")

    def run(scenario: Scenario) -> None:
        for attempt in (1, 2):
            sandbox = make_sandbox(tmp_path / f"try{attempt}")
            try:
                scenario(sandbox, launcher_env(sandbox))
                return
            except DriverLost as lost:
                if attempt == 2:
                    raise
                drivers = [
                    p.name
                    for p in Path("/proc").iterdir()
                    if p.name.isdigit() and comm(p) == "WebKitWebDriver"
                ]
                print(
                    f"WebDriver session lost ({lost}); launcher {launcher_pids()}, "
                    f"native driver {drivers}; trying once more"
                )
            finally:
                for pid in processes_with_home(sandbox["home"]) + launcher_pids():
                    os.kill(pid, signal.SIGKILL)

    return run


def test_wizard_to_running_core_and_back_out(run_scenario: Callable[[Scenario], None]) -> None:
    def scenario(sandbox: dict[str, Path], env: dict[str, str]) -> None:
        with launch(env) as driver:
            walk_through(driver, sandbox)

    run_scenario(scenario)


def walk_through(driver: Driver, sandbox: dict[str, Path]) -> None:
    home = sandbox["home"]
    core_port = free_port()

    # First run: the wizard, with the OS default home proposed.
    wait_until("the wizard", lambda: driver.visible("#wizard"))
    default = sandbox["data"] / "faceforge"
    wait_until(
        "the default home", lambda: driver.run("return document.getElementById('home').value") == str(default)
    )
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
    assert json.loads((home / "run" / "desktop-core.pid").read_text())["pid"] == pid
    assert driver.visible("#no-tray"), "no tray host on a bare X server: the window says so"
    driver.screenshot("status")

    # Open UI shows the Core UI in its own window, signed in: the launcher answers Core's sign-in
    # form with the install token.
    open_ui_signed_in(driver, home)

    # Stop, then Restart.
    driver.click("#stop-all")
    wait_until("Core stopped", lambda: core_card(driver)["badge"] == "stopped", timeout=30)
    assert healthz(core_port) is None
    assert not alive(pid)
    driver.click("#restart-all")
    pid = wait_until("Core running again", lambda: core_running(driver), timeout=90)

    # Killing Core makes the launcher start it again; the crash report it left since it started is
    # offered in the window.
    crash_dir = home / "logs" / "crash"
    crash_dir.mkdir(parents=True, exist_ok=True)
    report = crash_dir / f"crash-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-core.txt"
    report.write_text("Traceback (most recent call last):\n  RuntimeError: simulated\n")
    os.kill(pid, signal.SIGKILL)
    pid = wait_until("Core restarted after a kill", lambda: core_running(driver, other_than=pid), timeout=90)
    card = core_card(driver)
    assert card["restarts"] == "1"
    assert "killed by signal 9" in card["last-error"]
    assert healthz(core_port)["ok"] is True  # type: ignore[index]
    wait_until("the crash notice", lambda: driver.visible("#crash"))
    assert "FaceForge stopped unexpectedly" in driver.text("#crash")
    assert driver.text("#crash-report") == str(report)
    driver.screenshot("crash")
    driver.click("#crash-dismiss")
    assert not driver.visible("#crash")

    # Logs shows the last lines of each log; back to Status.
    driver.click('.tab[data-view="logs"]')
    wait_until("Core's console log", lambda: "faceforge-desktop: starting" in driver.text("#log-lines"))
    driver.screenshot("logs")

    # Settings' About: the launcher's version beside the version Core reports on /healthz.
    driver.click('.tab[data-view="settings"]')
    core_version = healthz(core_port)["data"]["version"]  # type: ignore[index]
    wait_until("About names Core's version", lambda: driver.text("#about-core-version") == core_version)
    assert driver.text("#about-version") == LAUNCHER_VERSION
    driver.click('.tab[data-view="status"]')

    # Closing the window (as its close button does) does not quit: the launcher and Core keep running.
    (launcher,) = launcher_pids()
    driver.run("window.__TAURI__.window.getCurrentWindow().close()")
    time.sleep(1.5)
    assert alive(launcher)
    assert alive(pid)
    assert healthz(core_port) is not None
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
    assert not (home / "run" / "desktop-core.pid").exists()
    assert json.loads((sandbox["config"] / "desktop.json").read_text())["exit_action"] == "stop"
    log = (home / "logs" / "desktop.log").read_text()
    assert "wizard finished: new home" in log
    assert "exit: stopping services" in log


def test_leaving_core_running_then_adopting_it_and_a_second_launch(
    run_scenario: Callable[[Scenario], None],
) -> None:
    run_scenario(leave_then_adopt)


def leave_then_adopt(sandbox: dict[str, Path], env: dict[str, str]) -> None:
    home, core_port = sandbox["home"], free_port()
    (home / "config").mkdir(parents=True)
    (home / "config" / "ports.json").write_text(json.dumps({"core": core_port, "seaweed_s3": free_port()}))
    sandbox["config"].mkdir(parents=True)
    (sandbox["config"] / "desktop.json").write_text(json.dumps({"home": str(home)}))

    with launch(env) as driver:
        # Set up already: straight to the status, Core started on the home's port.
        pid = wait_until("Core running", lambda: core_running(driver), timeout=90)
        assert not driver.visible("#wizard")
        assert healthz(core_port) is not None
        (launcher,) = launcher_pids()
        # A second launch hands over to this one and ends.
        second = subprocess.run([str(APP)], env=env, timeout=60, capture_output=True)
        assert second.returncode == 0
        assert launcher_pids() == [launcher]
        # Exit, leaving Core running.
        driver.click("#exit")
        wait_until(
            "the exit question", lambda: driver.run("return document.getElementById('exit-dialog').open")
        )
        driver.click("#exit-leave")
        wait_until("the launcher gone", lambda: not launcher_pids(), timeout=30)
    assert alive(pid), "Core kept running"
    assert healthz(core_port) is not None
    assert json.loads((home / "run" / "desktop-core.pid").read_text())["pid"] == pid

    with launch(env) as driver:
        # The next launch adopts the running Core instead of starting another.
        assert wait_until("Core adopted", lambda: core_running(driver), timeout=60) == pid
        assert "(was already running)" in core_card(driver)["pid"]
        assert processes_with_home(home) == [pid] or pid in processes_with_home(home)
        driver.click("#exit")
        wait_until(
            "the exit question", lambda: driver.run("return document.getElementById('exit-dialog').open")
        )
        driver.click("#exit-stop")
        wait_until("Core gone", lambda: not alive(pid), timeout=30)
        wait_until("the launcher gone", lambda: not launcher_pids(), timeout=30)
    assert processes_with_home(home) == []
    log = (home / "logs" / "desktop.log").read_text()
    assert f"(pid {pid}, port {core_port}, adopted)" in log
    assert "second launch: focusing this window" in log
