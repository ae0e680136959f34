"""Every answer is in the envelope, including the errors the framework raises itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import JSON_BODY_LIMIT, create_app

pytestmark = pytest.mark.anyio

Client = AsyncTestClient  # type: ignore[type-arg]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error envelope, exactly: ok false, a code, a human message, details."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"ok", "error"}
    assert body["ok"] is False
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert isinstance(message, str)
    assert len(message.split()) >= 3, message  # a sentence, not a reason phrase
    return dict(body["error"])


async def entity_count(client: Client, auth: dict[str, str]) -> int:
    response = await client.get("/v1/entities", headers=auth)
    assert response.status_code == 200
    return int(response.json()["data"]["total"])


async def test_success_is_wrapped_in_ok_and_data(client: Client) -> None:
    body = (await client.get("/healthz")).json()
    assert set(body) == {"ok", "data"}
    assert body["ok"] is True
    assert set(body["data"]) == {
        "status",
        "version",
        "database_ok",
        "disk_ok",
        "min_free_bytes",
        "volumes",
        "reason",
    }
    assert body["data"]["status"] == "ok"


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v1/entities/x/y/z", "/static/nope.js"])
async def test_unknown_route_is_404_not_found(client: Client, auth: dict[str, str], path: str) -> None:
    error = assert_error(await client.get(path, headers=auth), 404, "not_found")
    if not path.startswith("/static"):
        assert error["message"] == f"there is no route for GET {path}"


async def test_wrong_method_is_405_with_the_allowed_methods(client: Client, auth: dict[str, str]) -> None:
    response = await client.delete("/v1/ping", headers=auth)
    error = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert error["message"].startswith("/v1/ping does not accept DELETE; it accepts GET")


async def test_oversize_body_is_413_and_creates_nothing(client: Client, auth: dict[str, str]) -> None:
    body = b'{"display_name": "' + b"x" * JSON_BODY_LIMIT + b'"}'
    headers = {**auth, "content-type": "application/json"}
    error = assert_error(
        await client.post("/v1/entities", content=body, headers=headers), 413, "payload_too_large"
    )
    assert str(JSON_BODY_LIMIT) in error["message"]
    assert await entity_count(client, auth) == 0


@pytest.mark.parametrize("body", [b"{bad", b'{"display_name": "Ada"', b"\xff\xfe", b""])
async def test_malformed_json_is_a_validation_error_on_the_body(
    client: Client, auth: dict[str, str], body: bytes
) -> None:
    headers = {**auth, "content-type": "application/json"}
    error = assert_error(
        await client.post("/v1/entities", content=body, headers=headers), 422, "validation_error"
    )
    assert [d["field"] for d in error["details"]] == ["body"]
    assert await entity_count(client, auth) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"display_name": 5}, "display_name"), ([1, 2], "body"), ({"display_name": "Ada", "bogus": 1}, "bogus")],
)
async def test_validation_error_names_each_failing_field(
    client: Client, auth: dict[str, str], payload: Any, field: str
) -> None:
    error = assert_error(
        await client.post("/v1/entities", json=payload, headers=auth), 422, "validation_error"
    )
    assert isinstance(error["details"], list)
    assert all(set(d) == {"field", "message"} for d in error["details"])
    assert field in [d["field"] for d in error["details"]] or field in error["message"]
    assert await entity_count(client, auth) == 0


async def test_bad_query_parameter_is_a_validation_error(client: Client, auth: dict[str, str]) -> None:
    error = assert_error(await client.get("/v1/entities?limit=999", headers=auth), 422, "validation_error")
    assert error["details"][0]["field"] == "limit"


async def test_unhandled_exception_is_500_internal_error_without_a_stack_trace(core: Core) -> None:
    secret_detail = "cannot open /secret/path for user ada"

    @get("/explode", include_in_schema=False)
    async def explode() -> None:
        raise RuntimeError(f"{secret_detail} with token {core.install_token}")

    app = create_app(core)
    app.register(explode)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/explode")
    error = assert_error(response, 500, "internal_error")
    assert error["details"] is None
    text = response.text
    for leak in ("Traceback", "RuntimeError", secret_detail, 'File "', ".py"):
        assert leak not in text
    log_lines = [json.loads(line) for line in (core.paths.logs_dir / "core.log").read_text().splitlines()]
    logged = [entry for entry in log_lines if entry["message"] == "unhandled error"]
    assert logged[-1]["path"] == "/explode"
    assert secret_detail in logged[-1]["exception"]
    assert core.install_token not in (core.paths.logs_dir / "core.log").read_text()


async def test_unauthorized_is_in_the_envelope(client: Client) -> None:
    assert_error(await client.get("/v1/ping"), 401, "unauthorized")
