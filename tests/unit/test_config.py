"""The config loader: layers and their precedence, environment parsing, path overrides, clear errors."""

from __future__ import annotations

import json
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_adapters.config import (
    ConfigError,
    CoreConfig,
    dotted_to_nested,
    env_values,
    load_config,
    resolve_paths,
)
from faceforge_adapters.home import fixed_paths

ports = st.integers(min_value=1, max_value=65535)
maybe_port = st.none() | ports


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A throwaway home per hypothesis example (function-scoped fixtures are shared across examples)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp) / "home"


def write(path: Path, value: Any) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    path.write_bytes(data)
    return data


@given(cli=maybe_port, env=maybe_port, ports_json=maybe_port, legacy=maybe_port, core_json=maybe_port)
def test_each_setting_comes_from_the_highest_layer_that_sets_it(
    cli: int | None, env: int | None, ports_json: int | None, legacy: int | None, core_json: int | None
) -> None:
    with scratch_home() as home:
        paths = fixed_paths(home)
        if core_json is not None:
            write(paths.core_json, {"network": {"core_port": core_json}})
        if legacy is not None:
            write(paths.legacy_ports_json, {"core": legacy})
        if ports_json is not None:
            write(paths.ports_json, {"core": ports_json})
        environ = {} if env is None else {"FACEFORGE_NETWORK__CORE_PORT": str(env)}
        loaded = load_config(home, env=environ, overrides={"network.core_port": cli}, create=False)
        layers = (cli, env, ports_json, legacy, core_json, 43210)
        assert loaded.config.network.core_port == next(v for v in layers if v is not None)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40))
def test_a_string_setting_takes_any_environment_text_verbatim(text: str) -> None:
    with scratch_home() as home:
        loaded = load_config(home, env={"FACEFORGE_STORAGE__S3__ACCESS_KEY": text}, create=False)
        assert loaded.config.storage.s3.access_key == text


@given(st.integers(min_value=1, max_value=10_000), st.booleans())
def test_environment_numbers_and_booleans_are_parsed(workers: int, enabled: bool) -> None:
    with scratch_home() as home:
        env = {
            "FACEFORGE_JOBS__MAX_CONCURRENT": str(workers),
            "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": json.dumps(enabled),
        }
        config = load_config(home, env=env, create=False).config
        assert config.jobs.max_concurrent == workers
        assert config.tools.exiftool_enabled is enabled


def test_environment_lists_and_section_names_that_are_keywords() -> None:
    with scratch_home() as home:
        env = {"FACEFORGE_IMPORT__ALLOWED_ROOTS": '["/media/a", "/media/b"]'}
        assert load_config(home, env=env, create=False).config.import_.allowed_roots == [
            "/media/a",
            "/media/b",
        ]


def test_variables_without_a_section_separator_are_not_settings() -> None:
    with scratch_home() as home:
        env = {"FACEFORGE_HOME": "/elsewhere", "FACEFORGE_DEBUG": "1", "OTHER__THING": "x"}
        loaded = load_config(home, env=env, create=False)
        assert loaded.config == CoreConfig()
        assert loaded.sources == ()


@given(st.text(alphabet="0123456789abc", min_size=1, max_size=10))
def test_env_values_always_offer_the_raw_text_last(text: str) -> None:
    readings = env_values(text)
    assert readings[-1] == text
    assert len(readings) in (1, 2)


@given(st.lists(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), min_size=1, max_size=5), st.integers())
def test_dotted_keys_nest_one_level_per_part(parts: list[str], value: int) -> None:
    nested: Any = dotted_to_nested(".".join(parts), value)
    for part in parts:
        assert list(nested) == [part]
        nested = nested[part]
    assert nested == value


def test_bad_environment_value_names_the_variable_and_key() -> None:
    with scratch_home() as home, pytest.raises(ConfigError) as caught:
        load_config(home, env={"FACEFORGE_NETWORK__CORE_PORT": "eighty"}, create=False)
    assert caught.value.source == "environment variable FACEFORGE_NETWORK__CORE_PORT"
    assert caught.value.key == "network.core_port"


def test_unknown_environment_key_is_an_error_not_a_silent_no_op() -> None:
    with scratch_home() as home, pytest.raises(ConfigError) as caught:
        load_config(home, env={"FACEFORGE_NETWORK__CORE_PROT": "1"}, create=False)
    assert caught.value.key == "network.core_prot"
    assert caught.value.problem == "unknown key"


def test_command_line_override_errors_name_the_option() -> None:
    with scratch_home() as home, pytest.raises(ConfigError) as caught:
        load_config(home, env={}, overrides={"network.core_port": 70000}, create=False)
    assert caught.value.source == "command-line option for network.core_port"
    assert caught.value.key == "network.core_port"


def test_missing_core_json_is_written_with_a_token_and_owner_only_mode(tmp_path: Path) -> None:
    home = tmp_path / "home"
    loaded = load_config(home, env={})
    token = loaded.config.auth.install_token
    assert len(token) >= 40
    core_json = fixed_paths(home).core_json
    assert stat.S_IMODE(core_json.stat().st_mode) == 0o600
    assert json.loads(core_json.read_text())["auth"]["install_token"] == token
    assert load_config(home, env={}).config.auth.install_token == token  # stable across starts
    assert not list(core_json.parent.glob(".*.tmp"))


