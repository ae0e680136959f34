"""The token guard on ``/v1``: the install token (full access) or a plugin's own token (its grants).

A token arrives as ``Authorization: Bearer``, ``X-FaceForge-Token``, or the UI's HttpOnly ``ff_token``
cookie. A cookie alone could be sent by another site's form, so state-changing cookie requests must also
echo the ``ff_csrf`` cookie in an ``X-FaceForge-CSRF`` header (double-submit). Compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Any, NamedTuple

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from faceforge_adapters.bootstrap import Core
from faceforge_domain.plugins import permissions
from faceforge_domain.plugins.service import TOKEN_PREFIX, PluginPrincipal

TOKEN_HEADER = "x-faceforge-token"  # noqa: S105  (a header name, not a secret)
TOKEN_COOKIE = "ff_token"  # noqa: S105  (a cookie name, not a secret)
CSRF_COOKIE = "ff_csrf"
CSRF_HEADER = "x-faceforge-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRINCIPAL_KEY = "faceforge_plugin"


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


# -- per-plugin tokens -------------------------------------------------------------------------------
#
# A plugin token may do only what its user granted. Routes are matched by path family; anything not
# listed is install-token only (deny by default), so a route added later is safe until it is mapped.

_ENTITY_FAMILIES = ("entities", "descriptors", "relationships", "relation-types")
_JOB_RUN_ACTIONS = frozenset({"claim", "heartbeat", "log", "progress", "complete", "fail"})
_PLUGIN_SELF_READS = frozenset({"", "config"})
_PLUGIN_MANAGEMENT = frozenset({"enable", "disable", "token", "config"})


class Need(NamedTuple):
    """What a plugin needs for one request: a permission, and for job routes, owning the job's type."""

    permission: str | None
    job_id: str | None = None


ALLOWED = Need(None)


def plugin_need(method: str, path: str, principal: PluginPrincipal) -> Need | None:
    """The permission a plugin request needs (``ALLOWED``: none), or None when plugins may never call it."""
    parts = path.strip("/").split("/")[1:]  # drop "v1"
    family, rest = (parts[0], parts[1:]) if parts else ("", [])
    read = method in SAFE_METHODS
    if family in ("ping", "events"):
        return ALLOWED
    if family == "plugins":
        if not rest or rest[0] != principal.plugin_id:
            return None
        sub = "/".join(rest[1:])
        if read and sub in _PLUGIN_SELF_READS:
            return ALLOWED
        return None if rest[1:] and rest[1] in _PLUGIN_MANAGEMENT else ALLOWED
    if family == "entities" and len(rest) >= 2 and rest[1] == "assets":
        return Need(permissions.ASSETS_READ if read else permissions.ASSETS_WRITE)
    if family in _ENTITY_FAMILIES:
        return Need(permissions.ENTITIES_READ if read else permissions.ENTITIES_WRITE)
    if family == "uploads":  # resumable uploads end as assets
        return Need(permissions.ASSETS_READ if read else permissions.ASSETS_WRITE)
    if family == "assets" and rest[:1] != ["bulk-import"]:  # importing server folders is the user's call
        return Need(permissions.ASSETS_READ if read else permissions.ASSETS_WRITE)
    if family == "jobs":
        return _job_need(read, rest, principal)
    return None


def _job_need(read: bool, rest: list[str], principal: PluginPrincipal) -> Need:
    job_id = rest[0] if rest else None
    if not read and job_id and len(rest) == 2 and rest[1] in _JOB_RUN_ACTIONS:
        return Need(permissions.JOBS_RUN, job_id)
    if not read:
        return Need(permissions.JOBS_CREATE)
    if principal.allows(permissions.JOBS_READ) or not principal.allows(permissions.JOBS_RUN):
        return Need(permissions.JOBS_READ)
    # A runner without jobs:read sees only its own job types.
    return Need(permissions.JOBS_RUN, job_id) if job_id else Need(permissions.JOBS_RUN, "")


def plugin_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> PluginPrincipal | None:
    """The plugin a request was made for, or None for the install token."""
    found = connection.scope.get("state", {}).get(PRINCIPAL_KEY)
    return found if isinstance(found, PluginPrincipal) else None


async def _check_plugin(
    connection: ASGIConnection[Any, Any, Any, Any], core: Core, principal: PluginPrincipal
) -> None:
    method = str(connection.scope.get("method", "GET"))
    need = plugin_need(method, connection.url.path, principal)
    who = f"plugin {principal.plugin_id!r}"
    if need is None:
        raise PermissionDeniedException(f"{who} may not use this route (it needs the install token)")
    if need.permission is not None and not principal.allows(need.permission):
        raise PermissionDeniedException(f"{who} was not granted {need.permission!r}")
    if need.job_id == "":
        requested = connection.query_params.get("job_type")
        if requested not in principal.job_types:
            raise PermissionDeniedException(
                f"{who} may list only its own job types: add job_type=<one of "
                f"{', '.join(principal.job_types) or 'none'}>, or ask for 'jobs:read'"
            )
    elif need.job_id is not None and await core.plugins.may_run_job(principal, need.job_id) is False:
        raise PermissionDeniedException(f"{who} may only see and run jobs of its own job types")


async def require_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: the install token has full access; a plugin token only what its permissions allow."""
    core: Core = connection.app.state.core
    token, from_cookie = presented_token(connection)
    if token is not None and not from_cookie and token.startswith(TOKEN_PREFIX):
        principal = await core.plugins.authenticate(token)
        if principal is None:
            raise NotAuthorizedException(
                "this plugin token is not valid (revoked, rotated, or the plugin is not enabled)",
                headers={"WWW-Authenticate": 'Bearer realm="faceforge"'},
            )
        connection.scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        await _check_plugin(connection, core, principal)
        return
    require_install_token(connection, handler)
