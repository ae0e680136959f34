"""The security defaults of a fresh home, checked on ``faceforge serve`` started as a user starts it:
loopback only, the token required under /v1, the config and its token owner-only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from test_serve import fetch, serving

LISTEN = "0A"  # the TCP state of a listening socket in /proc/net/tcp*


def listening_addresses(port: int) -> list[str]:
    """The local addresses (hex, as the kernel lists them) with a socket listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the Linux socket table")
def test_a_fresh_home_listens_on_127_0_0_1_only(tmp_path: Path) -> None:
    with serving(tmp_path / "ffhome") as (_, port):
        assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, not 0.0.0.0 nor ::


WITHOUT_THE_TOKEN = [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"X-FaceForge-Token": ""},
    {"Cookie": "ff_session=wrong; ff_token=wrong"},
]


def test_v1_refuses_every_request_without_the_right_token(tmp_path: Path) -> None:
    with serving(tmp_path / "ffhome") as (_, port):
        for headers in WITHOUT_THE_TOKEN:
            status, body = fetch(f"http://127.0.0.1:{port}/v1/entities", headers)
            assert (status, body["error"]["code"]) == (401, "unauthorized"), headers


def test_a_fresh_homes_folders_config_and_token_are_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    with serving(home):
        core_json = home / "config" / "core.json"
        assert json.loads(core_json.read_text())["auth"]["install_token"]
        folders = [home, *(p for p in home.iterdir() if p.is_dir())]
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folders} == {p.name: 0o700 for p in folders}
        config_files = [p for p in (home / "config").iterdir() if p.is_file()]
        assert core_json in config_files
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in config_files} == {
            p.name: 0o600 for p in config_files
        }
