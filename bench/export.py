"""Export speed: a first export beside ``cp -a`` of the same store, a second with nothing changed (each
file re-hashed, none written), and the import of the export into a new home beside ``cp -a`` of the
export folder, all in the same run on the same disk.

The library is built through Core as in ``bench/backup.py`` (``--small`` small files of 1-64 KiB and
``--large-gib`` GiB of 256 MiB files, each linked to one of ``--entities`` entities). An export writes
two files per asset (the file and its sidecar) and syncs them before its manifest; ``cp -a && sync``
is printed beside plain ``cp -a`` for that reason.

    python bench/export.py [--small 10000] [--large-gib 4] [--entities 50] [--workdir DIR] [--keep]

Never fails on a number.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import anyio

from assets import line, rate
from backup import ENV, build_library, cp_references, finish, library_arguments, run, shell, tree_size
from faceforge_adapters.bootstrap import build_core
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.paging import PageRequest


def link_to_entities(home: Path, entities: int) -> None:
    """Spread the assets over ``entities`` entities, so the export has that many folders."""

    async def go() -> None:
        async with build_core(home=home, env={**ENV, "FACEFORGE_HOME": str(home)}) as core:
            people = [await core.entities.create(f"Person {n}") for n in range(entities)]
            page, n = PageRequest(limit=200), 0
            while True:
                found = await core.assets.find(AssetQuery(), page)
                for asset in found.items:
                    await core.assets.link(people[n % entities].entity_id, asset.asset_id)
                    n += 1
                if found.next_cursor is None:
                    return
                page = PageRequest(limit=200, cursor=found.next_cursor)

    anyio.run(go)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    library_arguments(parser)
    parser.add_argument("--entities", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ff-bench-export-", dir=args.workdir))
    try:
        home, target, again = work / "home", work / "export", work / "again"
        files, size = build_library(work, home, args.small, args.large_gib)
        link_to_entities(home, args.entities)

        start = run(home, "--version")
        line("process start (faceforge --version)", start, "s")
        print("first export", flush=True)
        cp, cp_sync = cp_references(home, work)
        first = run(home, "export", str(target))
        line("cp -a (no sync)", rate(size, cp), "MiB/s")
        line("cp -a && sync", rate(size, cp_sync), "MiB/s")
        line("faceforge export (first)", rate(size, first), "MiB/s", rate(size, cp_sync), "cp -a && sync")
        line(
            "  less the process start",
            rate(size, first - start),
            "MiB/s",
            rate(size, cp_sync),
            "cp -a && sync",
        )
        line("  files per second", files / first, "files/s", files / cp_sync, "cp -a && sync")

        print("second export, nothing changed", flush=True)
        second = run(home, "export", str(target))
        line("faceforge export (second)", second, "s", first, "the first export")
        line("  of which the work (less the process start)", second - start, "s", first - start, "first")

        print("import of the export into a new home", flush=True)
        exported, exported_bytes = tree_size(target)
        cp_export = shell(f"cp -a {target} {work / 'cp-export'} && sync")
        shutil.rmtree(work / "cp-export")
        imported = run(again, "import", str(target))
        line(
            "faceforge import (export folder)",
            rate(size, imported),
            "MiB/s",
            rate(exported_bytes, cp_export),
            "cp -a && sync of the export",
        )
        print(f"  ({exported} files in the export, sidecars and records included)", flush=True)
    finally:
        finish(work, args.keep)


if __name__ == "__main__":
    main()
