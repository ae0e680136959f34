"""Signing in to the web UI: a server-side session, cookie flags, redirects, CSRF, signing out."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.clock import FixedClock
from faceforge_domain.sessions import SIGN_IN_CODE_LIFETIME
from faceforge_http.app import create_app, describe_routes

pytestmark = pytest.mark.anyio

Client = AsyncTestClient  # type: ignore[type-arg]


def set_cookie_headers(response: object) -> dict[str, str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {h.split("=", 1)[0]: h for h in headers}


async def login(client: Client, token: str, next_page: str = "") -> object:
    return await client.post("/ui/login", data={"token": token, "next": next_page}, follow_redirects=False)


@pytest.mark.parametrize("path", ["/", "/ui", "/ui/"])
async def test_root_goes_to_the_ui(client: Client, path: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code in (301, 302, 303, 307, 308)
    assert response.headers["location"] == "/ui/entities"


async def test_pages_redirect_to_login_without_a_cookie(client: Client) -> None:
    response = await client.get("/ui/entities?q=ann", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/ui/login?next=/ui/entities%3Fq%3Dann"


async def test_a_wrong_cookie_is_not_a_session(client: Client) -> None:
    client.cookies.set("ff_session", "not-a-session")
    response = await client.get("/ui/jobs", follow_redirects=False)
    assert response.headers["location"].startswith("/ui/login")


async def test_login_page_is_public_and_has_a_labelled_token_field(client: Client) -> None:
    response = await client.get("/ui/login")
    assert response.status_code == 200
    assert '<label for="token">' in response.text
    assert 'name="token"' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]


async def test_login_sets_an_httponly_strict_session_cookie_and_a_readable_csrf_cookie(
    client: Client, core: Core
) -> None:
    response = await login(client, core.install_token)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/ui/entities"  # type: ignore[attr-defined]
    cookies = set_cookie_headers(response)
    session_cookie, csrf_cookie = cookies["ff_session"].lower(), cookies["ff_csrf"].lower()
    assert "httponly" in session_cookie
    assert "samesite=strict" in session_cookie
    assert "path=/" in session_cookie
    assert "httponly" not in csrf_cookie
    assert "samesite=strict" in csrf_cookie
    assert core.install_token not in str(response.headers.get_list("set-cookie"))  # type: ignore[attr-defined]
    assert client.cookies["ff_csrf"] != client.cookies["ff_session"]
    assert (await client.get("/ui/entities", follow_redirects=False)).status_code == 200


async def test_login_follows_only_ui_next_targets(client: Client, core: Core) -> None:
    inside = await login(client, core.install_token, "/ui/jobs?status=running")
    assert inside.headers["location"] == "/ui/jobs?status=running"  # type: ignore[attr-defined]
    for outside in ("https://evil.example/", "//evil.example/ui/", "/v1/entities", "/ui\\..\\x"):
        response = await login(client, core.install_token, outside)
        assert response.headers["location"] == "/ui/entities"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "Please paste the access token."), ("nope", "That access token is not right.")],
)
async def test_a_bad_token_shows_the_form_again_and_sets_no_cookie(
    client: Client, token: str, message: str
) -> None:
    response = await login(client, token)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert message in response.text  # type: ignore[attr-defined]
    assert "ff_session" not in set_cookie_headers(response)
    assert not client.cookies.get("ff_session")
    assert (await client.get("/ui/entities", follow_redirects=False)).status_code in (302, 303, 307)


async def test_logout_ends_the_session_on_the_server_and_clears_both_cookies(
    client: Client, core: Core
) -> None:
    await login(client, core.install_token)
    kept_copy = client.cookies["ff_session"]
    response = await client.post("/ui/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"
    cookies = set_cookie_headers(response)
    assert "max-age=0" in cookies["ff_session"].lower()
    assert "max-age=0" in cookies["ff_csrf"].lower()
    assert (await client.get("/ui/entities", follow_redirects=False)).status_code in (302, 303, 307)
    replayed = await client.get("/v1/ping", headers={"Cookie": f"ff_session={kept_copy}"})
    assert replayed.status_code == 401  # a copy of the cookie taken before signing out is dead too


async def test_each_browser_gets_its_own_session(client: Client, core: Core) -> None:
    await login(client, core.install_token)
    first = client.cookies["ff_session"]
    client.cookies.clear()
    await login(client, core.install_token)
    assert client.cookies["ff_session"] != first


async def test_cookie_changes_need_the_csrf_header(client: Client, core: Core) -> None:
    await login(client, core.install_token)
    body = {"display_name": "Ada"}
    refused = await client.post("/v1/entities", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    wrong = await client.post("/v1/entities", json=body, headers={"X-FaceForge-CSRF": "guess"})
    assert wrong.status_code == 403
    listed = await client.get("/v1/entities")
    assert listed.json()["data"]["total"] == 0  # nothing was created by the refused requests
    accepted = await client.post(
        "/v1/entities", json=body, headers={"X-FaceForge-CSRF": client.cookies["ff_csrf"]}
    )
    assert accepted.status_code == 201


async def test_ui_routes_stay_out_of_the_openapi_document(core: Core) -> None:
    visible = describe_routes(create_app(core))
    assert visible
    assert not [path for _, path in visible if path.startswith("/ui") or path == "/"]


async def open_link(client: Client, code: str, next_page: str = "") -> object:
    suffix = f"&next={next_page}" if next_page else ""
    return await client.get(f"/ui/login?code={code}{suffix}", follow_redirects=False)


async def test_a_sign_in_link_starts_a_session_and_leads_to_a_url_without_the_code(
    client: Client, core: Core
) -> None:
    issued = await core.sessions.issue_code(core.install_token)
    response = await open_link(client, issued.code, "/ui/jobs")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/ui/jobs"  # type: ignore[attr-defined]
    assert set(set_cookie_headers(response)) == {"ff_session", "ff_csrf"}
    page = await client.get("/ui/jobs", follow_redirects=False)
    assert page.status_code == 200
    assert issued.code not in page.text
    assert core.install_token not in page.text


async def test_a_sign_in_link_works_only_once(client: Client, core: Core) -> None:
    issued = await core.sessions.issue_code(core.install_token)
    assert (await open_link(client, issued.code)).status_code == 303  # type: ignore[attr-defined]
    client.cookies.clear()
    again = await open_link(client, issued.code)
    assert again.status_code == 401  # type: ignore[attr-defined]
    assert "already been used" in again.text  # type: ignore[attr-defined]
    assert "set-cookie" not in again.headers  # type: ignore[attr-defined]
    assert (await client.get("/ui/jobs", follow_redirects=False)).status_code == 302


@pytest.mark.parametrize(("code", "words"), [("not-a-code", "not valid"), ("", "not valid")])
async def test_an_unknown_code_gets_a_clear_page_and_no_session(
    client: Client, code: str, words: str
) -> None:
    response = await open_link(client, code)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert words in response.text  # type: ignore[attr-defined]
    assert 'name="token"' in response.text  # type: ignore[attr-defined]  # the token still works
    assert "set-cookie" not in response.headers  # type: ignore[attr-defined]


async def test_an_expired_sign_in_link_is_refused(home: Path) -> None:
    clock = FixedClock()
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, clock=clock) as core:
        transport = httpx.ASGITransport(app=create_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
            issued = await core.sessions.issue_code(core.install_token)
            clock.advance(SIGN_IN_CODE_LIFETIME)
            response = await open_link(client, issued.code)
            assert response.status_code == 401
            assert "has expired" in response.text
            assert "set-cookie" not in response.headers
            assert (await client.get("/ui/jobs")).status_code == 302


async def test_a_sign_in_link_of_an_earlier_install_token_is_refused(client: Client, core: Core) -> None:
    issued = await core.sessions.issue_code("the-token-before-rotation")
    response = await open_link(client, issued.code)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "set-cookie" not in response.headers  # type: ignore[attr-defined]
