"""The permission matrix, route by route: what a plugin token may call, checked with real requests.

``EXPECTED`` is the specification: one row per method and route under ``/v1``. The table must name
every route the app has (a new route fails here until its row is written), and each row is tried with
plugins that hold every HTTP permission but one, all of them, or none.
"""

from __future__ import annotations

import json
import re

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from faceforge_adapters.bootstrap import Core
from faceforge_domain.plugins import permissions as p
from faceforge_http.app import create_app

pytestmark = pytest.mark.anyio
Client = AsyncTestClient  # type: ignore[type-arg]

HTTP_PERMISSIONS = (
    p.ENTITIES_READ,
    p.ENTITIES_WRITE,
    p.ASSETS_READ,
    p.ASSETS_WRITE,
    p.JOBS_READ,
    p.JOBS_CREATE,
    p.JOBS_RUN,
)
INSTALL = "install token only"
OPEN = "any plugin"
OWN = "the plugin's own id only"
JOB_READ = "jobs:read, or jobs:run for its own job types"
JOB_RUN = "jobs:run, for its own job types"
ER, EW, AR, AW = (p.ENTITIES_READ,), (p.ENTITIES_WRITE,), (p.ASSETS_READ,), (p.ASSETS_WRITE,)
Rule = tuple[str, ...] | str

