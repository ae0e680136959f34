"""Signing in to the web UI: the install token becomes an HttpOnly cookie, plus a CSRF cookie for JS.

The browser never sees the token again after the login form: ``ff_token`` is HttpOnly and
``SameSite=Strict``. ``ff_csrf`` is a random value the page's script echoes in ``X-FaceForge-CSRF`` on
every change it sends to ``/v1`` (the double-submit check lives in :mod:`faceforge_http.auth`).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_401_UNAUTHORIZED

from faceforge_http.auth import CSRF_COOKIE, TOKEN_COOKIE, token_is_valid
from faceforge_http.deps import CoreDep

LOGIN_PATH = "/ui/login"
HOME_PATH = "/ui/entities"
SESSION_SECONDS = 30 * 24 * 3600


class LoginForm(msgspec.Struct, kw_only=True):
    token: str = ""
    next: str = ""


def safe_next(target: str) -> str:
    """Only follow a ``next`` that stays inside the UI (no open redirect to another site)."""
    if target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME_PATH


def session_cookies(token: str) -> list[Cookie]:
    common: dict[str, Any] = {"path": "/", "samesite": "strict", "max_age": SESSION_SECONDS}
    return [
        Cookie(key=TOKEN_COOKIE, value=token, httponly=True, **common),
        Cookie(key=CSRF_COOKIE, value=secrets.token_urlsafe(32), httponly=False, **common),
    ]


def cleared_cookies() -> list[Cookie]:
    return [
        Cookie(key=name, value="", path="/", max_age=0, expires=0, samesite="strict")
        for name in (TOKEN_COOKIE, CSRF_COOKIE)
    ]


def signed_in(request: Request[Any, Any, Any]) -> bool:
    return token_is_valid(request, request.app.state.core.install_token)


@get(LOGIN_PATH, include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Template | Redirect:
    if signed_in(request):
        return Redirect(safe_next(next))
    return Template("login.html", context={"next": safe_next(next), "error": None})


@post(LOGIN_PATH, include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def login(
    core: CoreDep, data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    token = data.token.strip()
    expected = core.install_token
    if token and expected and secrets.compare_digest(token.encode(), expected.encode()):
        return Redirect(safe_next(data.next), status_code=HTTP_303_SEE_OTHER, cookies=session_cookies(token))
    message = "Please paste the access token." if not token else "That access token is not right."
    return Template(
        "login.html",
        context={"next": safe_next(data.next), "error": message},
        status_code=HTTP_401_UNAUTHORIZED,
    )


@post("/ui/logout", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def logout() -> Redirect:
    """A form post (not a link) so that another site cannot sign the user out with an image tag."""
    return Redirect(LOGIN_PATH, status_code=HTTP_303_SEE_OTHER, cookies=cleared_cookies())


@get(["/", "/ui"], include_in_schema=False)
async def root() -> Redirect:
    return Redirect(HOME_PATH)


def require_login(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """``before_request`` hook of the UI pages: send anyone without a valid cookie to the login form."""
    if signed_in(request):
        return None
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{LOGIN_PATH}?next={quote(wanted, safe='/')}")
