"""``faceforge plugin``: the same registry from the command line, no server needed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from faceforge_cli.main import app

HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plugin", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_discovers_enables_configures_and_disables(home: Path) -> None:
    shutil.copytree(HELLO_DIR, home / "plugins" / "hello")
    code, out, _ = run("rescan", "--json")
    assert code == 0
    assert json.loads(out)[0]["status"] == "disabled"
    code, _, err = run("enable", "hello", "--grant", "assets:read")
    assert code == 2
    assert "'assets:write'" in err
    code, out, _ = run("enable", "hello", "-g", "assets:read,assets:write", "-g", "jobs:run", "--json")
    assert code == 0
    enabled = json.loads(out)
    assert enabled["plugin"]["status"] == "enabled"
    assert enabled["token"].startswith("ffp_")
    code, _, err = run("config", "set", "hello", '{"repeat": 9}')
    assert code == 2
    assert "/repeat" in err
    code, out, _ = run("config", "set", "hello", "--merge", '{"greeting": "Hi"}')
    assert code == 0
    assert json.loads(out)["greeting"] == "Hi"
    code, out, _ = run("config", "get", "hello")
    assert json.loads(out)["repeat"] == 1
    code, out, _ = run("show", "hello")
    assert "granted:" in out
    assert run("disable", "hello")[0] == 0
    code, out, _ = run("list")
    assert "disabled" in out


def test_an_unknown_plugin_is_a_clear_error(home: Path) -> None:
    code, _, err = run("show", "nope")
    assert code == 1
    assert "plugin 'nope' was not found" in err
    code, _, err = run("config", "set", "nope", "[1]")
    assert code == 2
    assert "JSON object" in err
