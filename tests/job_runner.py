"""A minimal external job runner, as a plugin would write one: standard library only.

It finds the oldest queued job of a type, claims it (the answer holds the lease it quotes on every
later call), logs, reports progress step by step and completes it (or, when the answer says a cancel
was requested, stops and reports back). ``--step-seconds`` makes each step take that long, with a
heartbeat at least every second, so a test can kill it mid-job.

    FACEFORGE_TOKEN=... python tests/job_runner.py http://127.0.0.1:43210 myplugin.work --steps 5
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from typing import Any

LEASE_HEADER = "FaceForge-Lease"


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.lease = ""

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if self.lease:
            headers[LEASE_HEADER] = self.lease
        request = urllib.request.Request(  # noqa: S310  (the URL is the FaceForge server we were given)
            self.base + path, data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)["data"]


def work(api: Api, base: str, seconds: float) -> None:
    """One step's work: sleep, with a heartbeat every second so the lease never lapses."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        api.call("POST", f"{base}/heartbeat")


def run(api: Api, job_type: str, runner: str, steps: int, step_seconds: float = 0) -> dict[str, Any]:
    queued = api.call("GET", f"/v1/jobs?status=queued&job_type={job_type}&limit=200")["items"]
    if not queued:
        raise SystemExit(f"no queued {job_type} job")
    job = api.call("POST", f"/v1/jobs/{queued[-1]['job_id']}/claim", {"runner": runner})  # oldest first
    api.lease = job["lease_id"]
    base = f"/v1/jobs/{job['job_id']}"
    api.call("POST", f"{base}/log", {"entries": [{"message": f"{runner} started", "data": job["input"]}]})
    for step in range(1, steps + 1):
        work(api, base, step_seconds)
        job = api.call("POST", f"{base}/progress", {"current": step, "total": steps, "step": f"step {step}"})
        api.call("POST", f"{base}/log", {"entries": [{"level": "debug", "message": f"finished step {step}"}]})
        if job["status"] == "cancel_requested":
            return api.call("POST", f"{base}/fail", {"code": "canceled", "message": "stopped on request"})  # type: ignore[no-any-return]
    return api.call("POST", f"{base}/complete", {"result": {"echo": job["input"], "steps": steps}})  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("job_type")
    parser.add_argument("--runner", default="test-runner")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--step-seconds", type=float, default=0)
    args = parser.parse_args()
    # The token comes from the environment: never on the command line, where the process list shows
    # it (and where a token starting with "-" would be read as an option).
    api = Api(args.base_url, os.environ["FACEFORGE_TOKEN"])
    final = run(api, args.job_type, args.runner, args.steps, args.step_seconds)
    sys.stdout.write(json.dumps({"job_id": final["job_id"], "status": final["status"]}) + "\n")


if __name__ == "__main__":
    main()
