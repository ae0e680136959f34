"""The preview renderer over the real libraries: every shared sample, and files made for one rule each.

Each test renders through ``WorkerPreviewRenderer`` with real worker processes reading blobs from a
``FilesystemBlobStore``; the previews are decoded back and looked at (size, colour, orientation).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import preview_files as files
import pytest
import pyvips
from exiftool_support import EXIFTOOL_SAMPLES, needs_exiftool
from preview_support import (  # noqa: F401  (one bench per module)
    EXIFTOOL,
    PreviewBench,
    anyio_backend,
    bench_fixture,
    check_pictures,
    mean_colour,
    rendered,
)

from faceforge_domain.lookalikes import DEFAULT_MAX_DISTANCE, distance
from faceforge_domain.previews import PreviewFailed, RenderedPreview

pytestmark = pytest.mark.anyio

JPEGS = [
    "Apple.jpg",
    "Canon1DmkIII.jpg",
    "Casio2.jpg",
    "ExifTool.jps",
    "ExtendedXMP.jpg",
    "FLIR.jpg",
    "FotoStation.jpg",
    "GPS.jpg",
    "Google.jpg",
    "IPTC.jpg",
    "InfiRay.jpg",
    "JVC.jpg",
    "Kodak.jpg",
    "Nikon.jpg",
    "NikonD2Hs.jpg",
    "Olympus.jpg",
    "OlympusE1.jpg",
    "Pentax.jpg",
    "Ricoh.jpg",
    "Sanyo.jpg",
    "Sony.jpg",
    "Unknown.jpg",
    "Writer.jpg",
]
RENDERED = frozenset(
    [
        *JPEGS,
        "BMP.bmp",
        "BigTIFF.btf",
        "GIF.gif",
        "GeoTiff.tif",
        "PPM.ppm",
        "Photoshop.psd",
        "FujiFilm.raf",
        "Panasonic.rw2",
        "PDF.pdf",
        "Jpeg2000.j2c",
    ]
)
# Samples of a kind that has previews but whose file cannot give one: a part of the reason each gives.
FAILING = {
    "AAC.aac": "no cover art",
    "AIFF.aif": "no cover art",
    "FLAC.flac": "no cover art",
    "RIFF.wav": "no cover art",
    "Real.ra": "no cover art",  # its tags are Latin-1
    "APE.mpc": "FFmpeg cannot read this file",
    "Real.rm": "FFmpeg cannot read this file",
    "Matroska.mkv": "FFmpeg cannot read this file (End of file)",
    "QuickTime.mov": "could not be decoded: End of file",  # frames stripped from the sample
    "QuickTime.heic": "could not be decoded",  # pixel data stripped from the sample
    "CanonRaw.cr3": "LibRaw cannot read this RAW file",  # stripped: no embedded preview, no sensor data
    "Minolta.mrw": "LibRaw cannot read this RAW file",
    "Sigma.x3f": "LibRaw cannot read this RAW file",
    "DPX.dpx": "no decoder here reads this kind of image",
    "DjVu.djvu": "no decoder here reads this kind of image",
    "JXL.jxl": "no decoder here reads this kind of image",
    "OpenEXR.exr": "no decoder here reads this kind of image",
    "PICT.pict": "no decoder here reads this kind of image",
}
NO_SIZE = frozenset({"PDF.pdf"})  # a page has no pixel size of its own
NO_HASH = frozenset({"PDF.pdf"})  # a page is not compared with photos


@needs_exiftool
async def test_every_sample_that_can_have_a_preview_gets_one(bench: PreviewBench) -> None:
    samples = sorted(EXIFTOOL_SAMPLES.iterdir())
    assets = [await bench.add(path.read_bytes(), path.name) for path in samples]
    renderer = bench.renderer()
    wanted = [asset for asset in assets if renderer.renders(asset)]
    results = dict(zip([a.filename for a in wanted], await renderer.render_many(wanted), strict=True))

    done = {name: r for name, r in results.items() if isinstance(r, RenderedPreview)}
    failed = {name: r.reason for name, r in results.items() if isinstance(r, PreviewFailed)}
    assert set(done) == RENDERED
    assert set(failed) == set(FAILING), failed
    for name, reason in failed.items():
        assert FAILING[name] in reason, (name, reason)
        assert str(bench.store.root) not in reason, reason
        assert "Errno" not in reason, reason
    for name, preview in done.items():
        check_pictures(preview)
        assert (preview.width is None) == (name in NO_SIZE), (name, preview.width)
        assert (preview.phash is None) == (name in NO_HASH), name
    skipped = {a.filename for a in assets} - set(results)
    assert skipped, "some samples (text, fonts, archives...) have no preview at all"
    assert not skipped & (RENDERED | set(FAILING))


# (file name, maker, the mean colour of the preview, its size) for pictures whose decode has one rule.
PictureCase = tuple[str, Callable[[], bytes], tuple[int, int, int], tuple[int, int]]
PICTURES: dict[str, PictureCase] = {
    "EXIF orientation 6 is applied": ("turned.jpg", files.turned_jpeg, files.RED, (40, 60)),
    "CMYK becomes RGB": ("cmyk.jpg", files.cmyk_jpeg, (0, 155, 230), (40, 30)),
    "a Display P3 profile is converted": ("p3.jpg", files.p3_jpeg, (0, 255, 0), (40, 30)),
    "16 bits per sample become 8": ("deep.png", files.png16, (155, 155, 155), (50, 20)),
    "an animation shows its first frame": ("moving.gif", files.animated_gif, files.RED, (30, 20)),
    "a multi-page TIFF shows page 1": ("pages.tif", files.multipage_tiff, files.GREEN, (40, 30)),
    "AVIF": ("still.avif", files.avif, files.BLUE, (48, 32)),
    "HEIC coded with HEVC (libvips here has no HEVC decoder)": (
        "IMG_1.HEIC",
        files.hevc_heic,
        files.RED,
        (48, 32),
    ),
    "HEIF of brand mif1, sniffed as video/mp4": ("still.heif", files.mif1_heif, files.BLUE, (48, 32)),
}


@pytest.mark.parametrize("case", PICTURES.values(), ids=PICTURES.keys())
async def test_generated_picture_is_upright_srgb_and_its_first_frame(
    bench: PreviewBench, case: PictureCase
) -> None:
    filename, make, colour, size = case
    preview = rendered(await bench.render(make(), filename))
    _small, large = check_pictures(preview)
    assert (preview.width, preview.height) == size == (large.width, large.height)
    assert large.bands == 3
    assert mean_colour(large) == pytest.approx(colour, abs=6)
    assert preview.phash is not None


async def test_pdf_shows_its_first_page_at_the_large_size(bench: PreviewBench) -> None:
    preview = rendered(await bench.render(files.two_page_pdf(), "two pages.pdf"))
    _small, large = check_pictures(preview)
    assert max(large.width, large.height) == 1280
    assert large.width / large.height == pytest.approx(200 / 300, abs=0.01)  # page 1, not the wide page 2
    assert mean_colour(large) == pytest.approx((255, 255, 255), abs=1)
    assert (preview.width, preview.height, preview.phash) == (None, None, None)


async def test_video_poster_skips_the_black_opening_and_duration_is_known(bench: PreviewBench) -> None:
    preview = rendered(await bench.render(files.dark_then_bright_video(seconds=5, dark_s=2), "clip.mp4"))
    _small, large = check_pictures(preview)
    assert (preview.width, preview.height) == (64, 48)
    assert min(mean_colour(large)) > 150, "the poster is a frame of the black opening"
    assert preview.duration_s == pytest.approx(5.0, abs=0.2)
    assert preview.phash is not None


async def test_sound_shows_its_cover_art_and_one_without_fails_clearly(bench: PreviewBench) -> None:
    cover = files.jpeg(files.noise(64, 64) // 4 + 100)  # mean grey about 132
    renderer = bench.renderer()
    with_cover, without = [
        await bench.add(files.mp3(cover=c), f"{n}.mp3") for n, c in (("c", cover), ("n", None))
    ]
    assert renderer.renders(with_cover)
    assert renderer.renders(without)
    preview, failure = await renderer.render_many([with_cover, without])

    _small, large = check_pictures(rendered(preview))
    assert (large.width, large.height) == (64, 64)
    assert mean_colour(large) == pytest.approx((132, 132, 132), abs=6)
    assert rendered(preview).duration_s == pytest.approx(1.0, abs=0.2)
    assert rendered(preview).phash is None
    assert isinstance(failure, PreviewFailed)
    assert failure.reason == "the sound file has no cover art"


@needs_exiftool
async def test_raw_shows_the_picture_the_camera_embedded(bench: PreviewBench) -> None:
    raw = EXIFTOOL_SAMPLES / "FujiFilm.raf"
    assert EXIFTOOL is not None
    embedded = (await anyio.run_process([EXIFTOOL, "-b", "-PreviewImage", str(raw)], check=True)).stdout
    expected = pyvips.Image.new_from_buffer(embedded, "")

    preview = rendered(await bench.render(raw.read_bytes(), raw.name))
    _small, large = check_pictures(preview)
    assert (large.width, large.height) == (expected.width, expected.height)
    assert mean_colour(large) == pytest.approx(mean_colour(expected), abs=6)
    assert preview.phash is not None


async def test_look_alike_hashes_match_copies_of_a_photo_and_not_other_photos(bench: PreviewBench) -> None:
    photo = files.photo_like(seed=11)
    width = photo.shape[1]
    cut = int(width * 0.04)
    copies = {
        "resized": files.jpeg(photo[::2, ::2]),
        "recompressed": files.jpeg(photo, quality=60),
        "cropped": files.jpeg(photo[:, cut:]),
    }
    original = rendered(await bench.render(files.jpeg(photo), "original.jpg")).phash
    assert original is not None
    near = {
        name: distance(original, rendered(await bench.render(data, f"{name}.jpg")).phash or 0)
        for name, data in copies.items()
    }
    others = [
        distance(
            original,
            rendered(await bench.render(files.jpeg(files.photo_like(seed)), f"other-{seed}.jpg")).phash or 0,
        )
        for seed in range(20, 40)
    ]
    assert max(near.values()) <= DEFAULT_MAX_DISTANCE, near
    assert min(others) > DEFAULT_MAX_DISTANCE, sorted(others)
