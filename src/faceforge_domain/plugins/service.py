"""Plugin use cases: discover, list, enable with explicit grants, disable, configure, tokens.

A plugin's status is worked out from two sources: what the last scan of the plugins folder found (kept
in memory: a scan is cheap and the folder is the truth) and the registry rows (enabled flag, grants,
config, token hash) that persist across restarts. Every registry change appends a ``plugin.*`` event in
the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, DomainError, FieldError, Invalid, NotFound
from faceforge_domain.events import EventFilter, record
from faceforge_domain.jsonlimits import require_json
from faceforge_domain.plugins.manifest import parse_manifest
from faceforge_domain.plugins.models import (
    Discovered,
    ManifestSource,
    PluginManifest,
    PluginRecord,
    PluginStatus,
    PluginView,
    Problem,
)
from faceforge_domain.plugins.permissions import visible_event_families
from faceforge_domain.plugins.ports import (
    ConfigSchemas,
    ExternalJobTypes,
    PluginSource,
    PluginUnitOfWork,
    PluginUnitOfWorkFactory,
)
from faceforge_domain.plugins.semver import SemverError, Version, parse_range, parse_version

log = logging.getLogger("faceforge.plugins")

TOKEN_PREFIX = "ffp_"  # noqa: S105  (a prefix that tells plugin tokens from the install token)


def hash_token(token: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class PluginPrincipal:
    """Who is calling with a plugin token, and what its user granted it."""

    plugin_id: str
    permissions: frozenset[str]
    job_types: tuple[str, ...]

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def event_filter(self, types: tuple[str, ...]) -> EventFilter:
        return EventFilter(
            types=types, visible=visible_event_families(self.permissions), own_plugin=self.plugin_id
        )


@dataclass(frozen=True, slots=True)
class Enabled:
    """The result of enabling: the plugin, and its new token (shown this once, stored only hashed)."""

    plugin: PluginView
    token: str


def core_semver(text: str) -> Version:
    """Core's own version as semver; a source checkout without package metadata counts as 0.0.0."""
    try:
        return parse_version(text)
    except SemverError:
        return Version(0, 0, 0)


def _discover(sources: Iterable[ManifestSource], schemas: ConfigSchemas) -> dict[str, Discovered]:
    """Parse every manifest; folders claiming one id are all reported and none is loaded."""
    claims: dict[str, list[tuple[ManifestSource, PluginManifest | None, list[Problem]]]] = {}
    for source in sources:
        if source.raw is None:
            key = source.name
            found: tuple[PluginManifest | None, list[Problem]] = (
                None,
                [Problem(file=source.file, pointer="", message=source.error or "cannot be read")],
            )
        else:
            manifest, claimed, problems = parse_manifest(source.file, source.raw, schemas)
            key, found = claimed or source.name, (manifest, problems)
        claims.setdefault(key, []).append((source, *found))
    discovered = {}
    for plugin_id, entries in claims.items():
        folders = [source.folder for source, _, _ in entries]
        if len(entries) == 1:
            _, manifest, problems = entries[0]
            discovered[plugin_id] = Discovered(
                plugin_id=plugin_id, folders=folders, manifest=manifest, problems=problems
            )
            continue
        problems = []
        for source, _, own in entries:
            others = ", ".join(other.file for other, _, _ in entries if other is not source)
            problems.append(
                Problem(
                    file=source.file,
                    pointer="/id",
                    message=f"id {plugin_id!r} is also claimed by {others}; neither is loaded",
                )
            )
            problems.extend(own)
        discovered[plugin_id] = Discovered(plugin_id=plugin_id, folders=folders, problems=problems)
    return discovered


def _missing_grants(manifest: PluginManifest | None, rec: PluginRecord | None) -> list[str]:
    if manifest is None:
        return []
    granted = set(rec.granted_permissions) if rec else set()
    return [p for p in manifest.permissions if p not in granted]


