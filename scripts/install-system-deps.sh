#!/usr/bin/env bash
# Installs the apt packages FaceForge needs, only when they are missing (exiftool for metadata,
# chromium for the browser tests).
set -euo pipefail
missing=()
command -v exiftool >/dev/null 2>&1 || missing+=(libimage-exiftool-perl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# aria2c: the large-transfer test downloads in parallel ranges as a real download manager does.
command -v aria2c >/dev/null 2>&1 || missing+=(aria2)
# heif-enc: the preview tests make a HEVC-coded HEIC as phones write it (no sample file has pixels).
command -v heif-enc >/dev/null 2>&1 || missing+=(libheif-examples)
# The desktop launcher: Tauri's build libraries, WebDriver on Xvfb for its end-to-end test, and for
# ./justw package dpkg-shlibdeps (dpkg-dev) and desktop-file-validate (desktop-file-utils).
if command -v dpkg-query >/dev/null 2>&1; then
  # debootstrap: the package install test builds a clean Debian root.
  for pkg in build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev \
    librsvg2-dev libxdo-dev webkit2gtk-driver xvfb xauth dbus-daemon \
    dpkg-dev desktop-file-utils debootstrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: please install: ${missing[*]} (no apt-get here)" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
