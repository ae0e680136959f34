"""The one lookup for files Core loads by path: every folder it names ships with the sources (the freeze
collects the same list), and a missing one fails with a message that says to reinstall."""

from __future__ import annotations

import pytest

from faceforge_adapters.resources import (
    MIGRATIONS,
    RESOURCE_DIRS,
    UI_TEMPLATES,
    MissingResource,
    frozen_folder,
    packages_root,
    resource_dir,
)


@pytest.mark.parametrize("parts", RESOURCE_DIRS, ids="/".join)
def test_every_resource_folder_is_found_and_not_empty(parts: tuple[str, ...]) -> None:
    folder = resource_dir(parts)

    assert folder == packages_root().joinpath(*parts)
    assert any(folder.iterdir())


def test_templates_and_migrations_are_where_the_ui_and_the_database_read_them() -> None:
    assert (resource_dir(UI_TEMPLATES) / "login.html").is_file()
    assert sorted(p.name for p in resource_dir(MIGRATIONS).glob("0001_*.sql"))


def test_a_missing_folder_names_its_path_and_says_to_reinstall() -> None:
    with pytest.raises(MissingResource, match="reinstall FaceForge") as raised:
        resource_dir(("faceforge_http", "no-such-folder"))

    assert raised.value.path == packages_root() / "faceforge_http" / "no-such-folder"


def test_from_python_sources_there_is_no_frozen_folder() -> None:
    assert frozen_folder() is None
