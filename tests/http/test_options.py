"""OPTIONS on every route answers 2xx with an ``Allow`` naming exactly the methods that route accepts."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_http.app import create_app

pytestmark = pytest.mark.anyio

_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLE = {"str": "0" * 64, "int": "1", "path": "/a/b"}


def concrete(path: str) -> str:
    return _PARAM.sub(lambda m: _SAMPLE[m.group(2)], path).replace("//", "/")


async def test_every_route_answers_options_with_exactly_its_methods(core: Core, auth: dict[str, str]) -> None:
    app = create_app(core)
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    assert len(routes) > 30
    async with AsyncTestClient(app=app) as client:
        for route in routes:
            url = concrete(route.path)
            response = await client.options(url, headers=auth)
            assert 200 <= response.status_code < 300, (url, response.status_code, response.text)
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
            assert allowed == set(route.methods), (route.path, allowed, route.methods)


async def test_options_on_an_id_route_lists_read_change_and_delete(
    client: AsyncTestClient, auth: dict[str, str]
) -> None:  # type: ignore[type-arg]
    response = await client.options("/v1/entities/" + "0" * 64, headers=auth)
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
