"""The plugins API: discovery, consent, tokens and their limits, config validation, reserved routes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from asgi_client import in_loop_client
from faceforge_adapters.bootstrap import Core, bootstrap

pytestmark = pytest.mark.anyio
HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
GRANT = ["assets:read", "assets:write", "jobs:run"]
Client = httpx.AsyncClient


def install_hello(core: Core, folder: str = "hello") -> Path:
    target = core.paths.plugins_dir / folder
    shutil.copytree(HELLO_DIR, target)
    return target


async def rescan(client: Client, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/v1/plugins/rescan", headers=auth)
    assert response.status_code == 200
    return {p["plugin_id"]: p for p in response.json()["data"]}


async def enable(client: Client, auth: dict[str, str], grant: list[str] = GRANT) -> str:
    response = await client.post("/v1/plugins/hello/enable", json={"grant": grant}, headers=auth)
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == code
    return body["error"]


async def test_a_dropped_in_plugin_appears_after_a_rescan(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    assert (await client.get("/v1/plugins", headers=auth)).json()["data"]["items"] == []
    install_hello(core)
    found = await rescan(client, auth)
    assert found["hello"]["status"] == "disabled"
    listed = (await client.get("/v1/plugins", headers=auth)).json()["data"]
    assert listed["total"] == 1
    one = (await client.get("/v1/plugins/hello", headers=auth)).json()["data"]
    assert one["routes_prefix"] == "/v1/plugins/hello"
    assert one["missing_grants"] == GRANT
    assert one["config_schema"]["properties"]["repeat"]["maximum"] == 5


async def test_an_invalid_manifest_shows_its_problems(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    target = install_hello(core)
    data = json.loads((target / "plugin.json").read_text())
    data["version"] = "one"
    data["job_types"] = ["greet"]
    (target / "plugin.json").write_text(json.dumps(data))
    found = await rescan(client, auth)
    assert found["hello"]["status"] == "invalid"
    pointers = {p["pointer"] for p in found["hello"]["problems"]}
    assert pointers == {"/version", "/job_types/0"}
    assert all(p["file"] == str(target / "plugin.json") for p in found["hello"]["problems"])
    error = assert_error(
        await client.post("/v1/plugins/hello/enable", json={"grant": GRANT}, headers=auth), 409, "conflict"
    )
    assert "manifest problems" in error["message"]


async def test_enable_requires_every_declared_permission(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    response = await client.post("/v1/plugins/hello/enable", json={"grant": ["assets:read"]}, headers=auth)
    error = assert_error(response, 422, "validation_error")
    missing = " ".join(d["message"] for d in error["details"])
    assert "'assets:write'" in missing
    assert "'jobs:run'" in missing
    assert (await client.get("/v1/plugins/hello", headers=auth)).json()["data"]["status"] == "disabled"
    bad_body = await client.post("/v1/plugins/hello/enable", json={"grants": GRANT}, headers=auth)
    assert_error(bad_body, 422, "validation_error")


async def test_unknown_plugins_are_404(client: Client, auth: dict[str, str]) -> None:
    for response in (
        await client.get("/v1/plugins/nope", headers=auth),
        await client.post("/v1/plugins/nope/enable", json={"grant": []}, headers=auth),
        await client.post("/v1/plugins/nope/disable", headers=auth),
        await client.get("/v1/plugins/nope/config", headers=auth),
        await client.put("/v1/plugins/nope/config", json={}, headers=auth),
        await client.get("/v1/plugins/nope/anything/here", headers=auth),
    ):
        assert_error(response, 404, "not_found")


async def test_the_reserved_namespace_says_when_a_plugin_is_disabled(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    error = assert_error(await client.post("/v1/plugins/hello/greet", json={}, headers=auth), 409, "conflict")
    assert "'hello' is disabled" in error["message"]
    await enable(client, auth)
    assert_error(await client.get("/v1/plugins/hello/greet", headers=auth), 404, "not_found")


async def test_the_plugin_token_does_only_what_was_granted(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    token = await enable(client, auth)
    plugin = bearer(token)
    assert (await client.get("/v1/ping", headers=plugin)).status_code == 200
    assert (await client.get("/v1/plugins/hello/config", headers=plugin)).status_code == 200
    assert (await client.get("/v1/assets", headers=plugin)).status_code == 200
    tus = {**plugin, "Tus-Resumable": "1.0.0", "Upload-Length": "3"}
    assert (await client.post("/v1/uploads/", headers=tus)).status_code == 201  # uploads are assets:write
    listed = await client.get("/v1/jobs", params={"job_type": "hello.greet"}, headers=plugin)
    assert listed.status_code == 200
    for response in (
        await client.get("/v1/entities", headers=plugin),
        await client.post("/v1/entities", json={"display_name": "X"}, headers=plugin),
        await client.get("/v1/jobs", headers=plugin),
        await client.post("/v1/jobs", json={"job_type": "hello.greet"}, headers=plugin),
        await client.get("/v1/plugins", headers=plugin),
        await client.post("/v1/plugins/hello/disable", headers=plugin),
        await client.put("/v1/plugins/hello/config", json={}, headers=plugin),
        await client.post("/v1/plugins/rescan", headers=plugin),
        await client.get("/v1/system/info", headers=plugin),
        await client.post("/v1/assets/bulk-import", json={"root": "/"}, headers=plugin),
    ):
        assert_error(response, 403, "forbidden")
    assert (await client.get("/v1/entities", headers=auth)).status_code == 200
    assert (await client.get("/v1/plugins/hello", headers=auth)).json()["data"]["status"] == "enabled"


async def test_disable_and_rotation_revoke_tokens(client: Client, core: Core, auth: dict[str, str]) -> None:
    install_hello(core)
    await rescan(client, auth)
    first = await enable(client, auth)
    rotated = await client.post("/v1/plugins/hello/token", headers=auth)
    second = rotated.json()["data"]["token"]
    assert_error(await client.get("/v1/ping", headers=bearer(first)), 401, "unauthorized")
    assert (await client.get("/v1/ping", headers=bearer(second))).status_code == 200
    await client.post("/v1/plugins/hello/disable", headers=auth)
    assert_error(await client.get("/v1/ping", headers=bearer(second)), 401, "unauthorized")
    assert_error(await client.post("/v1/plugins/hello/token", headers=auth), 409, "conflict")


async def test_config_is_validated_per_pointer_and_nothing_is_stored_on_error(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    before = (await client.get("/v1/plugins/hello/config", headers=auth)).json()["data"]
    assert before["greeting"] == "Hello"
    response = await client.put(
        "/v1/plugins/hello/config",
        json={"repeat": 0, "style": "fancy", "tags": ["ok", "Not OK"], "extra": 1},
        headers=auth,
    )
    error = assert_error(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["/", "/repeat", "/style", "/tags/1"]
    assert (await client.get("/v1/plugins/hello/config", headers=auth)).json()["data"] == before
    good = await client.put("/v1/plugins/hello/config", json={"repeat": 2, "shout": True}, headers=auth)
    assert good.status_code == 200
    assert good.json()["data"]["repeat"] == 2
    assert good.json()["data"]["greeting"] == "Hello"
    not_object = await client.put("/v1/plugins/hello/config", json=[1], headers=auth)
    assert_error(not_object, 422, "validation_error")


async def test_enabled_state_and_config_survive_a_restart(home: Path) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env) as core:
        install_hello(core)
        async with in_loop_client(core) as client:
            auth = {"Authorization": f"Bearer {core.install_token}"}
            await rescan(client, auth)
            token = await enable(client, auth)
            await client.put("/v1/plugins/hello/config", json={"greeting": "Hey"}, headers=auth)
    async with (
        bootstrap(home=home, env=env) as core,
        in_loop_client(core) as client,
    ):
        auth = {"Authorization": f"Bearer {core.install_token}"}
        view = (await client.get("/v1/plugins/hello", headers=auth)).json()["data"]
        assert view["status"] == "enabled"
        config = (await client.get("/v1/plugins/hello/config", headers=bearer(token))).json()["data"]
        assert config["greeting"] == "Hey"
        assert core.jobs.registry.get("hello.greet") is not None


async def test_plugin_events_are_in_the_feed(client: Client, core: Core, auth: dict[str, str]) -> None:
    install_hello(core)
    await rescan(client, auth)
    await enable(client, auth)
    await client.post("/v1/plugins/hello/disable", headers=auth)
    feed = (await client.get("/v1/events", params={"types": "plugin.*"}, headers=auth)).json()["data"]
    assert [e["type"] for e in feed["items"]] == ["plugin.discovered", "plugin.enabled", "plugin.disabled"]
    assert {e["subject_id"] for e in feed["items"]} == {"hello"}


async def test_a_runner_token_touches_only_jobs_of_its_own_types(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    plugin = bearer(await enable(client, auth))
    core.jobs.registry.register_external("elsewhere.work")
    own = (await client.post("/v1/jobs", json={"job_type": "hello.greet"}, headers=auth)).json()["data"]
    other = (await client.post("/v1/jobs", json={"job_type": "elsewhere.work"}, headers=auth)).json()["data"]
    assert (await client.get(f"/v1/jobs/{own['job_id']}", headers=plugin)).status_code == 200
    for response in (
        await client.get(f"/v1/jobs/{other['job_id']}", headers=plugin),
        await client.post(f"/v1/jobs/{other['job_id']}/claim", json={"runner": "r"}, headers=plugin),
        await client.get("/v1/jobs", params={"job_type": "elsewhere.work"}, headers=plugin),
    ):
        assert_error(response, 403, "forbidden")
    claimed = await client.post(f"/v1/jobs/{own['job_id']}/claim", json={"runner": "r"}, headers=plugin)
    assert claimed.status_code == 200
    assert claimed.json()["data"]["status"] == "running"
    assert_error(await client.get(f"/v1/jobs/{'0' * 64}", headers=plugin), 404, "not_found")


async def test_a_plugin_token_works_in_the_header_but_never_as_a_cookie(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    install_hello(core)
    await rescan(client, auth)
    token = await enable(client, auth)
    assert (await client.get("/v1/ping", headers={"X-FaceForge-Token": token})).status_code == 200
    client.cookies.set("ff_session", token)
    try:
        assert_error(await client.get("/v1/ping"), 401, "unauthorized")
    finally:
        client.cookies.clear()
