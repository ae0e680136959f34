"""The real ``faceforge`` console script, run in subprocesses the way a user runs it (no server)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from faceforge_adapters.bootstrap import bootstrap

FACEFORGE = Path(sys.executable).parent / "faceforge"
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLE_JPEG = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples" / "Apple.jpg"


def ff(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update({"FACEFORGE_HOME": str(home), **(extra_env or {})})
    return subprocess.run(
        [str(FACEFORGE), *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    done = ff(home, *args, extra_env=extra_env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ok_json(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> Any:
    return json.loads(ok(home, *args, extra_env=extra_env))


def query(home: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "db" / "core.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ffhome"


def test_entity_create_works_without_a_server(home: Path) -> None:
    entity_id, name = ok(home, "entity", "create", "Ada Lovelace").strip().split("  ", 1)
    assert name == "Ada Lovelace"
    assert query(home, "SELECT display_name FROM entities WHERE entity_id = ?", entity_id) == [
        ("Ada Lovelace",)
    ]
    created = ok_json(home, "entity", "create", "Charles Babbage", "--json")
    assert created["display_name"] == "Charles Babbage"
    assert query(home, "SELECT count(*) FROM entities") == [(2,)]


def test_asset_add_stores_the_file_under_its_content_hash(home: Path) -> None:
    digest = hashlib.sha256(SAMPLE_JPEG.read_bytes()).hexdigest()
    added = ok_json(home, "asset", "add", str(SAMPLE_JPEG), "--json")
    assert added["asset_id"] == digest
    assert added["kind"] == "image.original"
    assert added["deduplicated"] is False
    assert added["size_bytes"] == SAMPLE_JPEG.stat().st_size
    blobs = [p for p in (home / "assets").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in blobs] == [SAMPLE_JPEG.read_bytes()]
    assert "(already stored)" in ok(home, "asset", "add", str(SAMPLE_JPEG))
    assert query(home, "SELECT count(*) FROM assets") == [(1,)]


def test_asset_add_of_a_missing_file_exits_2_and_stores_nothing(home: Path) -> None:
    done = ff(home, "asset", "add", str(home.parent / "nope.jpg"))
    assert done.returncode == 2
    assert "nope.jpg is not a readable file" in done.stderr
    assert not (home / "assets").exists() or not any(p.is_file() for p in (home / "assets").rglob("*"))


def test_home_lists_the_resolved_folders(home: Path) -> None:
    info = ok_json(home, "home", "--json")
    assert info["home"] == str(home)
    assert info["config_file"] == str(home / "config" / "core.json")
    assert info["database"] == str(home / "db" / "core.sqlite3")
    text = ok(home, "home")
    assert f"home         {home}" in text


def test_without_faceforge_home_the_os_data_dir_is_used_never_the_working_directory(tmp_path: Path) -> None:
    user, cwd = tmp_path / "user", tmp_path / "cwd"
    user.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACEFORGE_", "XDG_"))}
    env["HOME"] = str(user)
    done = subprocess.run(
        [str(FACEFORGE), "token", "show"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    core_json = user / ".local" / "share" / "faceforge" / "config" / "core.json"
    assert json.loads(core_json.read_text())["auth"]["install_token"] == done.stdout.strip()
    assert list(cwd.iterdir()) == []


def test_config_show_hides_secrets_unless_asked_and_reports_layers(home: Path) -> None:
    token = ok(home, "token", "show").strip()
    shown = ok_json(home, "config", "show", extra_env={"FACEFORGE_NETWORK__CORE_PORT": "5000"})
    assert shown["config"]["network"]["core_port"] == 5000
    assert shown["sources"] == [str(home / "config" / "core.json"), "FACEFORGE_NETWORK__CORE_PORT"]
    assert token not in json.dumps(shown)
    assert shown["config"]["auth"]["install_token"].startswith("[hidden")
    assert ok_json(home, "config", "show", "--show-secrets")["config"]["auth"]["install_token"] == token


def test_config_validate_accepts_a_good_setup(home: Path) -> None:
    ok(home, "token", "show")
    assert "configuration is valid" in ok(home, "config", "validate")


def test_token_rotate_replaces_the_token_and_keeps_the_rest_of_the_file(home: Path) -> None:
    core_json = home / "config" / "core.json"
    old = ok(home, "token", "show").strip()
    saved = json.loads(core_json.read_text())
    saved["jobs"] = {"max_concurrent": 3}
    core_json.write_text(json.dumps(saved))
    new = ok(home, "token", "rotate").strip()
    assert new != old
    assert len(new) >= 40
    assert ok(home, "token", "show").strip() == new
    after = json.loads(core_json.read_text())
    assert after["auth"]["install_token"] == new
    assert after["jobs"] == {"max_concurrent": 3}
    assert stat.S_IMODE(core_json.stat().st_mode) == 0o600


def test_db_migrate_then_status(home: Path) -> None:
    assert "applied" in ok(home, "db", "migrate")
    assert ok(home, "db", "migrate").strip() == "database is up to date"
    status = ok_json(home, "db", "status", "--json")
    assert status["current"] == status["latest"]
    assert status["pending"] == []
    assert status["applied"][0]["version"] == 1


def test_db_status_refuses_a_newer_database_with_exit_2(home: Path) -> None:
    ok(home, "db", "migrate")
    with sqlite3.connect(home / "db" / "core.sqlite3") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x', '2030-01-01T00:00:00.000Z')")
    for command in (("db", "status"), ("db", "migrate"), ("entity", "create", "Ada")):
        done = ff(home, *command)
        assert done.returncode == 2, command
        assert "newer than this FaceForge" in done.stderr
        assert "Traceback" not in done.stderr
    assert query(home, "SELECT count(*) FROM entities") == [(0,)]


def test_doctor_reports_every_check_as_json(home: Path) -> None:
    ok(home, "db", "migrate")
    report = ok_json(home, "doctor", "--json")
    checks = {"python", "faceforge", "home", "database", "exiftool", "weed", "preview_engines", "core_port"}
    assert set(report) >= checks
    assert report["database"]["ok"] is True
    assert report["exiftool"]["ok"] is True
    assert report["exiftool"]["version"]
    assert report["weed"]["ok"] is True
    assert report["preview_engines"]["ok"] is True
    assert report["preview_engines"]["libvips"]
    text = ok(home, "doctor")
    assert "[ok  ] python" in text
    assert "[ok  ] preview_engines  libvips=" in text


def test_doctor_reports_what_a_dead_process_left_in_tmp_and_the_servers_start_removes_it(home: Path) -> None:
    ok(home, "db", "migrate")
    dead = home / "tmp" / "core-4242-0123456789ab"  # no lock held: the process is gone
    (dead / "exiftool" / "batch-1").mkdir(parents=True)
    (dead / "exiftool" / "batch-1" / "photo.jpg").write_bytes(b"j" * 100)
    (dead / "upload-0.part").write_bytes(b"u" * 900)
    report = ok_json(home, "doctor", "--json")["tmp_leftovers"]
    assert report == {"ok": False, "entries": 1, "bytes": 1000, "note": "removed when the server next starts"}
    assert "[WARN] tmp_leftovers" in ok(home, "doctor")
    ok(home, "entity", "create", "Ada")  # a one-shot command sweeps nothing
    assert dead.exists()
    anyio.run(start_and_stop_core_as_the_server_does, home)
    assert not dead.exists()
    assert ok_json(home, "doctor", "--json")["tmp_leftovers"] == {
        "ok": True,
        "entries": 0,
        "bytes": 0,
        "note": None,
    }


async def start_and_stop_core_as_the_server_does(home: Path) -> None:
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}):
        pass


BROKEN_CONFIGS = [
    pytest.param(b'{"network": {"core_port": 43210,,}}\n', "line 1", id="syntax-error"),
    pytest.param(b'{"network": {"core_port": "43210"}}\n', "network.core_port", id="wrong-type"),
]


@pytest.mark.parametrize(("data", "named"), BROKEN_CONFIGS)
@pytest.mark.parametrize(
    "command", [("serve", "--port", "1"), ("config", "validate"), ("entity", "create", "Ada")], ids=" ".join
)
def test_a_broken_core_json_stops_with_exit_2_naming_file_and_key_and_stays_untouched(
    home: Path, data: bytes, named: str, command: tuple[str, ...]
) -> None:
    core_json = home / "config" / "core.json"
    core_json.parent.mkdir(parents=True)
    core_json.write_bytes(data)
    done = ff(home, *command)
    assert done.returncode == 2
    assert str(core_json) in done.stderr
    assert named in done.stderr
    assert "Traceback" not in done.stderr
    assert "Uvicorn running" not in done.stderr + done.stdout
    assert core_json.read_bytes() == data
    assert sorted(p.name for p in core_json.parent.iterdir()) == ["core.json"]
    assert not (home / "db").exists()


def test_a_bad_environment_value_names_the_variable(home: Path) -> None:
    done = ff(home, "config", "validate", extra_env={"FACEFORGE_NETWORK__CORE_PORT": "http"})
    assert done.returncode == 2
    assert "FACEFORGE_NETWORK__CORE_PORT" in done.stderr
    assert "network.core_port" in done.stderr
