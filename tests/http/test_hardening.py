"""Hostile input to the HTTP API is a clear 4xx in the envelope, never a 500, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from faceforge_domain.jsonlimits import MAX_JSON_BYTES, MAX_JSON_DEPTH
from faceforge_domain.paging import PAGE_BYTE_BUDGET

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]
JSON = {"content-type": "application/json"}
HUGE = "9223372036854775808"


def assert_invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in [d["field"] for d in error["details"]], error
    assert error["message"]


async def entity_count(client: Client, auth: dict[str, str]) -> int:
    response = await client.get("/v1/entities?include_deleted=true", headers=auth)
    return int(response.json()["data"]["total"])


async def new_entity(client: Client, auth: dict[str, str], **body: Any) -> str:
    response = await client.post("/v1/entities", json={"display_name": "Ada", **body}, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["entity_id"])


@pytest.mark.parametrize("route", ["/v1/entities", "/v1/jobs", "/v1/relationships", "/v1/assets/check"])
async def test_json_nested_a_thousand_deep_is_422_not_500(
    client: Client, auth: dict[str, str], route: str
) -> None:
    body = '{"display_name": "x", "plugin_data": {"a": ' + "[" * 1000 + "]" * 1000 + "}}"
    assert_invalid(await client.post(route, content=body, headers={**auth, **JSON}), "body")
    assert await entity_count(client, auth) == 0


async def test_json_that_is_not_utf8_is_422_not_500(client: Client, auth: dict[str, str]) -> None:
    response = await client.post(
        "/v1/entities", content=b'{"display_name": "\xff\xfe"}', headers={**auth, **JSON}
    )
    assert_invalid(response, "body")
    assert "UTF-8" in response.json()["error"]["message"]
    assert await entity_count(client, auth) == 0


async def test_free_form_json_deeper_than_the_limit_is_refused_naming_the_field(
    client: Client, auth: dict[str, str]
) -> None:
    value: Any = 1
    for _ in range(MAX_JSON_DEPTH + 1):
        value = {"a": value}
    response = await client.post(
        "/v1/entities", json={"display_name": "x", "plugin_data": value}, headers=auth
    )
    assert_invalid(response, "plugin_data")
    entity_id = await new_entity(client, auth)
    patched = await client.patch(f"/v1/entities/{entity_id}", json={"plugin_data": value}, headers=auth)
    assert_invalid(patched, "plugin_data")
    assert (await client.get(f"/v1/entities/{entity_id}", headers=auth)).json()["data"]["plugin_data"] == {}


@pytest.mark.parametrize("field", ["plugin_data", "fields"])
async def test_free_form_json_larger_than_the_cap_is_refused(
    client: Client, auth: dict[str, str], field: str
) -> None:
    big = {"blob": "x" * MAX_JSON_BYTES}
    response = await client.post("/v1/entities", json={"display_name": "x", field: big}, headers=auth)
    assert_invalid(response, field)
    assert await entity_count(client, auth) == 0


async def test_a_page_of_large_records_stops_at_its_byte_budget_and_continues(
    client: Client, auth: dict[str, str]
) -> None:
    per_record = MAX_JSON_BYTES - 1024
    count = PAGE_BYTE_BUDGET // per_record + 3
    for i in range(count):
        await new_entity(client, auth, display_name=f"e{i}", plugin_data={"blob": "x" * per_record})
    seen: list[str] = []
    response = await client.get("/v1/entities?limit=200", headers=auth)
    while True:
        assert response.status_code == 200
        assert len(response.content) <= PAGE_BYTE_BUDGET + 2 * MAX_JSON_BYTES
        page = response.json()["data"]
        seen += [item["entity_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        assert len(page["items"]) < 200
        response = await client.get(f"/v1/entities?limit=200&cursor={page['next_cursor']}", headers=auth)
    assert len(seen) == len(set(seen)) == count


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/v1/entities?offset={HUGE}", "offset"),
        (f"/v1/assets?offset={HUGE}", "offset"),
        (f"/v1/jobs?offset={HUGE}", "offset"),
        (f"/v1/relationships?offset={HUGE}", "offset"),
        (f"/v1/plugins?offset={HUGE}", "offset"),
        (f"/v1/events?after={HUGE}", "after"),
        (f"/v1/events/stream?after={HUGE}", "after"),
        ("/v1/events?limit=201", "limit"),
        ("/v1/events?offset=5", "offset"),
        ("/v1/assets?q=%00", "q"),
        ("/v1/entities?q=%00", "q"),
        ("/v1/relationships?type=%00", "type"),
    ],
)
async def test_out_of_range_or_control_character_parameters_are_422(
    client: Client, auth: dict[str, str], url: str, field: str
) -> None:
    assert_invalid(await client.get(url, headers=auth), field)


async def test_huge_offsets_on_routes_with_an_id_are_422(client: Client, auth: dict[str, str]) -> None:
    entity_id = await new_entity(client, auth)
    zeros = "0" * 64
    for url in [
        f"/v1/entities/{entity_id}/assets?offset={HUGE}",
        f"/v1/entities/{entity_id}/descriptors?offset={HUGE}",
        f"/v1/assets/{zeros}/entities?offset={HUGE}",
        f"/v1/jobs/{zeros}/log?after_id={HUGE}",
    ]:
        assert_invalid(await client.get(url, headers=auth), url.rsplit("?", 1)[1].split("=")[0])


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200c\ufeff", "a\x00b", "   ", "esc\x1b[31m"])
async def test_invisible_or_control_character_names_are_refused_everywhere(
    client: Client, auth: dict[str, str], name: str
) -> None:
    assert_invalid(
        await client.post("/v1/entities", json={"display_name": name}, headers=auth), "display_name"
    )
    assert_invalid(
        await client.post("/v1/entities", json={"display_name": "x", "aliases": [name]}, headers=auth),
        "aliases/0",
    )
    assert await entity_count(client, auth) == 0
    label = await client.post(
        "/v1/admin/field-defs",
        json={"field_key": "nick", "field_type": "string", "label": name},
        headers=auth,
    )
    assert_invalid(label, "label")
    assert (await client.get("/v1/admin/field-defs", headers=auth)).json()["data"] == []
    a, b = await new_entity(client, auth), await new_entity(client, auth)
    rel = await client.post(
        "/v1/relationships", json={"src_entity_id": a, "dst_entity_id": b, "type": name}, headers=auth
    )
    assert_invalid(rel, "type")
    assert (await client.get("/v1/relationships", headers=auth)).json()["data"]["total"] == 0


async def test_an_if_modified_since_in_the_future_does_not_give_304(
    client: Client, auth: dict[str, str]
) -> None:
    upload = await client.put("/v1/assets/upload?filename=a.txt", content=b"hello", headers=auth)
    asset_id = upload.json()["data"]["asset_id"]
    future = format_datetime(datetime.now(UTC) + timedelta(days=365), usegmt=True)
    response = await client.get(
        f"/v1/assets/{asset_id}/download", headers={**auth, "If-Modified-Since": future}
    )
    assert response.status_code == 200
    assert response.content == b"hello"
