"""The .deb installed into a clean Debian root, started from its menu entry and used as a person would.

A pristine ``debootstrap --variant=minbase`` root (cached, see ``clean_root``) gets only the package
and what it declares (``apt-get install --no-install-recommends``). A normal user created there starts
the launcher with the desktop entry's ``Exec=`` line on a virtual display: WebKitWebDriver runs on
the host with a ``binary`` that is a small script doing ``chroot --userspec``; the driver reaches the
app's webview over a loopback TCP port, which crosses the chroot. The user walks the first-run wizard
(SeaweedFS on), Core is checked to be the bundled one, a JPEG is uploaded and its ExifTool metadata
read, the web UI opens signed in, and Exit stops everything. ``apt-get remove`` then takes the program
away and leaves the user's home alone. Nothing under ``/usr`` may change while the app runs.

Every step goes to ``build/clean-root-transcript.txt``; screenshots to ``build/clean-root-screenshots``.
With ``FACEFORGE_UPDATE_DOCS_SCREENSHOTS=1`` they are also copied to ``docs/images/install-*.png``
(the pictures in docs/install.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from clean_root import Chroot, ensure_tarball, mounts_under, processes_in, unpack_root
from webdriver_support import (
    UI_SIGN_IN,
    WEBKIT_DRIVER,
    Driver,
    core_card,
    core_running,
    healthz,
    launch,
    open_ui_signed_in,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: chroot, mount and apt-get in a clean root"),
]

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
SHOTS = BUILD / "clean-root-screenshots"
DOC_IMAGES = REPO / "docs" / "images"
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLE_JPEG = REPO.parent / "shared" / "fixtures" / "exiftool-samples" / "GPS.jpg"
USER, UID = "ada", 1500
USER_HOME = Path("/home") / USER
BUNDLE = Path("/usr/lib/FaceForge")
# Test screenshot -> the docs picture it becomes.
DOC_SHOTS = {
    "wizard": "install-wizard.png",
    "status": "install-status.png",
    "library": "install-library.png",
    "upload": "install-upload.png",
}


class Transcript:
    """A readable record of every step: the commands, what apt installed, the health answers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self.started = time.monotonic()

    def step(self, title: str) -> None:
        self.lines += ["", f"== [{time.monotonic() - self.started:7.1f} s] {title}"]

    def note(self, text: str) -> None:
        self.lines += [f"   {line}" for line in text.rstrip().splitlines()]

    def ran(self, argv: list[str], done: subprocess.CompletedProcess[str], tail: int = 15) -> None:
        self.lines.append(f"$ {shlex.join(argv)}")
        output = (done.stdout + done.stderr).rstrip().splitlines()
        if len(output) > tail:
            self.lines.append(f"   ... ({len(output) - tail} lines before)")
        self.note("\n".join(output[-tail:]))
        self.lines.append(f"   (exit {done.returncode})")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(self.lines).lstrip() + "\n")


def run_in(chroot: Chroot, log: Transcript, *argv: str, user: str | None = None, **env: str) -> str:
    done = chroot.run(*argv, user=user, env=env)
    command = chroot.command(*argv, user=user, env=env)
    log.ran(command[command.index("-i") + 1 :], done)
    assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def installed_packages(chroot: Chroot) -> set[str]:
    listed = chroot.run("dpkg-query", "-W", "-f", "${Package} ${Version}\n").stdout
    return set(listed.splitlines())


