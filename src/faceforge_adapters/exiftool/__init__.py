"""ExifTool: the exact parameters, a one-shot runner, a pool of ``-stay_open`` workers, and (``blocking``)
one ``-stay_open`` process for a caller without an event loop."""

from faceforge_adapters.exiftool.args import PARAMETERS, write_argfile
from faceforge_adapters.exiftool.extractor import ExifToolExtractor, timeout_for
from faceforge_adapters.exiftool.oneshot import run_oneshot
from faceforge_adapters.exiftool.pool import ExifToolPool

__all__ = ["PARAMETERS", "ExifToolExtractor", "ExifToolPool", "run_oneshot", "timeout_for", "write_argfile"]
