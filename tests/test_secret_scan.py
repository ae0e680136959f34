"""The package secret scan: planted secrets and build paths are found, in text and in binaries; a
clean tree has none."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from script_support import ROOT, load_script

scan = load_script("packaging/secret_scan.py")

TOKEN = secrets.token_urlsafe(32)  # as Core makes an install token
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # split so this file is not itself a finding


def binary_with(text: str) -> bytes:
    """Bytes as a compiled program holds a string: amid other bytes, NUL-terminated."""
    return os.urandom(5000).replace(b"AKIA", b"AKIB") + b"\0" + text.encode() + b"\0" + bytes(range(256)) * 40


def kinds(root: Path, **options: object) -> list[tuple[str, str]]:
    return [(f.path.relative_to(root).as_posix(), f.kind) for f in scan.scan_for_secrets(root, **options)]


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("key.pem", b"-----BEGIN " + b"OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n", "private_key"),
        ("lib/libx.so", binary_with("-----BEGIN " + "RSA PRIVATE KEY-----"), "private_key"),
        ("notes.txt", f"id {AWS_ID} here".encode(), "aws_key"),
        ("bin/core", binary_with(AWS_ID), "aws_key"),
        ("creds", b"aws_secret_access_key = " + b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_key"),
        ("config/core.json", f'{{"auth": {{"install_token": "{TOKEN}"}}}}'.encode(), "faceforge_token"),
        ("_internal/base_library.zip", binary_with(f"{ROOT}/src/faceforge_cli/main.py"), "build_path"),
        ("share/app.desktop", b"Exec=/root/.cargo/bin/faceforge-desktop", "build_path"),
        ("lib/python.so", binary_with(f"{sys.prefix}/lib/python3.11"), "build_path"),
    ],
)
def test_a_planted_secret_or_build_path_is_found_where_it_is(
    tmp_path: Path, name: str, content: bytes, kind: str
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(content)
    assert (name, kind) in kinds(tmp_path)


def test_env_files_are_found_by_name_even_when_empty(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".env").write_text("")
    (tmp_path / ".env.production").write_text("X=1\n")
    (tmp_path / "environment.txt").write_text("fine\n")
    assert kinds(tmp_path) == [(".env.production", "env_file"), ("app/.env", "env_file")]


def test_a_known_token_is_found_anywhere_and_never_printed_whole(tmp_path: Path) -> None:
    (tmp_path / "run.log").write_bytes(binary_with(f"Bearer {TOKEN}"))
    [finding] = scan.scan_for_secrets(tmp_path, tokens=[TOKEN])
    assert finding.kind == "faceforge_token"
    assert TOKEN not in str(finding)


def test_a_match_across_the_read_boundary_is_found(tmp_path: Path) -> None:
    data = b"x" * (scan.CHUNK - 10) + AWS_ID.encode() + b"y" * 100
    (tmp_path / "big.bin").write_bytes(data)
    [finding] = scan.scan_for_secrets(tmp_path)
    assert (finding.kind, finding.offset) == ("aws_key", scan.CHUNK - 10)


def test_a_clean_tree_has_no_finding(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "faceforge").write_bytes(binary_with("usage: faceforge [OPTIONS] COMMAND"))
    (tmp_path / "README.txt").write_text("Install token: run `faceforge token show`. Keys live in ~/.ssh.\n")
    (tmp_path / "bin" / "link").symlink_to("/root/elsewhere")
    assert kinds(tmp_path) == []


def test_the_web_ui_assets_and_templates_ship_clean() -> None:
    ui = ROOT / "src" / "faceforge_http"
    assert [str(f) for f in scan.scan_for_secrets(ui / "static")] == []
    assert [str(f) for f in scan.scan_for_secrets(ui / "ui")] == []


def test_the_command_line_exits_1_and_lists_each_finding(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"built in {ROOT}\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "secret_scan.py"), str(tmp_path), "--path", "/opt/build"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"a.txt:9: build_path: {ROOT}" in done.stdout
    assert "1 finding(s)" in done.stderr
