"""The example plugin end to end: a real server, the hello runner with its own token, over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import Server

HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
GRANT = ["assets:read", "assets:write", "jobs:run"]
# The routes the runner needs from the jobs and assets APIs.
NEEDED = [
    ("get", "/v1/jobs"),
    ("post", "/v1/jobs/{job_id}/claim"),
    ("post", "/v1/jobs/{job_id}/log"),
    ("post", "/v1/jobs/{job_id}/complete"),
    ("put", "/v1/assets/upload"),
    ("get", "/v1/assets/{asset_id}/download"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "home"
    shutil.copytree(HELLO_DIR, home / "plugins" / "hello")
    started = Server.faceforge(home)
    try:
        yield started
    finally:
        started.stop()


def request(server: Server, method: str, path: str, token: str, raw: bytes | None = None) -> Any:
    req = urllib.request.Request(  # noqa: S310
        server.base + path, data=raw, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
        return json.load(response)["data"]


def missing_routes(server: Server, needed: list[tuple[str, str]]) -> list[str]:
    """Probe each route; a route that does not exist answers "no such route"."""
    missing = []
    for method, path in needed:
        probe = path.replace("{job_id}", "0" * 64).replace("{asset_id}", "0" * 64)
        req = urllib.request.Request(  # noqa: S310
            server.base + probe,
            data=b"{}" if method != "get" else None,
            method=method.upper(),
            headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=30).close()  # noqa: S310
        except urllib.error.HTTPError as exc:
            error = json.load(exc)["error"]
            # A missing record names its kind in the details; a missing route has none.
            if exc.code == 405 or (exc.code == 404 and not error.get("details")):
                missing.append(f"{method.upper()} {path}")
    return missing


def test_the_hello_runner_claims_completes_and_uploads_a_derived_asset(server: Server) -> None:
    absent = [("get", "/v1/no-such-route")]
    assert missing_routes(server, absent) == ["GET /v1/no-such-route"]  # the probe can tell
    assert missing_routes(server, NEEDED) == [], "the hello runner needs routes this build does not serve"
    found = server.call("POST", "/v1/plugins/rescan")
    assert [(p["plugin_id"], p["status"]) for p in found] == [("hello", "disabled")]
    token = server.call("POST", "/v1/plugins/hello/enable", {"grant": GRANT})["token"]
    server.call("PUT", "/v1/plugins/hello/config", {"greeting": "Howdy", "shout": True})
    source = request(server, "PUT", "/v1/assets/upload?filename=photo.bin", server.token, b"\x00pixels" * 100)
    job = server.call(
        "POST",
        "/v1/jobs",
        {"job_type": "hello.greet", "input": {"name": "Ada"}, "input_asset_id": source["asset_id"]},
    )
    env = {**os.environ, "FACEFORGE_URL": server.base, "FACEFORGE_PLUGIN_TOKEN": token}
    done = subprocess.run(
        [sys.executable, str(HELLO_DIR / "runner.py"), "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 job(s) done" in done.stdout
    finished = server.wait_job(job["job_id"], "succeeded", "failed")
    assert finished["status"] == "succeeded", finished
    assert finished["claimed_by"].startswith("hello-runner@")
    derived = server.call("GET", f"/v1/assets/{finished['result']['asset_id']}")
    assert derived["derived_from_asset_id"] == source["asset_id"]
    assert finished["result"]["greeting"] == "HOWDY, ADA!"
    log = server.call("GET", f"/v1/jobs/{job['job_id']}/log")
    assert any("wrote greeting asset" in entry["message"] for entry in log["items"])
    with pytest.raises(urllib.error.HTTPError) as refused:
        request(server, "GET", "/v1/entities", token)
    assert refused.value.code == 403
    assert json.load(refused.value)["error"]["code"] == "forbidden"
