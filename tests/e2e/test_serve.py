"""``faceforge serve`` started the way a user starts it: a real process, a real port, a real signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

FACEFORGE = Path(sys.executable).parent / "faceforge"
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310  (a loopback http URL)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def serving(home: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Run ``faceforge serve`` until /healthz answers; stop it with SIGTERM afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    process = subprocess.Popen(
        [str(FACEFORGE), "serve", "--port", str(port), *args],
        cwd=home.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, process.communicate()
            try:
                fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except (OSError, ValueError):
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_answers_health_and_guards_v1_then_stops_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    with serving(home) as (process, port):
        base = f"http://127.0.0.1:{port}"
        status, body = fetch(f"{base}/healthz")
        assert status == 200
        assert body["ok"] is True
        assert body["data"]["database_ok"] is True

        status, body = fetch(f"{base}/v1/ping")
        assert status == 401
        assert body["ok"] is False
        assert body["error"]["code"] == "unauthorized"

        token = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
        status, body = fetch(f"{base}/v1/ping", {"Authorization": f"Bearer {token}"})
        assert (status, body["ok"]) == (200, True)

        status, body = fetch(f"{base}/v1/system/info", {"X-FaceForge-Token": token})
        assert body["data"]["home"] == str(home)
        assert body["data"]["bind_host"] == "127.0.0.1"

        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}/" in stdout
    assert str(home / "config" / "core.json") in stdout
    assert "Traceback" not in stderr
    assert "warning" not in stderr.lower()
    log = (home / "logs" / "core.log").read_text()
    assert '"path":"/healthz","status":200' in log
    assert token not in log + stdout + stderr


@pytest.mark.parametrize("host", ["0.0.0.0"])  # noqa: S104  (the point of the test)
def test_a_non_loopback_host_logs_a_warning(tmp_path: Path, host: str) -> None:
    home = tmp_path / "ffhome"
    with serving(home, "--host", host) as (process, _port):
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"binding {host}" in stderr
    assert "warning" in stderr.lower()
    log_lines = [json.loads(line) for line in (home / "logs" / "core.log").read_text().splitlines()]
    assert any(e["level"] == "warning" and f"binding {host}" in e["message"] for e in log_lines)