class PluginService:
    def __init__(
        self,
        uow: PluginUnitOfWorkFactory,
        source: PluginSource,
        schemas: ConfigSchemas,
        clock: Clock,
        *,
        core_version: str,
        job_types: ExternalJobTypes | None = None,
    ) -> None:
        self._uow = uow
        self._source = source
        self._schemas = schemas
        self._clock = clock
        self._core_version = core_semver(core_version)
        self._job_types = job_types
        self._discovered: dict[str, Discovered] = {}
        self._registered_types: set[str] = set()
        self._scan_lock = anyio.Lock()
        # Verified tokens (by hash), each with the registry change count read before its lookup.
        self._verified: dict[str, tuple[int, PluginPrincipal]] = {}

    # -- discovery ---------------------------------------------------------------------------------

    async def rescan(self) -> list[PluginView]:
        """Read every manifest again, register new and upgraded plugins, and report all of them."""
        async with self._scan_lock:
            discovered = _discover(await self._source.scan(), self._schemas)
            async with self._uow.write() as uow:
                for found in discovered.values():
                    if found.manifest is not None:
                        await self._register(uow, found.manifest)
                await uow.commit()
            self._discovered = discovered
            self._verified.clear()  # a plugin's status also follows its folder
            views = await self.list_plugins()
            self._sync_job_types(views)
        log.info(
            "plugins scanned",
            extra={"plugins": {v.plugin_id: v.status for v in views}},
        )
        return views

    async def _register(self, uow: PluginUnitOfWork, manifest: PluginManifest) -> None:
        now = self._clock.now()
        rec = await uow.plugins.get(manifest.id)
        if rec is None:
            config, _ = self._schemas.apply(manifest.config_schema, {})
            rec = PluginRecord(
                plugin_id=manifest.id,
                config=config,
                version_seen=manifest.version,
                manifest=manifest,
                first_seen_at=now,
                last_seen_at=now,
            )
            await uow.plugins.add(rec)
            await record(uow, self._clock, "plugin.discovered", manifest.id, {"version": manifest.version})
            return
        if rec.version_seen != manifest.version:
            await record(
                uow,
                self._clock,
                "plugin.upgraded",
                manifest.id,
                {"from": rec.version_seen, "to": manifest.version},
            )
        rec.manifest, rec.version_seen, rec.last_seen_at = manifest, manifest.version, now
        config, errors = self._schemas.apply(manifest.config_schema, rec.config)
        if not errors:
            rec.config = config
        missing = _missing_grants(manifest, rec)
        if rec.enabled and (missing or errors):
            reason = "permissions_added" if missing else "config_invalid"
            rec.enabled, rec.token_hash = False, None
            await record(
                uow,
                self._clock,
                "plugin.disabled",
                manifest.id,
                {"reason": reason, "missing_grants": missing},
            )
        await uow.plugins.update(rec)

    # -- reading -------------------------------------------------------------------------------------

    def _view(self, plugin_id: str, rec: PluginRecord | None) -> PluginView:
        found = self._discovered.get(plugin_id)
        manifest = found.manifest if found else None
        shown = manifest or (rec.manifest if rec else None)
        config_problems: list[Problem] = []
        if manifest is not None and rec is not None:
            _, errors = self._schemas.apply(manifest.config_schema, rec.config)
            config_problems = [Problem(file="config", pointer=e.field, message=e.message) for e in errors]
        missing = _missing_grants(manifest, rec)
        status: PluginStatus
        if found is None:
            status = "missing"
        elif manifest is None:
            status = "invalid"
        elif not parse_range(manifest.core_compat).contains(self._core_version):
            status = "incompatible"
        elif rec is not None and rec.enabled and not missing and not config_problems:
            status = "enabled"
        else:
            status = "disabled"
        return PluginView(
            plugin_id=plugin_id,
            status=status,
            name=shown.name if shown else None,
            version=shown.version if shown else None,
            description=shown.description if shown else "",
            folders=found.folders if found else [],
            capabilities=list(shown.capabilities) if shown else [],
            permissions=list(shown.permissions) if shown else [],
            granted_permissions=list(rec.granted_permissions) if rec else [],
            missing_grants=missing,
            job_types=list(shown.job_types) if shown else [],
            routes_prefix=f"/v1/plugins/{plugin_id}" if shown else None,
            core_compat=shown.core_compat if shown else None,
            config_schema=shown.config_schema if shown else {},
            problems=list(found.problems) if found else [],
            config_problems=config_problems,
            has_token=bool(rec and rec.token_hash and status == "enabled"),
            registered=rec is not None,
            first_seen_at=rec.first_seen_at if rec else None,
            last_seen_at=rec.last_seen_at if rec else None,
        )

    async def list_plugins(self) -> list[PluginView]:
        async with self._uow.read() as uow:
            records = {rec.plugin_id: rec for rec in await uow.plugins.all()}
        ids = sorted(set(records) | set(self._discovered))
        return [self._view(plugin_id, records.get(plugin_id)) for plugin_id in ids]

    async def get(self, plugin_id: str) -> PluginView:
        async with self._uow.read() as uow:
            rec = await uow.plugins.get(plugin_id)
        if rec is None and plugin_id not in self._discovered:
            raise NotFound("plugin", plugin_id)
        return self._view(plugin_id, rec)

    async def require_active(self, plugin_id: str) -> PluginView:
        """The plugin, when it is enabled; 404 when unknown, 409 saying why it is not active."""
        view = await self.get(plugin_id)
        if view.status != "enabled":
            raise Conflict(
                f"plugin {plugin_id!r} is {view.status}; enable it to use its routes",
                {"plugin_id": plugin_id, "status": view.status},
            )
        return view

    # -- consent and state ---------------------------------------------------------------------------

    async def _writable(self, uow: PluginUnitOfWork, plugin_id: str) -> tuple[PluginRecord, PluginView]:
        rec = await uow.plugins.get(plugin_id)
        if rec is None:
            if plugin_id in self._discovered:
                raise Conflict(
                    f"plugin {plugin_id!r} has manifest problems; fix them and rescan",
                    {"plugin_id": plugin_id, "problems": self._discovered[plugin_id].problems},
                )
            raise NotFound("plugin", plugin_id)
        return rec, self._view(plugin_id, rec)

    async def enable(self, plugin_id: str, grant: list[str]) -> Enabled:
        """Enable with the user's explicit grants (every declared permission), issuing a new token."""
        async with self._uow.write() as uow:
            rec, view = await self._writable(uow, plugin_id)
            if view.status in ("missing", "invalid", "incompatible"):
                raise Conflict(self._why_not(view), {"plugin_id": plugin_id, "status": view.status})
            declared = set(view.permissions)
            errors = [
                FieldError("grant", f"must include {p!r}: the plugin declares it")
                for p in view.permissions
                if p not in grant
            ]
            errors += [
                FieldError("grant", f"{p!r} is not a permission this plugin declares")
                for p in dict.fromkeys(grant)
                if p not in declared
            ]
            if errors:
                raise Invalid(errors)
            if view.config_problems:
                raise Conflict(
                    f"plugin {plugin_id!r} needs a valid config before it can be enabled",
                    {"plugin_id": plugin_id, "problems": view.config_problems},
                )
            token = new_token()
            rec.enabled, rec.token_hash = True, hash_token(token)
            rec.granted_permissions = sorted(declared)
            await uow.plugins.update(rec)
            await record(
                uow,
                self._clock,
                "plugin.enabled",
                plugin_id,
                {"version": rec.version_seen, "granted": rec.granted_permissions},
            )
            await uow.commit()
        return Enabled(plugin=await self._after_change(plugin_id), token=token)

    def _why_not(self, view: PluginView) -> str:
        if view.status == "incompatible":
            return (
                f"plugin {view.plugin_id!r} needs Core {view.core_compat}, "
                f"but this is Core {self._core_version}"
            )
        if view.status == "missing":
            return f"plugin {view.plugin_id!r} is missing: its folder is gone from the plugins directory"
        return f"plugin {view.plugin_id!r} is invalid: fix the problems in its manifest and rescan"

    async def disable(self, plugin_id: str) -> PluginView:
        """Disable and revoke the token; grants and config are kept for the next enable."""
        async with self._uow.write() as uow:
            rec, _ = await self._writable(uow, plugin_id)
            if rec.enabled or rec.token_hash:
                rec.enabled, rec.token_hash = False, None
                await uow.plugins.update(rec)
                await record(uow, self._clock, "plugin.disabled", plugin_id, {"reason": "user"})
                await uow.commit()
        return await self._after_change(plugin_id)

    async def rotate_token(self, plugin_id: str) -> str:
        """A new token for an enabled plugin; the old one stops working at once."""
        async with self._uow.write() as uow:
            rec, view = await self._writable(uow, plugin_id)
            if view.status != "enabled":
                raise Conflict(
                    f"plugin {plugin_id!r} is {view.status}; only an enabled plugin has a token",
                    {"plugin_id": plugin_id, "status": view.status},
                )
            token = new_token()
            rec.token_hash = hash_token(token)
            await uow.plugins.update(rec)
            await record(uow, self._clock, "plugin.token_rotated", plugin_id)
            await uow.commit()
        return token

    async def _after_change(self, plugin_id: str) -> PluginView:
        self._sync_job_types(await self.list_plugins())
        return await self.get(plugin_id)

    # -- config --------------------------------------------------------------------------------------

    async def config(self, plugin_id: str) -> dict[str, Any]:
        async with self._uow.read() as uow:
            rec = await uow.plugins.get(plugin_id)
        if rec is None:
            raise NotFound("plugin", plugin_id)
        return rec.config

    async def set_config(self, plugin_id: str, config: dict[str, Any]) -> dict[str, Any]:
        """Replace the config: checked against the schema with defaults filled; refused whole otherwise."""
        require_json("body", config)
        async with self._uow.write() as uow:
            rec, _ = await self._writable(uow, plugin_id)
            found = self._discovered.get(plugin_id)
            manifest = (found.manifest if found else None) or rec.manifest
            schema = manifest.config_schema if manifest else {}
            filled, errors = self._schemas.apply(schema, config)
            if errors:
                raise Invalid(errors)
            if filled != rec.config:
                rec.config = filled
                await uow.plugins.update(rec)
                await record(uow, self._clock, "plugin.config_changed", plugin_id)
                await uow.commit()
        return filled

    # -- tokens --------------------------------------------------------------------------------------

    async def authenticate(self, token: str) -> PluginPrincipal | None:
        """The enabled plugin holding ``token``, or None.

        A verified token is remembered, and trusted again only while the registry's change count
        (read before each lookup, from any process's commits) stays the same: a revocation, a
        disabled plugin or changed grants take effect at the next request without a transaction
        on each one. The count is read before the lookup, so an entry can only be older than the
        registry it is checked against, never newer.
        """
        if not token.startswith(TOKEN_PREFIX):
            return None
        token_hash = hash_token(token)
        changes = self._uow.plugin_registry_changes()
        known = self._verified.get(token_hash)
        if known is not None and known[0] == changes:
            return known[1]
        principal = await self._look_up(token_hash)
        if principal is None:
            self._verified.pop(token_hash, None)
        else:
            self._verified[token_hash] = (changes, principal)
        return principal

    async def _look_up(self, token_hash: str) -> PluginPrincipal | None:
        async with self._uow.read() as uow:
            rec = await uow.plugins.by_token_hash(token_hash)
        if rec is None or not rec.enabled:
            return None
        view = self._view(rec.plugin_id, rec)
        if view.status != "enabled":
            return None
        return PluginPrincipal(
            plugin_id=rec.plugin_id,
            permissions=frozenset(rec.granted_permissions),
            job_types=tuple(view.job_types),
        )

    async def may_run_job(self, principal: PluginPrincipal, job_id: str) -> bool | None:
        """Whether the job is of one of the plugin's own types (None: there is no such job)."""
        async with self._uow.read() as uow:
            job = await uow.jobs.get(job_id)
        return None if job is None else job.job_type in principal.job_types

    # -- job types -----------------------------------------------------------------------------------

    def _sync_job_types(self, views: Iterable[PluginView]) -> None:
        """Keep the jobs registry's external types equal to the enabled plugins' job types."""
        if self._job_types is None:
            return
        wanted = {(t, v.plugin_id) for v in views if v.status == "enabled" for t in v.job_types}
        wanted_types = {t for t, _ in wanted}
        for job_type in sorted(self._registered_types - wanted_types):
            self._job_types.unregister(job_type)
            self._registered_types.discard(job_type)
        for job_type, plugin_id in sorted(wanted):
            if job_type in self._registered_types:
                continue
            try:
                self._job_types.register_external(job_type, description=f"run by plugin {plugin_id}")
            except DomainError as exc:
                log.warning(
                    "plugin job type not registered",
                    extra={"plugin_id": plugin_id, "job_type": job_type, "reason": exc.message},
                )
                continue
            self._registered_types.add(job_type)
