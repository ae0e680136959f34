"""OpenAPI document and its viewers, served from vendored files (no CDN: Core works offline)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.response import Redirect, Response

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
