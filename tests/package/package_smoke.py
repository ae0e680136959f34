"""The smoke suite for a shipped ``faceforge`` executable (the frozen folder, the portable archive, the .deb).

Usage, for any build::

    @pytest.fixture(scope="module")
    def shipped(tmp_path_factory) -> Iterator[Shipped]:
        with serving(Path("/path/to/faceforge"), tmp_path_factory.mktemp("smoke")) as core:
            yield core

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_shipped_core(shipped: Shipped, check: Check) -> None:
        check(shipped)

``serving`` starts ``faceforge serve`` the way a user does: a subprocess of the executable alone, with
``env -i HOME=<tmp> PATH=/usr/bin:/bin`` (no venv, no Python of ours on PATH), a fresh FACEFORGE_HOME,
the managed SeaweedFS enabled in ``config/core.json`` on free ports, one asset kind routed to S3.
Only the standard library is used: the checks speak HTTP like any client.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JPEG = ROOT.parent / "shared" / "fixtures" / "exiftool-samples" / "Apple.jpg"
START_TIMEOUT = 120.0  # Core waits for the managed weed to be healthy before it answers
S3_KIND = "smoke.s3"  # routed to the managed SeaweedFS by the config below


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports() -> tuple[int, ...]:
    """Core's port and weed's four (S3, master, volume, filer), with weed's gRPC twins (+10000) free."""
    for _ in range(200):
        base = random.randrange(12000, 22000)  # outgoing connections take ports from 32768 up
        ports = (base, base + 1, base + 2, base + 3, base + 4)
        if all(_port_free(p) for p in ports) and all(_port_free(p + 10000) for p in ports[1:]):
            return ports
    raise RuntimeError("no free loopback ports")


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Shipped:
    """A running shipped Core: its executable, home, base URL and token."""

    executable: Path
    home: Path
    base: str
    token: str
    env: dict[str, str]
    work: Path

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        request = urllib.request.Request(  # noqa: S310  (a loopback http URL)
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return Answer(response.status, _lower(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, _lower(error.headers.items()), error.read())

    def api(self, method: str, path: str, payload: object | None = None, **headers: str) -> Answer:
        """A token-bearing call; ``payload`` is sent as JSON."""
        sent = {"Authorization": f"Bearer {self.token}", **headers}
        body = None
        if payload is not None:
            body, sent["Content-Type"] = json.dumps(payload).encode(), "application/json"
        return self.request(method, path, body, sent)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The executable as a one-shot command, in the same bare environment."""
        return subprocess.run(
            [str(self.executable), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def wait_asset(self, asset_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while True:
            asset: dict[str, Any] = self.api("GET", f"/v1/assets/{asset_id}").json()["data"]
            if asset["metadata_status"] != "pending" or time.monotonic() > deadline:
                return asset
            time.sleep(0.2)


def bare_env(home: Path, user_home: Path) -> dict[str, str]:
    """What ``env -i HOME=... PATH=/usr/bin:/bin`` leaves, plus the FaceForge home."""
    return {"HOME": str(user_home), "PATH": "/usr/bin:/bin", "FACEFORGE_HOME": str(home)}


def write_config(home: Path, ports: tuple[int, ...]) -> None:
    """The managed SeaweedFS on, as docs/configuration.md says, and one kind routed to it."""
    core, s3, master, volume, filer = ports
    config = {
        "network": {"core_port": core, "seaweed_s3_port": s3},
        "seaweed": {"enabled": True, "master_port": master, "volume_port": volume, "filer_port": filer},
        "storage": {"routing": {"kind_map": {S3_KIND: "s3"}}, "min_free_bytes": 0},
    }
    (home / "config").mkdir(parents=True, mode=0o700)
    path = home / "config" / "core.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)


def _wait_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"faceforge serve exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"faceforge serve did not answer /healthz:\n{log.read_text()[-4000:]}")


@contextmanager
def serving(executable: Path, work: Path) -> Iterator[Shipped]:
    """``faceforge serve`` from ``executable`` against a fresh home in ``work``; stopped with SIGTERM."""
    home, user_home = work / "ffhome", work / "user"
    user_home.mkdir()
    ports = free_ports()
    write_config(home, ports)
    env = bare_env(home, user_home)
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "serve", "--port", str(ports[0])], env=env, cwd=work, stdout=out, stderr=out
        )
        try:
            base = f"http://127.0.0.1:{ports[0]}"
            _wait_healthy(process, base, log)
            token = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
            yield Shipped(executable, home, base, token, env, work)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- the checks ----------------------------------------------------------------------------------------

Check = Callable[[Shipped], None]


def health_reports_the_projects_version(core: Shipped) -> None:
    answer = core.request("GET", "/healthz")
    assert answer.status == 200
    assert answer.json()["data"]["version"] == project_version()
    assert core.run("--version").stdout.strip() == f"faceforge {project_version()}"


def v1_needs_the_token_from_the_home(core: Shipped) -> None:
    assert core.request("GET", "/v1/ping").status == 401
    assert core.request("GET", "/v1/ping", headers={"Authorization": "Bearer wrong"}).status == 401
    assert core.api("GET", "/v1/ping").status == 200


def doctor_runs_the_bundled_tools_and_no_python_of_the_build_machine(core: Shipped) -> None:
    done = core.run("doctor", "--json")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    folder = core.executable.resolve().parent
    assert report["python"]["frozen"] is True
    assert Path(report["python"]["executable"]).resolve().parent == folder
    for tool in ("exiftool", "weed"):
        assert report[tool]["source"] == "bundle", report[tool]
        assert Path(report[tool]["path"]).resolve().is_relative_to(folder / "tools")
        assert report[tool]["version"]
    manifest = json.loads((folder / "tools" / "MANIFEST.json").read_text())
    assert report["exiftool"]["version"] == manifest["exiftool"]["version"].rsplit(".", 1)[0]


PREVIEW_ENGINES = ("libvips", "ffmpeg", "pdfium", "libraw", "libheif")


def doctor_names_the_preview_engines_the_package_bundles(core: Shipped) -> None:
    done = core.run("doctor", "--json")
    engines = json.loads(done.stdout)["preview_engines"]
    assert engines["ok"] is True, engines
    for name in PREVIEW_ENGINES:
        assert engines[name], engines
    assert "libde265" in engines["libheif"]  # the HEIC decoder
    assert "libavcodec" in engines["ffmpeg"]
    text = core.run("doctor").stdout
    assert all(f"{name}=" in text for name in PREVIEW_ENGINES), text


def an_uploaded_jpeg_gets_metadata_from_the_bundled_exiftool_and_downloads_by_range(core: Shipped) -> None:
    entity = core.api("POST", "/v1/entities", {"display_name": "Smoke Test"})
    assert entity.status == 201, entity.body
    entity_id = entity.json()["data"]["entity_id"]
    data = JPEG.read_bytes()
    upload = core.request(
        "PUT",
        f"/v1/assets/upload?filename=Apple.jpg&entity_id={entity_id}",
        data,
        {"Authorization": f"Bearer {core.token}", "Content-Type": "application/octet-stream"},
    )
    assert upload.status in (200, 201), upload.body
    asset = core.wait_asset(upload.json()["data"]["asset_id"])
    assert asset["metadata_status"] == "done", asset
    flat = json.dumps(asset["extracted_metadata"])
    assert "Apple" in flat
    assert asset["storage"]["provider"] == "fs"
    ranged = core.api("GET", f"/v1/assets/{asset['asset_id']}/download", Range="bytes=10-19")
    assert ranged.status == 206
    assert ranged.body == data[10:20]
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(data)}"


def a_bulk_import_job_runs_to_completion(core: Shipped) -> None:
    folder = core.work / "to-import"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    shutil.copy(JPEG, folder / "one.jpg")
    (folder / "sub" / "two.txt").write_text("a second file\n")
    started = core.api("POST", "/v1/assets/bulk-import", {"path": str(folder)})
    assert started.status == 201, started.body
    job_id = started.json()["data"]["job_id"]
    deadline = time.monotonic() + 120
    while (job := core.api("GET", f"/v1/jobs/{job_id}").json()["data"])["status"] not in (
        "succeeded",
        "failed",
        "canceled",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    items = core.api("GET", "/v1/assets?limit=200").json()["data"]["items"]
    names = {name for asset in items for name in asset["filenames"]}  # one.jpg may join an earlier upload
    assert {"one.jpg", "two.txt"} <= names


def an_upload_routed_to_s3_is_stored_by_the_bundled_weed(core: Shipped) -> None:
    status = json.loads(core.run("seaweed", "status", "--json").stdout)
    assert status["healthy"] is True, status
    pid = json.loads((core.home / "run" / "seaweedfs.pid").read_text())["pid"]
    bundled_weed = core.executable.resolve().parent / "tools" / "weed"
    assert Path(f"/proc/{pid}/exe").resolve() == bundled_weed.resolve()
    data = b"stored in the managed SeaweedFS\n" * 100
    upload = core.request(
        "PUT",
        f"/v1/assets/upload?filename=s3.bin&kind={S3_KIND}",
        data,
        {"Authorization": f"Bearer {core.token}", "Content-Type": "application/octet-stream"},
    )
    assert upload.status == 201, upload.body
    asset = upload.json()["data"]
    assert asset["storage"]["provider"] == "s3", asset
    back = core.api("GET", f"/v1/assets/{asset['asset_id']}/download")
    assert (back.status, back.body) == (200, data)


def the_ui_login_page_and_the_api_docs_are_served(core: Shipped) -> None:
    login = core.request("GET", "/ui/login")
    assert login.status == 200
    assert login.headers["content-type"].startswith("text/html")
    assert 'name="token"' in login.body.decode()
    pages = ("/ui/static/app.css", "/docs", "/docs/redoc", "/openapi.json")
    assets = ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/redoc/redoc.standalone.js")
    for page in (*pages, *assets):
        assert core.request("GET", page).status == 200, page


CHECKS: list[Check] = [
    health_reports_the_projects_version,
    v1_needs_the_token_from_the_home,
    doctor_runs_the_bundled_tools_and_no_python_of_the_build_machine,
    doctor_names_the_preview_engines_the_package_bundles,
    an_uploaded_jpeg_gets_metadata_from_the_bundled_exiftool_and_downloads_by_range,
    a_bulk_import_job_runs_to_completion,
    an_upload_routed_to_s3_is_stored_by_the_bundled_weed,
    the_ui_login_page_and_the_api_docs_are_served,
]
