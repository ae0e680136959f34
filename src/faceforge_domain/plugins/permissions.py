"""The permissions a plugin can declare and be granted, and which event families each one reveals.

HTTP permissions (``entities:*``, ``assets:*``, ``jobs:*``) are enforced on every request made with a
plugin token. ``network``, ``gpu`` and ``fs:<scope>`` are declared needs the user consents to when
enabling; Core does not sandbox plugin processes, so they are a statement of intent, shown to the user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ENTITIES_READ = "entities:read"
ENTITIES_WRITE = "entities:write"
ASSETS_READ = "assets:read"
ASSETS_WRITE = "assets:write"
JOBS_READ = "jobs:read"
JOBS_CREATE = "jobs:create"
JOBS_RUN = "jobs:run"

KNOWN_PERMISSIONS: dict[str, str] = {
    ENTITIES_READ: "read entities, their descriptors and relationships; see entity.* events",
    ENTITIES_WRITE: "create, change and delete entities, descriptors and relationships",
    ASSETS_READ: "read assets, their metadata and bytes; see asset.* events",
    ASSETS_WRITE: "upload assets, change them and link them to entities",
    JOBS_READ: "read jobs and their logs; see job.* events",
    JOBS_CREATE: "create and cancel jobs",
    JOBS_RUN: "claim the plugin's own job types and report their progress, logs and results",
    "network": "talk to other machines on the network",
    "gpu": "use the GPU",
}
FS_PERMISSION = re.compile(r"^fs:[a-z0-9][a-z0-9._/-]{0,63}$")

# Event families a permission reveals to a plugin token.
EVENT_FAMILIES: dict[str, str] = {
    ENTITIES_READ: "entity.*",
    ASSETS_READ: "asset.*",
    JOBS_READ: "job.*",
}


def permission_problem(permission: str) -> str | None:
    """Why ``permission`` is not one a manifest may declare, or None when it is."""
    if permission in KNOWN_PERMISSIONS or FS_PERMISSION.fullmatch(permission):
        return None
    known = ", ".join(KNOWN_PERMISSIONS)
    return f"unknown permission {permission!r}; known: {known}, fs:<scope>"


def visible_event_families(granted: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({EVENT_FAMILIES[p] for p in granted if p in EVENT_FAMILIES}))
