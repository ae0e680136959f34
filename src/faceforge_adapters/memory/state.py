"""The data the in-memory fakes share, copied per unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field

from faceforge_domain.events import Event
from faceforge_domain.jobs.models import Job, LogEntry
from faceforge_domain.models import Asset, Descriptor, Entity, FieldDefinition, Relationship
from faceforge_domain.plugins.models import PluginRecord
from faceforge_domain.previews import PreviewRecord
from faceforge_domain.sessions import UiSession


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
    sessions: dict[str, UiSession] = field(default_factory=dict)
    previews: dict[str, PreviewRecord] = field(default_factory=dict)
