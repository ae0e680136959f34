"""The frozen ``faceforge`` executable's entry point: the same CLI as the installed console script, or a
preview worker when the pool started it (``MARKER`` in its environment; see
``faceforge_adapters/previews/pool.py``). The worker is chosen first, before the CLI and the server it
imports are loaded, so a worker starts as fast as the decoders it needs allow."""

import os
import sys

from faceforge_adapters.previews.protocol import MARKER


def run() -> int:
    if os.environ.get(MARKER):
        from faceforge_adapters.previews.worker import main as serve_previews

        return serve_previews()
    from faceforge_cli.main import main

    main()
    return 0


if __name__ == "__main__":
    sys.exit(run())
