"""The external-runner protocol end to end: a real server and the runner script, over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Server

RUNNER = Path(__file__).resolve().parents[1] / "job_runner.py"
JOB_TYPE = "e2eplugin.echo"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # A short lease, so a killed runner is presumed dead within seconds.
    started = Server.embedded(tmp_path / "home", JOB_TYPE, {"FACEFORGE_JOBS__RUNNER_LEASE_SECONDS": "2"})
    try:
        yield started
    finally:
        started.stop()


def runner_command(server: Server, name: str, steps: int, step_seconds: float = 0) -> list[str]:
    return [
        sys.executable,
        str(RUNNER),
        server.base,
        JOB_TYPE,
        "--runner",
        name,
        "--steps",
        str(steps),
        "--step-seconds",
        str(step_seconds),
    ]


def runner_env(server: Server) -> dict[str, str]:
    return {**os.environ, "FACEFORGE_TOKEN": server.token}


def run_runner(server: Server, name: str, steps: int) -> dict[str, str]:
    """Run the runner script to its end; what it printed (the job id and final status)."""
    done = subprocess.run(
        runner_command(server, name, steps),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=runner_env(server),
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_runner_script_claims_logs_reports_progress_and_completes(server: Server) -> None:
    job = server.call("POST", "/v1/jobs", {"job_type": JOB_TYPE, "input": {"prompt": "hello"}})
    assert job["status"] == "queued"
    assert run_runner(server, "box-1", 4) == {"job_id": job["job_id"], "status": "succeeded"}
    final = server.call("GET", f"/v1/jobs/{job['job_id']}")
    assert final["status"] == "succeeded"
    assert final["claimed_by"] == "box-1"
    assert final["result"] == {"echo": {"prompt": "hello"}, "steps": 4}
    assert final["progress"]["percent"] == 100.0
    assert final["progress"]["step"] == "step 4"
    log = server.call("GET", f"/v1/jobs/{job['job_id']}/log")["items"]
    messages = [entry["message"] for entry in log]
    assert messages[:3] == [
        "queued; waits for an external runner",
        "claimed by runner 'box-1'",
        "box-1 started",
    ]
    assert [m for m in messages if m.startswith("finished step")] == [
        f"finished step {i}" for i in range(1, 5)
    ]
    assert messages[-1] == "succeeded"
    assert log[2]["data"] == {"prompt": "hello"}


def test_a_runner_sees_a_cancel_request_and_the_job_ends_canceled(server: Server) -> None:
    job = server.call("POST", "/v1/jobs", {"job_type": JOB_TYPE})
    claimed = server.call("POST", f"/v1/jobs/{job['job_id']}/claim", {"runner": "slow"})
    lease = {"FaceForge-Lease": claimed["lease_id"]}
    assert server.call("POST", f"/v1/jobs/{job['job_id']}/cancel")["status"] == "cancel_requested"
    answer = server.call("POST", f"/v1/jobs/{job['job_id']}/progress", {"percent": 10}, lease)
    assert answer["status"] == "cancel_requested"
    body = {"code": "canceled", "message": "stopped"}
    ended = server.call("POST", f"/v1/jobs/{job['job_id']}/fail", body, lease)
    assert ended["status"] == "canceled"


def test_a_killed_runner_loses_its_lease_and_a_second_runner_finishes_the_job(server: Server) -> None:
    job = server.call("POST", "/v1/jobs", {"job_type": JOB_TYPE, "input": {"n": 1}})
    doomed = subprocess.Popen(
        runner_command(server, "doomed", steps=30, step_seconds=1),
        env=runner_env(server),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while server.call("GET", f"/v1/jobs/{job['job_id']}")["progress"]["step"] != "step 2":
            assert time.monotonic() < deadline, "the first runner made no progress"
            assert doomed.poll() is None, "the first runner ended early"
            time.sleep(0.1)  # two steps of heartbeats: the lease is renewed while it lives
    finally:
        doomed.kill()
        doomed.wait()
    requeued = server.wait_job(job["job_id"], "queued", limit_s=30)
    assert (requeued["claimed_by"], requeued["attempts"]) == (None, 1)
    assert run_runner(server, "rescuer", 2) == {"job_id": job["job_id"], "status": "succeeded"}
    final = server.call("GET", f"/v1/jobs/{job['job_id']}")
    assert (final["status"], final["claimed_by"], final["attempts"]) == ("succeeded", "rescuer", 2)
    messages = [
        entry["message"] for entry in server.call("GET", f"/v1/jobs/{job['job_id']}/log?limit=1000")["items"]
    ]
    lapse = (
        "lease expired, runner 'doomed' presumed dead; re-queued for another runner (1 of 3 attempts used)"
    )
    assert messages.index("doomed started") < messages.index(lapse) < messages.index("rescuer started")
    assert messages[-1] == "succeeded"
