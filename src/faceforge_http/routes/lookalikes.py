"""Look-alikes over HTTP: similar assets of one asset, and the review list of duplicate groups."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from faceforge_domain.lookalikes import DEFAULT_MAX_DISTANCE, DEFAULT_SIMILAR_LIMIT, MAX_DISTANCE
from faceforge_domain.paging import MAX_LIMIT
from faceforge_domain.services.lookalikes import ReviewGroup, ReviewMember, SimilarAsset
from faceforge_http.deps import LookalikeServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.params import OffsetPageDep, RecordId
from faceforge_http.routes.assets import AssetOut
from faceforge_http.wire import Wire

MaxDistance = Annotated[
    int,
    Parameter(
        ge=0,
        le=MAX_DISTANCE,
        description=f"How many of the 64 hash bits may differ (0-{MAX_DISTANCE})",
    ),
]
SimilarLimit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="At most this many assets")]


class SimilarOut(msgspec.Struct, kw_only=True):
    asset: AssetOut
    distance: int


class MemberOut(msgspec.Struct, kw_only=True):
    """A live member: ``distance`` to the group's first member, size in pixels when known."""

    asset: AssetOut
    distance: int
    width: int | None
    height: int | None
    linked_entities: int


class DuplicateGroupOut(msgspec.Struct, kw_only=True):
    group_id: str
    status: str
    max_distance: int
    kept_asset_id: str | None
    created_at: str
    resolved_at: str | None
    members: list[MemberOut]


class KeepIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    asset_id: str


similar_out = Wire(SimilarAsset, SimilarOut)
member_out = Wire(ReviewMember, MemberOut)
group_out = Wire(ReviewGroup, DuplicateGroupOut)


class LookalikeController(Controller):
    tags = ["look-alikes"]  # noqa: RUF012  (Litestar reads this class attribute)

    @get("/assets/{asset_id:str}/similar", operation_id="similarAssets", summary="Look-alikes of an asset")
    async def similar(
        self,
        lookalikes: LookalikeServiceDep,
        asset_id: RecordId,
        max_distance: MaxDistance = DEFAULT_MAX_DISTANCE,
        limit: SimilarLimit = DEFAULT_SIMILAR_LIMIT,
    ) -> Ok[list[SimilarOut]]:
        found = await lookalikes.similar(asset_id, max_distance, limit)
        return ok([similar_out(item) for item in found])

    @get("/duplicate-groups", operation_id="listDuplicateGroups", summary="Open look-alike groups")
    async def list_groups(
        self, lookalikes: LookalikeServiceDep, *, offset_page: OffsetPageDep
    ) -> Ok[Page[DuplicateGroupOut]]:
        return ok(page_out(await lookalikes.open_groups(offset_page), group_out))

    @get("/duplicate-groups/{group_id:str}", operation_id="getDuplicateGroup", summary="One group")
    async def get_group(self, lookalikes: LookalikeServiceDep, group_id: RecordId) -> Ok[DuplicateGroupOut]:
        return ok(group_out(await lookalikes.group(group_id)))

    @post(
        "/duplicate-groups/{group_id:str}/keep",
        operation_id="keepDuplicate",
        summary="Keep one asset; trash the others, moving their links",
        status_code=HTTP_200_OK,
    )
    async def keep(
        self, lookalikes: LookalikeServiceDep, group_id: RecordId, data: JSONBody[KeepIn]
    ) -> Ok[DuplicateGroupOut]:
        await lookalikes.keep(group_id, data.asset_id)
        return ok(group_out(await lookalikes.group(group_id)))

    @post(
        "/duplicate-groups/{group_id:str}/dismiss",
        operation_id="dismissDuplicates",
        summary="Not duplicates: close the group for good",
        status_code=HTTP_200_OK,
    )
    async def dismiss(self, lookalikes: LookalikeServiceDep, group_id: RecordId) -> Ok[DuplicateGroupOut]:
        await lookalikes.dismiss(group_id)
        return ok(group_out(await lookalikes.group(group_id)))
