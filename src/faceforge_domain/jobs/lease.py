"""Leases for external runners: how long a claim lives without news, and what happens when it lapses.

A runner that claims a job holds it only while it keeps calling (heartbeat, progress, log). When it
falls silent past the lease, Core presumes it dead: the job goes back to the queue for another runner,
until ``max_attempts`` claims have been lost, after which it fails ``runner_lost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from faceforge_domain.jobs.models import Job

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 3
MIN_SWEEP_S = 0.2
MAX_SWEEP_S = 5.0

Lapse = Literal["requeue", "fail", "cancel"]


@dataclass(frozen=True, slots=True)
class LeasePolicy:
    duration: timedelta = DEFAULT_LEASE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("a lease must last a positive time")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be 1 or more")

    @property
    def sweep_interval_s(self) -> float:
        """How often to look for lapsed leases: a quarter lease, so a dead runner is noticed soon."""
        return min(MAX_SWEEP_S, max(MIN_SWEEP_S, self.duration.total_seconds() / 4))

    def expires(self, now: datetime) -> datetime:
        return now + self.duration

    def lapse(self, job: Job) -> Lapse:
        """What a lapsed lease does to its job: a cancel in flight ends it, spent attempts fail it."""
        if job.status == "cancel_requested":
            return "cancel"
        return "fail" if job.attempts >= self.max_attempts else "requeue"


def lapsed(job: Job, now: datetime) -> bool:
    return job.lease_expires_at is not None and job.lease_expires_at <= now
