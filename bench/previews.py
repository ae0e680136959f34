"""Preview rendering, printed beside Debian's ``vipsthumbnail`` doing the same work in the same run.

Files/s through the real ``WorkerPreviewRenderer`` (2 workers, batches of the preview runner's size,
files read in place from a ``FilesystemBlobStore``), over the sample folder (the files the renderer
``renders()``) and over ``--count`` generated 12-megapixel JPEGs (4000x3000, q=90, each different,
cached under ``${XDG_CACHE_HOME:-~/.cache}/faceforge/bench/previews-12mp/``). The reference is
``vipsthumbnail`` making the same two WebPs (1280 px and 256 px, never enlarged, Q=80, metadata
stripped) in two parallel streams of files. Target: ours >= 70% of vipsthumbnail's rate.

Each is measured alone, then with the project's ExifTool pool (``tools.exiftool_workers`` by default:
the CPU count) extracting metadata from the same files all the while, in the metadata runner's
batches: the same two cores shared, as after an import.

    python bench/previews.py [--count 1000] [--rounds 3] [--only samples,jpegs,gallery]

Prints medians of ``--rounds`` passes (the order of ours and the reference alternates each round)."""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import anyio
import pyvips

from faceforge_adapters.exiftool import ExifToolPool
from faceforge_adapters.exiftool.extractor import ExifToolExtractor
from faceforge_adapters.previews.pool import PreviewPool
from faceforge_adapters.previews.protocol import WorkerSettings
from faceforge_adapters.previews.renderer import WorkerPreviewRenderer
from faceforge_adapters.storage.filesystem import PROVIDER, FilesystemBlobStore
from faceforge_domain.filetypes import SNIFF_BYTES, infer_kind, sniff_mime
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.previews import PREVIEW_EDGE
from faceforge_domain.services.metadata import BATCH as METADATA_BATCH
from faceforge_domain.services.previews import BATCH as PREVIEW_BATCH

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exiftool-samples"
WORKERS = 2
# Generous limits, so no file of either set is refused for its size.
SETTINGS = WorkerSettings(max_pixels=200_000_000, max_memory_mb=2048, exiftool=shutil.which("exiftool"))
WIDTH, HEIGHT = 4000, 3000
WEBP_QUALITY = 80  # picture.WEBP_QUALITY: the reference writes the same quality
CHUNK = 25  # files per vipsthumbnail command (one process start per chunk and size, not per file)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
T = TypeVar("T")


# -- the generated photos ---------------------------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faceforge" / "bench" / "previews-12mp"


@functools.cache
def grain() -> pyvips.Image:
    """A 12-MP fine grain, made once per process; each photo takes it from its own offset."""
    return pyvips.Image.gaussnoise(WIDTH, HEIGHT, sigma=5, mean=0, seed=1).cast("char").copy_memory()


