"""The OpenAPI document lists exactly the routes that exist, and its viewers work offline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Controller, Litestar, get, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import create_app, describe_routes

pytestmark = pytest.mark.anyio

Client = AsyncTestClient  # type: ignore[type-arg]
OPERATION_KEYS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def openapi_routes(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in OPERATION_KEYS
    }


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


async def test_the_document_lists_exactly_the_real_routes(core: Core) -> None:
    app = create_app(core)
    real = describe_routes(app)
    documented = openapi_routes(app.openapi_schema.to_schema())
    assert {("GET", "/healthz"), ("GET", "/v1/ping"), ("GET", "/v1/system/info")} <= real
    assert real - documented == set(), "routes missing from the OpenAPI document"
    assert documented - real == set(), "documented routes that do not exist"


async def test_every_operation_is_named_tagged_and_answers_something(core: Core) -> None:
    schema = create_app(core).openapi_schema.to_schema()
    operation_ids = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in OPERATION_KEYS:
                continue
            where = f"{method.upper()} {path}"
            operation_ids.append(operation.get("operationId"))
            assert operation.get("tags"), f"{where} has no tag"
            assert operation.get("summary"), f"{where} has no summary"
            assert any(code.startswith("2") for code in operation["responses"]), f"{where} has no 2xx"
    assert None not in operation_ids
    assert len(operation_ids) == len(set(operation_ids))


async def test_response_types_are_the_real_envelope_structs(core: Core) -> None:
    schema = create_app(core).openapi_schema.to_schema()
    info = schema["paths"]["/v1/system/info"]["get"]["responses"]["200"]["content"]["application/json"]
    envelope = resolve(schema, info["schema"])
    assert set(envelope["properties"]) == {"ok", "data"}
    data = resolve(schema, envelope["properties"]["data"])
    assert {"version", "home", "paths", "tools", "bind_host", "core_port"} <= set(data["properties"])


async def test_bodies_that_refuse_unknown_keys_say_so_and_refuse_them(
    core: Core, client: Client, auth: dict[str, str]
) -> None:
    schemas = create_app(core).openapi_schema.to_schema()["components"]["schemas"]
    closed = {name for name, body in schemas.items() if body.get("additionalProperties") is False}
    assert {"EntityCreate", "EntityPatch", "AssetPatch", "JobCreate", "RelationshipCreate"} <= closed
    assert "EntityOut" not in closed  # answers may grow new keys
    refused = await client.post("/v1/entities", json={"display_name": "Ada", "nickname": "A"}, headers=auth)
    assert refused.status_code == 422


def test_describe_routes_resolves_layers_methods_and_path_parameters() -> None:
    class Hidden(Controller):
        path = "/hidden"
        include_in_schema = False

        @get("/")
        async def listing(self) -> list[int]:
            return []

        @get("/shown", include_in_schema=True)
        async def shown(self) -> list[int]:
            return []

    @get("/items/{item_id:int}/parts/{name:str}", sync_to_thread=False)
    def part(item_id: FromPath[int], name: FromPath[str]) -> str:
        return name

    @route("/blob/{key:path}", http_method=[HttpMethod.GET, HttpMethod.HEAD], sync_to_thread=False)
    def blob(key: FromPath[str]) -> str:
        return key

    @post("/items", sync_to_thread=False)
    def create() -> None:
        return None

    app = Litestar([Hidden, part, blob, create])
    expected = {
        ("GET", "/hidden/shown"),
        ("GET", "/items/{item_id}/parts/{name}"),
        ("GET", "/blob/{key}"),
        ("HEAD", "/blob/{key}"),
        ("POST", "/items"),
    }
    assert describe_routes(app) == expected
    assert openapi_routes(app.openapi_schema.to_schema()) == expected


@pytest.mark.parametrize("path", ["/openapi.json", "/docs/openapi.json"])
async def test_the_document_is_served_publicly(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "FaceForge Core API"
    assert "/healthz" in body["paths"]


@pytest.mark.parametrize(("path", "marker"), [("/docs", "SwaggerUIBundle"), ("/docs/redoc", "Redoc.init")])
async def test_viewers_render_from_local_files_only(client: Client, path: str, marker: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert marker in page
    urls = ASSET_URL.findall(page)
    assert urls, "the page loads no scripts or styles"
    for url in urls:
        assert url.startswith("/static/"), f"{path} loads {url} from outside Core"
        assert (await client.get(url)).status_code == 200, url
    assert any(url.startswith("/static/vendor/") for url in urls)
    assert "/static/favicon.svg" in urls
    for host in ("cdn.", "jsdelivr", "unpkg", "googleapis", "redoc.ly"):
        assert host not in page


async def test_top_level_redoc_leads_to_the_viewer(client: Client) -> None:
    response = await client.get("/redoc", follow_redirects=False)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"] == "/docs/redoc"
    assert (await client.get("/redoc")).status_code == 200
