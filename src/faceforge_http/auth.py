"""The guard on ``/v1``: the install token (full access), a plugin's token (its grants), or a UI session.

Tokens arrive in a header, ``Authorization: Bearer`` or ``X-FaceForge-Token``, compared in constant
time. The web UI holds no token: its HttpOnly ``ff_session`` cookie names a server-side session
(:mod:`faceforge_domain.sessions`). A cookie alone could be sent by another site's form, so a change
made with it must also carry the session's own CSRF value in ``X-FaceForge-CSRF`` (the page's script
reads it from the ``ff_csrf`` cookie); a value from any other session does not count.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from faceforge_adapters.bootstrap import Core
from faceforge_domain.plugins.service import TOKEN_PREFIX, PluginPrincipal
from faceforge_domain.sessions import csrf_matches
from faceforge_http.plugin_access import READ_METHODS, plugin_need

TOKEN_HEADER = "x-faceforge-token"  # noqa: S105  (a header name, not a secret)
SESSION_COOKIE = "ff_session"
CSRF_COOKIE = "ff_csrf"
CSRF_HEADER = "x-faceforge-csrf"
PRINCIPAL_KEY = "faceforge_plugin"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="faceforge"'}


def same_secret(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def header_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token sent in ``Authorization: Bearer`` or ``X-FaceForge-Token``, if any."""
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.headers.get(TOKEN_HEADER, "").strip() or None


async def session_is_live(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the request's session cookie names a live session of the current install token."""
    session_id = connection.cookies.get(SESSION_COOKIE)
    core: Core = connection.app.state.core
    return session_id is not None and await core.sessions.check(session_id, core.install_token)


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """For the UI pages: a live session, or the install token in a header (a script fetching a page)."""
    token = header_token(connection)
    if token is not None:
        return same_secret(token, connection.app.state.core.install_token)
    return await session_is_live(connection)


def plugin_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> PluginPrincipal | None:
    """The plugin a request was made for, or None for the install token and UI sessions."""
    found = connection.scope.get("state", {}).get(PRINCIPAL_KEY)
    return found if isinstance(found, PluginPrincipal) else None


async def _check_plugin(
    connection: ASGIConnection[Any, Any, Any, Any], core: Core, principal: PluginPrincipal
) -> None:
    scope = connection.scope
    need = plugin_need(
        str(scope.get("method", "GET")), scope.get("path_template", ""), scope["path_params"], principal
    )
    who = f"plugin {principal.plugin_id!r}"
    if need is None:
        raise PermissionDeniedException(f"{who} may not use this route (it needs the install token)")
    missing = [permission for permission in need.permissions if not principal.allows(permission)]
    if missing:
        raise PermissionDeniedException(f"{who} was not granted {', '.join(map(repr, missing))}")
    if need.job_id == "":
        requested = connection.query_params.get("job_type")
        if requested not in principal.job_types:
            raise PermissionDeniedException(
                f"{who} may list only its own job types: add job_type=<one of "
                f"{', '.join(principal.job_types) or 'none'}>, or ask for 'jobs:read'"
            )
    elif need.job_id is not None and await core.plugins.may_run_job(principal, need.job_id) is False:
        raise PermissionDeniedException(f"{who} may only see and run jobs of its own job types")


async def _check_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    if not await session_is_live(connection):
        raise NotAuthorizedException(
            "a valid install token is required (Authorization: Bearer <token>)", headers=_CHALLENGE
        )
    if connection.scope.get("method", "GET") not in READ_METHODS:
        session_id = connection.cookies[SESSION_COOKIE]
        if not csrf_matches(session_id, connection.headers.get(CSRF_HEADER, "")):
            raise PermissionDeniedException(
                "changes made by a signed-in page need its X-FaceForge-CSRF header"
            )


async def require_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the install token has full access, a plugin token only what its grants allow, and a UI
    session what the install token may, with CSRF proof for changes."""
    core: Core = connection.app.state.core
    token = header_token(connection)
    if token is None:
        await _check_session(connection)
    elif token.startswith(TOKEN_PREFIX):
        principal = await core.plugins.authenticate(token)
        if principal is None:
            raise NotAuthorizedException(
                "this plugin token is not valid (revoked, rotated, or the plugin is not enabled)",
                headers=_CHALLENGE,
            )
        connection.scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        await _check_plugin(connection, core, principal)
    elif not same_secret(token, core.install_token):
        raise NotAuthorizedException("this install token is not valid", headers=_CHALLENGE)
