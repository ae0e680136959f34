from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.anyio


async def test_healthz_answers_in_the_envelope(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["data"]["database_ok"] is True


async def test_ping_needs_the_token(client: AsyncTestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    assert (await client.get("/v1/ping")).status_code == 401
    assert (await client.get("/v1/ping", headers=auth)).status_code == 200