def photo(seed: int) -> pyvips.Image:
    """A 12-MP photo-like picture of its own: soft light and tint and a gradient, drawn at a quarter
    of the size (cheap) and enlarged, then a fine grain over it."""
    width, height = WIDTH // 4, HEIGHT // 4

    def soft(bands: int, sigma: float, cells: int, offset: int) -> pyvips.Image:
        planes = [
            pyvips.Image.gaussnoise(cells, cells * 3 // 4, sigma=sigma, mean=0, seed=seed * 8 + offset + b)
            for b in range(bands)
        ]
        return planes[0].bandjoin(planes[1:]).resize(width / cells, kernel="cubic")

    light = soft(1, 45, 40, 0) + soft(1, 18, 200, 1)
    xy = pyvips.Image.xyz(width, height)
    gradient = xy[0] * (80 / width) + xy[1] * (50 / height)
    base = (light + soft(3, 15, 40, 2) + gradient + 70).cast("uchar").copy(interpretation="srgb")
    shifted = grain().wrap(x=seed * 7919 % WIDTH, y=seed * 104729 % HEIGHT)
    return (base.resize(4, kernel="linear") + shifted).cast("uchar").copy(interpretation="srgb")


def write_photo(path: Path, seed: int) -> None:
    partial = path.with_suffix(".part.jpg")  # a run killed midway leaves no half photo in the cache
    photo(seed).jpegsave(str(partial), Q=90)
    partial.rename(path)


def generated_photos(count: int) -> list[Path]:
    """The first ``count`` cached photos, the missing ones made now (two at a time)."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo_{i:05d}.jpg" for i in range(count)]
    missing = [(path, i) for i, path in enumerate(paths) if not path.exists()]
    if missing:
        started = time.perf_counter()
        with ProcessPoolExecutor(WORKERS) as pool:
            list(pool.map(write_photo, *zip(*missing, strict=True)))
        seconds = time.perf_counter() - started
        print(f"  generated {len(missing)} photos in {seconds:.0f} s ({seconds / len(missing):.2f} s each)")
    print(f"  {count} photos in {folder}, {sum(p.stat().st_size for p in paths) / 1e6:.0f} MB")
    return paths


# -- assets and the two renderers ---------------------------------------------------------------------


def asset_of(root: Path, path: Path) -> Asset:
    with path.open("rb") as handle:
        mime = sniff_mime(handle.read(SNIFF_BYTES), path.name)
    return Asset(
        asset_id=hashlib.sha256(str(path).encode()).hexdigest(),
        kind=infer_kind(mime, path.name),
        mime_type=mime,
        size_bytes=path.stat().st_size,
        filename=path.name,
        filenames=[path.name],
        storage=StorageLocation(provider=PROVIDER, key=path.relative_to(root).as_posix()),
        created_at=NOW,
        updated_at=NOW,
    )


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass(frozen=True)
class Pass:
    """One timed pass: files done (both previews made) and seconds; ExifTool's files meanwhile."""

    done: int
    seconds: float
    extracted: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.seconds


class Ours:
    """The renderer over a 2-worker pool, fed in the preview runner's batches."""

    def __init__(self, root: Path, scratch: Path) -> None:
        store = FilesystemBlobStore(root, scratch)
        self.pool = PreviewPool(SETTINGS, WORKERS)
        self.renderer = WorkerPreviewRenderer(
            pool=self.pool, store=store, local_path=store.path_for, scratch_dir=scratch, timeout_s=120
        )

    async def warm_up(self, assets: list[Asset]) -> None:
        await self.renderer.render_many(assets[:WORKERS])  # both workers started before the clock

    async def run(self, assets: list[Asset]) -> int:
        done = 0
        for batch in chunks(assets, PREVIEW_BATCH):
            results = await self.renderer.render_many(list(batch))
            done += sum(1 for result in results if not isinstance(result, Exception))
        return done


class Reference:
    """``vipsthumbnail`` making both sizes, two commands at a time, each over a chunk of files."""

    def __init__(self, exe: str, root: Path, out: Path) -> None:
        self.exe = exe
        self.root = root
        self.out = out

    async def run(self, assets: list[Asset]) -> int:
        """How many of ``assets`` got both pictures."""
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True)
        waiting = chunks([str(self.root / a.storage.key) for a in assets], CHUNK)

        async def stream() -> None:
            while waiting:
                files = waiting.pop()
                for size, edge in PREVIEW_EDGE.items():
                    # ">": only ever shrink, as ours; a file it cannot read fails alone, the rest go on.
                    target = f"{self.out}/%s.{size}.webp[Q={WEBP_QUALITY},strip]"
                    command = [self.exe, "-s", f"{edge}x{edge}>", "-o", target, *files]
                    await anyio.run_process(command, check=False, stderr=subprocess.DEVNULL)

        async with anyio.create_task_group() as group:
            for _ in range(WORKERS):
                group.start_soon(stream)
        return len(self.made(assets))

    def made(self, assets: list[Asset]) -> list[Asset]:
        """Those of ``assets`` the last run made both pictures of (outputs are named by file stem)."""
        names = {p.name for p in self.out.iterdir()}
        return [
            a for a in assets if all(f"{Path(a.filename).stem}.{size}.webp" in names for size in PREVIEW_EDGE)
        ]


# -- passes, alone and beside ExifTool --------------------------------------------------------------


async def timed(action: Callable[[], Awaitable[int]]) -> Pass:
    started = time.perf_counter()
    done = await action()
    return Pass(done, time.perf_counter() - started)


async def beside_exiftool(
    action: Callable[[], Awaitable[int]], extractor: ExifToolExtractor, assets: list[Asset]
) -> Pass:
    """``action`` timed while the extractor goes over ``assets`` again and again until it ends."""
    finished = anyio.Event()
    extracted = 0

    async def extract() -> None:
        nonlocal extracted
        while not finished.is_set():
            for batch in chunks(assets, METADATA_BATCH):
                if finished.is_set():
                    return
                await extractor.extract_many(batch)
                extracted += len(batch)

    async with anyio.create_task_group() as group:
        group.start_soon(extract)
        measured = await timed(action)
        finished.set()
        meanwhile = extracted
    return Pass(measured.done, measured.seconds, meanwhile)


@dataclass
class Results:
    """Every pass of one file set, by variant."""

    passes: dict[str, list[Pass]]

    def median(self, variant: str) -> Pass:
        runs = self.passes[variant]
        return Pass(
            runs[0].done,
            statistics.median(p.seconds for p in runs),
            int(statistics.median(p.extracted for p in runs)),
        )


VARIANTS = ("ours", "vipsthumbnail", "ours + exiftool", "vipsthumbnail + exiftool")