EXPECTED: dict[tuple[str, str], Rule] = {
    ("GET", "/v1/ping"): OPEN,
    ("GET", "/v1/events"): OPEN,
    ("GET", "/v1/events/stream"): OPEN,
    ("GET", "/v1/system/info"): INSTALL,
    ("GET", "/v1/entities"): ER,
    ("POST", "/v1/entities"): EW,
    ("POST", "/v1/entities/bulk-upsert"): EW,
    ("POST", "/v1/entities/bulk-tag"): EW,
    ("POST", "/v1/entities/bulk-delete"): EW,
    ("POST", "/v1/entities/bulk-restore"): EW,
    ("GET", "/v1/entities/{entity_id}"): ER,
    ("PATCH", "/v1/entities/{entity_id}"): EW,
    ("DELETE", "/v1/entities/{entity_id}"): EW,
    ("POST", "/v1/entities/{entity_id}/restore"): EW,
    ("POST", "/v1/entities/{entity_id}/purge"): INSTALL,
    ("GET", "/v1/entities/{entity_id}/descriptors"): ER,
    ("POST", "/v1/entities/{entity_id}/descriptors"): EW,
    ("GET", "/v1/descriptors/{descriptor_id}"): ER,
    ("PATCH", "/v1/descriptors/{descriptor_id}"): EW,
    ("DELETE", "/v1/descriptors/{descriptor_id}"): EW,
    ("POST", "/v1/descriptors/{descriptor_id}/restore"): EW,
    ("POST", "/v1/descriptors/{descriptor_id}/purge"): INSTALL,
    ("GET", "/v1/relationships"): ER,
    ("POST", "/v1/relationships"): EW,
    ("GET", "/v1/relationships/{relationship_id}"): ER,
    ("DELETE", "/v1/relationships/{relationship_id}"): EW,
    ("POST", "/v1/relationships/{relationship_id}/restore"): EW,
    ("POST", "/v1/relationships/{relationship_id}/purge"): INSTALL,
    ("GET", "/v1/relation-types"): ER,
    ("GET", "/v1/entity-tags"): ER,
    ("GET", "/v1/admin/field-defs"): INSTALL,
    ("POST", "/v1/admin/field-defs"): INSTALL,
    ("GET", "/v1/admin/field-defs/{field_key}"): INSTALL,
    ("PATCH", "/v1/admin/field-defs/{field_key}"): INSTALL,
    ("DELETE", "/v1/admin/field-defs/{field_key}"): INSTALL,
    ("GET", "/v1/admin/field-defs/{field_key}/violations"): INSTALL,
    ("GET", "/v1/entities/{entity_id}/assets"): AR,
    ("POST", "/v1/entities/{entity_id}/assets/{asset_id}/link"): AW,
    ("POST", "/v1/entities/{entity_id}/assets/{asset_id}/unlink"): AW,
    ("POST", "/v1/entities/{entity_id}/assets/bulk-unlink"): AW,
    ("GET", "/v1/assets"): AR,
    ("POST", "/v1/assets/bulk-delete"): AW,
    ("POST", "/v1/assets/bulk-restore"): AW,
    ("POST", "/v1/assets/upload"): AW,
    ("PUT", "/v1/assets/upload"): AW,
    ("POST", "/v1/assets/check"): AR,
    ("POST", "/v1/assets/bulk-import"): INSTALL,
    ("GET", "/v1/import-folders"): INSTALL,
    ("GET", "/v1/backups"): INSTALL,
    ("POST", "/v1/backups"): INSTALL,
    ("POST", "/v1/integrity-scans"): INSTALL,
    ("GET", "/v1/assets/{asset_id}"): AR,
    ("PATCH", "/v1/assets/{asset_id}"): AW,
    ("DELETE", "/v1/assets/{asset_id}"): AW,
    ("POST", "/v1/assets/{asset_id}/restore"): AW,
    ("POST", "/v1/assets/{asset_id}/purge"): INSTALL,
    ("GET", "/v1/assets/{asset_id}/download"): AR,
    ("HEAD", "/v1/assets/{asset_id}/download"): AR,
    ("GET", "/v1/assets/archive"): AR,
    ("GET", "/v1/assets/{asset_id}/preview"): AR,
    ("HEAD", "/v1/assets/{asset_id}/preview"): AR,
    ("GET", "/v1/assets/{asset_id}/preview/info"): AR,
    ("GET", "/v1/assets/{asset_id}/entities"): (p.ASSETS_READ, p.ENTITIES_READ),
    ("GET", "/v1/assets/{asset_id}/similar"): (p.ASSETS_READ,),
    ("GET", "/v1/duplicate-groups"): (p.ASSETS_READ,),
    ("GET", "/v1/duplicate-groups/{group_id}"): (p.ASSETS_READ,),
    ("POST", "/v1/duplicate-groups/{group_id}/keep"): (p.ASSETS_WRITE, p.ENTITIES_WRITE),
    ("POST", "/v1/duplicate-groups/{group_id}/dismiss"): (p.ASSETS_WRITE,),
    ("OPTIONS", "/v1/uploads"): AR,
    ("POST", "/v1/uploads"): AW,
    ("HEAD", "/v1/uploads/{upload_id}"): AR,
    ("GET", "/v1/uploads/{upload_id}"): AR,
    ("PATCH", "/v1/uploads/{upload_id}"): AW,
    ("DELETE", "/v1/uploads/{upload_id}"): AW,
    ("GET", "/v1/jobs"): (p.JOBS_READ,),
    ("POST", "/v1/jobs"): (p.JOBS_CREATE,),
    ("GET", "/v1/jobs/{job_id}"): JOB_READ,
    ("GET", "/v1/jobs/{job_id}/events"): JOB_READ,
    ("GET", "/v1/jobs/{job_id}/log"): JOB_READ,
    ("POST", "/v1/jobs/{job_id}/log"): JOB_RUN,
    ("POST", "/v1/jobs/{job_id}/cancel"): (p.JOBS_CREATE,),
    ("POST", "/v1/jobs/{job_id}/claim"): JOB_RUN,
    ("POST", "/v1/jobs/{job_id}/heartbeat"): JOB_RUN,
    ("POST", "/v1/jobs/{job_id}/progress"): JOB_RUN,
    ("POST", "/v1/jobs/{job_id}/complete"): JOB_RUN,
    ("POST", "/v1/jobs/{job_id}/fail"): JOB_RUN,
    ("GET", "/v1/plugins"): INSTALL,
    ("POST", "/v1/plugins/rescan"): INSTALL,
    ("GET", "/v1/plugins/{plugin_id}"): OWN,
    ("POST", "/v1/plugins/{plugin_id}/enable"): INSTALL,
    ("POST", "/v1/plugins/{plugin_id}/disable"): INSTALL,
    ("POST", "/v1/plugins/{plugin_id}/token"): INSTALL,
    ("GET", "/v1/plugins/{plugin_id}/config"): OWN,
    ("PUT", "/v1/plugins/{plugin_id}/config"): INSTALL,
    **{
        ("GET" if m == "GET" else m, "/v1/plugins/{plugin_id}/{rest}"): OWN
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
}
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
FAKE_ID = "0" * 64


def app_routes(core: Core) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route under /v1, with Litestar's automatic OPTIONS left out."""
    found = set()
    for route in create_app(core).routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/v1"):
            for method, (handler, _) in route.route_handler_map.items():
                automatic = method == "OPTIONS" and handler.fn.__name__ == "options_handler"
                if not automatic:
                    found.add((str(method).upper(), _PARAM.sub(r"{\1}", route.path)))
    return found


def manifest(plugin_id: str, permissions: list[str]) -> str:
    return json.dumps(
        {
            "id": plugin_id,
            "name": plugin_id,
            "version": "1.0.0",
            "core_compat": ">=0.0.0",
            "permissions": permissions,
            "job_types": [f"{plugin_id}.work"],
        }
    )


def without(permission: str) -> str:
    return "no-" + permission.replace(":", "-")


@pytest.fixture
async def tokens(core: Core, client: Client, auth: dict[str, str]) -> dict[str, str]:
    """Enabled plugins and their tokens: ``all``, ``none`` and one lacking each HTTP permission."""
    holdings = {"all": list(HTTP_PERMISSIONS), "none": []}
    holdings |= {without(q): [x for x in HTTP_PERMISSIONS if x != q] for q in HTTP_PERMISSIONS}
    for plugin_id, held in holdings.items():
        folder = core.paths.plugins_dir / plugin_id
        folder.mkdir(parents=True)
        (folder / "plugin.json").write_text(manifest(plugin_id, held), encoding="utf-8")
    assert (await client.post("/v1/plugins/rescan", headers=auth)).status_code == 200
    found = {}
    for plugin_id, held in holdings.items():
        enabled = await client.post(f"/v1/plugins/{plugin_id}/enable", json={"grant": held}, headers=auth)
        assert enabled.status_code == 200, enabled.text
        found[plugin_id] = enabled.json()["data"]["token"]
    return found


def concrete(template: str, plugin_id: str) -> str:
    path = template.replace("{plugin_id}", plugin_id).replace("{rest}", "anything")
    return _PARAM.sub(FAKE_ID, path)


async def call(client: Client, method: str, template: str, plugin_id: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    # limit=1 ends the event streams at the first event (every plugin sees the one of its own enabling)
    response = await client.request(
        method, concrete(template, plugin_id), headers=headers, params={"limit": 1}
    )
    if response.status_code == 403 and method != "HEAD":
        assert response.json()["error"]["code"] == "forbidden"
    return response.status_code


async def test_the_matrix_names_every_route_of_the_api(core: Core) -> None:
    routes = app_routes(core)
    assert routes - EXPECTED.keys() == set(), "routes without a row: plugins' access is unspecified"
    assert EXPECTED.keys() - routes == set(), "rows for routes that do not exist"


async def row_problems(client: Client, tokens: dict[str, str], method: str, template: str) -> list[str]:
    """How the answers to one row's requests differ from the row (empty when they agree)."""
    rule = EXPECTED[(method, template)]
    checks: list[tuple[str, str, str, bool]] = [
        ("all", "all", "all", rule == INSTALL)
    ]  # (as, path of, who, 403?)
    if rule == OPEN:
        checks.append(("none", "none", "none", False))
    elif rule == OWN:
        checks += [("all", "none", "another plugin", True), ("none", "none", "none", False)]
    elif rule != INSTALL:
        checks.append(("none", "none", "none", True))
        needed = (p.JOBS_RUN,) if rule == JOB_RUN else () if rule == JOB_READ else rule
        checks += [(without(q), without(q), without(q), q in needed) for q in HTTP_PERMISSIONS]
    problems = []
    for token_of, path_of, who, refused in checks:
        status = await call(client, method, template, path_of, tokens[token_of])
        if (status == 403) != refused:
            problems.append(f"{method} {template} as {who}: {status}")
    return problems


async def test_a_plugin_token_gets_exactly_what_the_matrix_says(
    client: Client, tokens: dict[str, str]
) -> None:
    problems = [problem for row in sorted(EXPECTED) for problem in await row_problems(client, tokens, *row)]
    assert problems == []
