"""``/v1/admin/field-defs``: definitions take effect at once, never rewrite data, report violations."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from test_entities import assert_invalid, create

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]
DEFS = "/v1/admin/field-defs"


async def define(client: Client, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(DEFS, json=body, headers=auth)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_a_new_definition_is_accepted_at_once(client: Client, auth: dict[str, str]) -> None:
    entity = await create(client, auth, display_name="Ada")
    response = await client.post(
        DEFS, json={"field_key": "shoe_size", "field_type": "int", "min": 20, "max": 60}, headers=auth
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"{DEFS}/shoe_size?scope=descriptor"
    created = await client.post(
        f"/v1/entities/{entity['entity_id']}/descriptors",
        json={"field_key": "shoe_size", "value": 42},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    got = (await client.get(f"{DEFS}/shoe_size", headers=auth)).json()["data"]
    assert (got["scope"], got["field_type"], got["min"], got["max"]) == ("descriptor", "int", 20, 60)


async def test_entity_scope_definitions_check_entity_fields(client: Client, auth: dict[str, str]) -> None:
    await define(client, auth, field_key="eye", scope="entity", field_type="enum", options=["blue", "green"])
    ok = await client.post(
        "/v1/entities", json={"display_name": "a", "fields": {"eye": "blue"}}, headers=auth
    )
    assert ok.status_code == 201
    bad = await client.post(
        "/v1/entities", json={"display_name": "b", "fields": {"eye": "red"}}, headers=auth
    )
    details = assert_invalid(bad, "fields/eye")
    assert details[0]["message"] == "must be one of: blue, green"
    await define(client, auth, field_key="born", scope="entity", field_type="date", required=True)
    missing = await client.post("/v1/entities", json={"display_name": "c"}, headers=auth)
    assert assert_invalid(missing, "fields/born")[0]["message"] == "is required"
    # a record made before the required field existed can still be edited
    entity_id = ok.json()["data"]["entity_id"]
    renamed = await client.patch(f"/v1/entities/{entity_id}", json={"display_name": "A"}, headers=auth)
    assert renamed.status_code == 200
    assert (await client.get("/v1/entities", headers=auth)).json()["data"]["total"] == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"field_key": "Bad Key", "field_type": "string"}, ["field_key"]),
        ({"field_key": "x", "field_type": "colour"}, ["field_type"]),
        ({"field_key": "x", "field_type": "string", "regex": "(unclosed"}, ["regex"]),
        ({"field_key": "x", "field_type": "int", "regex": "^1$"}, ["regex"]),
        ({"field_key": "x", "field_type": "enum"}, ["options"]),
        ({"field_key": "x", "field_type": "enum", "options": ["a", "a"]}, ["options"]),
        ({"field_key": "x", "field_type": "int", "min": 5, "max": 1}, ["max"]),
        ({"field_key": "x", "field_type": "bool", "min": 1}, ["min"]),
        ({"field_key": "x", "field_type": "string", "scope": "asset"}, ["scope"]),
        ({"field_key": "x", "field_type": "string", "extra": 1}, ["extra"]),
    ],
)
async def test_bad_definitions_are_422_and_not_stored(
    client: Client, auth: dict[str, str], body: dict[str, Any], fields: list[str]
) -> None:
    response = await client.post(DEFS, json=body, headers=auth)
    assert response.status_code == 422, response.text
    if body.get("field_type") not in ("colour",) and body.get("scope") != "asset" and "extra" not in body:
        assert_invalid(response, *fields)
    assert (await client.get(DEFS, headers=auth)).json()["data"] == []


async def test_regex_errors_say_what_is_wrong(client: Client, auth: dict[str, str]) -> None:
    response = await client.post(
        DEFS, json={"field_key": "x", "field_type": "string", "regex": "(unclosed"}, headers=auth
    )
    message = response.json()["error"]["details"][0]["message"]
    assert message.startswith("is not a valid regular expression")


async def test_duplicate_key_in_a_scope_is_409(client: Client, auth: dict[str, str]) -> None:
    await define(client, auth, field_key="nick", field_type="string")
    again = await client.post(DEFS, json={"field_key": "nick", "field_type": "text"}, headers=auth)
    assert again.status_code == 409
    other_scope = await client.post(
        DEFS, json={"field_key": "nick", "field_type": "text", "scope": "entity"}, headers=auth
    )
    assert other_scope.status_code == 201


async def test_patch_and_violations_never_rewrite_data(client: Client, auth: dict[str, str]) -> None:
    await define(client, auth, field_key="nick", field_type="string", multiple=True)
    entity = await create(client, auth, display_name="Ada")
    url = f"/v1/entities/{entity['entity_id']}/descriptors"
    for value in ["Al", "Alexandra"]:
        assert (
            await client.post(url, json={"field_key": "nick", "value": value}, headers=auth)
        ).status_code == 201
    patched = await client.patch(f"{DEFS}/nick", json={"max": 3, "label": "Nickname"}, headers=auth)
    assert patched.status_code == 200
    assert patched.json()["data"]["label"] == "Nickname"
    unchanged = await client.patch(f"{DEFS}/nick", json={"label": "Nickname"}, headers=auth)
    assert unchanged.json()["data"]["updated_at"] == patched.json()["data"]["updated_at"]
    violations = (await client.get(f"{DEFS}/nick/violations", headers=auth)).json()["data"]
    assert violations["total"] == 1
    assert violations["items"][0]["errors"] == [{"field": "value", "message": "must be at most 3 characters"}]
    values = [d["value"] for d in (await client.get(url, headers=auth)).json()["data"]["items"]]
    assert values == ["Al", "Alexandra"]
    assert_invalid(await client.patch(f"{DEFS}/nick", json={"field_key": "x"}, headers=auth), "field_key")
    assert_invalid(await client.patch(f"{DEFS}/nick", json={"min": 9}, headers=auth), "max")
    assert (await client.delete(f"{DEFS}/nick", headers=auth)).status_code == 204
    assert (await client.get(f"{DEFS}/nick", headers=auth)).status_code == 404
    values = [d["value"] for d in (await client.get(url, headers=auth)).json()["data"]["items"]]
    assert values == ["Al", "Alexandra"]


async def test_entity_violations_include_missing_required_values(
    client: Client, auth: dict[str, str]
) -> None:
    early = await create(client, auth, display_name="early")
    await define(client, auth, field_key="born", scope="entity", field_type="date", required=True)
    response = await client.get(f"{DEFS}/born/violations?scope=entity", headers=auth)
    items = response.json()["data"]["items"]
    assert [(v["record_id"], v["errors"][0]["message"]) for v in items] == [
        (early["entity_id"], "is required")
    ]


async def test_unknown_definition_is_404(client: Client, auth: dict[str, str]) -> None:
    for response in [
        await client.get(f"{DEFS}/nope", headers=auth),
        await client.patch(f"{DEFS}/nope", json={"label": "x"}, headers=auth),
        await client.delete(f"{DEFS}/nope", headers=auth),
        await client.get(f"{DEFS}/nope/violations", headers=auth),
    ]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