async def measure(label: str, root: Path, assets: list[Asset], rounds: int, work: Path) -> None:
    """Rounds of the four variants over ``assets`` (a file may come more than once), then medians."""
    megabytes = sum(a.size_bytes for a in assets) / 1e6
    print(f"{label}: {len(assets)} files, {megabytes:.1f} MB", flush=True)
    exe = shutil.which("vipsthumbnail")
    assert exe is not None  # checked by main
    ours = Ours(root, work / "scratch")
    reference = Reference(exe, root, work / "vipsthumbnail")
    exiftool = shutil.which("exiftool")
    pool = ExifToolPool(Path(exiftool), os.cpu_count() or 1) if exiftool else None
    store = FilesystemBlobStore(root, work / "scratch")
    extractor = ExifToolExtractor(
        pool=pool, store=store, staging_dir=work / "exiftool", local_path=store.path_for
    )
    actions: dict[str, Callable[[], Awaitable[int]]] = {
        "ours": lambda: ours.run(assets),
        "vipsthumbnail": lambda: reference.run(assets),
    }
    results = Results({variant: [] for variant in VARIANTS})
    try:
        await ours.warm_up(assets)
        await extractor.warm_up()
        for number in range(rounds):
            order = VARIANTS if number % 2 == 0 else VARIANTS[1::-1] + VARIANTS[:1:-1]
            for variant in order:
                name, _, shared = variant.partition(" + ")
                if shared:
                    done = await beside_exiftool(actions[name], extractor, assets)
                else:
                    done = await timed(actions[name])
                results.passes[variant].append(done)
            rates = ", ".join(f"{v} {results.passes[v][-1].rate:.1f}" for v in VARIANTS)
            print(f"  round {number + 1}: {rates} files/s", flush=True)
    finally:
        await ours.pool.aclose()
        if pool is not None:
            await pool.aclose()
    report(results, rounds)


async def sample_sets(work: Path, repeat: int) -> list[tuple[str, list[Asset]]]:
    """The sample files the renderer takes, and those of them vipsthumbnail reads, each ``repeat`` times."""
    exe = shutil.which("vipsthumbnail")
    assert exe is not None
    files = sorted(p for p in SAMPLES.iterdir() if p.is_file())
    ours = Ours(SAMPLES, work / "scratch")
    taken = [a for a in (asset_of(SAMPLES, path) for path in files) if ours.renderer.renders(a)]
    probe = Reference(exe, SAMPLES, work / "probe")
    await probe.run(taken)
    both = probe.made(taken)
    return [
        (f"the sample folder x{repeat} ({len(taken)} of {len(files)} files have previews)", taken * repeat),
        (f"the sample folder x{repeat}, the {len(both)} files vipsthumbnail reads", both * repeat),
    ]


def report(results: Results, rounds: int) -> None:
    print(f"  medians of {rounds} rounds (target: ours >= 70% of vipsthumbnail):")
    for ours_variant, ref_variant in zip(VARIANTS[::2], VARIANTS[1::2], strict=True):
        ours, ref = results.median(ours_variant), results.median(ref_variant)
        print(
            f"  {ours_variant:26} {ours.rate:7.1f} files/s ({ours.done} done)"
            f"   {ref_variant}: {ref.rate:.1f} files/s ({ref.done} done) -> {100 * ours.rate / ref.rate:.0f}%"
        )
        if ours.extracted or ref.extracted:
            print(
                f"  {'':26} exiftool meanwhile: {ours.extracted / ours.seconds:.1f} files/s"
                f"   beside vipsthumbnail: {ref.extracted / ref.seconds:.1f} files/s"
            )


PARTS = ("samples", "jpegs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="generated 12-MP JPEGs (default 1000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=10, help="passes over the sample folder per pass")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated among {', '.join(PARTS)}")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only takes parts among {', '.join(PARTS)}")
    if shutil.which("vipsthumbnail") is None:
        print(
            "vipsthumbnail is not installed (apt-get install libvips-tools): no reference, nothing measured"
        )
        return
    with tempfile.TemporaryDirectory(prefix="ffbench-previews-") as tmp:
        work = Path(tmp)
        if "samples" in parts:
            for label, assets in anyio.run(sample_sets, work, args.repeat):
                anyio.run(measure, label, SAMPLES, assets, args.rounds, work)
        if "jpegs" in parts:
            print(f"{args.count} generated 12-MP JPEGs ({WIDTH}x{HEIGHT}, q=90)", flush=True)
            root = cache_dir()
            photos = [asset_of(root, path) for path in generated_photos(args.count)]
            anyio.run(measure, f"{args.count} 12-MP JPEGs", root, photos, args.rounds, work)


if __name__ == "__main__":
    main()
