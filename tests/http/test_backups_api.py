"""Backups over HTTP: ``POST /v1/backups`` starts the job, ``GET /v1/backups?target=`` lists snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from test_jobs_http import assert_error, job_count, wait_job

from faceforge_adapters.bootstrap import Core
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> Any:
    yield data


async def test_a_backup_started_over_http_runs_and_its_snapshot_is_listed(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, tmp_path: Path
) -> None:
    asset = (await core.assets.ingest(one_chunk(b"portrait" * 100), IngestOptions(filename="p.bin"))).asset
    target = tmp_path / "backup"

    started = await client.post("/v1/backups", json={"target": str(target), "keep": 3}, headers=auth)

    assert started.status_code == 201, started.text
    job = started.json()["data"]
    assert started.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert job["job_type"] == "core.backups.create"
    done = await wait_job(client, auth, job["job_id"], "succeeded", "failed")  # type: ignore[arg-type]
    assert done["status"] == "succeeded", done["error"]
    listed = await client.get("/v1/backups", params={"target": str(target)}, headers=auth)
    assert listed.status_code == 200, listed.text
    [snapshot] = listed.json()["data"]
    assert snapshot["snapshot_id"] == done["result"]["snapshot_id"]
    assert snapshot["blobs"] == 1
    assert snapshot["bytes_total"] > asset.size_bytes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "relative"}, "target"),
        ({"target": "/tmp/x", "keep": 0}, "keep"),
        ({"keep": 2}, "target"),
        ({"target": "/tmp/x", "surprise": 1}, "surprise"),
        ({"target": "/tmp/x", "endpoint_url": "http://127.0.0.1:9"}, "endpoint_url"),
        ({"target": "s3://Bad_Bucket/x"}, "target"),
        ({"target": "s3://bucket/x", "endpoint_url": "ftp://host"}, "endpoint_url"),
        ({"target": "s3://bucket/x", "endpoint_url": "http://127.0.0.1:9"}, "no S3 keys"),
    ],
)
async def test_bad_backup_requests_are_refused_before_any_job(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/backups", json=body, headers=auth)
    error = assert_error(response, 422, "validation_error")
    assert field in str(error["details"])
    assert await job_count(client, auth) == 0  # type: ignore[arg-type]


async def test_a_backup_into_fenced_or_foreign_folders_is_refused_before_any_job(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, tmp_path: Path
) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "letter.txt").write_text("dear")
    for target in (core.home / "backups", tmp_path, "/etc/faceforge", "/"):
        response = await client.post("/v1/backups", json={"target": str(target)}, headers=auth)
        assert_error(response, 403, "forbidden")
    response = await client.post("/v1/backups", json={"target": str(foreign)}, headers=auth)
    assert_error(response, 422, "validation_error")
    assert await job_count(client, auth) == 0  # type: ignore[arg-type]
    assert not (core.home / "backups").exists()


async def test_listing_a_folder_without_a_backup_is_404_and_the_target_is_required(
    client: httpx.AsyncClient, auth: dict[str, str], tmp_path: Path
) -> None:
    empty = tmp_path / "elsewhere" / "empty"
    empty.mkdir(parents=True)
    assert_error(
        await client.get("/v1/backups", params={"target": str(empty)}, headers=auth), 404, "not_found"
    )
    assert_error(await client.get("/v1/backups", headers=auth), 422, "validation_error")


async def test_backups_need_the_install_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/backups", params={"target": "/x"})).status_code == 401
    assert (await client.post("/v1/backups", json={"target": "/x"})).status_code == 401
