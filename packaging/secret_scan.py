#!/usr/bin/env python3
"""Scan a built package (or any folder) for what must never ship: secrets and the build machine's paths.

    python3 packaging/secret_scan.py FOLDER [--path /extra/build/path ...] [--token TOKEN ...]

Exit 0 when clean, 1 with one line per finding. Every file is read as bytes, so strings inside binaries
(the frozen Core, shared libraries, archives stored uncompressed) are found too. It reports:

- ``env_file``: a ``.env`` file (``.env``, ``.env.local``...);
- ``private_key``: a PEM private key header;
- ``aws_key``: an AWS access key id (``AKIA``/``ASIA`` + 16) or a named AWS secret access key;
- ``faceforge_token``: an install token as Core writes it into ``config/core.json`` (``install_token``
  followed by a 43-character URL-safe value), or any token given with ``--token`` (e.g. the build
  machine's own home's), wherever it appears;
- ``build_path``: an absolute path of the build machine: the checkout, ``$HOME``, ``/root/``, the venv
  (``sys.prefix``) and any ``--path``.

Standard library only, so a package test can run it on the unpacked package with any Python.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
OVERLAP = 4096  # a match spanning two chunks is still found (longer than any pattern here)
CHECKOUT = Path(__file__).resolve().parent.parent
ENV_FILE = re.compile(r"^\.env(\..+)?$")
SHAPES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("private_key", re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("aws_key", re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("aws_key", re.compile(rb"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}")),
    ("faceforge_token", re.compile(rb"install_token[\"']?\s*[:=]\s*[\"'][A-Za-z0-9_-]{43}[\"']")),
)


@dataclass(frozen=True, order=True)
class Finding:
    """One thing that must not ship: where (file, byte offset), what kind, and what matched (masked)."""

    path: Path
    offset: int
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.offset}: {self.kind}: {self.excerpt}"


def build_paths(extra: Iterable[str] = ()) -> list[str]:
    """The build machine's absolute paths to look for (the root folder alone is never one)."""
    candidates = [str(CHECKOUT), os.environ.get("HOME", ""), "/root", sys.prefix, *extra]
    return sorted({c.rstrip("/") for c in candidates if c.strip("/")}, key=len, reverse=True)


def _mask(found: bytes, kind: str) -> str:
    """Paths are shown; secrets only by their first characters."""
    text = found.decode("utf-8", "replace")
    return text if kind == "build_path" else text[:12] + "..."


def _patterns(paths: Iterable[str], tokens: Iterable[str]) -> list[tuple[str, re.Pattern[bytes]]]:
    # A path stands alone: ``/root`` is found in ``/root/x`` but not in ``/rootElement`` or ``</root>``.
    alone = [rb"(?<![\w.<-])" + re.escape(p.encode()) + rb"(?![\w.-])" for p in paths]
    named = [("build_path", re.compile(pattern)) for pattern in alone]
    named += [("faceforge_token", re.compile(re.escape(t.encode()))) for t in tokens if t]
    return [*SHAPES, *named]


def _chunks(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        start, tail = 0, b""
        while block := handle.read(CHUNK):
            yield start - len(tail), tail + block
            start += len(block)
            tail = block[-OVERLAP:]


def scan_file(path: Path, patterns: list[tuple[str, re.Pattern[bytes]]]) -> list[Finding]:
    found: set[Finding] = set()
    for base, data in _chunks(path):
        for kind, pattern in patterns:
            for match in pattern.finditer(data):
                found.add(Finding(path, base + match.start(), kind, _mask(match.group(), kind)))
    return sorted(found)


def scan_for_secrets(
    root: Path, *, extra_paths: Iterable[str] = (), tokens: Iterable[str] = ()
) -> list[Finding]:
    """Every finding under ``root`` (files and symlinks' names; links are not followed), sorted."""
    patterns = _patterns(build_paths(extra_paths), tokens)
    findings: list[Finding] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if ENV_FILE.match(name):
                findings.append(Finding(path, 0, "env_file", name))
            if path.is_symlink() or not path.is_file():
                continue
            findings.extend(scan_file(path, patterns))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--path", action="append", default=[], help="another build path to look for")
    parser.add_argument("--token", action="append", default=[], help="a token that must not appear")
    args = parser.parse_args(argv)
    findings = scan_for_secrets(args.root, extra_paths=args.path, tokens=args.token)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s) under {args.root}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
