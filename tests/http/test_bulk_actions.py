"""Actions on several chosen records at once (select many, act once): tag and untag, delete and restore
entities, unlink files from an entity. Each is one transaction: an unknown id is a 422 naming its place
in the request, and nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from faceforge_adapters.bootstrap import Core
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio
NOBODY = "f" * 64


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def make(client: httpx.AsyncClient, auth: dict[str, str], name: str, tags: list[str]) -> str:
    created = await client.post("/v1/entities", json={"display_name": name, "tags": tags}, headers=auth)
    assert created.status_code == 201
    entity_id: str = created.json()["data"]["entity_id"]
    return entity_id


async def entity(client: httpx.AsyncClient, auth: dict[str, str], entity_id: str) -> dict[str, Any]:
    found = await client.get(f"/v1/entities/{entity_id}", params={"include_deleted": "true"}, headers=auth)
    data: dict[str, Any] = found.json()["data"]
    return data


async def test_tags_are_added_and_removed_on_every_chosen_entity(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ann = await make(client, auth, "Ann", ["actor", "Draft"])
    bo = await make(client, auth, "Bo", [])
    body = {"entity_ids": [ann, bo, ann], "add": ["reference", "Actor"], "remove": ["draft"]}
    done = await client.post("/v1/entities/bulk-tag", json=body, headers=auth)
    assert done.status_code == 200
    assert [e["tags"] for e in done.json()["data"]] == [["actor", "reference"], ["reference", "Actor"]]
    assert (await entity(client, auth, ann))["tags"] == ["actor", "reference"]


async def test_tagging_with_nothing_to_change_leaves_updated_at(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ann = await make(client, auth, "Ann", ["actor"])
    before = await entity(client, auth, ann)
    body = {"entity_ids": [ann], "add": ["ACTOR"], "remove": ["never-there"]}
    assert (await client.post("/v1/entities/bulk-tag", json=body, headers=auth)).status_code == 200
    assert await entity(client, auth, ann) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entity_ids": [], "add": ["x"]}, "entity_ids"),
        ({"entity_ids": ["nope"], "add": ["x"]}, "entity_ids/0"),
        ({"entity_ids": ["{ann}"]}, "add"),
        ({"entity_ids": ["{ann}"], "add": ["x"], "remove": ["X"]}, "remove"),
        ({"entity_ids": ["{ann}"], "add": ["  "]}, "add/0"),
        ({"entity_ids": ["{ann}", NOBODY], "add": ["x"]}, "entity_ids/1"),
        ({"entity_ids": ["{ann}", "{gone}"], "add": ["x"]}, "entity_ids/1"),
    ],
)
async def test_bad_tagging_is_422_and_changes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    ann = await make(client, auth, "Ann", ["actor"])
    gone = await make(client, auth, "Gone", ["actor"])
    assert (await client.delete(f"/v1/entities/{gone}", headers=auth)).status_code == 204
    before = [await entity(client, auth, ann), await entity(client, auth, gone)]
    ids = [i.format(ann=ann, gone=gone) for i in body["entity_ids"]]
    bad = await client.post("/v1/entities/bulk-tag", json=body | {"entity_ids": ids}, headers=auth)
    assert bad.status_code == 422
    assert field in [d["field"].lstrip("/").replace(".", "/") for d in bad.json()["error"]["details"]]
    assert [await entity(client, auth, ann), await entity(client, auth, gone)] == before


async def test_chosen_entities_go_to_the_trash_and_come_back_together(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ann, bo = await make(client, auth, "Ann", []), await make(client, auth, "Bo", [])
    gone = await client.post("/v1/entities/bulk-delete", json={"entity_ids": [ann, bo]}, headers=auth)
    assert gone.status_code == 204
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 0
    back = await client.post("/v1/entities/bulk-restore", json={"entity_ids": [ann, bo]}, headers=auth)
    assert back.status_code == 200
    assert [e["deleted_at"] for e in back.json()["data"]] == [None, None]
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 2


@pytest.mark.parametrize("route", ["bulk-delete", "bulk-restore"])
async def test_an_unknown_id_deletes_or_restores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], route: str
) -> None:
    ann = await make(client, auth, "Ann", [])
    if route == "bulk-restore":
        assert (await client.delete(f"/v1/entities/{ann}", headers=auth)).status_code == 204
    before = await entity(client, auth, ann)
    bad = await client.post(f"/v1/entities/{route}", json={"entity_ids": [ann, NOBODY]}, headers=auth)
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert [d["field"] for d in error["details"]] == ["entity_ids/1"]
    why = "was not found" if route == "bulk-restore" else "was not found or is in the trash"
    assert error["message"] == f"entity_ids/1: {why}"
    assert await entity(client, auth, ann) == before


async def test_deleting_an_entity_already_in_the_trash_changes_none_of_the_others(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ann, bo = await make(client, auth, "Ann", []), await make(client, auth, "Bo", [])
    assert (await client.delete(f"/v1/entities/{bo}", headers=auth)).status_code == 204
    bad = await client.post("/v1/entities/bulk-delete", json={"entity_ids": [ann, bo]}, headers=auth)
    assert bad.status_code == 422
    assert (await entity(client, auth, ann))["deleted_at"] is None


async def linked_files(core: Core, entity_id: str, names: list[str]) -> list[str]:
    ids = []
    for n, name in enumerate(names):
        data = b"\x89PNG\r\n\x1a\n" + bytes([n]) * 32
        asset = (await core.assets.ingest(one_chunk(data), IngestOptions(filename=name))).asset
        await core.assets.link(entity_id, asset.asset_id)
        ids.append(asset.asset_id)
    return ids


async def attached(client: httpx.AsyncClient, auth: dict[str, str], entity_id: str) -> list[str]:
    found = await client.get(f"/v1/entities/{entity_id}/assets", headers=auth)
    return sorted(a["asset_id"] for a in found.json()["data"]["items"])


async def test_chosen_files_are_unlinked_and_a_main_picture_among_them_is_cleared(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    ann = await make(client, auth, "Ann", [])
    one, two, three = await linked_files(core, ann, ["a.png", "b.png", "c.png"])
    await core.entities.patch(ann, {"primary_thumbnail_asset_id": one})
    url = f"/v1/entities/{ann}/assets/bulk-unlink"
    done = await client.post(url, json={"asset_ids": [one, two, two]}, headers=auth)
    assert done.status_code == 200
    assert done.json()["data"] == {"entity_id": ann, "unlinked": 2}
    assert await attached(client, auth, ann) == [three]
    assert (await entity(client, auth, ann))["primary_thumbnail_asset_id"] is None
    again = await client.post(url, json={"asset_ids": [one]}, headers=auth)
    assert again.json()["data"]["unlinked"] == 0


@pytest.mark.parametrize(
    ("entity_is", "asset_ids", "status"),
    [("known", "one,nobody", 422), ("unknown", "one", 404), ("known", "", 422), ("known", "one,x", 422)],
)
async def test_bad_unlinking_is_refused_and_unlinks_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, entity_is: str, asset_ids: str, status: int
) -> None:
    ann = await make(client, auth, "Ann", [])
    (one,) = await linked_files(core, ann, ["a.png"])
    await core.entities.patch(ann, {"primary_thumbnail_asset_id": one})
    ids = [{"one": one, "nobody": NOBODY}.get(i, i) for i in asset_ids.split(",") if i]
    target = ann if entity_is == "known" else NOBODY
    bad = await client.post(
        f"/v1/entities/{target}/assets/bulk-unlink", json={"asset_ids": ids}, headers=auth
    )
    assert bad.status_code == status
    assert await attached(client, auth, ann) == [one]
    assert (await entity(client, auth, ann))["primary_thumbnail_asset_id"] == one


async def asset(client: httpx.AsyncClient, auth: dict[str, str], asset_id: str) -> dict[str, Any]:
    found = await client.get(f"/v1/assets/{asset_id}", params={"include_deleted": "true"}, headers=auth)
    data: dict[str, Any] = found.json()["data"]
    return data


async def test_chosen_files_go_to_the_trash_and_come_back_with_the_main_picture(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    ann = await make(client, auth, "Ann", [])
    one, two = await linked_files(core, ann, ["a.png", "b.png"])
    await core.entities.patch(ann, {"primary_thumbnail_asset_id": one})
    gone = await client.post("/v1/assets/bulk-delete", json={"asset_ids": [one, two]}, headers=auth)
    assert gone.status_code == 204
    assert (await entity(client, auth, ann))["primary_thumbnail_asset_id"] is None
    assert None not in [(await asset(client, auth, a))["deleted_at"] for a in (one, two)]
    back = await client.post("/v1/assets/bulk-restore", json={"asset_ids": [one, two]}, headers=auth)
    assert back.status_code == 200
    assert [a["deleted_at"] for a in back.json()["data"]] == [None, None]
    assert (await entity(client, auth, ann))["primary_thumbnail_asset_id"] == one


@pytest.mark.parametrize("route", ["bulk-delete", "bulk-restore"])
async def test_an_unknown_file_deletes_or_restores_no_file(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core, route: str
) -> None:
    ann = await make(client, auth, "Ann", [])
    (one,) = await linked_files(core, ann, ["a.png"])
    if route == "bulk-restore":
        assert (await client.delete(f"/v1/assets/{one}", headers=auth)).status_code == 204
    before = await asset(client, auth, one)
    bad = await client.post(f"/v1/assets/{route}", json={"asset_ids": [one, NOBODY]}, headers=auth)
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["asset_ids/1"]
    assert await asset(client, auth, one) == before
