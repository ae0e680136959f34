"""Signing in to the web UI: the install token starts a server-side session held in an HttpOnly cookie.

The browser never keeps the token: the login form trades it for ``ff_session`` (HttpOnly,
``SameSite=Strict``), the id of a session the server can revoke. ``ff_csrf`` is that session's CSRF
value, readable by the page's script, which echoes it in ``X-FaceForge-CSRF`` on every change it sends
to ``/v1`` (checked in :mod:`faceforge_http.auth`). Signing out ends the session on the server.

A sign-in link (``/ui/login?code=...``, printed by ``faceforge serve``) carries a single-use code in
place of the token: the login page trades it for the same session, then sends the browser on to a
URL without the code, so neither the code nor the token stays in the address bar.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_401_UNAUTHORIZED

from faceforge_domain.sessions import SignInCodeRefused, StartedSession
from faceforge_http.auth import CSRF_COOKIE, SESSION_COOKIE, signed_in
from faceforge_http.deps import InstallTokenDep, SessionServiceDep

LOGIN_PATH = "/ui/login"
HOME_PATH = "/ui/entities"


class LoginForm(msgspec.Struct, kw_only=True):
    token: str = ""
    next: str = ""


def safe_next(target: str) -> str:
    """Only follow a ``next`` that stays inside the UI (no open redirect to another site)."""
    if target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME_PATH


def session_cookies(session: StartedSession) -> list[Cookie]:
    common: dict[str, Any] = {"path": "/", "samesite": "strict", "expires": _epoch(session.expires_at)}
    return [
        Cookie(key=SESSION_COOKIE, value=session.session_id, httponly=True, **common),
        Cookie(key=CSRF_COOKIE, value=session.csrf, httponly=False, **common),
    ]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def cleared_cookies() -> list[Cookie]:
    return [
        Cookie(key=name, value="", path="/", max_age=0, expires=0, samesite="strict")
        for name in (SESSION_COOKIE, CSRF_COOKIE)
    ]


def sign_in_link(base_url: str, code: str) -> str:
    """The link ``faceforge serve`` prints: the login page with a sign-in code."""
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?code={quote(code, safe='')}"


@get(LOGIN_PATH, include_in_schema=False)
async def login_page(
    request: Request[Any, Any, Any],
    sessions: SessionServiceDep,
    install_token: InstallTokenDep,
    next: FromQuery[str] = "",
    code: FromQuery[str | None] = None,
) -> Template | Redirect:
    if await signed_in(request):
        return Redirect(safe_next(next))
    if code is None:
        return Template("login.html", context={"next": safe_next(next), "error": None})
    try:
        started = await sessions.redeem_code(code, install_token)
    except SignInCodeRefused as refused:
        return Template(
            "login.html",
            context={"next": safe_next(next), "error": None, "link_error": refused.refusal.value},
            status_code=HTTP_401_UNAUTHORIZED,
        )
    return Redirect(safe_next(next), status_code=HTTP_303_SEE_OTHER, cookies=session_cookies(started))


@post(LOGIN_PATH, include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def login(
    sessions: SessionServiceDep,
    install_token: InstallTokenDep,
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    token = data.token.strip()
    expected = install_token
    if token and expected and secrets.compare_digest(token.encode(), expected.encode()):
        cookies = session_cookies(await sessions.start(expected))
        return Redirect(safe_next(data.next), status_code=HTTP_303_SEE_OTHER, cookies=cookies)
    message = "Please paste the access token." if not token else "That access token is not right."
    return Template(
        "login.html",
        context={"next": safe_next(data.next), "error": message},
        status_code=HTTP_401_UNAUTHORIZED,
    )


@post("/ui/logout", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def logout(sessions: SessionServiceDep, request: Request[Any, Any, Any]) -> Redirect:
    """A form post (not a link) so that another site cannot sign the user out with an image tag; the
    session ends on the server, so a copy of the cookie stops working too."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await sessions.end(session_id)
    return Redirect(LOGIN_PATH, status_code=HTTP_303_SEE_OTHER, cookies=cleared_cookies())


@get(["/", "/ui"], include_in_schema=False)
async def root() -> Redirect:
    return Redirect(HOME_PATH)


async def require_login(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """``before_request`` hook of the UI pages: send anyone without a live session to the login form."""
    if await signed_in(request):
        return None
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{LOGIN_PATH}?next={quote(wanted, safe='/')}")
