"""``GET /v1/entity-tags``: tag suggestions by prefix, with counts, and their errors."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_tags_are_suggested_by_prefix_with_counts(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for name, tags in (("Ann", ["fictional", "actor"]), ("Bo", ["fictional"]), ("Cy", ["fiction"])):
        created = await client.post("/v1/entities", json={"display_name": name, "tags": tags}, headers=auth)
        assert created.status_code == 201
    found = await client.get("/v1/entity-tags", params={"prefix": "ficti"}, headers=auth)
    assert found.json()["data"] == [{"tag": "fictional", "count": 2}, {"tag": "fiction", "count": 1}]
    assert len((await client.get("/v1/entity-tags", params={"limit": 1}, headers=auth)).json()["data"]) == 1


@pytest.mark.parametrize(("params", "field"), [({"limit": 0}, "limit"), ({"limit": 101}, "limit")])
async def test_bad_limits_are_422(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, int], field: str
) -> None:
    bad = await client.get("/v1/entity-tags", params=params, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == field


async def test_suggestions_need_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/entity-tags")).status_code == 401
