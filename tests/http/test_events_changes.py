"""Entity, asset and job changes appear in the feed in commit order, and never for a refused change."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_http.routes.jobs import LEASE_HEADER

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]


async def events(client: Client, auth: dict[str, str], types: str) -> list[tuple[str, str | None]]:
    response = await client.get("/v1/events", params={"types": types, "limit": 200}, headers=auth)
    assert response.status_code == 200
    return [(e["type"], e["subject_id"]) for e in response.json()["data"]["items"]]


async def test_entity_and_asset_changes_are_in_the_feed_in_order(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    entity = (await client.post("/v1/entities", json={"display_name": "Ada"}, headers=auth)).json()["data"]
    eid = entity["entity_id"]
    await client.patch(f"/v1/entities/{eid}", json={"tags": ["math"]}, headers=auth)
    await client.patch(f"/v1/entities/{eid}", json={"tags": ["math"]}, headers=auth)  # no change: no event
    upload = await client.put(
        "/v1/assets/upload", params={"filename": "note.txt"}, content=b"hello", headers=auth
    )
    aid = upload.json()["data"]["asset_id"]
    await client.post(f"/v1/entities/{eid}/assets/{aid}/link", json={}, headers=auth)
    await client.post(f"/v1/entities/{eid}/assets/{aid}/link", json={}, headers=auth)  # already linked
    await client.post(f"/v1/entities/{eid}/assets/{aid}/unlink", headers=auth)
    await client.delete(f"/v1/entities/{eid}", headers=auth)
    await client.post(f"/v1/entities/{eid}/restore", headers=auth)
    await core.metadata.wait_idle()
    assert await events(client, auth, "entity.*,asset.created,asset.linked,asset.unlinked") == [
        ("entity.created", eid),
        ("entity.updated", eid),
        ("asset.created", aid),
        ("asset.linked", aid),
        ("asset.unlinked", aid),
        ("entity.deleted", eid),
        ("entity.restored", eid),
    ]
    extracted = await events(client, auth, "asset.metadata_extracted")
    assert extracted == [("asset.metadata_extracted", aid)]


async def test_job_state_changes_are_in_the_feed(client: Client, core: Core, auth: dict[str, str]) -> None:
    core.jobs.registry.register_external("feedtest.work")
    job = (await client.post("/v1/jobs", json={"job_type": "feedtest.work"}, headers=auth)).json()["data"]
    claimed = await client.post(f"/v1/jobs/{job['job_id']}/claim", json={"runner": "r"}, headers=auth)
    runner = {**auth, LEASE_HEADER: claimed.json()["data"]["lease_id"]}
    await client.post(f"/v1/jobs/{job['job_id']}/complete", json={"result": {}}, headers=runner)
    jid = job["job_id"]
    assert await events(client, auth, "job.*") == [
        ("job.queued", jid),
        ("job.running", jid),
        ("job.succeeded", jid),
    ]


async def test_refused_changes_leave_no_event(client: Client, auth: dict[str, str]) -> None:
    refused = [
        await client.post("/v1/entities", json={"display_name": ""}, headers=auth),
        await client.post(
            "/v1/entities",
            json={"display_name": "X", "primary_thumbnail_asset_id": "0" * 64},
            headers=auth,
        ),
        await client.put(
            "/v1/assets/upload",
            params={"filename": "x.txt", "entity_id": "0" * 64},
            content=b"bytes",
            headers=auth,
        ),
    ]
    assert all(r.status_code >= 400 for r in refused)
    response = await client.get("/v1/events", params={"types": "entity.*,asset.*"}, headers=auth)
    items: list[Any] = response.json()["data"]["items"]
    assert items == []