def tree_listing(top: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry below ``top`` with its mode, size and modification time."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            found[str(path.relative_to(top))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return found


def exec_line(desktop_entry: Path) -> list[str]:
    """The desktop entry's ``Exec=`` command, without its field codes (%U and the like)."""
    for line in desktop_entry.read_text().splitlines():
        if line.startswith("Exec="):
            return [word for word in shlex.split(line[len("Exec=") :]) if not word.startswith("%")]
    raise AssertionError(f"{desktop_entry} has no Exec= line")


@contextlib.contextmanager
def host_process(argv: list[str], log_to: Path) -> Iterator[subprocess.Popen[bytes]]:
    log_to.parent.mkdir(parents=True, exist_ok=True)
    with log_to.open("ab") as log:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def desktop_session() -> Iterator[dict[str, str]]:
    """A virtual display and a session bus on abstract sockets, as a desktop session provides."""
    with host_process(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        BUILD / "clean-root-xvfb.log",
    ) as xvfb:
        assert xvfb.stdout is not None
        display = f":{xvfb.stdout.readline().decode().strip()}"
        bus = f"unix:abstract=/tmp/faceforge-clean-root-{os.getpid()}"
        argv = ["dbus-daemon", "--session", "--nofork", f"--address={bus}", "--print-address=1"]
        with host_process(argv, BUILD / "clean-root-dbus.log") as dbus:
            assert dbus.stdout is not None
            address = dbus.stdout.readline().decode().strip()
            yield {"DISPLAY": display, "DBUS_SESSION_BUS_ADDRESS": address}


def launcher_script(chroot: Chroot, session: dict[str, str], folder: Path) -> Path:
    """What WebKitWebDriver starts: the desktop entry's command, inside the root, as the user.

    The driver tells the app where to reach it through ``WEBKIT_INSPECTOR_SERVER``; it is passed on."""
    desktop_entry = chroot.root / "usr/share/applications/faceforge.desktop"
    env = {
        "HOME": str(USER_HOME),
        "USER": USER,
        "LOGNAME": USER,
        "SHELL": "/bin/sh",
        **session,
        # Lets WebKitWebDriver drive the app's webview (what tauri-driver sets).
        "TAURI_WEBVIEW_AUTOMATION": "true",
        "WEBKIT_DISABLE_COMPOSITING_MODE": "1",
    }
    command = chroot.command(*exec_line(desktop_entry), user=USER, env=env)
    at = command.index("-i") + 1
    command[at:at] = ['WEBKIT_INSPECTOR_SERVER="$WEBKIT_INSPECTOR_SERVER"']
    script = folder / "faceforge-desktop-in-root"
    quoted = [word if word.startswith("WEBKIT_INSPECTOR_SERVER=") else shlex.quote(word) for word in command]
    script.write_text("#!/bin/sh\nexec " + " ".join(quoted) + ' "$@"\n')
    script.chmod(0o755)
    return script


def api(port: int, token: str, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback only)
        return json.loads(response.read())["data"]


@pytest.fixture
def chroot() -> Iterator[Chroot]:
    ensure_tarball()
    work = Path(tempfile.mkdtemp(prefix="faceforge-clean-root-"))
    started = time.monotonic()
    session = Chroot(unpack_root(work / "root"), unpacked=time.monotonic() - started)
    try:
        session.open()
        yield session
    finally:
        session.close()
        work.rmdir()


def test_the_deb_installs_into_a_clean_root_and_runs_from_its_menu_entry(deb: Path, chroot: Chroot) -> None:
    if not WEBKIT_DRIVER.is_file():
        pytest.fail("WebKitWebDriver is missing: install webkit2gtk-driver (scripts/install-system-deps.sh)")
    log = Transcript(BUILD / "clean-root-transcript.txt")
    try:
        walk(deb, chroot, log)
    finally:
        log.save()


def walk(deb: Path, chroot: Chroot, log: Transcript) -> None:
    root = chroot.root
    log.step(
        f"A pristine Debian root (bookworm, minbase), unpacked from the cache in {chroot.unpacked:.1f} s"
    )
    log.note(f"root: {root}\npackage: {deb.name} ({deb.stat().st_size / 1e6:.1f} MB)")

    log.step("Install the package with apt, as `sudo apt install ./faceforge_...deb` does")
    shutil.copy(deb, root / "tmp" / deb.name)
    before = installed_packages(chroot)
    run_in(chroot, log, "apt-get", "update", "-q")
    run_in(
        chroot,
        log,
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        f"/tmp/{deb.name}",
        DEBIAN_FRONTEND="noninteractive",
    )
    added = sorted(installed_packages(chroot) - before)
    log.note(f"apt installed {len(added)} packages (the package and its declared dependencies):")
    log.note("\n".join(f"  {line}" for line in added))
    assert any(line.startswith("faceforge ") for line in added)
    (root / "tmp" / deb.name).unlink()

    log.step(f"A normal user, {USER}, with an empty home")
    run_in(chroot, log, "useradd", "--create-home", "--uid", str(UID), "--shell", "/bin/sh", USER)
    usr_before = tree_listing(root / "usr")

    with desktop_session() as session, tempfile.TemporaryDirectory(prefix="faceforge-driver-") as folder:
        script = launcher_script(chroot, session, Path(folder))
        log.step("Start FaceForge from the menu: the desktop entry's Exec= line, as the user")
        log.note(script.read_text())
        driver_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **session}
        with launch(script, driver_env, SHOTS) as driver:
            home = wizard(driver, chroot, log)
            core_port = use_core(driver, chroot, log, home)
            open_ui(driver, log, root / str(home).lstrip("/"))
            exit_all(driver, chroot, log, core_port)

    log.step("Nothing under /usr changed while FaceForge ran")
    usr_after = tree_listing(root / "usr")
    changed = sorted(k for k in usr_before.keys() | usr_after.keys() if usr_before.get(k) != usr_after.get(k))
    log.note(f"{len(usr_after)} entries compared, {len(changed)} changed: {changed[:20]}")
    assert changed == []

    log.step("Remove the package: the program goes, the user's library stays")
    host_home = root / str(home).lstrip("/")
    home_before = tree_listing(host_home)
    run_in(chroot, log, "apt-get", "remove", "-y", "-q", "faceforge", DEBIAN_FRONTEND="noninteractive")
    assert not (root / BUNDLE.relative_to("/")).exists()
    assert not (root / "usr/bin/faceforge-desktop").exists()
    assert tree_listing(host_home) == home_before
    log.note(f"{BUNDLE} gone; {home} untouched ({len(home_before)} entries, the database and the upload)")
    update_docs_screenshots()


