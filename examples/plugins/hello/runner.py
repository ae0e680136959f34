#!/usr/bin/env python3
"""The hello plugin's runner: claims ``hello.greet`` jobs over HTTP and writes a greeting asset for each.

Standard library only. Core runs nothing here; the runner is a separate process that talks to Core
with the plugin's own token:

    FACEFORGE_URL=http://127.0.0.1:43210 FACEFORGE_PLUGIN_TOKEN=ffp_... python3 runner.py

Each job's ``input`` may hold ``name`` (who to greet); an ``input_asset_id`` is read and described.
The greeting becomes a text asset derived from the input asset, and its id is the job's result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

JOB_TYPE = "hello.greet"
PLUGIN_ID = "hello"
LEASE_HEADER = "FaceForge-Lease"  # the claim's lease_id, quoted on every call about that job


class CoreError(Exception):
    """Core answered with an error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class Core:
    """A tiny client for the few routes a runner needs."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.leases: dict[str, str] = {}  # job_id -> lease_id of the jobs this runner holds

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"Bearer {self.token}"}
        parts = path.split("/")  # /v1/jobs/<job_id>/<action>
        if len(parts) == 5 and parts[2] == "jobs" and parts[3] in self.leases:
            headers[LEASE_HEADER] = self.leases[parts[3]]
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            headers["Content-Type"] = "application/octet-stream"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            error = json.loads(exc.read() or b"{}").get("error", {})
            raise CoreError(exc.code, error.get("code", "http_error"), error.get("message", "")) from None
        return json.loads(payload)["data"] if kind.startswith("application/json") else payload

    def log(self, job_id: str, message: str, level: str = "info") -> None:
        self.request("POST", f"/v1/jobs/{job_id}/log", {"entries": [{"level": level, "message": message}]})


def greeting(config: dict[str, Any], name: str, described: str) -> str:
    line = f"{config['greeting']}, {name}!"
    if config.get("shout"):
        line = line.upper()
    lines = [line] * int(config.get("repeat", 1))
    if described:
        lines.append(described)
    signature = config.get("signature", {}).get("name")
    if signature:
        lines.append(f"-- {signature}")
    if config.get("style") == "markdown":
        lines[0] = "# " + lines[0]
    return "\n".join(lines) + "\n"


def run_job(core: Core, job: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    job_id = job["job_id"]
    name = str(job["input"].get("name") or "world")
    described = ""
    source = job.get("input_asset_id")
    if source:
        content = core.request("GET", f"/v1/assets/{source}/download")
        described = f"(your file has {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()[:12]})"
        core.log(job_id, f"read input asset {source[:12]} ({len(content)} bytes)")
    text = greeting(config, name, described).encode()
    query = {"filename": f"hello-{name}.txt"}
    if source:
        query["derived_from_asset_id"] = source
    uploaded = core.request("PUT", "/v1/assets/upload", raw=text, query=query)
    core.log(job_id, f"wrote greeting asset {uploaded['asset_id'][:12]}")
    return {"asset_id": uploaded["asset_id"], "greeting": text.decode().splitlines()[0]}


def run_once(core: Core, runner: str) -> int:
    """Claim and finish every queued hello.greet job; returns how many were done."""
    done = 0
    config = core.request("GET", f"/v1/plugins/{PLUGIN_ID}/config")
    queued = core.request("GET", "/v1/jobs", query={"job_type": JOB_TYPE, "status": "queued"})
    for job in queued["items"]:
        try:
            job = core.request("POST", f"/v1/jobs/{job['job_id']}/claim", {"runner": runner})
        except CoreError as exc:
            if exc.status == 409:  # another runner was quicker
                continue
            raise
        core.leases[job["job_id"]] = job["lease_id"]
        core.log(job["job_id"], f"claimed by {runner}")
        try:
            result = run_job(core, job, config)
        except (CoreError, OSError, ValueError) as exc:
            core.request(
                "POST", f"/v1/jobs/{job['job_id']}/fail", {"code": "hello_failed", "message": str(exc)}
            )
            core.leases.pop(job["job_id"])
            continue
        core.request("POST", f"/v1/jobs/{job['job_id']}/complete", {"result": result})
        core.leases.pop(job["job_id"])
        done += 1
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FACEFORGE_URL", "http://127.0.0.1:43210"))
    parser.add_argument("--once", action="store_true", help="Handle the queued jobs, then exit.")
    parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls.")
    args = parser.parse_args(argv)
    token = os.environ.get("FACEFORGE_PLUGIN_TOKEN", "")
    if not token:
        print("set FACEFORGE_PLUGIN_TOKEN to the token shown when the plugin was enabled", file=sys.stderr)
        return 2
    core = Core(args.url, token)
    runner = f"hello-runner@{os.getpid()}"
    while True:
        done = run_once(core, runner)
        print(f"{done} job(s) done", flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
