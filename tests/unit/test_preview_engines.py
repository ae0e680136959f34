"""The preview engines doctor reports: each one's version from the library the worker decodes with, a
library that does not load is a note rather than a crash, and Core's process loads none of them at start
(only the workers, and doctor when asked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from faceforge_adapters.previews.engines import PROBES, engines, probe

DECODER_LIBRARIES = ("pyvips", "av", "pypdfium2", "rawpy", "pi_heif", "PIL", "numpy")
# What a server or a CLI command imports on its way up, the preview pool included.
CORE_START = (
    "faceforge_cli.main",
    "faceforge_adapters.bootstrap",
    "faceforge_adapters.previews.pool",
    "faceforge_adapters.previews.engines",
)


def test_every_engine_answers_its_version() -> None:
    found = engines()
    assert [engine.name for engine in found] == list(PROBES)
    assert list(PROBES) == ["libvips", "ffmpeg", "pdfium", "libraw", "libheif"]
    for engine in found:
        assert engine.found, engine
        assert engine.note is None
        assert engine.version is not None
        assert re.match(r"\d+\.\d+", engine.version), engine


def test_the_heic_decoder_and_libavcodec_are_named() -> None:
    versions = {engine.name: engine.version for engine in engines()}
    assert "libde265" in str(versions["libheif"])
    assert "libavcodec" in str(versions["ffmpeg"])


def missing_library() -> str:
    import faceforge_no_such_engine  # type: ignore[import-not-found]

    return str(faceforge_no_such_engine)


def unloadable_shared_library() -> str:
    raise OSError("libvips.so.42: cannot open shared object file")


def test_an_engine_that_does_not_load_is_a_note_not_a_crash() -> None:
    missing = probe("missing", missing_library)
    assert (missing.found, missing.version) == (False, None)
    assert missing.note == "cannot be loaded: No module named 'faceforge_no_such_engine'"
    broken = probe("broken", unloadable_shared_library)
    assert broken.note == "cannot be loaded: libvips.so.42: cannot open shared object file"


def test_core_start_loads_no_decoder_library() -> None:
    imports = "".join(f"import {module}\n" for module in CORE_START)
    report = f"import json, sys\nprint(json.dumps([m for m in {DECODER_LIBRARIES!r} if m in sys.modules]))"
    script = imports + report
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
