"""The install token in two headers, UI sessions with their CSRF value, 401s, and never in the logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core

pytestmark = pytest.mark.anyio

Client = AsyncTestClient  # type: ignore[type-arg]
ADA = {"display_name": "Ada Lovelace"}


def cookie(session_id: str, csrf: str | None = None) -> dict[str, str]:
    jar = f"ff_session={session_id}" + (f"; ff_csrf={csrf}" if csrf is not None else "")
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


async def test_a_session_cookie_is_accepted_for_reads(client: Client, core: Core) -> None:
    session = await core.sessions.start(core.install_token)
    assert (await client.get("/v1/ping", headers=cookie(session.session_id))).status_code == 200


async def test_the_install_token_itself_is_no_cookie(client: Client, core: Core) -> None:
    for name in ("ff_session", "ff_token"):
        assert_unauthorized(await client.get("/v1/ping", headers={"Cookie": f"{name}={core.install_token}"}))


async def test_session_write_without_its_own_csrf_value_is_forbidden_and_changes_nothing(
    client: Client, core: Core
) -> None:
    session = await core.sessions.start(core.install_token)
    other = await core.sessions.start(core.install_token)
    for headers in (
        cookie(session.session_id),
        cookie(session.session_id, csrf=session.csrf),  # the cookie alone proves nothing
        {**cookie(session.session_id, csrf="abc"), "X-FaceForge-CSRF": "abc"},  # double-submit forged
        {**cookie(session.session_id), "X-FaceForge-CSRF": other.csrf},  # another session's value
        {**cookie(session.session_id), "X-FaceForge-CSRF": session.session_id},
    ):
        response = await client.post("/v1/entities", json=ADA, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert "X-FaceForge-CSRF" in response.json()["error"]["message"]
    assert await entity_count(client, core) == 0


async def test_session_write_with_its_csrf_value_goes_through(client: Client, core: Core) -> None:
    session = await core.sessions.start(core.install_token)
    headers = {**cookie(session.session_id, csrf=session.csrf), "X-FaceForge-CSRF": session.csrf}
    assert (await client.post("/v1/entities", json=ADA, headers=headers)).status_code == 201
    assert await entity_count(client, core) == 1


async def test_an_ended_session_is_refused(client: Client, core: Core) -> None:
    session = await core.sessions.start(core.install_token)
    await core.sessions.end(session.session_id)
    assert_unauthorized(await client.get("/v1/ping", headers=cookie(session.session_id)))


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
        {"Cookie": "ff_session=wrong-session"},
        {"Cookie": "ff_session="},
    ],
    ids=["missing", "wrong-bearer", "empty-bearer", "basic", "wrong-header", "wrong-cookie", "empty-cookie"],
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
    session = await core.sessions.start(token)
    await client.get("/v1/ping", headers={"Authorization": f"Bearer {token}"})
    await client.get("/v1/ping", headers={"X-FaceForge-Token": token})
    await client.get("/v1/ping", headers=cookie(session.session_id))
    await client.get(f"/v1/ping?token={token}")
    await client.get(f"/v1/{token}", headers={"Authorization": f"Bearer {token}"})
    await client.post(
        "/v1/entities", content=f'{{"display_name": {token}', headers={"X-FaceForge-Token": token}
    )
    log = read_log(core)
    assert token not in log
    assert session.session_id not in log
    assert '"path":"/v1/ping","status":200' in log
    assert '"method":"GET"' in log
    assert '"duration_ms":' in log
    assert "?token=" not in log
