"""The look-alike routes: similar assets, the review list, keep one, not duplicates.

Hashes are seeded through the unit of work (only the preview pipeline stores them; no route sets one).
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from test_jobs_http import wait_job

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.lookalikes import MAX_DISTANCE
from lookalikes_support import asset_id, seed_hashes

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]
PHOTO = 0x9F3A_5C11_E7D2_08B4


@pytest.fixture
async def seeded(core: Core) -> Core:
    hashes = {0: PHOTO, 1: PHOTO ^ 1, 2: PHOTO ^ 0b110, 3: ~PHOTO & ((1 << 64) - 1)}
    await seed_hashes(SqliteUnitOfWorkFactory(core.database), hashes)
    await seed_hashes(SqliteUnitOfWorkFactory(core.database), {9: PHOTO ^ 0b11 << 60})
    async with SqliteUnitOfWorkFactory(core.database).write() as uow:
        await uow.lookalikes.remove(asset_id(9))
        await uow.commit()
    return core


async def scan(client: Client, auth: dict[str, str]) -> list[dict[str, Any]]:
    body = {"job_type": "core.duplicates.scan", "input": {"max_distance": 4}}
    created = await client.post("/v1/jobs", json=body, headers=auth)
    assert created.status_code == 201, created.text
    job = await wait_job(client, auth, created.json()["data"]["job_id"], "succeeded", "failed")
    assert job["status"] == "succeeded", job
    listed = await client.get("/v1/duplicate-groups", headers=auth)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["data"]["items"])


async def test_similar_lists_the_nearest_live_assets(
    client: Client, auth: dict[str, str], seeded: Core
) -> None:
    answer = await client.get(f"/v1/assets/{asset_id(0)}/similar?max_distance=4", headers=auth)
    assert answer.status_code == 200, answer.text
    assert [(s["asset"]["asset_id"], s["distance"]) for s in answer.json()["data"]] == [
        (asset_id(1), 1),
        (asset_id(2), 2),
    ]
    limited = await client.get(f"/v1/assets/{asset_id(0)}/similar?limit=1", headers=auth)
    assert [s["asset"]["filename"] for s in limited.json()["data"]] == ["IMG_0001.jpg"]


@pytest.mark.parametrize(
    ("path", "status", "code", "words"),
    [
        (f"/v1/assets/{asset_id(9)}/similar", 404, "not_found", "no picture hash yet"),
        (f"/v1/assets/{asset_id(7)}/similar", 404, "not_found", "was not found"),
        (f"/v1/assets/{asset_id(0)}/similar?max_distance={MAX_DISTANCE + 1}", 422, "validation_error", ""),
        (f"/v1/duplicate-groups/{'e' * 64}", 404, "not_found", "was not found"),
    ],
)
async def test_bad_requests_get_clear_errors(
    client: Client, auth: dict[str, str], seeded: Core, path: str, status: int, code: str, words: str
) -> None:
    answer = await client.get(path, headers=auth)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert words in answer.json()["error"]["message"]


async def test_a_scan_fills_the_review_list_and_keep_resolves_a_group(
    client: Client, auth: dict[str, str], seeded: Core
) -> None:
    [group] = await scan(client, auth)
    assert [(m["asset"]["asset_id"], m["distance"]) for m in group["members"]] == [
        (asset_id(0), 0),
        (asset_id(1), 1),
        (asset_id(2), 2),
    ]
    assert {(m["width"], m["height"], m["linked_entities"]) for m in group["members"]} == {(None, None, 0)}
    url = f"/v1/duplicate-groups/{group['group_id']}"
    kept = await client.post(f"{url}/keep", json={"asset_id": asset_id(1)}, headers=auth)
    assert kept.status_code == 200, kept.text
    assert (kept.json()["data"]["status"], kept.json()["data"]["kept_asset_id"]) == ("resolved", asset_id(1))
    trash = await client.get("/v1/assets?include_deleted=true&limit=200", headers=auth)
    deleted = {a["asset_id"] for a in trash.json()["data"]["items"] if a["deleted_at"]}
    assert deleted == {asset_id(0), asset_id(2)}
    again = await client.post(f"{url}/dismiss", headers=auth)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    assert (await client.get("/v1/duplicate-groups", headers=auth)).json()["data"]["total"] == 0


async def test_keeping_an_asset_outside_the_group_changes_nothing(
    client: Client, auth: dict[str, str], seeded: Core
) -> None:
    [group] = await scan(client, auth)
    url = f"/v1/duplicate-groups/{group['group_id']}"
    refused = await client.post(f"{url}/keep", json={"asset_id": asset_id(3)}, headers=auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_error")
    assert (await client.get(url, headers=auth)).json()["data"] == group
    dismissed = await client.post(f"{url}/dismiss", headers=auth)
    assert dismissed.json()["data"]["status"] == "dismissed"
    assert await scan(client, auth) == []  # dismissed pairs are not raised again
