"""The event feed over HTTP: polling with after/types, the SSE stream, and what a plugin token sees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio
HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
GRANT = ["assets:read", "assets:write", "jobs:run"]
Client = AsyncTestClient  # type: ignore[type-arg]


async def feed(client: Client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def hello_cycle(client: Client, core: Core, auth: dict[str, str]) -> str:
    """Install, enable, reconfigure the hello plugin: a handful of plugin.* events. Returns its token."""
    shutil.copytree(HELLO_DIR, core.paths.plugins_dir / "hello")
    await client.post("/v1/plugins/rescan", headers=auth)
    enabled = await client.post("/v1/plugins/hello/enable", json={"grant": GRANT}, headers=auth)
    await client.put("/v1/plugins/hello/config", json={"repeat": 2}, headers=auth)
    token: str = enabled.json()["data"]["token"]
    return token


async def test_events_are_listed_in_order_and_resume_after_an_id(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    await hello_cycle(client, core, auth)
    everything = await feed(client, auth)
    types = [e["type"] for e in everything["items"]]
    assert types == ["plugin.discovered", "plugin.enabled", "plugin.config_changed"]
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids)
    assert everything["items"][0]["ts"].endswith("Z")
    first_page = await feed(client, auth, limit=1)
    assert first_page["total"] == 3
    assert first_page["next_cursor"] == str(ids[0])
    rest = await feed(client, auth, after=first_page["next_cursor"])
    assert [e["id"] for e in rest["items"]] == ids[1:]
    assert rest["next_cursor"] is None


async def test_types_filter_by_exact_type_or_family(client: Client, core: Core, auth: dict[str, str]) -> None:
    await hello_cycle(client, core, auth)
    exact = await feed(client, auth, types="plugin.enabled")
    assert [e["type"] for e in exact["items"]] == ["plugin.enabled"]
    family = await feed(client, auth, types="plugin.*,asset.created")
    assert len(family["items"]) == 3
    assert (await feed(client, auth, types="entity.*"))["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"types": "Bad Type"}, "types"), ({"after": -1}, "after"), ({"limit": 0}, "limit")],
)
async def test_bad_feed_parameters_are_422(
    client: Client, auth: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get("/v1/events", params=params, headers=auth)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["field"] == field


async def test_a_refused_change_leaves_no_event(client: Client, core: Core, auth: dict[str, str]) -> None:
    await hello_cycle(client, core, auth)
    before = (await feed(client, auth))["total"]
    refused = await client.put("/v1/plugins/hello/config", json={"repeat": 99}, headers=auth)
    assert refused.status_code == 422
    assert (await feed(client, auth))["total"] == before


async def test_a_plugin_token_sees_only_what_its_grants_cover(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    token = await hello_cycle(client, core, auth)
    shutil.copytree(HELLO_DIR, core.paths.plugins_dir / "other")
    manifest = json.loads((core.paths.plugins_dir / "other" / "plugin.json").read_text())
    manifest.update(id="other", routes_prefix="/v1/plugins/other", job_types=["other.greet"])
    (core.paths.plugins_dir / "other" / "plugin.json").write_text(json.dumps(manifest))
    await client.post("/v1/plugins/rescan", headers=auth)
    everyone = {e["subject_id"] for e in (await feed(client, auth))["items"]}
    assert everyone == {"hello", "other"}
    seen = (await feed(client, {"Authorization": f"Bearer {token}"}))["items"]
    assert {e["subject_id"] for e in seen} == {"hello"}


def sse_messages(text: str) -> list[dict[str, str]]:
    messages = []
    for block in text.strip().split("\r\n\r\n" if "\r\n" in text else "\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        if "data" in fields:
            messages.append(fields)
    return messages


async def test_the_stream_sends_the_same_events_and_resumes_from_last_event_id(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    await hello_cycle(client, core, auth)
    ids = [e["id"] for e in (await feed(client, auth))["items"]]
    response = await client.get("/v1/events/stream", params={"limit": 2}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = sse_messages(response.text)
    assert [m["event"] for m in messages] == ["plugin.discovered", "plugin.enabled"]
    assert [int(m["id"]) for m in messages] == ids[:2]
    assert json.loads(messages[0]["data"])["subject_id"] == "hello"
    resumed = await client.get(
        "/v1/events/stream", params={"limit": 1}, headers={**auth, "Last-Event-ID": str(ids[1])}
    )
    assert [m["event"] for m in sse_messages(resumed.text)] == ["plugin.config_changed"]