def test_without_create_nothing_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    loaded = load_config(home, env={}, create=False)
    assert loaded.config.auth.install_token == ""
    assert not home.exists()


def test_a_valid_file_without_a_token_gets_one_and_keeps_every_other_key(tmp_path: Path) -> None:
    core_json = fixed_paths(tmp_path).core_json
    write(core_json, {"network": {"core_port": 5000}, "jobs": {"max_concurrent": 7}})
    config = load_config(tmp_path, env={}).config
    saved = json.loads(core_json.read_text())
    assert saved["auth"]["install_token"] == config.auth.install_token != ""
    assert saved["network"] == {"core_port": 5000}
    assert saved["jobs"] == {"max_concurrent": 7}


def test_config_dir_and_tmp_dir_cannot_be_moved(tmp_path: Path) -> None:
    for key in ("config_dir", "tmp_dir"):
        write(fixed_paths(tmp_path).core_json, {"paths": {key: "/somewhere"}})
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path, env={}, create=False)
        assert caught.value.key == f"paths.{key}"


def test_path_overrides_resolve_against_home_or_stay_absolute(tmp_path: Path) -> None:
    home = tmp_path / "home"
    elsewhere = tmp_path / "big-disk" / "assets"
    config = msgspec.convert(
        {"paths": {"db_dir": "data/db", "assets_dir": str(elsewhere), "logs_dir": "~/ff-logs"}}, CoreConfig
    )
    paths = resolve_paths(home, config)
    assert paths.db_dir == home / "data" / "db"
    assert paths.db_file == home / "data" / "db" / "core.sqlite3"
    assert paths.assets_dir == elsewhere
    assert paths.logs_dir == Path("~/ff-logs").expanduser()
    assert paths.config_dir == home / "config"
    assert paths.tmp_dir == home / "tmp"
    assert paths.plugins_dir == home / "plugins"


def test_path_override_from_the_environment(tmp_path: Path) -> None:
    loaded = load_config(tmp_path, env={"FACEFORGE_PATHS__PLUGINS_DIR": "extra"}, create=False)
    assert loaded.paths.plugins_dir == tmp_path / "extra"


BAD_FILES: list[tuple[bytes, str | None, str]] = [
    (b'{"network": {"core_port": 43210,}}', None, "line 1"),
    (b'{\n  "network": {\n    "core_port": "43210"\n  }\n}\n', "network.core_port", "Expected `int`"),
    (b'{"network": {"core_port": 0}}', "network.core_port", ">= 1"),
    (b'{"network": {"core_prot": 1}}', "network.core_prot", "unknown key"),
    (b'{"network": 5}', "network", "Expected `object`"),
    (b'{"import": {"allowed_roots": ["/a", 3]}}', "import.allowed_roots.1", "Expected `str`"),
    (b'{"import": {"file_workers": 0}}', "import.file_workers", ">= 1"),
    (b'{"storage": {"routing": {"default_provider": "ftp"}}}', "storage.routing.default_provider", "ftp"),
    (b"[1, 2]", None, "must be a JSON object"),
    (b"", None, "truncated"),
    (b"\xff\xfe{}", None, ""),
]


@pytest.mark.parametrize(("data", "key", "problem"), BAD_FILES)
def test_a_bad_core_json_names_file_and_key_and_is_left_byte_identical(
    tmp_path: Path, data: bytes, key: str | None, problem: str
) -> None:
    core_json = fixed_paths(tmp_path).core_json
    write(core_json, data)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={}, create=True)
    error = caught.value
    assert error.source == str(core_json)
    assert error.key == key
    assert problem in error.problem
    assert str(core_json) in str(error)
    if key:
        assert f"'{key}'" in str(error)
    assert core_json.read_bytes() == data
    assert sorted(p.name for p in core_json.parent.iterdir()) == ["core.json"]


def test_syntax_errors_point_at_line_and_column(tmp_path: Path) -> None:
    core_json = fixed_paths(tmp_path).core_json
    write(core_json, b'{\n  "network": {\n    "core_port": 1,\n  }\n}\n')
    with pytest.raises(ConfigError, match=r"line 4, column 3"):
        load_config(tmp_path, env={}, create=False)


@pytest.mark.parametrize(
    ("content", "key"),
    [({"core": "43210"}, "core"), ({"seaweed_s3": 0}, "seaweed_s3"), ({"core": True}, "core")],
)
def test_a_bad_ports_json_names_the_file_and_key(tmp_path: Path, content: dict[str, Any], key: str) -> None:
    ports_json = fixed_paths(tmp_path).ports_json
    write(ports_json, content)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={}, create=False)
    assert (caught.value.source, caught.value.key) == (str(ports_json), key)


def test_ports_json_sets_both_ports_and_is_listed_as_a_source(tmp_path: Path) -> None:
    paths = fixed_paths(tmp_path)
    write(paths.ports_json, {"core": 5001, "seaweed_s3": 5002})
    loaded = load_config(tmp_path, env={}, create=False)
    assert (loaded.config.network.core_port, loaded.config.network.seaweed_s3_port) == (5001, 5002)
    assert str(paths.ports_json) in loaded.sources
