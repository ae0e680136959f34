"""The install-token guard on ``/v1``.

A token arrives as ``Authorization: Bearer``, ``X-FaceForge-Token``, or the UI's HttpOnly ``ff_token``
cookie. A cookie alone could be sent by another site's form, so state-changing cookie requests must also
echo the ``ff_csrf`` cookie in an ``X-FaceForge-CSRF`` header (double-submit). Compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

TOKEN_HEADER = "x-faceforge-token"  # noqa: S105  (a header name, not a secret)
TOKEN_COOKIE = "ff_token"  # noqa: S105  (a cookie name, not a secret)
CSRF_COOKIE = "ff_csrf"
CSRF_HEADER = "x-faceforge-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str | None, bool]:
    """The token the client sent and whether it came from the cookie."""
    authorization = connection.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    header = connection.headers.get(TOKEN_HEADER)
    if header:
        return header.strip(), False
    cookie = connection.cookies.get(TOKEN_COOKIE)
    return (cookie, True) if cookie else (None, False)


def token_is_valid(connection: ASGIConnection[Any, Any, Any, Any], expected: str) -> bool:
    token, _ = presented_token(connection)
    return token is not None and bool(expected) and _same(token, expected)


def require_install_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: let the request through only with the install token (and CSRF proof for cookies)."""
    expected: str = connection.app.state.core.install_token
    token, from_cookie = presented_token(connection)
    if token is None or not expected or not _same(token, expected):
        raise NotAuthorizedException(
            "a valid install token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": 'Bearer realm="faceforge"'},
        )
    if from_cookie and connection.scope.get("method", "GET") not in SAFE_METHODS:
        csrf_cookie = connection.cookies.get(CSRF_COOKIE, "")
        csrf_header = connection.headers.get(CSRF_HEADER, "")
        if not csrf_cookie or not _same(csrf_header, csrf_cookie):
            raise PermissionDeniedException("cookie-authenticated changes need the X-FaceForge-CSRF header")
