"""The data the in-memory fakes share, copied per unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field

from faceforge_domain.events import Event
from faceforge_domain.jobs.models import Job, LogEntry
from faceforge_domain.lookalikes import DuplicateGroup
from faceforge_domain.models import Asset, Descriptor, Entity, FieldDefinition, Relationship
from faceforge_domain.plugins.models import PluginRecord
from faceforge_domain.previews import PreviewRecord
from faceforge_domain.sessions import SignInCode, UiSession


@dataclass
class MemoryState:
    entities: dict[str, Entity] = field(default_factory=dict)
    external_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    field_defs: dict[tuple[str, str], FieldDefinition] = field(default_factory=dict)
    descriptors: dict[str, Descriptor] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    links: dict[tuple[str, str], str | None] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    job_logs: dict[str, list[LogEntry]] = field(default_factory=dict)
    last_log_id: int = 0
    events: list[Event] = field(default_factory=list)
    last_event_id: int = 0
    plugins: dict[str, PluginRecord] = field(default_factory=dict)
    plugin_registry_changes: int = 0
    sessions: dict[str, UiSession] = field(default_factory=dict)
    sign_in_codes: dict[str, SignInCode] = field(default_factory=dict)
    previews: dict[str, PreviewRecord] = field(default_factory=dict)
    lookalikes: dict[str, int] = field(default_factory=dict)
    duplicate_groups: dict[str, DuplicateGroup] = field(default_factory=dict)
    dismissed_pairs: set[tuple[str, str]] = field(default_factory=set)

    def forget_asset(self, asset_id: str) -> None:
        """What the database's cascades do when an asset's record goes for good."""
        self.previews.pop(asset_id, None)
        self.lookalikes.pop(asset_id, None)
        self.dismissed_pairs = {pair for pair in self.dismissed_pairs if asset_id not in pair}
        for group in self.duplicate_groups.values():
            group.members = [m for m in group.members if m.asset_id != asset_id]
            if group.kept_asset_id == asset_id:
                group.kept_asset_id = None
