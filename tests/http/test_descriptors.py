"""Descriptors: validated by their field definition, with plain-words errors."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from test_entities import assert_invalid, create
from test_fielddefs import define

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def entity_url(client: Client, auth: dict[str, str]) -> str:
    await define(client, auth, field_key="phone", field_type="string", regex=r"^\+?[0-9 ]+$", multiple=True)
    await define(client, auth, field_key="hand", field_type="enum", options=["left", "right"])
    entity = await create(client, auth, display_name="Ada")
    return f"/v1/entities/{entity['entity_id']}/descriptors"


async def count(client: Client, auth: dict[str, str], url: str) -> int:
    return int((await client.get(f"{url}?include_deleted=true", headers=auth)).json()["data"]["total"])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"field_key": "phone", "value": "call me"}, "value", r"must match ^\+?[0-9 ]+$"),
        ({"field_key": "hand", "value": "both"}, "value", "must be one of: left, right"),
        ({"field_key": "hand", "value": 3}, "value", "must be a string"),
        ({"field_key": "hand", "value": None}, "value", "is required"),
        ({"field_key": "height", "value": 180}, "field_key", "no descriptor field 'height' is defined"),
        (
            {"field_key": "hand", "value": "left", "valid_from": "2020-02-01", "valid_to": "2020-01-01"},
            "valid_to",
            "must not be before valid_from",
        ),
        (
            {"field_key": "hand", "value": "left", "valid_from": "2021", "valid_to": "2020-12"},
            "valid_to",
            "must not be before valid_from",
        ),
        (
            {"field_key": "hand", "value": "left", "valid_from": "last year"},
            "valid_from",
            "must be a date (a year (1990), a year and month (1990-05) or a day (1990-05-17)) "
            "or an RFC 3339 date-time",
        ),
    ],
)
async def test_invalid_values_are_422_with_plain_words(
    client: Client, auth: dict[str, str], entity_url: str, body: dict[str, Any], field: str, message: str
) -> None:
    details = assert_invalid(await client.post(entity_url, json=body, headers=auth), field)
    assert details[0]["message"] == message
    assert await count(client, auth, entity_url) == 0


async def test_several_values_only_when_the_field_is_multiple(
    client: Client, auth: dict[str, str], entity_url: str
) -> None:
    for phone in ["+44 20 7946 0000", "+1 555 0100"]:
        response = await client.post(entity_url, json={"field_key": "phone", "value": phone}, headers=auth)
        assert response.status_code == 201
        assert response.headers["location"] == f"/v1/descriptors/{response.json()['data']['descriptor_id']}"
    first = await client.post(entity_url, json={"field_key": "hand", "value": "left"}, headers=auth)
    assert first.status_code == 201
    second = await client.post(entity_url, json={"field_key": "hand", "value": "right"}, headers=auth)
    assert second.status_code == 409
    assert second.json()["error"]["details"]["descriptor_id"] == first.json()["data"]["descriptor_id"]
    assert await count(client, auth, entity_url) == 3
    phones = await client.get(f"{entity_url}?field_key=phone", headers=auth)
    assert [d["value"] for d in phones.json()["data"]["items"]] == ["+44 20 7946 0000", "+1 555 0100"]


async def test_time_bound_history_patch_and_delete(client: Client, auth: dict[str, str]) -> None:
    await define(client, auth, field_key="address", field_type="text", multiple=True)
    entity = await create(client, auth, display_name="Ada")
    url = f"/v1/entities/{entity['entity_id']}/descriptors"
    old = (
        await client.post(
            url,
            json={
                "field_key": "address",
                "value": "1 Elm St",
                "valid_from": "2001-01-01",
                "valid_to": "2010-06-30",
            },
            headers=auth,
        )
    ).json()["data"]
    assert (old["valid_from"], old["valid_to"]) == ("2001-01-01", "2010-06-30")
    descriptor_url = f"/v1/descriptors/{old['descriptor_id']}"
    patched = await client.patch(
        descriptor_url, json={"note": "from a letter", "source": "archive"}, headers=auth
    )
    assert patched.status_code == 200
    data = patched.json()["data"]
    assert (data["value"], data["note"], data["source"]) == ("1 Elm St", "from a letter", "archive")
    same = await client.patch(descriptor_url, json={"note": "from a letter"}, headers=auth)
    assert same.json()["data"]["updated_at"] == data["updated_at"]
    assert_invalid(await client.patch(descriptor_url, json={"value": None}, headers=auth), "value")
    assert_invalid(await client.patch(descriptor_url, json={"field_key": "x"}, headers=auth), "field_key")
    assert (await client.delete(descriptor_url, headers=auth)).status_code == 204
    assert (await client.get(descriptor_url, headers=auth)).status_code == 404
    assert (await client.get(url, headers=auth)).json()["data"]["total"] == 0
    assert (await client.get(f"{url}?include_deleted=true", headers=auth)).json()["data"]["total"] == 1


async def test_unknown_entity_or_descriptor_is_404(client: Client, auth: dict[str, str]) -> None:
    missing = "0" * 64
    for response in [
        await client.get(f"/v1/entities/{missing}/descriptors", headers=auth),
        await client.post(
            f"/v1/entities/{missing}/descriptors", json={"field_key": "x", "value": 1}, headers=auth
        ),
        await client.patch(f"/v1/descriptors/{missing}", json={"note": "x"}, headers=auth),
        await client.delete(f"/v1/descriptors/{missing}", headers=auth),
    ]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
