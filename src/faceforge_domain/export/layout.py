"""Where each file goes in an export, without I/O: one folder per entity, readable names, each file once.

A file linked to several entities is written once, under the first of them in export order (the
oldest entity); its sidecar and ``assets.jsonl`` name every entity it is linked to. Writing it under
each would multiply the bytes of a large library, and an import would only find the same bytes again.
Files linked to no entity go under ``_unlinked/``. The same library gives the same paths every time,
which is what lets a re-run find the files it wrote before.
"""

from __future__ import annotations

from collections.abc import Sequence

from faceforge_domain.export.models import SIDECAR_SUFFIX, TOP_NAMES, UNLINKED, LinkRecord
from faceforge_domain.export.names import MAX_NAME_BYTES, NameBook
from faceforge_domain.models import Asset, Entity


class Placed:
    """An asset, its links and its path in the export."""

    __slots__ = ("asset", "links", "path")

    def __init__(self, asset: Asset, links: list[LinkRecord], path: str) -> None:
        self.asset = asset
        self.links = links
        self.path = path

    @property
    def sidecar(self) -> str:
        return self.path + SIDECAR_SUFFIX


def entity_folders(entities: Sequence[Entity]) -> dict[str, str]:
    """Entity id -> its folder name, unique, in the order given (oldest first keeps the plain name)."""
    top = NameBook(TOP_NAMES)
    return {e.entity_id: top.claim(e.display_name, keep_extension=False) for e in entities}


def place_files(entities: Sequence[Entity], assets: Sequence[tuple[Asset, list[LinkRecord]]]) -> list[Placed]:
    """Each asset's path: ``<entity folder>/<file name>`` or ``_unlinked/<file name>``, in the order
    given. Names leave room for the sidecar suffix."""
    folders = entity_folders(entities)
    entity_ids = list(folders)
    order = {entity_id: n for n, entity_id in enumerate(entity_ids)}
    books: dict[str, NameBook] = {}
    placed = []
    room = MAX_NAME_BYTES - len(SIDECAR_SUFFIX)
    for asset, links in assets:
        known = sorted(
            (link for link in links if link.entity_id in order), key=lambda link: order[link.entity_id]
        )
        folder = folders[known[0].entity_id] if known else UNLINKED
        book = books.setdefault(folder, NameBook(most=room))
        placed.append(Placed(asset, links, f"{folder}/{book.claim(asset.filename)}"))
    return placed
