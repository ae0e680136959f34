"""Choice fields: the server refuses a value outside the choices, on entities (one value or a list)
and descriptors, with a message naming the choices and nothing stored; the entity
page offers the choices in selects (the Overview, a descriptor's edit form, and the Add form's value
for the field chosen)."""

from __future__ import annotations

import re

import httpx
import pytest

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio


async def choice_fields(core: Core) -> None:
    await core.field_defs.create(
        {
            "field_key": "eyes",
            "field_type": "enum",
            "scope": "entity",
            "options": ["blue", "green"],
            "multiple": True,
        }
    )
    await core.field_defs.create({"field_key": "hand", "field_type": "enum", "options": ["left", "right"]})
    await core.field_defs.create(
        {"field_key": "moods", "field_type": "enum", "options": ["calm", "wild"], "multiple": True}
    )


@pytest.mark.parametrize(
    ("key", "value", "field", "message"),
    [
        ("hand", "both", "value", "must be one of: left, right"),
        ("moods", "sad", "value", "must be one of: calm, wild"),
    ],
)
async def test_a_descriptor_value_outside_the_choices_is_refused_and_not_stored(
    ui: httpx.AsyncClient, core: Core, key: str, value: object, field: str, message: str
) -> None:
    await choice_fields(core)
    ann = await core.entities.create("Ann")
    url = f"/v1/entities/{ann.entity_id}/descriptors"
    bad = await ui.post(url, json={"field_key": key, "value": value})
    assert bad.status_code == 422
    details = bad.json()["error"]["details"]
    assert [(d["field"].lstrip("/").replace(".", "/"), d["message"]) for d in details] == [(field, message)]
    assert (await ui.get(url, params={"include_deleted": "true"})).json()["data"]["total"] == 0


async def test_an_entity_list_of_choices_outside_them_is_refused_and_not_stored(
    ui: httpx.AsyncClient, core: Core
) -> None:
    await choice_fields(core)
    ann = await core.entities.create("Ann", fields={"eyes": ["blue"]})
    bad = await ui.patch(f"/v1/entities/{ann.entity_id}", json={"fields": {"eyes": ["green", "red"]}})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["message"] == "must be one of: blue, green"
    assert (await core.entities.get(ann.entity_id)).fields == {"eyes": ["blue"]}


async def test_the_entity_page_offers_choices_in_selects(ui: httpx.AsyncClient, core: Core) -> None:
    await choice_fields(core)
    ann = await core.entities.create("Ann", fields={"eyes": ["green"]})
    await core.descriptors.create(ann.entity_id, {"field_key": "moods", "value": "wild"})
    overview = (await ui.get(f"/ui/entities/{ann.entity_id}")).text
    assert (
        '<input type="hidden" id="f-eyes-chosen" name="fields/eyes" data-type="json" value=\'["green"]\'>'
        in overview
    )
    eyes = re.search(
        r'<select id="f-eyes" multiple size="2" data-choices-into="f-eyes-chosen">.*?</select>',
        overview,
        re.S,
    )
    assert eyes is not None
    assert "<option>blue</option><option selected>green</option>" in eyes.group(0)
    assert "choices.js" in overview
    page = (await ui.get(f"/ui/entities/{ann.entity_id}", params={"tab": "descriptors"})).text
    assert "choices.js" in page
    edit = re.search(r'<select id="v-[0-9a-f]{64}" name="value">.*?</select>', page, re.S)
    assert edit is not None  # a descriptor holds one value, even of a field with several descriptors
    assert "<option>calm</option><option selected>wild</option>" in edit.group(0)
    offered = re.findall(r'<template data-choices-for="(\w+)"><select id="d-value" name="value"', page)
    assert offered == ["hand", "moods"]
