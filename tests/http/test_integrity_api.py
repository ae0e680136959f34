"""Integrity scans over HTTP: ``POST /v1/integrity-scans`` starts the job; a repair restores a damaged
file from a backup folder; bad requests start nothing."""

from __future__ import annotations

import hashlib
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


async def test_a_scan_started_over_http_finds_a_damaged_file_and_a_repair_restores_it(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, tmp_path: Path
) -> None:
    ada = await core.entities.create("Ada Lovelace")
    options = IngestOptions(filename="p.bin", entity_id=ada.entity_id)
    asset = (await core.assets.ingest(one_chunk(b"portrait" * 100), options)).asset
    backup = await client.post("/v1/backups", json={"target": str(tmp_path / "backup")}, headers=auth)
    assert (await wait_job(client, auth, backup.json()["data"]["job_id"], "succeeded"))[
        "status"
    ] == "succeeded"
    path = core.paths.assets_dir / asset.storage.key
    path.write_bytes(b"P" + path.read_bytes()[1:])

    started = await client.post("/v1/integrity-scans", json={}, headers=auth)

    assert started.status_code == 201, started.text
    job = started.json()["data"]
    assert started.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert job["job_type"] == "core.integrity.scan"
    done = await wait_job(client, auth, job["job_id"], "succeeded", "failed")
    assert done["status"] == "succeeded", done["error"]
    [finding] = done["result"]["findings"]
    assert (finding["problem"], finding["asset_id"], finding["entity_ids"]) == (
        "corrupt",
        asset.asset_id,
        [ada.entity_id],
    )

    repair = await client.post(
        "/v1/integrity-scans", json={"repair": True, "from": [str(tmp_path / "backup")]}, headers=auth
    )
    repaired = await wait_job(client, auth, repair.json()["data"]["job_id"], "succeeded", "failed")
    assert repaired["result"]["repaired"] == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == asset.asset_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repair": "yes"}, "repair"),
        ({"repair": 0}, "repair"),  # not a yes/no, though lenient decoding would call it false
        ({"from": "/backups"}, "from"),
        ({"from": ["relative"]}, "target"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_scan_requests_are_refused_before_any_job(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/integrity-scans", json=body, headers=auth)
    error = assert_error(response, 422, "validation_error")
    assert field in str(error["details"])
    assert await job_count(client, auth) == 0


async def test_scans_need_the_install_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/v1/integrity-scans", json={}), 401, "unauthorized")
