"""``/v1/entities`` through the Litestar test client, against a real SQLite home."""

from __future__ import annotations

import re
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from litestar import Litestar, Router
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_http.deps import DEPENDENCIES
from faceforge_http.routes.descriptors import DescriptorController
from faceforge_http.routes.entities import EntityController
from faceforge_http.routes.fielddefs import FieldDefController
from faceforge_http.routes.relationships import RelationshipController, relation_types

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def create(client: Client, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/entities", json=body, headers=auth)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def total(client: Client, auth: dict[str, str], query: str = "") -> int:
    response = await client.get(f"/v1/entities?include_deleted=true{query}", headers=auth)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["total"])


def assert_invalid(response: Any, *fields: str) -> list[dict[str, str]]:
    """A 422 validation envelope whose details name exactly ``fields``."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "validation_error"
    details: list[dict[str, str]] = body["error"]["details"]
    assert sorted(d["field"] for d in details) == sorted(fields)
    assert all(d["message"] for d in details)
    return details


async def test_create_returns_201_location_and_clean_values(client: Client, auth: dict[str, str]) -> None:
    response = await client.post(
        "/v1/entities",
        json={
            "display_name": "  Ada Lovelace ",
            "tags": ["math", " Math ", "poet", ""][:3],
            "aliases": ["A"],
        },
        headers=auth,
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert response.headers["location"] == f"/v1/entities/{data['entity_id']}"
    assert data["display_name"] == "Ada Lovelace"
    assert data["tags"] == ["math", "poet"]
    assert RFC3339_MS.match(data["created_at"])
    assert data["created_at"] == data["updated_at"]
    assert data["deleted_at"] is None
    fetched = await client.get(response.headers["location"], headers=auth)
    assert fetched.json()["data"] == data


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"display_name": "   "}, ["display_name"]),
        ({"display_name": "x" * 513}, ["display_name"]),
        ({"display_name": "a", "tags": ["ok", " "]}, ["tags/1"]),
        ({"display_name": "a", "fields": {"nope": 1}}, ["fields/nope"]),
        ({"display_name": "a", "primary_thumbnail_asset_id": "abc"}, ["primary_thumbnail_asset_id"]),
        ({"display_name": "a", "primary_thumbnail_asset_id": "a" * 64}, ["primary_thumbnail_asset_id"]),
        ({"display_name": "a", "entity_id": "x"}, ["entity_id"]),
        ({"aliases": []}, ["display_name"]),
        ({"display_name": 5}, ["display_name"]),
    ],
)
async def test_bad_create_is_422_and_stores_nothing(
    client: Client, auth: dict[str, str], body: dict[str, Any], fields: list[str]
) -> None:
    assert_invalid(await client.post("/v1/entities", json=body, headers=auth), *fields)
    assert await total(client, auth) == 0


async def test_external_id_taken_is_409(client: Client, auth: dict[str, str]) -> None:
    first = await create(client, auth, display_name="a", external_ids={"stash": "1"})
    response = await client.post(
        "/v1/entities", json={"display_name": "b", "external_ids": {"stash": "1"}}, headers=auth
    )
    assert response.status_code == 409
    assert response.json()["error"]["details"]["entity_id"] == first["entity_id"]
    assert await total(client, auth) == 1


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("sort_by=entity_id;drop", ["sort_by"]),
        ("sort_order=up", ["sort_order"]),
        ("limit=0", ["limit"]),
        ("limit=201", ["limit"]),
        ("offset=-1", ["offset"]),
        ("cursor=bm90LWEtY3Vyc29y", ["cursor"]),
        ("cursor=%25%25", ["cursor"]),
        ("field.Bad-Key=1", ["field.Bad-Key"]),
        ("sort_by=x&sort_order=y&field.Bad-Key=1", ["sort_by", "sort_order", "field.Bad-Key"]),
        ("offset=9223372036854775808", ["offset"]),
        ("offset=1000000001", ["offset"]),
        ("q=%00", ["q"]),
        ("q=a%00b", ["q"]),
        ("tag=%00", ["tag"]),
    ],
)
async def test_bad_list_parameters_are_422_never_sql(
    client: Client, auth: dict[str, str], query: str, fields: list[str]
) -> None:
    details = assert_invalid(await client.get(f"/v1/entities?{query}", headers=auth), *fields)
    assert not any("sql" in d["message"].lower() for d in details)


async def test_limit_that_is_not_a_number_is_422(client: Client, auth: dict[str, str]) -> None:
    response = await client.get("/v1/entities?limit=lots", headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_cursor_only_fits_its_own_sort(client: Client, auth: dict[str, str]) -> None:
    for name in "abc":
        await create(client, auth, display_name=name)
    page = (await client.get("/v1/entities?limit=1", headers=auth)).json()["data"]
    response = await client.get(
        f"/v1/entities?limit=1&sort_by=display_name&cursor={page['next_cursor']}", headers=auth
    )
    assert_invalid(response, "cursor")
    assert_invalid(
        await client.get(f"/v1/entities?offset=1&cursor={page['next_cursor']}", headers=auth), "cursor"
    )


async def test_paging_by_offset_and_cursor_sees_each_entity_once_while_others_are_created(
    client: Client, auth: dict[str, str], core: Core
) -> None:
    originals = {(await core.entities.create(f"e{i:03d}")).entity_id for i in range(100)}

    async def keep_creating() -> None:
        for i in range(40):
            await core.entities.create(f"late{i}")
            await anyio.lowlevel.checkpoint()

    async def by_offset() -> list[str]:
        seen, offset = [], 0
        while True:
            data = (await client.get(f"/v1/entities?limit=7&offset={offset}", headers=auth)).json()["data"]
            seen += [e["entity_id"] for e in data["items"]]
            offset += 7
            if offset >= data["total"]:
                return seen

    async def by_cursor() -> list[str]:
        seen, url = [], "/v1/entities?limit=7"
        while True:
            data = (await client.get(url, headers=auth)).json()["data"]
            seen += [e["entity_id"] for e in data["items"]]
            if data["next_cursor"] is None:
                return seen
            url = f"/v1/entities?limit=7&cursor={data['next_cursor']}"

    results: dict[str, list[str]] = {}

    async def run(name: str, walk: Any) -> None:
        results[name] = await walk()

    async with anyio.create_task_group() as tg:
        tg.start_soon(keep_creating)
        tg.start_soon(run, "offset", by_offset)
        tg.start_soon(run, "cursor", by_cursor)
    for seen in results.values():
        found = [entity_id for entity_id in seen if entity_id in originals]
        assert sorted(found) == sorted(originals)  # every original exactly once
        assert len(seen) == len(set(seen))  # and nothing twice


async def test_list_filters_q_tags_fields_and_sort(client: Client, auth: dict[str, str], core: Core) -> None:
    await core.field_defs.create({"field_key": "eye", "scope": "entity", "field_type": "string"})
    await create(client, auth, display_name="Ada Lovelace", aliases=["Countess"], tags=["math", "poet"])
    await create(client, auth, display_name="Charles Babbage", tags=["math"], fields={"eye": "grey"})
    await create(client, auth, display_name="bob", tags=["Poet"])

    async def names(query: str) -> list[str]:
        response = await client.get(f"/v1/entities?{query}", headers=auth)
        assert response.status_code == 200, response.text
        return [e["display_name"] for e in response.json()["data"]["items"]]

    assert await names("q=COUNTESS") == ["Ada Lovelace"]
    assert sorted(await names("tag=math")) == ["Ada Lovelace", "Charles Babbage"]
    assert await names("tag=math&tag=POET") == ["Ada Lovelace"]
    assert await names("field.eye=grey") == ["Charles Babbage"]
    assert await names("sort_by=display_name") == ["Ada Lovelace", "bob", "Charles Babbage"]
    assert await names("sort_by=display_name&sort_order=desc") == ["Charles Babbage", "bob", "Ada Lovelace"]


async def test_patch_is_a_merge_patch_and_moves_updated_at_only_on_change(
    client: Client, auth: dict[str, str]
) -> None:
    made = await create(
        client, auth, display_name="Ada", tags=["a"], plugin_data={"faces": {"n": 1, "m": 2}}, aliases=["x"]
    )
    url = f"/v1/entities/{made['entity_id']}"
    await anyio.sleep(0.01)
    same = await client.patch(url, json={"display_name": " Ada ", "tags": ["a"]}, headers=auth)
    assert same.status_code == 200
    assert same.json()["data"] == made
    changed = (
        await client.patch(url, json={"plugin_data": {"faces": {"m": None}}, "aliases": None}, headers=auth)
    ).json()["data"]
    assert changed["plugin_data"] == {"faces": {"n": 1}}
    assert changed["aliases"] == []
    assert (changed["display_name"], changed["tags"]) == ("Ada", ["a"])
    assert changed["updated_at"] > made["updated_at"]
    assert (changed["entity_id"], changed["created_at"]) == (made["entity_id"], made["created_at"])


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"entity_id": "f" * 64}, ["entity_id"]),
        ({"created_at": "2020-01-01T00:00:00.000Z"}, ["created_at"]),
        ({"display_name": None}, ["display_name"]),
        ({"display_name": ""}, ["display_name"]),
        ({"fields": {"undefined": 1}}, ["fields/undefined"]),
        ({"colour": "red"}, ["colour"]),
    ],
)
async def test_bad_patch_is_422_and_changes_nothing(
    client: Client, auth: dict[str, str], patch: dict[str, Any], fields: list[str]
) -> None:
    made = await create(client, auth, display_name="Ada")
    url = f"/v1/entities/{made['entity_id']}"
    assert_invalid(await client.patch(url, json=patch, headers=auth), *fields)
    assert (await client.get(url, headers=auth)).json()["data"] == made


async def test_patch_body_must_be_an_object(client: Client, auth: dict[str, str]) -> None:
    made = await create(client, auth, display_name="Ada")
    response = await client.patch(f"/v1/entities/{made['entity_id']}", json=["x"], headers=auth)
    assert response.status_code == 422


async def test_unknown_entity_is_404_in_the_envelope(client: Client, auth: dict[str, str]) -> None:
    url = "/v1/entities/" + "0" * 64
    for response in [
        await client.get(url, headers=auth),
        await client.patch(url, json={"display_name": "x"}, headers=auth),
        await client.delete(url, headers=auth),
        await client.post(url + "/restore", headers=auth),
    ]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


async def test_delete_is_soft_and_restore_brings_it_back(client: Client, auth: dict[str, str]) -> None:
    made = await create(client, auth, display_name="Ada")
    url = f"/v1/entities/{made['entity_id']}"
    deleted = await client.delete(url, headers=auth)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(url, headers=auth)).status_code == 404
    hidden = (await client.get(f"{url}?include_deleted=true", headers=auth)).json()["data"]
    assert RFC3339_MS.match(hidden["deleted_at"])
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 0
    assert (await client.delete(url, headers=auth)).status_code == 404
    restored = await client.post(f"{url}/restore", headers=auth)
    assert restored.status_code == 200
    assert restored.json()["data"]["deleted_at"] is None
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 1


async def test_bulk_upsert_of_1000_twice_reports_all_unchanged(client: Client, auth: dict[str, str]) -> None:
    items = [
        {
            "external_ids": {"stash": str(i)},
            "display_name": f"Person {i}",
            "tags": ["import"],
            "aliases": [f"P{i}"],
        }
        for i in range(1000)
    ]
    first = await client.post("/v1/entities/bulk-upsert", json={"items": items}, headers=auth)
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (data["created"], data["updated"], data["unchanged"], data["errors"]) == (1000, 0, 0, 0)
    second = (await client.post("/v1/entities/bulk-upsert", json={"items": items}, headers=auth)).json()[
        "data"
    ]
    assert {r["status"] for r in second["results"]} == {"unchanged"}
    assert [r["entity_id"] for r in second["results"]] == [r["entity_id"] for r in data["results"]]
    assert await total(client, auth) == 1000


async def test_bulk_upsert_merge_replace_skip_and_item_errors(client: Client, auth: dict[str, str]) -> None:
    made = await create(client, auth, display_name="Ada", tags=["a"], external_ids={"stash": "1"})

    async def upsert(items: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
        response = await client.post(
            "/v1/entities/bulk-upsert", json={"items": items, "on_conflict": mode}, headers=auth
        )
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["data"]["results"]
        return results

    merged = await upsert([{"external_ids": {"stash": "1", "tpdb": "7"}, "aliases": ["Countess"]}], "merge")
    assert (merged[0]["status"], merged[0]["entity_id"]) == ("updated", made["entity_id"])
    entity = (await client.get(f"/v1/entities/{made['entity_id']}", headers=auth)).json()["data"]
    assert (entity["tags"], entity["aliases"], entity["external_ids"]) == (
        ["a"],
        ["Countess"],
        {"stash": "1", "tpdb": "7"},
    )
    skipped = await upsert([{"external_ids": {"stash": "1"}, "display_name": "Other"}], "skip")
    assert skipped[0]["status"] == "unchanged"
    replaced = await upsert([{"external_ids": {"tpdb": "7"}, "display_name": "Ada King"}], "replace")
    assert replaced[0]["status"] == "updated"
    entity = (await client.get(f"/v1/entities/{made['entity_id']}", headers=auth)).json()["data"]
    assert (entity["display_name"], entity["tags"], entity["external_ids"]) == ("Ada King", [], {"tpdb": "7"})
    mixed = await upsert(
        [
            {"external_ids": {"stash": "2"}, "display_name": "  "},
            {"external_ids": {}, "display_name": "no key"},
            {"external_ids": {"stash": "3"}, "display_name": "fine"},
        ],
        "merge",
    )
    assert [r["status"] for r in mixed] == ["error", "error", "created"]
    assert mixed[0]["errors"] == [{"field": "display_name", "message": "must not be empty"}]
    assert mixed[1]["errors"][0]["field"] == "external_ids"
    assert await total(client, auth) == 2


async def test_bulk_upsert_over_1000_items_is_422_and_stores_nothing(
    client: Client, auth: dict[str, str]
) -> None:
    items = [{"external_ids": {"s": str(i)}, "display_name": "x"} for i in range(1001)]
    assert_invalid(
        await client.post("/v1/entities/bulk-upsert", json={"items": items}, headers=auth), "items"
    )
    response = await client.post(
        "/v1/entities/bulk-upsert", json={"items": items[:1], "on_conflict": "overwrite"}, headers=auth
    )
    assert response.status_code == 422
    assert await total(client, auth) == 0


def test_every_route_has_tags_an_operation_id_and_real_body_types() -> None:
    app = Litestar(
        dependencies=DEPENDENCIES,
        route_handlers=[
            Router(
                "/v1",
                route_handlers=[
                    EntityController,
                    FieldDefController,
                    DescriptorController,
                    RelationshipController,
                    relation_types,
                ],
            )
        ],
    )
    document = app.openapi_schema.to_schema()
    operations = [(path, op) for path, item in document["paths"].items() for op in item.values()]
    assert len(operations) >= 18
    for path, operation in operations:
        assert operation.get("tags"), path
        assert operation.get("operationId"), path
    patch = document["paths"]["/v1/entities/{entity_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("EntityPatch")
