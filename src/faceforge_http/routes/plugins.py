"""Plugins over HTTP: list, inspect, enable with explicit grants, disable, tokens, config, rescan.

``/v1/plugins/<id>/...`` is also the namespace reserved for the plugin's own routes; Core answers
there with 404 for an unknown plugin and 409 for one that is not enabled.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put, route
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from faceforge_domain.errors import NotFound
from faceforge_domain.paging import page_of_all
from faceforge_domain.plugins.models import PluginView
from faceforge_http.deps import PluginServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.params import OffsetPageDep
from faceforge_http.wire import Wire

JsonObject = dict[str, Any]
PERMISSION = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class ProblemOut(msgspec.Struct, kw_only=True):
    file: str
    pointer: str
    message: str


class PluginOut(msgspec.Struct, kw_only=True):
    plugin_id: str
    status: str
    name: str | None
    version: str | None
    description: str
    folders: list[str]
    capabilities: list[str]
    permissions: list[str]
    granted_permissions: list[str]
    missing_grants: list[str]
    job_types: list[str]
    routes_prefix: str | None
    core_compat: str | None
    config_schema: JsonObject
    problems: list[ProblemOut]
    config_problems: list[ProblemOut]
    has_token: bool
    registered: bool
    first_seen_at: str | None
    last_seen_at: str | None


class EnableIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Consent: the permissions granted, which must be exactly those the manifest declares."""

    grant: Annotated[list[PERMISSION], msgspec.Meta(max_length=100)]


class TokenOut(msgspec.Struct, kw_only=True):
    plugin_id: str
    token: str


class EnabledOut(msgspec.Struct, kw_only=True):
    """The enabled plugin and its token: shown this once, stored only as a hash."""

    plugin: PluginOut
    token: str


plugin_out = Wire(PluginView, PluginOut)


class PluginController(Controller):
    path = "/plugins"
    tags = ["plugins"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/", operation_id="listPlugins", summary="Every plugin found or registered, with its status")
    async def list_plugins(
        self, plugins: PluginServiceDep, offset_page: OffsetPageDep
    ) -> Ok[Page[PluginOut]]:
        return ok(page_out(page_of_all(await plugins.list_plugins(), offset_page), plugin_out))

    @post(
        "/rescan",
        operation_id="rescanPlugins",
        summary="Read the plugins folder again (new, changed and removed plugins)",
        status_code=HTTP_200_OK,
    )
    async def rescan(self, plugins: PluginServiceDep) -> Ok[list[PluginOut]]:
        return ok([plugin_out(v) for v in await plugins.rescan()])

    @get("/{plugin_id:str}", operation_id="getPlugin", summary="One plugin: status, manifest, problems")
    async def get_plugin(self, plugins: PluginServiceDep, plugin_id: FromPath[str]) -> Ok[PluginOut]:
        return ok(plugin_out(await plugins.get(plugin_id)))

    @post(
        "/{plugin_id:str}/enable",
        operation_id="enablePlugin",
        summary="Enable with the granted permissions; returns the plugin's token (shown once)",
        status_code=HTTP_200_OK,
    )
    async def enable(
        self, plugins: PluginServiceDep, plugin_id: FromPath[str], data: JSONBody[EnableIn]
    ) -> Ok[EnabledOut]:
        enabled = await plugins.enable(plugin_id, data.grant)
        return ok(EnabledOut(plugin=plugin_out(enabled.plugin), token=enabled.token))

    @post(
        "/{plugin_id:str}/disable",
        operation_id="disablePlugin",
        summary="Disable and revoke the token (grants and config are kept)",
        status_code=HTTP_200_OK,
    )
    async def disable(self, plugins: PluginServiceDep, plugin_id: FromPath[str]) -> Ok[PluginOut]:
        return ok(plugin_out(await plugins.disable(plugin_id)))

    @post(
        "/{plugin_id:str}/token",
        operation_id="rotatePluginToken",
        summary="Issue a new token for an enabled plugin; the old one stops working",
        status_code=HTTP_200_OK,
    )
    async def rotate_token(self, plugins: PluginServiceDep, plugin_id: FromPath[str]) -> Ok[TokenOut]:
        return ok(TokenOut(plugin_id=plugin_id, token=await plugins.rotate_token(plugin_id)))

    @get("/{plugin_id:str}/config", operation_id="getPluginConfig", summary="The stored config")
    async def get_config(self, plugins: PluginServiceDep, plugin_id: FromPath[str]) -> Ok[JsonObject]:
        return ok(await plugins.config(plugin_id))

    @put(
        "/{plugin_id:str}/config",
        operation_id="setPluginConfig",
        summary="Replace the config (checked against the plugin's schema, defaults filled in)",
    )
    async def set_config(
        self, plugins: PluginServiceDep, plugin_id: FromPath[str], data: JSONBody[JsonObject]
    ) -> Ok[JsonObject]:
        return ok(await plugins.set_config(plugin_id, data))

    @route(
        "/{plugin_id:str}/{rest:path}",
        http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
        operation_id=lambda _handler, method, _path: f"pluginRoute{method.title()}",
        summary="Reserved for the plugin's own routes",
        description="404 for an unknown plugin, 409 for a plugin that is not enabled.",
    )
    async def plugin_route(
        self,
        plugins: PluginServiceDep,
        request: Request[Any, Any, Any],
        plugin_id: FromPath[str],
        rest: FromPath[str],
    ) -> None:
        await plugins.require_active(plugin_id)
        raise NotFound("plugin route", f"{request.method} /v1/plugins/{plugin_id}{rest}")
