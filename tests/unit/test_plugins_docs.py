"""The plugin author's guide must cover every manifest field, capability, permission and status."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from faceforge_domain.plugins.models import CAPABILITIES, PLUGIN_STATUSES, PluginManifest
from faceforge_domain.plugins.permissions import KNOWN_PERMISSIONS

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
FIELDS = [f.encode_name for f in msgspec.structs.fields(PluginManifest)]


@pytest.mark.parametrize("name", [*FIELDS, *CAPABILITIES, *KNOWN_PERMISSIONS, *PLUGIN_STATUSES, "fs:<scope>"])
def test_the_guide_documents(name: str) -> None:
    assert f"`{name}`" in GUIDE