def wizard(driver: Driver, chroot: Chroot, log: Transcript) -> Path:
    """The first-run wizard with its proposals kept, SeaweedFS switched on; returns the home."""
    log.step("The first-run wizard")
    wait_until("the wizard", lambda: driver.visible("#wizard"), timeout=90)
    proposed = wait_until(
        "the proposed home", lambda: driver.run("return document.getElementById('home').value")
    )
    log.note(f"proposed home: {proposed}")
    assert proposed == f"{USER_HOME}/.local/share/faceforge"
    wait_until("the home check", lambda: "will be created" in driver.text("#home-note"))
    if driver.visible("#seaweed"):
        driver.click("#seaweed")
        log.note("SeaweedFS (object storage) switched on")
    driver.screenshot("wizard")
    driver.click("#finish")
    return Path(proposed)


def use_core(driver: Driver, chroot: Chroot, log: Transcript, home: Path) -> int:
    """Core runs from the bundle, healthy, with the bundled tools; a JPEG gets its metadata."""
    log.step("Core starts: the bundled program, healthy")
    wait_until("the status view", lambda: driver.visible("#status"))
    pid = wait_until("Core running", lambda: core_running(driver), timeout=120)
    port = int(core_card(driver)["port"])
    exe = Path(os.readlink(f"/proc/{pid}/exe"))
    inside = Path("/") / exe.relative_to(chroot.root)
    log.note(f"Core pid {pid}, port {port}, program {inside}")
    assert BUNDLE / "core" in inside.parents, f"Core runs {inside}, not the bundled Core"
    health = healthz(port)
    log.note(f"GET /healthz -> {json.dumps(health)}")
    assert health is not None
    assert health["ok"] is True
    host_home = chroot.root / str(home).lstrip("/")
    doctor = json.loads(
        run_in(
            chroot,
            log,
            str(inside.parent / "faceforge"),
            "doctor",
            "--json",
            user=USER,
            HOME=str(USER_HOME),
            FACEFORGE_HOME=str(home),
        )
    )
    for tool in ("exiftool", "weed"):
        log.note(f"doctor: {tool} {doctor[tool]['version']} from {doctor[tool]['path']}")
        assert doctor[tool]["ok"], doctor[tool]
        assert str(doctor[tool]["path"]).startswith(f"{BUNDLE}/"), f"{tool} is not the bundled one"
    wait_until(
        "SeaweedFS running", lambda: core_card_of(driver, "seaweed").get("badge") == "running", timeout=120
    )
    driver.screenshot("status")

    log.step("Create an entity and upload a JPEG through the API; ExifTool reads its metadata")
    token = json.loads((host_home / "config" / "core.json").read_text())["auth"]["install_token"]
    entity = api(
        port,
        token,
        "POST",
        "/v1/entities",
        json.dumps({"display_name": "Ada Lovelace", "tags": ["first"]}).encode(),
        Content_Type="application/json",
    )
    asset = api(
        port,
        token,
        "PUT",
        f"/v1/assets/upload?filename=GPS.jpg&entity_id={entity['entity_id']}",
        SAMPLE_JPEG.read_bytes(),
        Content_Type="image/jpeg",
    )
    done = wait_until(
        "extracted metadata",
        lambda: (
            (a := api(port, token, "GET", f"/v1/assets/{asset['asset_id']}"))["metadata_status"] == "done"
            and a
        ),
        timeout=60,
    )
    (exiftool,) = (e for e in done["extracted_metadata"] if e["Source"] == "ExifTool")
    fields = exiftool["Data"]
    gps = {k: v for k, v in fields.items() if "GPS" in k}
    log.note(f"entity {entity['entity_id']}, asset {asset['asset_id']}: {len(fields)} metadata fields")
    log.note(f"GPS fields: {json.dumps(gps)[:300]}")
    assert gps, "ExifTool's GPS fields are in the metadata"
    shoot_web_ui(port, token, entity["entity_id"])
    return port


