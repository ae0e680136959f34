"""The web UI served by Core itself: Jinja templates, hand-written CSS, a little JavaScript, no build step.

``ui_handlers()`` gives everything to register on the app: the public login page and static files, the
``/`` redirect, and the signed-in pages under ``/ui`` (none of them in the OpenAPI document).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from jinja2 import Environment
from litestar import Request, Response, Router
from litestar.datastructures import ResponseHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from faceforge_adapters.resources import UI_STATIC, UI_TEMPLATES, resource_dir
from faceforge_domain.backup.create import JOB_TYPE as BACKUP_JOB
from faceforge_domain.errors import DomainError
from faceforge_domain.imports.models import JOB_TYPE as IMPORT_JOB
from faceforge_domain.integrity.scan import JOB_TYPE as INTEGRITY_JOB
from faceforge_http.errors import STATUS_BY_CODE
from faceforge_http.ui.fieldwords import type_name
from faceforge_http.ui.health import health_page
from faceforge_http.ui.jobwords import import_summary, progress_text
from faceforge_http.ui.pages import PAGES
from faceforge_http.ui.session import login, login_page, logout, require_login, root
from faceforge_http.ui.sizes import file_size
from faceforge_http.ui.trash import trash_page

# No inline script or style anywhere: everything the pages run or wear comes from /ui/static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
UI_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]


def when(stamp: str | None) -> str:
    """An RFC 3339 UTC timestamp as '2026-11-24 11:02 UTC'."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


JOB_TITLES = {IMPORT_JOB: "Folder import", INTEGRITY_JOB: "Library check", BACKUP_JOB: "Backup"}


def job_title(job_type: str) -> str:
    """A job type as people read it: a known title, else the type's words ("hello.greet" -> "Hello greet")."""
    if job_type in JOB_TITLES:
        return JOB_TITLES[job_type]
    return re.sub(r"[._]+", " ", job_type).strip().capitalize() or job_type


def _configure(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.filters["file_size"] = file_size
    env.filters["when"] = when
    env.filters["job_title"] = job_title
    env.filters["progress_text"] = progress_text
    env.filters["import_summary"] = import_summary
    env.filters["type_name"] = type_name
    env.trim_blocks = True
    env.lstrip_blocks = True


def ui_template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=resource_dir(UI_TEMPLATES), engine=JinjaTemplateEngine, engine_callback=_configure
    )


def error_page(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A readable page instead of a JSON envelope when a UI address names something that is not there."""
    status = STATUS_BY_CODE.get(exc.code, 500)
    title = "Not found" if exc.code == "not_found" else "Something is not right"
    return Template("error.html", context={"title": title, "message": exc.message}, status_code=status)


def ui_handlers() -> list[ControllerRouterHandler]:
    pages = Router(
        path="/ui",
        route_handlers=[*PAGES, trash_page, health_page],
        before_request=require_login,
        exception_handlers={DomainError: error_page},
        response_headers=UI_HEADERS,
        include_in_schema=False,
    )
    public = Router(path="/", route_handlers=[login_page, login, logout, root], response_headers=UI_HEADERS)
    static = create_static_files_router(
        path="/ui/static",
        directories=[resource_dir(UI_STATIC)],
        include_in_schema=False,
        send_as_attachment=False,
    )
    return [pages, public, static]
