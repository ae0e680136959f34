"""The Litestar app factory: routes, auth guard, envelope errors, OpenAPI, request logging."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cached_property, partial
from typing import Any, cast

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.types import (
    HTTPResponseStartEvent,
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Message,
    Receive,
    Scope,
    Send,
)

from faceforge_adapters.bootstrap import Core, bootstrap, core_version
from faceforge_adapters.resources import STATIC, resource_dir
from faceforge_http.auth import require_token
from faceforge_http.deps import DEPENDENCIES
from faceforge_http.errors import EXCEPTION_HANDLERS
from faceforge_http.jsonbody import JsonRequest
from faceforge_http.openapi import (
    document_closed_bodies,
    document_errors,
    openapi_config,
    openapi_json,
    redoc_redirect,
)
from faceforge_http.routes.assets import AssetController, EntityAssetsController
from faceforge_http.routes.backups import BackupController
from faceforge_http.routes.descriptors import DescriptorController
from faceforge_http.routes.entities import EntityController, entity_tags
from faceforge_http.routes.events import EventController
from faceforge_http.routes.fielddefs import FieldDefController
from faceforge_http.routes.imports import bulk_import, list_import_folders
from faceforge_http.routes.integrity import IntegrityScanController
from faceforge_http.routes.jobs import JobController
from faceforge_http.routes.lookalikes import LookalikeController
from faceforge_http.routes.plugins import PluginController
from faceforge_http.routes.previews import PreviewController
from faceforge_http.routes.relationships import RelationshipController, relation_types
from faceforge_http.routes.system import SystemController, healthz
from faceforge_http.routes.uploads import UploadController
from faceforge_http.ui import ui_handlers, ui_template_config

# Plain JSON bodies stay small; upload routes raise their own limit from uploads.max_bytes.
JSON_BODY_LIMIT = 16 * 1024 * 1024

request_log = logging.getLogger("faceforge.http.access")
# Starts Core for the app's lifespan and stops it on exit (``bootstrap`` with its arguments bound).
CoreStarter = Callable[[], AbstractAsyncContextManager[Core]]
_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


class CoreApp(Litestar):
    """Litestar plus one access-log line per HTTP request, including ones no route matched, and an
    ``Allow`` on every OPTIONS answer listing exactly the methods of the route asked about.

    (Litestar's automatic OPTIONS handler reports the methods its path had when the handler was first
    made; a path whose handlers arrive in several registrations, as under a router, reports too few.)
    """

    @cached_property
    def allowed_methods(self) -> dict[str, bytes]:
        """Route path template -> the ``Allow`` value for it."""
        return {
            route.path_format: ", ".join(sorted(route.methods)).encode()
            for route in self.routes
            if isinstance(route, HTTPRoute)
        }

    def _with_allow(self, scope: HTTPScope, start: HTTPResponseStartEvent) -> HTTPResponseStartEvent:
        template = cast("dict[str, Any]", scope).get("path_template", "")
        allowed = self.allowed_methods.get(template)
        if allowed is None or not 200 <= start["status"] < 300:
            return start
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"allow"]
        return {**start, "headers": [*headers, (b"allow", allowed)]}

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        http_scope = cast("HTTPScope", scope)
        method, path = http_scope["method"], http_scope["path"]
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if method == "OPTIONS":
                    message = self._with_allow(http_scope, message)
            await send(message)  # type: ignore[arg-type]  # an HTTP scope's send takes HTTP messages

        try:
            await super().__call__(scope, receive, watch)
        finally:
            request_log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def create_app(
    core: Core | None = None, *, debug: bool = False, start_core: CoreStarter | None = None
) -> Litestar:
    """Build the HTTP app around a running Core, or (with none given) one that starts its own.

    Tests and embedders pass a Core they started with ``bootstrap()``. Without one, the app's lifespan
    enters ``start_core()`` (by default ``bootstrap()`` from the environment: every background service
    runs, as a server needs) and leaves it on exit; ``faceforge serve`` passes its home and flags.
    """
    starter = start_core or partial(bootstrap, log_to_console=True)

    @asynccontextmanager
    async def own_core(app: Litestar) -> AsyncIterator[None]:
        async with starter() as started:
            app.state.core = started
            yield

    v1 = Router(
        path="/v1",
        route_handlers=[
            EntityController,
            FieldDefController,
            DescriptorController,
            RelationshipController,
            relation_types,
            entity_tags,
            SystemController,
            AssetController,
            EntityAssetsController,
            PreviewController,
            UploadController,
            PluginController,
            EventController,
            JobController,
            LookalikeController,
            bulk_import,
            BackupController,
            IntegrityScanController,
            list_import_folders,
        ],
        guards=[require_token],
    )
    app = CoreApp(
        route_handlers=[
            healthz,
            v1,
            openapi_json,
            redoc_redirect,
            create_static_files_router(
                path="/static", directories=[resource_dir(STATIC)], include_in_schema=False
            ),
            *ui_handlers(),
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(core_version()),
        template_config=ui_template_config(),
        state=State({"core": core}),
        lifespan=[] if core is not None else [own_core],
        request_max_body_size=JSON_BODY_LIMIT,
        request_class=JsonRequest,
        debug=debug,
        logging_config=None,
    )
    document_errors(app)
    document_closed_bodies(app)
    return app


def describe_routes(app: Litestar) -> set[tuple[str, str]]:
    """(METHOD, path) of every route the OpenAPI document should list, read from the routing table.

    Each method's handler decides for itself (``include_in_schema`` resolved through handler,
    controller, router and app); ``{id:str}`` parameters are written ``{id}`` as OpenAPI writes them.
    """
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if handler.resolve_include_in_schema():
                found.add((str(method).upper(), _PATH_PARAM.sub(r"{\1}", route.path) or "/"))
    return found
