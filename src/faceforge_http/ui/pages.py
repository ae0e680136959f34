"""The UI's pages: server-rendered reads through Core's services.

Pages only read. Every change a user makes is sent by ``static/app.js`` to the ``/v1`` JSON API (with
the CSRF header), so the UI and integrators share one set of rules and one set of validation messages.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, get_args
from urllib.parse import urlencode

import msgspec
from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.errors import Invalid, NotFound
from faceforge_domain.filetypes import INFERRED_KINDS
from faceforge_domain.imports.models import JOB_TYPE as IMPORT_JOB
from faceforge_domain.jobs.models import JOB_STATUSES
from faceforge_domain.models import Asset, FieldDefinition, FieldType
from faceforge_domain.paging import PageRequest, PageResult
from faceforge_domain.queries import EntityQuery, RelationshipQuery
from faceforge_domain.services.entities import EntityService
from faceforge_http.deps import (
    AssetServiceDep,
    DescriptorServiceDep,
    EntityServiceDep,
    FieldDefServiceDep,
    JobServiceDep,
    LookalikeServiceDep,
    PluginServiceDep,
    PreviewServiceDep,
    RelationshipServiceDep,
    UploadSettingsDep,
)
from faceforge_http.routes.assets import asset_out, linked_entity_out
from faceforge_http.routes.descriptors import descriptor_out
from faceforge_http.routes.entities import entity_out
from faceforge_http.routes.fielddefs import field_def_out
from faceforge_http.routes.jobs import job_out
from faceforge_http.routes.lookalikes import group_out
from faceforge_http.routes.plugins import plugin_out
from faceforge_http.routes.relationships import relationship_out
from faceforge_http.ui.facts import detail_lines, taken_text
from faceforge_http.ui.previews import preview_view, preview_views
from faceforge_http.ui.undo import asset_undo, entity_undo

PAGE_SIZE = 40
# Look-alike groups per page: each shows its members' pictures side by side.
GROUPS_PER_PAGE = 10
DETAIL_LIMIT = 200
VIEW_COOKIE = "ff_view"
VIEWS = ("table", "gallery")
ENTITY_SORTS = {
    "newest": ("created_at", "desc"),
    "oldest": ("created_at", "asc"),
    "name": ("display_name", "asc"),
    "updated": ("updated_at", "desc"),
}
TABS = ("overview", "descriptors", "attachments", "relationships")
# The Files page's orders: name -> (sort_by, sort_order), and how each is offered.
ASSET_SORTS = {
    "newest": ("created_at", "desc"),
    "oldest": ("created_at", "asc"),
    "taken_newest": ("taken_at", "desc"),
    "taken_oldest": ("taken_at", "asc"),
    "name": ("filename", "asc"),
    "name_desc": ("filename", "desc"),
    "largest": ("size_bytes", "desc"),
    "smallest": ("size_bytes", "asc"),
}
ASSET_SORT_LABELS = {
    "newest": "Newest added",
    "oldest": "Oldest added",
    "taken_newest": "Date taken, newest first",
    "taken_oldest": "Date taken, oldest first",
    "name": "Name, A to Z",
    "name_desc": "Name, Z to A",
    "largest": "Largest first",
    "smallest": "Smallest first",
}
LOCATION_CHOICES = {"with": True, "without": False}
FILTER_LABELS = {
    "q": "Search",
    "camera": "Camera",
    "taken_after": "Taken from",
    "taken_before": "Taken until",
    "kind": "Kind",
    "mime": "File type",
}


def plain(value: msgspec.Struct) -> Any:
    """A response Struct as plain data for a template."""
    return msgspec.to_builtins(value)


def paging(
    total: int, offset: int, limit: int, params: dict[str, str], *, exact: bool = True, more: bool = False
) -> dict[str, Any]:
    """Previous/next links that keep the current filters. A list that stops counting (``exact`` false,
    ``total`` then a floor) shows "1,000+" and offers a next page when ``more`` rows follow this one."""
    kept = {k: v for k, v in params.items() if v}

    def link(at: int) -> str:
        return "?" + urlencode({**kept, "offset": str(at)} if at else kept)

    return {
        "total": total if exact else f"{total:,}+",
        "first": offset + 1 if total else 0,
        "last": min(offset + limit, total),
        "prev": link(max(offset - limit, 0)) if offset > 0 else None,
        "next": link(offset + limit) if (offset + limit < total if exact else more) else None,
    }


def page_links(result: PageResult[Any], limit: int, params: dict[str, str]) -> dict[str, Any]:
    """``paging`` for a page of a list that may stop counting (the asset lists)."""
    more = result.next_cursor is not None
    return paging(result.total, result.offset, limit, params, exact=result.total_exact, more=more)


def query_link(params: dict[str, str], **changes: str) -> str:
    """A link to the same list with some parameters changed (empty ones left out)."""
    return "?" + urlencode({k: v for k, v in (params | changes).items() if v})


def field_view(d: FieldDefinition) -> dict[str, Any]:
    view: dict[str, Any] = plain(field_def_out(d))
    view["title"] = d.label or d.field_key.replace("_", " ").capitalize()
    return view


@get("/entities", include_in_schema=False)
async def entities_page(
    entities: EntityServiceDep,
    previews: PreviewServiceDep,
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    tag: FromQuery[str] = "",
    sort: FromQuery[str] = "newest",
    offset: FromQuery[int] = 0,
    view: FromQuery[str] = "",
    deleted: FromQuery[str] = "",
    select: FromQuery[str] = "",
) -> Template:
    selecting = select == "1"  # the table with a box on each row and the select-many bar
    chosen_view = view if view in VIEWS else request.cookies.get(VIEW_COOKIE, "table")
    if chosen_view not in VIEWS or selecting:
        chosen_view = "table"
    sort = sort if sort in ENTITY_SORTS else "newest"
    sort_by, sort_order = ENTITY_SORTS[sort]
    tags = [t.strip() for t in tag.split(",") if t.strip()]
    query = EntityQuery.build(sort_by=sort_by, sort_order=sort_order, q=q.strip() or None, tag_prefixes=tags)
    result = await entities.search(query, PageRequest(limit=PAGE_SIZE, offset=max(offset, 0)))
    params = {
        "q": q,
        "tag": tag,
        "sort": sort if sort != "newest" else "",
        "select": "1" if selecting else "",
    }
    pictures = [(e.primary_thumbnail_asset_id, None) for e in result.items if e.primary_thumbnail_asset_id]
    cookies = [Cookie(key=VIEW_COOKIE, value=chosen_view, path="/ui", samesite="strict", max_age=31536000)]
    return Template(
        "entities.html",
        context={
            "entities": [plain(entity_out(e)) for e in result.items],
            "previews": await preview_views(previews, pictures),
            "q": q,
            "tag": tag,
            "sort": sort,
            "sorts": list(ENTITY_SORTS),
            "view": chosen_view,
            "view_links": {v: query_link(params, view=v, select="") for v in VIEWS},
            "selecting": selecting,
            "select_link": query_link(params, select="" if selecting else "1"),
            "paging": paging(result.total, result.offset, PAGE_SIZE, params),
            "undo": await entity_undo(entities, deleted) if deleted else None,
        },
        cookies=cookies if view in VIEWS else [],
    )


@get("/entities/{entity_id:str}", include_in_schema=False)
async def entity_page(
    entities: EntityServiceDep,
    field_defs: FieldDefServiceDep,
    descriptors: DescriptorServiceDep,
    assets: AssetServiceDep,
    relationships: RelationshipServiceDep,
    upload_settings: UploadSettingsDep,
    previews: PreviewServiceDep,
    entity_id: FromPath[str],
    tab: FromQuery[str] = "overview",
    deleted: FromQuery[str] = "",
) -> Template:
    entity = await entities.get(entity_id)
    tab = tab if tab in TABS else "overview"
    context: dict[str, Any] = {"entity": plain(entity_out(entity)), "tab": tab, "tabs": TABS}
    if entity.primary_thumbnail_asset_id:
        context["avatar"] = (await preview_views(previews, [(entity.primary_thumbnail_asset_id, None)]))[
            entity.primary_thumbnail_asset_id
        ]
    if tab == "overview":
        context["fields"] = [field_view(d) for d in await field_defs.all("entity")]
    elif tab == "descriptors":
        found = await descriptors.search(entity_id, PageRequest(limit=DETAIL_LIMIT))
        context["descriptors"] = [plain(descriptor_out(d)) for d in found.items]
        context["fields"] = [field_view(d) for d in await field_defs.all("descriptor")]
    elif tab == "attachments":
        attached = await assets.find(AssetQuery.build(entity_id=entity_id), PageRequest(limit=DETAIL_LIMIT))
        context["assets"] = [plain(asset_out(a)) for a in attached.items]
        context["previews"] = await preview_views(previews, [(a.asset_id, a.kind) for a in attached.items])
        context["asset_total"] = attached.total
        context["uploads"] = upload_settings
        back = f"/ui/entities/{entity_id}?tab=attachments"
        context["undo"] = await asset_undo(assets, deleted, back) if deleted else None
    else:
        query = RelationshipQuery.build(entity_id=entity_id, direction="both")
        found_rels = await relationships.search(query, PageRequest(limit=DETAIL_LIMIT))
        rels = [plain(relationship_out(r)) for r in found_rels.items]
        names = await entity_names(
            entities, {r["dst_entity_id"] for r in rels} | {r["src_entity_id"] for r in rels}
        )
        context["relationships"] = [
            r | {"src_name": names[r["src_entity_id"]], "dst_name": names[r["dst_entity_id"]]} for r in rels
        ]
    return Template("entity.html", context=context)


async def entity_names(entities: EntityService, entity_ids: set[str]) -> dict[str, str]:
    """Display names for the other ends of relationships (a deleted entity shows as such)."""
    names: dict[str, str] = {}
    for entity_id in entity_ids:
        try:
            names[entity_id] = (await entities.get(entity_id, include_deleted=True)).display_name
        except NotFound:
            names[entity_id] = "(removed)"
    return names


@get("/assets", include_in_schema=False)
async def assets_page(
    assets: AssetServiceDep,
    previews: PreviewServiceDep,
    upload_settings: UploadSettingsDep,
    q: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    mime: FromQuery[str] = "",
    camera: FromQuery[str] = "",
    taken_after: FromQuery[str] = "",
    taken_before: FromQuery[str] = "",
    location: FromQuery[str] = "",
    sort: FromQuery[str] = "newest",
    offset: FromQuery[int] = 0,
    deleted: FromQuery[str] = "",
) -> Template:
    sort = sort if sort in ASSET_SORTS else "newest"
    sort_by, sort_order = ASSET_SORTS[sort]
    params = {
        "q": q,
        "kind": kind,
        "mime": mime,
        "camera": camera,
        "taken_after": taken_after,
        "taken_before": taken_before,
        "location": location if location in LOCATION_CHOICES else "",
        "sort": sort if sort != "newest" else "",
    }
    context: dict[str, Any] = params | {
        "sort": sort,
        "sorts": ASSET_SORT_LABELS,
        "locations": LOCATION_CHOICES,
        "kinds": INFERRED_KINDS,  # suggestions only: kinds are free-form
        "assets": [],
        "errors": [],
        "uploads": upload_settings,
    }
    try:
        query = AssetQuery.build(
            kind=kind or None,
            mime=mime.strip() or None,
            q=q.strip() or None,
            camera=camera.strip() or None,
            taken_after=taken_after or None,
            taken_before=_day_end(taken_before) or None,
            has_location=LOCATION_CHOICES.get(params["location"]),
            sort_by=sort_by,
            sort_order=sort_order,
        )
    except Invalid as exc:  # shown beside the form, which keeps what was typed
        context["errors"] = [f"{FILTER_LABELS.get(e.field, e.field)} {e.message}." for e in exc.errors]
        return Template("assets.html", context=context, status_code=422)
    result = await assets.find(query, PageRequest(limit=PAGE_SIZE, offset=max(offset, 0)))
    context |= {
        "assets": [asset_row(a) for a in result.items],
        "previews": await preview_views(previews, [(a.asset_id, a.kind) for a in result.items]),
        "filtered": any(v for k, v in params.items() if k != "sort"),
        "paging": page_links(result, PAGE_SIZE, params),
        "undo": await asset_undo(assets, deleted) if deleted else None,
    }
    return Template("assets.html", context=context)


def _day_end(value: str) -> str:
    """The Files page's "taken until" day includes that whole day: the API's bound is the next day."""
    text = value.strip()
    try:
        return (date.fromisoformat(text) + timedelta(days=1)).isoformat() if len(text) == 10 else text
    except (ValueError, OverflowError):
        return text


def asset_row(asset: Asset) -> dict[str, Any]:
    """One row of the Files list: the asset as the API shows it, its date taken and camera readable."""
    row: dict[str, Any] = plain(asset_out(asset))
    return row | {"taken": taken_text(asset.facts), "camera": asset.facts.camera or ""}


@get("/assets/{asset_id:str}", include_in_schema=False)
async def asset_page(
    assets: AssetServiceDep, previews: PreviewServiceDep, asset_id: FromPath[str]
) -> Template:
    asset = await assets.get(asset_id)
    preview = preview_view(asset_id, asset.kind, await previews.record(asset_id))
    linked = await assets.linked_entities(asset_id, PageRequest(limit=DETAIL_LIMIT))
    return Template(
        "asset.html",
        context={
            "asset": plain(asset_out(asset)),
            "details": detail_lines(asset.facts),
            "preview": preview,
            "linked": [plain(linked_entity_out(link)) for link in linked.items],
            "linked_total": linked.total,
        },
    )


@get("/assets/{asset_id:str}/metadata", include_in_schema=False)
async def asset_metadata(assets: AssetServiceDep, asset_id: FromPath[str]) -> Template:
    """Every tag ExifTool read, as an HTML fragment the "All metadata" panel loads when it is opened
    (a file's dump can hold thousands of tags: pages never carry it)."""
    asset = await assets.get(asset_id)
    return Template("metadata.html", context={"a": plain(asset_out(asset))})


@get("/jobs", include_in_schema=False)
async def jobs_page(jobs: JobServiceDep, status: FromQuery[str] = "", offset: FromQuery[int] = 0) -> Template:
    statuses = [status] if status in JOB_STATUSES else []
    result = await jobs.list_jobs(
        statuses=statuses, job_type=None, page=PageRequest(limit=PAGE_SIZE, offset=max(offset, 0))
    )
    return Template(
        "jobs.html",
        context={
            "jobs": [plain(job_out(j)) for j in result.items],
            "status": status,
            "statuses": JOB_STATUSES,
            "paging": paging(result.total, result.offset, PAGE_SIZE, {"status": status}),
        },
    )


@get("/jobs/{job_id:str}", include_in_schema=False)
async def job_page(jobs: JobServiceDep, job_id: FromPath[str]) -> Template:
    job = await jobs.get(job_id)
    log = await jobs.log(job_id, after_id=0, limit=DETAIL_LIMIT)
    return Template(
        "job.html",
        context={
            "job": plain(job_out(job)),
            "log": [{"id": e.id, "level": e.level, "message": e.message} for e in log.items],
            "after_id": log.next_after_id,
            "import_job": IMPORT_JOB,
        },
    )


@get("/admin/fields", include_in_schema=False)
async def fields_page(field_defs: FieldDefServiceDep) -> Template:
    defs = await field_defs.all()
    return Template(
        "fields.html",
        context={
            "entity_fields": [field_view(d) for d in defs if d.scope == "entity"],
            "descriptor_fields": [field_view(d) for d in defs if d.scope == "descriptor"],
            "field_types": get_args(FieldType),
        },
    )


@get("/plugins", include_in_schema=False)
async def plugins_page(plugins: PluginServiceDep) -> Template:
    shown_plugins = []
    for view in await plugins.list_plugins():
        shown: dict[str, Any] = plain(plugin_out(view))
        shown["config"] = await plugins.config(view.plugin_id) if view.registered else {}
        shown_plugins.append(shown)
    return Template("plugins.html", context={"plugins": shown_plugins})


@get("/lookalikes", include_in_schema=False)
async def lookalikes_page(
    lookalikes: LookalikeServiceDep, previews: PreviewServiceDep, offset: FromQuery[int] = 0
) -> Template:
    result = await lookalikes.open_groups(PageRequest(limit=GROUPS_PER_PAGE, offset=max(offset, 0)))
    members = [(m.asset.asset_id, m.asset.kind) for g in result.items for m in g.members]
    return Template(
        "lookalikes.html",
        context={
            "groups": [plain(group_out(g)) for g in result.items],
            "previews": await preview_views(previews, members),
            "paging": paging(result.total, result.offset, GROUPS_PER_PAGE, {}),
        },
    )


PAGES = [
    entities_page,
    entity_page,
    assets_page,
    asset_page,
    asset_metadata,
    jobs_page,
    job_page,
    fields_page,
    plugins_page,
    lookalikes_page,
]
