"""Jobs over HTTP: envelope, paging, polling log, SSE, cancel, the external-runner protocol, bulk import.

The app boots its own Core (as ``faceforge serve`` does), so the job executor runs on the test
client's event loop, beside the requests it serves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from litestar.testing import AsyncTestClient

from asgi_client import in_loop_client
from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.clock import FixedClock
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.app import create_app
from faceforge_http.routes.jobs import LEASE_HEADER

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]
EXTERNAL = "testplug.work"


@pytest.fixture
async def served(home: Path) -> AsyncIterator[tuple[Client, Core]]:
    app = create_app()
    async with AsyncTestClient(app=app) as test_client:
        core: Core = app.state.core
        core.jobs.registry.register_external(EXTERNAL)
        yield test_client, core


@pytest.fixture
def client(served: tuple[Client, Core]) -> Client:
    return served[0]


@pytest.fixture
def auth(served: tuple[Client, Core]) -> dict[str, str]:
    return {"Authorization": f"Bearer {served[1].install_token}"}


@pytest.fixture
def external() -> str:
    return EXTERNAL


async def wait_job(client: Client, auth: dict[str, str], job_id: str, *statuses: str) -> dict[str, Any]:
    with anyio.fail_after(20):
        while True:
            job: dict[str, Any] = (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json()["data"]
            if job["status"] in statuses:
                return job
            await anyio.sleep(0.05)


async def claim(client: Client, auth: dict[str, str], job_id: str, runner: str = "r") -> dict[str, str]:
    """Claim a job; the headers its runner then calls with (the lease beside the token)."""
    claimed = await client.post(f"/v1/jobs/{job_id}/claim", json={"runner": runner}, headers=auth)
    assert claimed.status_code == 200, claimed.text
    return {**auth, LEASE_HEADER: claimed.json()["data"]["lease_id"]}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


async def job_count(client: Client, auth: dict[str, str]) -> int:
    return int((await client.get("/v1/jobs", headers=auth)).json()["data"]["total"])


async def test_jobs_need_the_token(client: Client) -> None:
    assert_error(await client.get("/v1/jobs"), 401, "unauthorized")


async def test_create_answers_201_with_location_and_the_job(
    client: Client, auth: dict[str, str], external: str
) -> None:
    response = await client.post("/v1/jobs", json={"job_type": external, "input": {"a": [1]}}, headers=auth)
    assert response.status_code == 201
    job = response.json()["data"]
    assert response.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert job["status"] == "queued"
    assert job["input"] == {"a": [1]}
    assert job["created_at"].endswith("Z")
    again = await client.get(response.headers["location"], headers=auth)
    assert again.json()["data"] == job


@pytest.mark.parametrize(
    "body",
    [
        {"job_type": "nobody.registered"},
        {"job_type": "Bad Name"},
        {"job_type": EXTERNAL, "input": [1]},
        {"job_type": EXTERNAL, "surprise": 1},
        {},
    ],
    ids=["unknown-type", "bad-name", "input-not-object", "unknown-field", "empty"],
)
async def test_create_refuses_bad_requests_with_422_and_creates_nothing(
    client: Client, auth: dict[str, str], external: str, body: dict[str, Any]
) -> None:
    assert_error(await client.post("/v1/jobs", json=body, headers=auth), 422, "validation_error")
    assert await job_count(client, auth) == 0


async def test_unknown_job_is_404_on_every_route(client: Client, auth: dict[str, str]) -> None:
    missing = "0" * 64
    for method, suffix in [("GET", ""), ("GET", "/log"), ("GET", "/events"), ("POST", "/cancel")]:
        response = await client.request(method, f"/v1/jobs/{missing}{suffix}", headers=auth)
        assert_error(response, 404, "not_found")


async def test_list_filters_and_pages_with_a_cursor(
    client: Client, auth: dict[str, str], external: str
) -> None:
    ids = []
    for i in range(5):
        response = await client.post("/v1/jobs", json={"job_type": external, "input": {"i": i}}, headers=auth)
        ids.append(response.json()["data"]["job_id"])
    await client.post(f"/v1/jobs/{ids[0]}/cancel", headers=auth)
    canceled = (await client.get("/v1/jobs", params={"status": "canceled"}, headers=auth)).json()["data"]
    assert [j["job_id"] for j in canceled["items"]] == [ids[0]]
    both = await client.get("/v1/jobs", params=[("status", "canceled"), ("status", "queued")], headers=auth)
    assert both.json()["data"]["total"] == 5
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, "job_type": external}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/jobs", params=params, headers=auth)).json()["data"]
        seen += [j["job_id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert_error(
        await client.get("/v1/jobs", params={"status": "napping"}, headers=auth), 422, "validation_error"
    )
    assert_error(await client.get("/v1/jobs", params={"limit": 500}, headers=auth), 422, "validation_error")


async def test_the_external_runner_protocol_over_http(
    client: Client, auth: dict[str, str], external: str
) -> None:
    job_id = (await client.post("/v1/jobs", json={"job_type": external}, headers=auth)).json()["data"][
        "job_id"
    ]
    base = f"/v1/jobs/{job_id}"
    unclaimed = {**auth, LEASE_HEADER: "none"}
    assert_error(
        await client.post(f"{base}/progress", json={"percent": 5}, headers=unclaimed), 409, "conflict"
    )
    claimed = await client.post(f"{base}/claim", json={"runner": "gpu-box"}, headers=auth)
    assert claimed.status_code == 200
    assert claimed.json()["data"]["status"] == "running"
    assert claimed.json()["data"]["claimed_by"] == "gpu-box"
    assert claimed.json()["data"]["attempts"] == 1
    assert claimed.json()["data"]["lease_expires_at"] is not None
    runner = {**auth, LEASE_HEADER: claimed.json()["data"]["lease_id"]}
    assert (
        "lease_id" not in (await client.get(base, headers=auth)).json()["data"]
    )  # only the claimer learns it
    assert_error(await client.post(f"{base}/claim", json={"runner": "other"}, headers=auth), 409, "conflict")
    assert_error(await client.post(f"{base}/heartbeat", headers=auth), 422, "validation_error")
    assert_error(await client.post(f"{base}/heartbeat", headers=unclaimed), 409, "lease_expired")
    beat = await client.post(f"{base}/heartbeat", headers=runner)
    assert beat.status_code == 200
    assert beat.json()["data"]["status"] == "running"
    logged = await client.post(
        f"{base}/log",
        json={"entries": [{"message": "loading"}, {"level": "warning", "message": "slow", "data": {"s": 3}}]},
        headers=runner,
    )
    assert logged.status_code == 200
    assert [e["message"] for e in logged.json()["data"]] == ["loading", "slow"]
    bad_log = await client.post(
        f"{base}/log", json={"entries": [{"level": "shout", "message": "x"}]}, headers=runner
    )
    assert_error(bad_log, 422, "validation_error")
    assert_error(
        await client.post(f"{base}/progress", json={"percent": 101}, headers=runner), 422, "validation_error"
    )
    progress = await client.post(
        f"{base}/progress", json={"current": 2, "total": 8, "step": "epoch"}, headers=runner
    )
    assert progress.json()["data"]["progress"]["percent"] == 25.0
    done = await client.post(f"{base}/complete", json={"result": {"loss": 0.1}}, headers=runner)
    assert done.json()["data"]["status"] == "succeeded"
    assert done.json()["data"]["result"] == {"loss": 0.1}
    assert_error(await client.post(f"{base}/cancel", headers=auth), 409, "conflict")
    log = (await client.get(f"{base}/log", headers=auth)).json()["data"]
    assert [e["message"] for e in log["items"]][-3:] == ["loading", "slow", "succeeded"]


async def test_a_lapsed_lease_requeues_the_job_and_the_silent_runner_gets_lease_expired(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACEFORGE_JOBS__RUNNER_LEASE_SECONDS", "1")  # swept every quarter second
    clock = FixedClock()
    async with bootstrap(home=home, clock=clock) as core, in_loop_client(core) as client:
        core.jobs.registry.register_external(EXTERNAL)
        auth = {"Authorization": f"Bearer {core.install_token}"}
        job_id = (await client.post("/v1/jobs", json={"job_type": EXTERNAL}, headers=auth)).json()["data"][
            "job_id"
        ]
        silent = await claim(client, auth, job_id, "silent")
        await client.post(f"/v1/jobs/{job_id}/log", json={"entries": [{"message": "begun"}]}, headers=silent)
        clock.advance(timedelta(seconds=1))  # the runner says nothing for a whole lease
        requeued = await wait_job(client, auth, job_id, "queued")
        assert (requeued["claimed_by"], requeued["lease_expires_at"], requeued["attempts"]) == (None, None, 1)
        for path, body in (("heartbeat", None), ("progress", {"percent": 9}), ("complete", {})):
            assert_error(
                await client.post(f"/v1/jobs/{job_id}/{path}", json=body, headers=silent),
                409,
                "lease_expired",
            )
        second = await claim(client, auth, job_id, "second")
        assert_error(
            await client.post(f"/v1/jobs/{job_id}/complete", json={}, headers=silent), 409, "lease_expired"
        )
        done = await client.post(f"/v1/jobs/{job_id}/complete", json={"result": {"by": 2}}, headers=second)
        assert (done.json()["data"]["status"], done.json()["data"]["attempts"]) == ("succeeded", 2)
        log = [
            e["message"]
            for e in (await client.get(f"/v1/jobs/{job_id}/log", headers=auth)).json()["data"]["items"]
        ]
        assert "begun" in log
        lapse = "lease expired, runner 'silent' presumed dead; re-queued for another runner"
        assert f"{lapse} (1 of 3 attempts used)" in log


async def test_polling_the_log_with_next_after_id_sees_each_entry_once(
    client: Client, auth: dict[str, str], external: str
) -> None:
    job_id = (await client.post("/v1/jobs", json={"job_type": external}, headers=auth)).json()["data"][
        "job_id"
    ]
    runner = await claim(client, auth, job_id)
    seen: list[str] = []
    after = 0
    for batch in range(3):
        entries = [{"message": f"b{batch}-{i}"} for i in range(3)]
        await client.post(f"/v1/jobs/{job_id}/log", json={"entries": entries}, headers=runner)
        page = (await client.get(f"/v1/jobs/{job_id}/log", params={"after_id": after}, headers=auth)).json()[
            "data"
        ]
        seen += [e["message"] for e in page["items"]]
        after = page["next_after_id"]
    assert [m for m in seen if m.startswith("b")] == [f"b{b}-{i}" for b in range(3) for i in range(3)]
    assert_error(
        await client.get(f"/v1/jobs/{job_id}/log", params={"limit": 0}, headers=auth), 422, "validation_error"
    )


def parse_sse(text: str) -> list[tuple[str, dict[str, Any], str | None]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.strip()
        if "data" in fields:
            events.append((fields.get("event", "message"), json.loads(fields["data"]), fields.get("id")))
    return events


async def read_sse(
    client: Client, url: str, auth: dict[str, str], headers: dict[str, str] | None = None
) -> list[tuple[str, dict[str, Any], str | None]]:
    """Read a whole event stream on a worker thread, so the test can drive the job meanwhile."""
    request = httpx.Request("GET", f"http://testserver.local{url}", headers={**auth, **(headers or {})})
    transport = client._transport  # the client's ASGI transport: the same app, the same Core

    def fetch() -> httpx.Response:
        response = transport.handle_request(request)  # type: ignore[attr-defined]
        response.read()
        return response  # type: ignore[no-any-return]

    response = await anyio.to_thread.run_sync(fetch)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


async def test_sse_streams_log_entries_and_progress_until_the_job_ends(
    client: Client, auth: dict[str, str], external: str
) -> None:
    job_id = (await client.post("/v1/jobs", json={"job_type": external}, headers=auth)).json()["data"][
        "job_id"
    ]
    events: list[tuple[str, dict[str, Any], str | None]] = []

    async def watch() -> None:
        events.extend(await read_sse(client, f"/v1/jobs/{job_id}/events", auth))

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        await anyio.sleep(0.2)
        runner = await claim(client, auth, job_id)
        await client.post(f"/v1/jobs/{job_id}/progress", json={"percent": 50, "step": "half"}, headers=runner)
        await client.post(
            f"/v1/jobs/{job_id}/log", json={"entries": [{"message": "live line"}]}, headers=runner
        )
        await client.post(f"/v1/jobs/{job_id}/complete", json={}, headers=runner)
    kinds = [e[0] for e in events]
    assert kinds[-1] == "end"
    assert events[-1][1]["status"] == "succeeded"
    messages = [e[1]["message"] for e in events if e[0] == "log"]
    assert messages[0] == "queued; waits for an external runner"
    assert "live line" in messages
    assert messages[-1] == "succeeded"
    assert any(e[0] == "job" and e[1]["progress"]["step"] == "half" for e in events)
    log_ids = [int(e[2]) for e in events if e[0] == "log" and e[2]]
    assert log_ids == sorted(log_ids)
    # Reconnecting with Last-Event-ID resumes after that entry: nothing is repeated.
    resumed = await read_sse(client, f"/v1/jobs/{job_id}/events", auth, {"Last-Event-ID": str(log_ids[-2])})
    assert [e[1]["message"] for e in resumed if e[0] == "log"] == ["succeeded"]


async def test_cancel_is_idempotent_for_queued_jobs(
    client: Client, auth: dict[str, str], external: str
) -> None:
    job_id = (await client.post("/v1/jobs", json={"job_type": external}, headers=auth)).json()["data"][
        "job_id"
    ]
    first = await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    second = await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert first.status_code == second.status_code == 200
    assert second.json()["data"]["status"] == "canceled"
    assert_error(
        await client.post(f"/v1/jobs/{job_id}/claim", json={"runner": "r"}, headers=auth), 409, "conflict"
    )


# -- bulk import --------------------------------------------------------------------------------


async def test_bulk_import_runs_as_a_job_and_reports_counts(
    client: Client, auth: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"alpha")
    (folder / "a.txt_meta.json").write_text('{"tags": ["x"], "note": "hi"}')
    (folder / "sub" / "b.txt").write_bytes(b"beta")
    (folder / "sub" / "copy.txt").write_bytes(b"alpha")
    response = await client.post("/v1/assets/bulk-import", json={"path": str(folder)}, headers=auth)
    assert response.status_code == 201, response.text
    assert response.headers["location"].startswith("/v1/jobs/")
    job = response.json()["data"]
    assert job["job_type"] == "core.assets.bulk_import"
    done = await wait_job(client, auth, job["job_id"], "succeeded", "failed")
    assert done["status"] == "succeeded", done
    result = done["result"]
    assert (result["scanned"], result["imported"], result["duplicates"], result["failed"]) == (3, 2, 1, 0)
    assert result["sidecars"] == 1
    assert result["bytes"] == 14
    assert done["progress"]["current"] == done["progress"]["total"] == 3


@pytest.mark.parametrize("kind", ["missing", "file", "system", "bad-input"])
async def test_bulk_import_refuses_bad_paths_before_any_job(
    client: Client, auth: dict[str, str], tmp_path: Path, kind: str
) -> None:
    (tmp_path / "f.txt").write_text("x")
    body: dict[str, Any] = {
        "missing": {"path": str(tmp_path / "nope")},
        "file": {"path": str(tmp_path / "f.txt")},
        "system": {"path": "/etc"},
        "bad-input": {"path": str(tmp_path), "recursive": "yes"},
    }[kind]
    response = await client.post("/v1/assets/bulk-import", json=body, headers=auth)
    if kind == "system":
        error = assert_error(response, 403, "forbidden")
        assert "/etc" in error["message"]
    else:
        assert_error(response, 422, "validation_error")
    assert await job_count(client, auth) == 0


async def test_bulk_import_refuses_a_nul_character_in_the_path_as_a_validation_error(
    client: Client, auth: dict[str, str], tmp_path: Path
) -> None:
    body = {"path": f"{tmp_path}\u0000/etc/shadow"}
    response = await client.post("/v1/assets/bulk-import", json=body, headers=auth)
    error = assert_error(response, 422, "validation_error")
    assert error["details"] == [{"field": "path", "message": "must not contain a NUL character"}]
    assert await job_count(client, auth) == 0


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"kind": "Not A Kind"}, "kind", "lowercase words joined by dots"),
        ({"kind": "a" * 65}, "kind", "at most 64 characters"),
        ({"entity_id": "not-an-id"}, "entity_id", "64-character lowercase hex id"),
        ({"include": ["*.jpg"] * 101}, "include", "at most 100 items"),
        ({"exclude": [""]}, "exclude/0", "at least 1 characters"),
        ({"surprise": True}, "surprise", "not a known attribute"),
    ],
)
async def test_bulk_import_refuses_bad_options_by_their_field_before_any_job(
    client: Client, auth: dict[str, str], tmp_path: Path, extra: dict[str, Any], field: str, words: str
) -> None:
    body = {"path": str(tmp_path), **extra}
    response = await client.post("/v1/assets/bulk-import", json=body, headers=auth)
    error = assert_error(response, 422, "validation_error")
    assert [detail["field"] for detail in error["details"]] == [field]
    assert words in error["details"][0]["message"]
    assert await job_count(client, auth) == 0


async def test_bulk_import_takes_include_hidden(client: Client, auth: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / ".config").mkdir(parents=True)
    (folder / ".config" / "app.ini").write_bytes(b"[app]")
    body = {"path": str(folder), "include_hidden": True}
    response = await client.post("/v1/assets/bulk-import", json=body, headers=auth)
    assert response.status_code == 201, response.text
    done = await wait_job(client, auth, response.json()["data"]["job_id"], "succeeded", "failed")
    assert (done["result"]["imported"], done["result"]["skipped"]) == (1, 0)
    assert done["progress"]["skipped"] == 0


async def test_export_runs_as_a_job_through_the_jobs_api(
    served: tuple[Client, Core], auth: dict[str, str], tmp_path: Path
) -> None:
    client, core = served

    async def alpha() -> AsyncIterator[bytes]:
        yield b"alpha"

    await core.assets.ingest(alpha(), IngestOptions(filename="a.txt"))
    target = tmp_path / "export"
    response = await client.post(
        "/v1/jobs", json={"job_type": "core.export", "input": {"target": str(target)}}, headers=auth
    )
    assert response.status_code == 201, response.text
    done = await wait_job(client, auth, response.json()["data"]["job_id"], "succeeded", "failed")
    assert done["status"] == "succeeded", done
    assert (done["result"]["assets"], done["result"]["written"]) == (1, 1)
    assert done["progress"]["bytes_current"] == done["progress"]["bytes_total"] == 5
    assert (target / "_unlinked" / "a.txt").read_bytes() == b"alpha"
    assert (target / "manifest.json").is_file()


@pytest.mark.parametrize("kind", ["foreign", "relative", "system"])
async def test_export_refuses_a_bad_target_before_any_job_and_writes_nothing(
    client: Client, auth: dict[str, str], tmp_path: Path, kind: str
) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "mine.jpg").write_bytes(b"mine")
    target = {"foreign": str(foreign), "relative": "out/export", "system": "/etc/export"}[kind]
    response = await client.post(
        "/v1/jobs", json={"job_type": "core.export", "input": {"target": target}}, headers=auth
    )
    if kind == "system":
        assert_error(response, 403, "forbidden")
        assert not await anyio.Path("/etc/export").exists()
    else:
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["field"] == "input/target", error
    assert [p.name for p in foreign.iterdir()] == ["mine.jpg"]
    assert await job_count(client, auth) == 0
