"""Integrity scan speed: the scan ``faceforge doctor --deep`` runs, beside ``sha256sum`` over the same
stored files, and the rate limit holding, all in the same run on the same disk.

The library is built through Core as ``bench/backup.py`` builds it (``--small`` files of 1-64 KiB and
``--large-gib`` GiB of 256 MiB files). Then, with warm caches for both:

- ``sha256sum`` of every file under ``assets/``: the reference;
- the ``core.integrity.scan`` job with no rate limit (``integrity.max_bytes_per_s`` 0), run in this
  process with only the job workers started (what ``faceforge doctor --deep`` runs, without the
  process start and doctor's other checks), timed from its creation to its end;
- the same with a limit (``--limit-mib``, default 100 MiB/s): its rate should sit at the limit (the
  first second is free: short scans run a little faster than the limit).

    python bench/integrity.py [--small 10000] [--large-gib 4] [--limit-mib 100] [--workdir DIR] [--keep]

Never fails on a number.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from assets import MIB, line, rate
from backup import ENV, build_library, finish, library_arguments, shell
from faceforge_adapters.bootstrap import build_core
from faceforge_domain.integrity.scan import JOB_TYPE


def timed_scan(home: Path, max_bytes_per_s: int) -> tuple[float, dict[str, Any]]:
    """One scan run in this process with only the job workers started: its seconds and result."""

    async def run() -> tuple[float, dict[str, Any]]:
        env = {**ENV, "FACEFORGE_HOME": str(home)}
        overrides = {"integrity": {"max_bytes_per_s": max_bytes_per_s}}
        async with (
            build_core(home=home, env=env, overrides=overrides) as core,
            core.lifecycle.running(("jobs",)),
        ):
            started = time.perf_counter()
            job = await core.jobs.create(JOB_TYPE, {})
            async for _ in core.jobs.follow(job.job_id):
                pass
            seconds = time.perf_counter() - started
            done = await core.jobs.get(job.job_id)
        if done.result is None:
            raise SystemExit(f"the scan ended {done.status}: {done.error}")
        return seconds, done.result

    return anyio.run(run)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    library_arguments(parser)
    parser.add_argument("--limit-mib", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ff-bench-integrity-", dir=args.workdir))
    try:
        home = work / "home"
        files, size = build_library(work, home, args.small, args.large_gib)

        reference = shell(f"find {home / 'assets'} -type f -print0 | xargs -0 sha256sum")
        unlimited, found = timed_scan(home, 0)
        sha = rate(size, reference)
        line("integrity scan (no limit)", rate(size, unlimited), "MiB/s", sha, "sha256sum")
        line("  files per second", files / unlimited, "files/s", files / reference, "sha256sum")
        print(f"    checked {found['files_checked']} files, counts {found['counts']}", flush=True)
        again = shell(f"find {home / 'assets'} -type f -print0 | xargs -0 sha256sum")
        line("sha256sum again (the machine is shared)", rate(size, again), "MiB/s")

        limit = args.limit_mib * MIB
        limited, _ = timed_scan(home, limit)
        line(f"integrity scan (limit {args.limit_mib} MiB/s)", rate(size, limited), "MiB/s")
        allowed = args.limit_mib * (1 + limit / size)
        print(f"    the limit allows at most {allowed:.1f} MiB/s here (one free second)", flush=True)
    finally:
        finish(work, args.keep)


if __name__ == "__main__":
    main()
