"""Real FaceForge servers in subprocesses for the end-to-end job tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FACEFORGE = Path(sys.executable).parent / "faceforge"
# A server with an external job type registered the way a plugin's is: the library embedded in a script.
EMBEDDED_SERVER = """
import sys, anyio, uvicorn
from faceforge_adapters.bootstrap import bootstrap
from faceforge_http.app import create_app

async def main() -> None:
    async with bootstrap() as core:
        core.jobs.registry.register_external(sys.argv[2], description="run by the test runner")
        config = uvicorn.Config(create_app(core), host="127.0.0.1", port=int(sys.argv[1]), log_config=None)
        await uvicorn.Server(config).serve()

anyio.run(main)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    return env


class Server:
    """One server process: start it, call it, kill it."""

    def __init__(
        self, home: Path, command: list[str], port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.home = home
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [part.replace("{port}", str(self.port)) for part in command]
        self.log = (home.parent / f"server-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            command, env=clean_env(home) | (env or {}), stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        core_json = json.loads((home / "config" / "core.json").read_text())
        self.token = core_json["auth"]["install_token"]

    @classmethod
    def faceforge(cls, home: Path, port: int | None = None, settings: dict[str, str] | None = None) -> Server:
        """``faceforge serve``; a restart passes the old ``port`` so clients' stored URLs still work;
        ``settings``: ``FACEFORGE_<SECTION>__<KEY>`` variables for this server only."""
        return cls(home, [str(FACEFORGE), "serve", "--port", "{port}"], port, settings)

    @classmethod
    def embedded(cls, home: Path, external_type: str, env: dict[str, str] | None = None) -> Server:
        """A server with ``external_type`` registered; ``env`` adds settings (``FACEFORGE_JOBS__...``)."""
        return cls(home, [sys.executable, "-c", EMBEDDED_SERVER, "{port}", external_type], env=env)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):  # noqa: S310
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def call(
        self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        request = urllib.request.Request(  # noqa: S310
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return None if response.status == 204 else json.load(response)["data"]

    def wait_job(self, job_id: str, *statuses: str, limit_s: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.call("GET", f"/v1/jobs/{job_id}")
            if job["status"] in statuses:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} did not reach {statuses}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up of any kind runs
        self.process.wait()
        self.log.close()
