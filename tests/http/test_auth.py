"""The install token: three ways to present it, CSRF for cookie writes, 401s, and never in the logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio

Client = AsyncTestClient  # type: ignore[type-arg]
ADA = {"display_name": "Ada Lovelace"}


def cookie(token: str, csrf: str | None = None) -> dict[str, str]:
    jar = f"ff_token={token}" + (f"; ff_csrf={csrf}" if csrf is not None else "")
    return {"Cookie": jar}


async def entity_count(client: Client, core: Core) -> int:
    response = await client.get("/v1/entities", headers={"Authorization": f"Bearer {core.install_token}"})
    return int(response.json()["data"]["total"])


def assert_unauthorized(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.headers["www-authenticate"] == 'Bearer realm="faceforge"'  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["ok"] is False
    assert body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_bearer_token_is_accepted(client: Client, core: Core, scheme: str) -> None:
    response = await client.get("/v1/ping", headers={"Authorization": f"{scheme} {core.install_token}"})
    assert response.status_code == 200
    assert response.json()["data"]["pong"] is True


async def test_token_header_is_accepted(client: Client, core: Core) -> None:
    assert (
        await client.get("/v1/ping", headers={"X-FaceForge-Token": core.install_token})
    ).status_code == 200


async def test_cookie_is_accepted_for_reads(client: Client, core: Core) -> None:
    assert (await client.get("/v1/ping", headers=cookie(core.install_token))).status_code == 200


async def test_cookie_write_without_csrf_proof_is_forbidden_and_changes_nothing(
    client: Client, core: Core
) -> None:
    for headers in (
        cookie(core.install_token),
        cookie(core.install_token, csrf="abc"),
        {**cookie(core.install_token, csrf="abc"), "X-FaceForge-CSRF": "abd"},
        {**cookie(core.install_token), "X-FaceForge-CSRF": "abc"},
    ):
        response = await client.post("/v1/entities", json=ADA, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert "X-FaceForge-CSRF" in response.json()["error"]["message"]
    assert await entity_count(client, core) == 0


async def test_cookie_write_with_matching_csrf_header_goes_through(client: Client, core: Core) -> None:
    headers = {**cookie(core.install_token, csrf="s3cr3t-csrf"), "X-FaceForge-CSRF": "s3cr3t-csrf"}
    assert (await client.post("/v1/entities", json=ADA, headers=headers)).status_code == 201
    assert await entity_count(client, core) == 1


async def test_header_tokens_need_no_csrf_proof(client: Client, core: Core) -> None:
    response = await client.post("/v1/entities", json=ADA, headers={"X-FaceForge-Token": core.install_token})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-FaceForge-Token": "wrong-token"},
        {"Cookie": "ff_token=wrong-token"},
    ],
    ids=["missing", "wrong-bearer", "empty-bearer", "basic", "wrong-header", "wrong-cookie"],
)
async def test_missing_or_wrong_token_is_401_with_www_authenticate(
    client: Client, headers: dict[str, str]
) -> None:
    assert_unauthorized(await client.get("/v1/ping", headers=headers))
    assert_unauthorized(await client.post("/v1/entities", json=ADA, headers=headers))


async def test_a_prefix_or_extension_of_the_token_is_refused(client: Client, core: Core) -> None:
    token = core.install_token
    for almost in (token[:-1], token + "x", token.upper()):
        assert_unauthorized(await client.get("/v1/ping", headers={"Authorization": f"Bearer {almost}"}))


async def test_public_routes_need_no_token(client: Client) -> None:
    for path in ("/healthz", "/openapi.json", "/docs", "/docs/redoc"):
        assert (await client.get(path)).status_code == 200, path


def read_log(core: Core) -> str:
    return Path(core.paths.logs_dir / "core.log").read_text(encoding="utf-8")


async def test_requests_are_logged_but_the_token_never_is(client: Client, core: Core) -> None:
    token = core.install_token
    await client.get("/v1/ping", headers={"Authorization": f"Bearer {token}"})
    await client.get("/v1/ping", headers={"X-FaceForge-Token": token})
    await client.get("/v1/ping", headers=cookie(token))
    await client.get(f"/v1/ping?token={token}")
    await client.get(f"/v1/{token}", headers={"Authorization": f"Bearer {token}"})
    await client.post(
        "/v1/entities", content=f'{{"display_name": {token}', headers={"X-FaceForge-Token": token}
    )
    log = read_log(core)
    assert token not in log
    assert '"path":"/v1/ping","status":200' in log
    assert '"method":"GET"' in log
    assert '"duration_ms":' in log
    assert "?token=" not in log
