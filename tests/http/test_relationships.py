"""Relationships and relation-type suggestions."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from test_entities import assert_invalid, create

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]


async def link(client: Client, auth: dict[str, str], src: str, dst: str, type_: str) -> Any:
    return await client.post(
        "/v1/relationships", json={"src_entity_id": src, "dst_entity_id": dst, "type": type_}, headers=auth
    )


async def rows(client: Client, auth: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/v1/relationships?include_deleted=true{query}", headers=auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]["items"]
    return items


async def test_relationships_both_directions(client: Client, auth: dict[str, str]) -> None:
    a, b, c = [(await create(client, auth, display_name=n))["entity_id"] for n in "abc"]
    made = await link(client, auth, a, b, "  parent ")
    assert made.status_code == 201
    assert made.headers["location"] == f"/v1/relationships/{made.json()['data']['relationship_id']}"
    assert made.json()["data"]["type"] == "parent"
    assert (await link(client, auth, c, a, "friend")).status_code == 201
    both = await client.get(f"/v1/relationships?entity_id={a}", headers=auth)
    assert both.json()["data"]["total"] == 2
    out = (await client.get(f"/v1/relationships?entity_id={a}&direction=out", headers=auth)).json()["data"]
    assert [(r["src_entity_id"], r["dst_entity_id"]) for r in out["items"]] == [(a, b)]
    incoming = (await client.get(f"/v1/relationships?entity_id={a}&direction=in", headers=auth)).json()[
        "data"
    ]
    assert [r["type"] for r in incoming["items"]] == ["friend"]
    typed = (await client.get(f"/v1/relationships?entity_id={a}&type=PARENT", headers=auth)).json()["data"]
    assert typed["total"] == 1


async def test_self_duplicate_and_missing_ends_are_refused_without_rows(
    client: Client, auth: dict[str, str]
) -> None:
    a, b = [(await create(client, auth, display_name=n))["entity_id"] for n in "ab"]
    assert (await link(client, auth, a, b, "sibling")).status_code == 201
    duplicate = await link(client, auth, a, b, "sibling")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"
    assert_invalid(await link(client, auth, a, a, "sibling"), "dst_entity_id")
    assert_invalid(await link(client, auth, a, "f" * 64, "sibling"), "dst_entity_id")
    assert_invalid(await link(client, auth, a, b, "   "), "type")
    assert_invalid(await client.get("/v1/relationships?direction=out", headers=auth), "direction")
    assert_invalid(
        await client.get(f"/v1/relationships?entity_id={a}&direction=up", headers=auth), "direction"
    )
    assert len(await rows(client, auth)) == 1


async def test_delete_is_soft_and_frees_the_pair(client: Client, auth: dict[str, str]) -> None:
    a, b = [(await create(client, auth, display_name=n))["entity_id"] for n in "ab"]
    made = (await link(client, auth, a, b, "rival")).json()["data"]
    url = f"/v1/relationships/{made['relationship_id']}"
    assert (await client.delete(url, headers=auth)).status_code == 204
    assert (await client.get(url, headers=auth)).status_code == 404
    assert (await client.delete(url, headers=auth)).status_code == 404
    assert (await link(client, auth, a, b, "rival")).status_code == 201
    assert len(await rows(client, auth)) == 2


async def test_a_type_used_once_is_suggested_prefix_matches_first(
    client: Client, auth: dict[str, str]
) -> None:
    a, b, c = [(await create(client, auth, display_name=n))["entity_id"] for n in "abc"]

    async def suggest(query: str) -> list[dict[str, Any]]:
        response = await client.get(f"/v1/relation-types?query={query}", headers=auth)
        assert response.status_code == 200
        found: list[dict[str, Any]] = response.json()["data"]
        return found

    assert "sparring partner" not in [s["type"] for s in await suggest("sp")]
    await link(client, auth, a, b, "sparring partner")
    await link(client, auth, a, c, "sparring partner")
    await link(client, auth, b, c, "Sparring Partner")  # one type, spelled as most used
    found = await suggest("SP")
    assert found[0] == {"type": "sparring partner", "count": 3, "builtin": False}
    assert found[1] == {"type": "spouse", "count": 0, "builtin": True}
    names = [s["type"] for s in await suggest("art")]
    assert names == ["sparring partner", "partner"]  # substring matches: most used first, then seeds
    await link(client, auth, c, a, "friend")
    everything = await suggest("")
    assert everything[0]["type"] == "sparring partner"
    assert {"type": "friend", "count": 1, "builtin": True} in everything
    assert (await client.get("/v1/relation-types?limit=0", headers=auth)).status_code == 422
