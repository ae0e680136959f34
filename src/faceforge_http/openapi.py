"""OpenAPI document and its viewers, served from vendored files (no CDN: Core works offline)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, get
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIResponse, Operation, PathItem
from litestar.response import Redirect, Response
from litestar.routes import HTTPRoute

from faceforge_http.auth import require_token
from faceforge_http.envelope import ErrorEnvelope

VENDOR = "/static/vendor"
# Litestar's viewers link a favicon on a CDN by default; ours is served locally like everything else.
FAVICON = "<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>"


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="FaceForge Core API",
        version=version,
        description=(
            "Entities, assets, jobs and plugins. Every JSON answer is an envelope: "
            '`{"ok": true, "data": ...}` or `{"ok": false, "error": {...}}`. '
            "Routes under /v1 need the install token as `Authorization: Bearer <token>`."
        ),
        path="/docs",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                standalone_preset_js_url=f"{VENDOR}/swagger-ui/swagger-ui-standalone-preset.js",
                favicon=FAVICON,
            ),
            RedocRenderPlugin(
                path="/redoc",
                js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                google_fonts=False,
                favicon=FAVICON,
            ),
        ],
    )


@get("/openapi.json", include_in_schema=False, media_type=MediaType.JSON)
async def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI document at the top level, where tools look for it first."""
    return Response(request.app.openapi_schema.to_schema(), media_type=MediaType.JSON)


@get("/redoc", include_in_schema=False)
async def redoc_redirect() -> Redirect:
    return Redirect("/docs/redoc")


# Every error status the API answers, as docs/api.md lists them; each operation documents those its
# shape implies (``implied_errors``) plus any its handler names with ``may_answer``.
ERROR_DESCRIPTIONS = {
    400: "The client went away before its request body was complete",
    401: "No install token, or a wrong one",
    403: "A plugin token without the permission, or a cookie write without CSRF proof",
    404: "No such record",
    409: "The change clashes with existing data or state",
    410: "It existed but expired",
    412: "A precondition header is missing or wrong",
    413: "The body is larger than this route accepts",
    415: "The body's Content-Type is not one this route reads",
    416: "The Range is outside the content",
    422: "A parameter, header or body field is invalid (details name each one)",
    423: "Another request is writing the same resource",
    460: "The chunk does not match its Upload-Checksum",
    503: "A dependency (S3, a tool) is unavailable",
    507: "The disk or the store is full",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
WRITE_METHODS = BODY_METHODS | {"DELETE"}
_NOT_INPUTS = RESERVED_KWARGS - {"data"}


def may_answer(*statuses: int) -> dict[str, Any]:
    """A handler's ``opt`` naming error statuses its shape does not imply (a tus 460, a download's 416)."""
    return {"errors": statuses}


def _inputs(handler: HTTPRouteHandler) -> set[str]:
    """The parameters a client sends (path, query, header, body): the handler's own, and those of the
    dependencies it takes (the paging parameters), not the injected values themselves."""
    dependencies = handler.resolve_dependencies()
    sent = set(handler.parsed_fn_signature.parameters) - {"self"}
    for name in sent & dependencies.keys():
        sent |= set(inspect.signature(dependencies[name].dependency).parameters)
    return sent - dependencies.keys() - _NOT_INPUTS


def implied_errors(path: str, method: str, handler: HTTPRouteHandler) -> set[int]:
    """What any route of this shape can answer: the guard's 401/403, 404 for an id in the path, 422
    for anything sent, 413 for a body, 409/507 for a write."""
    statuses = set(handler.opt.get("errors", ()))
    if require_token in handler.resolve_guards():
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if _inputs(handler):
        statuses.add(422)
    if method in BODY_METHODS:
        statuses |= {413, 422}
    if method in WRITE_METHODS and path.startswith("/v1/"):
        statuses |= {409, 507}
    return statuses


def _operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                if handler.resolve_include_in_schema():
                    yield route.path_format or "/", str(method).upper(), handler


def document_errors(app: Litestar) -> None:
    """State in the OpenAPI document every error status each operation can answer, in the envelope.

    Litestar documents a 400 validation error of its own shape; FaceForge answers those as 422 in the
    envelope, so a 400 is kept only where it is really answered. A 204 is documented without a body.
    """
    implied: dict[tuple[str, str], set[int]] = {}
    for path, method, handler in _operations(app):
        statuses = implied[(path, method)] = implied_errors(path, method, handler)
        specs = {
            status: ResponseSpec(
                data_container=ErrorEnvelope,
                description=ERROR_DESCRIPTIONS[status],
                generate_examples=False,
            )
            for status in sorted(statuses)
        }
        handler.responses = {**specs, **(handler.responses or {})}
    for path, item in (app.openapi_schema.paths or {}).items():
        for method, operation in _path_operations(item):
            responses = operation.responses or {}
            if 400 not in implied.get((path, method), set()):
                responses.pop("400", None)
            no_content = responses.get("204")
            if isinstance(no_content, OpenAPIResponse):  # 204 has no body, whatever the handler returns
                no_content.content = None


def _strict_structs(app: Litestar) -> Iterator[type[msgspec.Struct]]:
    """Every Struct a request body can hold that refuses unknown fields, nested ones included."""
    bodies = [
        handler.parsed_fn_signature.parameters["data"].annotation
        for _path, _method, handler in _operations(app)
        if "data" in handler.parsed_fn_signature.parameters
    ]
    seen: set[type[msgspec.Struct]] = set()
    for info in msgspec.inspect.multi_type_info(bodies):
        yield from _walk_strict(info, seen)


def _walk_strict(
    info: msgspec.inspect.Type, seen: set[type[msgspec.Struct]]
) -> Iterator[type[msgspec.Struct]]:
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls in seen:
            return
        seen.add(info.cls)
        if info.forbid_unknown_fields:
            yield info.cls
        for field in info.fields:
            yield from _walk_strict(field.type, seen)
    for child in ("type", "item_type", "key_type", "value_type"):  # unions, lists, dicts, Optional...
        inner = getattr(info, child, None)
        if isinstance(inner, msgspec.inspect.Type):
            yield from _walk_strict(inner, seen)
    for inner in getattr(info, "types", None) or getattr(info, "item_types", None) or ():
        yield from _walk_strict(inner, seen)


def document_closed_bodies(app: Litestar) -> None:
    """Say ``additionalProperties: false`` where a body refuses unknown keys, as msgspec does."""
    schemas = app.openapi_schema.components.schemas or {}
    for cls in _strict_structs(app):
        found = schemas.get(cls.__name__)
        if found is not None:
            found.additional_properties = False


def _path_operations(item: PathItem) -> Iterator[tuple[str, Operation]]:
    for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
        operation = getattr(item, method)
        if operation is not None:
            yield method.upper(), operation