def core_card_of(driver: Driver, name: str) -> dict[str, str]:
    script = """
      const card = document.querySelector(`.service[data-name="${arguments[0]}"]`);
      return card ? {badge: card.querySelector('.badge').textContent} : {};"""
    return dict(driver.run(script, name))


def shoot_web_ui(port: int, token: str, entity_id: str) -> None:
    """The library and the entity's uploads in the web UI (Debian's Chromium, headless)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/ui/login")
            page.get_by_label("Access token").fill(token)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/ui/entities")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "library.png"))
            page.goto(f"http://127.0.0.1:{port}/ui/entities/{entity_id}?tab=attachments")
            page.click(".attachment details.metadata > summary")
            page.screenshot(path=str(SHOTS / "upload.png"))
        finally:
            browser.close()


def open_ui(driver: Driver, log: Transcript, host_home: Path) -> None:
    log.step("Open UI: the web UI opens in its own window, signed in")
    open_ui_signed_in(driver, host_home)
    log.note("Core's access log: " + ", ".join(UI_SIGN_IN))


def commands_in(root: Path) -> list[str]:
    found = []
    for pid in processes_in(root):
        with contextlib.suppress(psutil.Error):
            found.append(" ".join(psutil.Process(pid).cmdline()))
    return found


def exit_all(driver: Driver, chroot: Chroot, log: Transcript, core_port: int) -> None:
    log.step("Exit, stopping the services: nothing is left running")
    driver.click("#exit")
    wait_until("the exit question", lambda: driver.run("return document.getElementById('exit-dialog').open"))
    driver.click("#exit-stop")
    try:
        wait_until("nothing running in the root", lambda: processes_in(chroot.root) == [], timeout=90)
    except AssertionError:
        raise AssertionError(f"still running in the root after Exit: {commands_in(chroot.root)}") from None
    assert healthz(core_port) is None
    log.note("no process left inside the root; /healthz no longer answers")


def update_docs_screenshots() -> None:
    if os.environ.get("FACEFORGE_UPDATE_DOCS_SCREENSHOTS") != "1":
        return
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    for shot, picture in DOC_SHOTS.items():
        shutil.copyfile(SHOTS / f"{shot}.png", DOC_IMAGES / picture)


def test_closing_a_root_kills_what_runs_inside_unmounts_everything_and_removes_it() -> None:
    work = Path(tempfile.mkdtemp(prefix="faceforge-clean-root-"))
    chroot = Chroot(unpack_root(work / "root"))
    try:
        chroot.open()
        assert len(mounts_under(chroot.root)) == 6
        sleeper = subprocess.Popen(chroot.command("sleep", "600"))
        wait_until("a process inside the root", lambda: processes_in(chroot.root))
    finally:
        chroot.close()
    assert sleeper.wait(timeout=10) != 0
    assert mounts_under(work) == []
    assert not chroot.root.exists()
    assert Path("/dev/null").is_char_device(), "the host's /dev is whole"
    work.rmdir()
