"""Asset records over HTTP: list filters and paging, get, merge patch, soft delete, restore, links."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from assets_support import same_loop_client

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    async with same_loop_client(core) as http:
        yield http


async def put(client: httpx.AsyncClient, auth: dict[str, str], data: bytes, name: str, **params: str) -> Any:
    response = await client.put(
        "/v1/assets/upload", params={"filename": name, **params}, content=data, headers=auth
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


async def listed(
    client: httpx.AsyncClient, auth: dict[str, str], url: str = "/v1/assets", **params: Any
) -> Any:
    response = await client.get(url, params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_list_filters_and_cursor_paging(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await put(client, auth, b"\xff\xd8\xff one", "one.jpg")
    await put(client, auth, b"%PDF- two", "Two.pdf")
    await put(client, auth, b"weights", "style.safetensors")
    everything = await listed(client, auth)
    assert [a["filename"] for a in everything["items"]] == ["one.jpg", "Two.pdf", "style.safetensors"]
    assert everything["total"] == 3
    assert [a["filename"] for a in (await listed(client, auth, mime="image/"))["items"]] == ["one.jpg"]
    assert [a["filename"] for a in (await listed(client, auth, kind="model.lora"))["items"]] == [
        "style.safetensors"
    ]
    assert [a["filename"] for a in (await listed(client, auth, q="TWO"))["items"]] == ["Two.pdf"]
    page = await listed(client, auth, limit=2)
    assert page["next_cursor"] is not None
    rest = await listed(client, auth, limit=2, cursor=page["next_cursor"])
    assert [a["filename"] for a in rest["items"]] == ["style.safetensors"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 500}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"entity_id": "x"}, "entity_id"),
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get("/v1/assets", params=params, headers=auth)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


async def test_get_patch_delete_restore(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    asset = await put(client, auth, b"record", "record.bin")
    url = f"/v1/assets/{asset['asset_id']}"
    got = (await client.get(url, headers=auth)).json()["data"]
    assert got["asset_id"] == asset["asset_id"]
    assert got["created_at"].endswith("Z")
    assert len(got["created_at"]) == len("2026-11-24T11:02:04.123Z")

    patched = await client.patch(
        url, json={"kind": "doc.scan", "owner": "me", "user_metadata": {"a": 1, "b": 2}}, headers=auth
    )
    assert patched.status_code == 200, patched.text
    again = await client.patch(url, json={"owner": None, "user_metadata": {"a": None}}, headers=auth)
    data = again.json()["data"]
    assert (data["kind"], data["owner"], data["user_metadata"]) == ("doc.scan", None, {"b": 2})
    unchanged = await client.patch(url, json={}, headers=auth)
    assert unchanged.json()["data"]["updated_at"] == data["updated_at"]

    bad = await client.patch(url, json={"kind": "NOT OK"}, headers=auth)
    assert bad.status_code == 422
    unknown = await client.patch(url, json={"size_bytes": 1}, headers=auth)
    assert unknown.status_code == 422

    assert (await client.delete(url, headers=auth)).status_code == 204
    assert (await client.get(url, headers=auth)).status_code == 404
    shown = await client.get(url, params={"include_deleted": "true"}, headers=auth)
    assert shown.json()["data"]["deleted_at"] is not None
    assert (await listed(client, auth))["total"] == 0
    assert (await listed(client, auth, include_deleted="true"))["total"] == 1
    restored = await client.post(f"{url}/restore", headers=auth)
    assert restored.status_code == 200
    assert restored.json()["data"]["deleted_at"] is None


async def test_unknown_asset_is_404_everywhere(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    url = f"/v1/assets/{'0' * 64}"
    for method, path in (
        ("GET", url),
        ("PATCH", url),
        ("DELETE", url),
        ("POST", f"{url}/restore"),
        ("GET", f"{url}/entities"),
    ):
        response = await client.request(method, path, headers=auth, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["error"]["code"] == "not_found"


async def test_link_unlink_and_entity_listing(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    entity = await core.entities.create("Ada")
    lora = await put(client, auth, b"lora weights", "ada.safetensors")
    photo = await put(client, auth, b"\xff\xd8\xff ada", "ada.jpg")
    base = f"/v1/entities/{entity.entity_id}/assets"
    first = await client.post(f"{base}/{lora['asset_id']}/link", json={"role": "lora"}, headers=auth)
    assert first.status_code == 200
    assert first.json()["data"]["changed"] is True
    repeat = await client.post(f"{base}/{lora['asset_id']}/link", headers=auth)
    assert repeat.json()["data"]["changed"] is False
    await client.post(f"{base}/{photo['asset_id']}/link", headers=auth)
    assert (await listed(client, auth, base))["total"] == 2
    assert [a["asset_id"] for a in (await listed(client, auth, base, kind="model.lora"))["items"]] == [
        lora["asset_id"]
    ]
    assert (await listed(client, auth, entity_id=entity.entity_id))["total"] == 2

    unlinked = await client.post(f"{base}/{photo['asset_id']}/unlink", headers=auth)
    assert unlinked.json()["data"]["changed"] is True
    again = await client.post(f"{base}/{photo['asset_id']}/unlink", headers=auth)
    assert again.json()["data"]["changed"] is False
    assert (await listed(client, auth, base))["total"] == 1


async def test_an_assets_entities_with_roles_paging_and_deleted_ones(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    asset = await put(client, auth, b"\xff\xd8\xff group", "group.jpg")
    people = [await core.entities.create(name) for name in ("Ada", "Bob", "Cy")]
    for person, role in zip(people, ("subject", None, "cameo"), strict=True):
        await core.assets.link(person.entity_id, asset["asset_id"], role)
    await core.entities.delete(people[1].entity_id)
    url = f"/v1/assets/{asset['asset_id']}/entities"
    live = await listed(client, auth, url)
    assert sorted((e["display_name"], e["role"]) for e in live["items"]) == [
        ("Ada", "subject"),
        ("Cy", "cameo"),
    ]
    assert live["total"] == 2
    assert set(live["items"][0]) >= {"entity_id", "tags", "created_at", "deleted_at", "role"}
    first = await listed(client, auth, url, limit=2, include_deleted="true")
    rest = await listed(client, auth, url, limit=2, include_deleted="true", cursor=first["next_cursor"])
    walked = [e["display_name"] for e in first["items"] + rest["items"]]
    assert (sorted(walked), first["total"], rest["next_cursor"]) == (["Ada", "Bob", "Cy"], 3, None)
    bad = await client.get(url, params={"cursor": "garbage"}, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "cursor"


async def test_links_with_unknown_ids_are_404(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    entity = await core.entities.create("Grace")
    asset = await put(client, auth, b"x", "x.bin")
    for path in (
        f"/v1/entities/{'0' * 64}/assets/{asset['asset_id']}/link",
        f"/v1/entities/{entity.entity_id}/assets/{'0' * 64}/link",
        f"/v1/entities/{'0' * 64}/assets/{asset['asset_id']}/unlink",
    ):
        response = await client.post(path, headers=auth)
        assert response.status_code == 404, path
    missing = await client.get(f"/v1/entities/{'0' * 64}/assets", headers=auth)
    assert missing.status_code == 404


async def test_purge_removes_deleted_unlinked_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    asset = await put(client, auth, b"to be purged", "p.bin")
    blob = core.paths.assets_dir / asset["storage"]["key"]
    assert blob.is_file()
    await client.delete(f"/v1/assets/{asset['asset_id']}", headers=auth)
    assert blob.is_file()  # soft delete keeps the bytes
    report = await core.assets.purge()
    assert report.asset_ids == [asset["asset_id"]]
    assert not blob.exists()
    gone = await client.get(
        f"/v1/assets/{asset['asset_id']}", params={"include_deleted": "true"}, headers=auth
    )
    assert gone.status_code == 404


async def asset_feed(
    client: httpx.AsyncClient, auth: dict[str, str], limit_s: float = 30
) -> list[tuple[str, str]]:
    """The asset events, once the file's metadata was read: its event can land a moment after the
    metadata queue looked idle (the gate once saw the feed without it)."""
    feed: list[tuple[str, str]] = []
    with anyio.move_on_after(limit_s):
        while not any(t == "asset.metadata_extracted" for t, _ in feed):
            if feed:
                await anyio.sleep(0.1)
            response = await client.get("/v1/events", params={"types": "asset.*", "limit": 100}, headers=auth)
            feed = [(e["type"], e["subject_id"]) for e in response.json()["data"]["items"]]
    return feed


async def test_asset_changes_are_in_the_event_feed(
    client: httpx.AsyncClient, auth: dict[str, str], core: Core
) -> None:
    entity = await core.entities.create("Feed")
    asset = await put(client, auth, b"evented", "e.txt")
    aid, base = asset["asset_id"], f"/v1/entities/{entity.entity_id}/assets/{asset['asset_id']}"
    await put(client, auth, b"evented", "again.txt")  # a new name: updated
    await client.post(f"{base}/link", headers=auth)
    await client.post(f"{base}/link", headers=auth)  # already linked: no event
    await client.post(f"{base}/unlink", headers=auth)
    await client.patch(f"/v1/assets/{aid}", json={"owner": "me"}, headers=auth)
    await client.delete(f"/v1/assets/{aid}", headers=auth)
    await client.post(f"/v1/assets/{aid}/restore", headers=auth)
    await core.metadata.wait_idle()
    feed = await asset_feed(client, auth)
    assert [t for t, _ in feed if t != "asset.metadata_extracted"] == [
        "asset.created",
        "asset.updated",
        "asset.linked",
        "asset.unlinked",
        "asset.updated",
        "asset.deleted",
        "asset.restored",
    ]
    assert {s for _, s in feed} == {aid}
    assert ("asset.metadata_extracted", aid) in feed


async def test_check_says_which_content_is_stored(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    stored = await put(client, auth, b"already here", "here.bin")
    missing = hashlib.sha256(b"not yet").hexdigest()
    items = [
        {"name": "here.bin", "size": 12, "sha256": stored["asset_id"].upper()},
        {"name": "new.bin", "size": 7, "sha256": missing},
        {"name": "same hash, other size", "size": 13, "sha256": stored["asset_id"]},
    ]
    response = await client.post("/v1/assets/check", json={"items": items}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["items"] == [
        {
            "name": "here.bin",
            "size": 12,
            "sha256": stored["asset_id"],
            "exists": True,
            "asset_id": stored["asset_id"],
        },
        {"name": "new.bin", "size": 7, "sha256": missing, "exists": False, "asset_id": None},
        {
            "name": "same hash, other size",
            "size": 13,
            "sha256": stored["asset_id"],
            "exists": False,
            "asset_id": None,
        },
    ]


@pytest.mark.parametrize(
    ("items", "field", "words"),
    [
        ([], "items", "1 to 1000 items, not 0"),
        ([{"name": "a", "size": 1, "sha256": "0" * 64}] * 1001, "items", "not 1001"),
        (
            [{"name": "a", "size": 1, "sha256": "0" * 64}, {"name": "b", "size": 1, "sha256": "zz"}],
            "items/1/sha256",
            "64 hexadecimal",
        ),
        ([{"name": "a", "size": -5, "sha256": "0" * 64}], "items/0/size", "0 or more"),
        ([{"name": "a", "size": "big", "sha256": "0" * 64}], "items/0/size", "whole number"),
        ([{"name": "a", "sha256": "0" * 64}], "items/0", "size"),
    ],
)
async def test_bad_check_batches_are_422_naming_the_item(
    client: httpx.AsyncClient, auth: dict[str, str], items: list[Any], field: str, words: str
) -> None:
    response = await client.post("/v1/assets/check", json={"items": items}, headers=auth)
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["details"][0]
    assert detail["field"].startswith(field), detail
    assert words in detail["message"] + detail["field"], detail
