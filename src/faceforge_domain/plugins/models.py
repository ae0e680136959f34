"""Plugin records: the manifest a plugin ships, what Core remembers about it, and how it stands."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, get_args

import msgspec

PLUGIN_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MANIFEST_FILE = "plugin.json"

Capability = Literal["api", "runner", "ui", "asset_processor", "integration"]
CAPABILITIES: tuple[str, ...] = get_args(Capability)

PluginStatus = Literal["enabled", "disabled", "invalid", "incompatible", "missing"]
PLUGIN_STATUSES: tuple[str, ...] = get_args(PluginStatus)


class Entrypoints(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How a plugin is started and shown: ``runner`` is a command line run in the plugin's folder
    (a string, or an argument list), ``ui`` the pages it serves under its routes prefix."""

    runner: str | list[str] | None = None
    ui: list[str] = msgspec.field(default_factory=list)


class PluginManifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``plugin.json``, decoded. Shapes are checked by msgspec, the rules by ``parse_manifest``."""

    id: str
    name: str
    version: str
    core_compat: str
    description: str = ""
    capabilities: list[Capability] = msgspec.field(default_factory=list)
    config_schema: dict[str, Any] = msgspec.field(default_factory=dict)
    permissions: list[str] = msgspec.field(default_factory=list)
    routes_prefix: str | None = None
    job_types: list[str] = msgspec.field(default_factory=list)
    entrypoints: Entrypoints = msgspec.field(default_factory=Entrypoints)


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a manifest: the file, a JSON pointer into it ("" = the whole file), and why."""

    file: str
    pointer: str
    message: str


class PluginRecord(msgspec.Struct, kw_only=True):
    """A registry row: what Core keeps about a plugin across restarts (even while its folder is gone).

    ``token_hash`` is the SHA-256 of the plugin's current token (the token itself is shown once);
    ``manifest`` is the snapshot of the last valid manifest seen.
    """

    plugin_id: str
    enabled: bool = False
    config: dict[str, Any] = msgspec.field(default_factory=dict)
    granted_permissions: list[str] = msgspec.field(default_factory=list)
    token_hash: str | None = None
    version_seen: str | None = None
    manifest: PluginManifest | None = None
    first_seen_at: datetime
    last_seen_at: datetime


class Discovered(msgspec.Struct, kw_only=True):
    """One plugin as the last scan found it: a valid manifest, or the problems that stop it loading."""

    plugin_id: str
    folders: list[str]
    manifest: PluginManifest | None = None
    problems: list[Problem] = msgspec.field(default_factory=list)


class PluginView(msgspec.Struct, kw_only=True):
    """Everything a user or plugin author needs to know about one plugin, right now.

    ``missing_grants`` are declared permissions not granted (an upgrade that asks for more waits here);
    ``config_problems`` say why a stored config no longer fits an upgraded schema.
    """

    plugin_id: str
    status: PluginStatus
    name: str | None = None
    version: str | None = None
    description: str = ""
    folders: list[str] = msgspec.field(default_factory=list)
    capabilities: list[str] = msgspec.field(default_factory=list)
    permissions: list[str] = msgspec.field(default_factory=list)
    granted_permissions: list[str] = msgspec.field(default_factory=list)
    missing_grants: list[str] = msgspec.field(default_factory=list)
    job_types: list[str] = msgspec.field(default_factory=list)
    routes_prefix: str | None = None
    core_compat: str | None = None
    config_schema: dict[str, Any] = msgspec.field(default_factory=dict)
    problems: list[Problem] = msgspec.field(default_factory=list)
    config_problems: list[Problem] = msgspec.field(default_factory=list)
    has_token: bool = False
    registered: bool = False
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None


class ManifestSource(msgspec.Struct, frozen=True, kw_only=True):
    """One folder in the plugins directory: its manifest's bytes, or why they could not be read."""

    name: str
    folder: str
    file: str
    raw: bytes | None = None
    error: str | None = None
