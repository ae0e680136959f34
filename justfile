# The one list of FaceForge commands. Run through ./justw, which bootstraps `just` and `uv` from PyPI.
set shell := ["bash", "-euo", "pipefail", "-c"]

export UV_PYTHON_DOWNLOADS := "never"
export UV_PROJECT_ENVIRONMENT := justfile_directory() / ".venv"

# List the recipes.
default:
    @just --list

# Install system tools (exiftool) and the locked Python environment.
setup: system-deps
    uv sync --locked --python python3 --quiet

# apt packages FaceForge uses at run time and in tests, installed only when missing.
system-deps:
    scripts/install-system-deps.sh

# Start FaceForge Core (SQLite + filesystem storage by default).
run *ARGS: setup
    uv run --no-sync faceforge serve {{ARGS}}

# The whole gate: lint, format check, type check, architecture contract, every test.
test: setup lint typecheck arch test-desktop
    uv run --no-sync pytest

# The desktop launcher: supervisor tests, the app build, then the app end to end on a virtual display
# (WebKitWebDriver). Compiled crates are cached outside the checkout (CARGO_TARGET_DIR), so a fresh
# clone on the same machine does not rebuild ~330 crates from scratch.
test-desktop: setup
    #!/usr/bin/env bash
    set -euo pipefail
    export PATH="$PATH:$HOME/.cargo/bin"  # rustup's default place, when the shell profile was not read
    if ! command -v cargo >/dev/null 2>&1; then
      echo "test-desktop: no cargo found; installing Debian's cargo (Tauri v2 needs Rust 1.77 or newer)" >&2
      if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
      $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q cargo >/dev/null
    fi
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faceforge/desktop-target}"
    (cd desktop && cargo test --workspace --locked && cargo build -p faceforge-desktop --locked)
    dbus-run-session -- xvfb-run -a uv run --no-sync pytest desktop/e2e -p no:cacheprovider

# FaceForge Desktop's Linux packages in dist/: faceforge_<version>_amd64.deb, the portable
# faceforge-desktop_<version>_linux-x86_64.tar.gz and SHA256SUMS. Each step is cached: the frozen Core by
# its inputs' hash, the release launcher by cargo (shared CARGO_TARGET_DIR), the packages under
# ${XDG_CACHE_HOME:-~/.cache}/faceforge/package/. See docs/packaging.md.
package: setup
    #!/usr/bin/env bash
    set -euo pipefail
    export PATH="$PATH:$HOME/.cargo/bin"  # rustup's default place, when the shell profile was not read
    core="$(dirname "$(uv run --no-sync python packaging/freeze_core.py --print-path)")"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faceforge/desktop-target}"
    # The release launcher names its sources by neutral prefixes, not by this machine's folders.
    export RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo --remap-path-prefix=$PWD=/faceforge"
    (cd desktop && cargo build -p faceforge-desktop --release --locked --features custom-protocol)
    uv run --no-sync python packaging/desktop_package.py --core "$core" \
      --launcher "$CARGO_TARGET_DIR/release/faceforge-desktop" --dist dist

# Set the version everywhere: pyproject.toml is the source, the lock files and the desktop app are
# stamped from it (without NEW: re-stamp pyproject's version). A test fails while any of them disagrees.
version NEW="":
    python3 scripts/stamp_version.py {{NEW}}
    uv sync --locked --python python3 --quiet

# ruff lint and format check.
lint:
    uv run --no-sync ruff check src tests bench packaging
    uv run --no-sync ruff format --check src tests bench packaging

# Format the code.
fmt:
    uv run --no-sync ruff format src tests bench packaging
    uv run --no-sync ruff check --fix src tests bench packaging

# mypy --strict over the sources.
typecheck:
    uv run --no-sync mypy --strict src

# The dependency rule (domain pure, adapters never import http), via import-linter.
arch:
    uv run --no-sync lint-imports

# One test layer: unit, integration, http or e2e.
test-layer LAYER *ARGS: setup
    uv run --no-sync pytest tests/{{LAYER}} {{ARGS}}

# Core frozen with PyInstaller into one folder, ExifTool and weed bundled in its tools/; cached by a hash
# of its inputs under ${XDG_CACHE_HOME:-~/.cache}/faceforge/frozen-core/ and exposed at build/core/faceforge.
freeze: setup
    uv run --no-sync python packaging/freeze_core.py --print-path

# Benchmarks: print figures beside a reference measured in the same run.
bench NAME="all" *ARGS: setup
    uv run --no-sync python bench/run.py {{NAME}} {{ARGS}}
