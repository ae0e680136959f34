"""The data the in-memory fakes share, copied per unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field

from faceforge_domain.jobs.models import Job, LogEntry
from faceforge_domain.models import Asset, Entity


@dataclass
class MemoryState:
    entities: dict[str, Entity] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    links: dict[tuple[str, str], str | None] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    job_logs: dict[str, list[LogEntry]] = field(default_factory=dict)
    last_log_id: int = 0
