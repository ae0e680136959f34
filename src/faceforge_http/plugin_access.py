"""The permission matrix: what a plugin token needs on each ``/v1`` route, in one table.

Routes are looked up by their path template (``/assets/{asset_id}/entities``), so a route is either in
the table or closed to plugins: a route added later is install-token only until it is mapped here
(deny by default). Reads are GET, HEAD and OPTIONS; every other method is a change. A route that hands
out records of two kinds needs both permissions (an asset's entities are entity records).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from faceforge_domain.plugins import permissions as p
from faceforge_domain.plugins.service import PluginPrincipal

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Need(NamedTuple):
    """What one request needs: every permission listed, and for job routes, owning the job's type
    (``job_id``; ``""`` for a list, which must then name one of the plugin's own job types)."""

    permissions: tuple[str, ...] = ()
    job_id: str | None = None


OPEN = Need()
# A rule answers for one route: what a request with this method and these path parameters needs, or
# None when plugins may never make it.
Rule = Callable[[bool, Mapping[str, str], PluginPrincipal], Need | None]


def grants(read: tuple[str, ...] | None = None, write: tuple[str, ...] | None = None) -> Rule:
    """Plain permissions: ``read`` for reads, ``write`` for changes; None closes that side."""

    def rule(is_read: bool, _params: Mapping[str, str], _principal: PluginPrincipal) -> Need | None:
        wanted = read if is_read else write
        return None if wanted is None else Need(wanted)

    return rule


def entities() -> Rule:
    return grants((p.ENTITIES_READ,), (p.ENTITIES_WRITE,))


def assets() -> Rule:
    return grants((p.ASSETS_READ,), (p.ASSETS_WRITE,))


def own_plugin(*, writes: bool) -> Rule:
    """A plugin's own routes (``plugin_id`` is its own id); other plugins' are closed."""

    def rule(is_read: bool, params: Mapping[str, str], principal: PluginPrincipal) -> Need | None:
        if params.get("plugin_id") != principal.plugin_id or not (is_read or writes):
            return None
        return OPEN

    return rule


def job_read(is_read: bool, params: Mapping[str, str], principal: PluginPrincipal) -> Need | None:
    """Reading jobs: ``jobs:read`` sees every job; a runner without it only its own job types."""
    if not is_read:
        return None
    if principal.allows(p.JOBS_READ) or not principal.allows(p.JOBS_RUN):
        return Need((p.JOBS_READ,))
    return Need((p.JOBS_RUN,), params.get("job_id", ""))


def job_report(is_read: bool, params: Mapping[str, str], principal: PluginPrincipal) -> Need | None:
    """A runner's reports on a job (claim, heartbeat, log, progress, complete, fail): its own types only."""
    return None if is_read else Need((p.JOBS_RUN,), params["job_id"])


def jobs() -> Rule:
    def rule(is_read: bool, params: Mapping[str, str], principal: PluginPrincipal) -> Need | None:
        return job_read(is_read, params, principal) if is_read else Need((p.JOBS_CREATE,))

    return rule


def job_log(is_read: bool, params: Mapping[str, str], principal: PluginPrincipal) -> Need | None:
    return (job_read if is_read else job_report)(is_read, params, principal)


MATRIX: dict[str, Rule] = {
    "/ping": grants(read=()),
    "/events": grants(read=()),  # the feed itself shows a plugin only the families it may see
    "/events/stream": grants(read=()),
    "/entities": entities(),
    "/entities/bulk-upsert": entities(),
    "/entities/bulk-tag": entities(),
    "/entities/bulk-delete": entities(),
    "/entities/bulk-restore": entities(),
    "/entities/{entity_id}": entities(),
    "/entities/{entity_id}/restore": entities(),
    "/entities/{entity_id}/descriptors": entities(),
    "/descriptors/{descriptor_id}": entities(),
    "/descriptors/{descriptor_id}/restore": entities(),
    "/relationships": entities(),
    "/relationships/{relationship_id}": entities(),
    "/relationships/{relationship_id}/restore": entities(),
    "/relation-types": entities(),
    "/entity-tags": entities(),
    "/entities/{entity_id}/assets": grants(read=(p.ASSETS_READ,)),
    "/entities/{entity_id}/assets/{asset_id}/link": grants(write=(p.ASSETS_WRITE,)),
    "/entities/{entity_id}/assets/{asset_id}/unlink": grants(write=(p.ASSETS_WRITE,)),
    "/entities/{entity_id}/assets/bulk-unlink": grants(write=(p.ASSETS_WRITE,)),
    "/assets": assets(),
    "/assets/upload": assets(),
    "/assets/check": grants(read=(p.ASSETS_READ,), write=(p.ASSETS_READ,)),  # a POST that only reads
    "/assets/bulk-delete": assets(),
    "/assets/bulk-restore": assets(),
    "/assets/{asset_id}": assets(),
    "/assets/{asset_id}/restore": assets(),
    "/assets/{asset_id}/download": assets(),
    "/assets/archive": grants(read=(p.ASSETS_READ,)),
    "/assets/{asset_id}/preview": assets(),
    "/assets/{asset_id}/preview/info": assets(),
    "/assets/{asset_id}/entities": grants(read=(p.ASSETS_READ, p.ENTITIES_READ)),
    "/assets/{asset_id}/similar": grants(read=(p.ASSETS_READ,)),
    "/duplicate-groups": grants(read=(p.ASSETS_READ,)),
    "/duplicate-groups/{group_id}": grants(read=(p.ASSETS_READ,)),
    # keeping one moves entity links and thumbnails too
    "/duplicate-groups/{group_id}/keep": grants(write=(p.ASSETS_WRITE, p.ENTITIES_WRITE)),
    "/duplicate-groups/{group_id}/dismiss": grants(write=(p.ASSETS_WRITE,)),
    "/uploads": assets(),  # resumable uploads end as assets
    "/uploads/{upload_id}": assets(),
    "/jobs": jobs(),
    "/jobs/{job_id}": job_read,
    "/jobs/{job_id}/events": job_read,
    "/jobs/{job_id}/log": job_log,
    "/jobs/{job_id}/cancel": grants(write=(p.JOBS_CREATE,)),
    "/jobs/{job_id}/claim": job_report,
    "/jobs/{job_id}/heartbeat": job_report,
    "/jobs/{job_id}/progress": job_report,
    "/jobs/{job_id}/complete": job_report,
    "/jobs/{job_id}/fail": job_report,
    "/plugins/{plugin_id}": own_plugin(writes=False),
    "/plugins/{plugin_id}/config": own_plugin(writes=False),  # changing its own config is the user's call
    "/plugins/{plugin_id}/{rest}": own_plugin(writes=True),  # its own route namespace
}
# Install token only, on purpose: /system/info, /admin/*, /assets/bulk-import, /import-folders and
# /backups (server folders are the user's), /integrity-scans (a repair replaces and removes stored
# files), /plugins (others' manifests), /plugins/rescan, /plugins/{id}/enable|disable|token.


def plugin_need(
    method: str, path_template: str, params: Mapping[str, str], principal: PluginPrincipal
) -> Need | None:
    """What a plugin's request needs, or None when plugins may never make it."""
    rule = MATRIX.get(path_template.removeprefix("/v1"))
    return None if rule is None else rule(method in READ_METHODS, params, principal)
