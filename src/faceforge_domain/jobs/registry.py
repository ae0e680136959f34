"""The job-type registry: which types exist, who runs them, and how their input is checked.

In-process types carry a handler the executor calls; external types have none and wait, queued, for a
runner to claim them over HTTP (plugins running out of process). Plugins register their types with
``register_external`` and drop them with ``unregister``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from faceforge_domain.errors import Conflict, Invalid
from faceforge_domain.jobs.models import JOB_TYPE_PATTERN, Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter

InputValidator = Callable[[JsonObject], Awaitable[JsonObject]]


class JobHandler(Protocol):
    """Runs one job; returns its ``result``. Reports and checks for cancel through ``ctx``."""

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject: ...


async def accept_any_object(value: JsonObject) -> JsonObject:
    """The default validator: any JSON object is valid input."""
    return value


@dataclass(frozen=True, slots=True)
class JobTypeSpec:
    """A registered job type.

    ``validate`` checks (and may normalise) the input before a job is created, raising ``Invalid``
    or ``Forbidden``; ``resumable`` types are re-queued, not failed, when their process died.
    """

    name: str
    handler: JobHandler | None
    validate: InputValidator = accept_any_object
    resumable: bool = False
    description: str = ""

    @property
    def external(self) -> bool:
        return self.handler is None


def check_type_name(name: str) -> str:
    if not JOB_TYPE_PATTERN.fullmatch(name):
        raise Invalid.one(
            "job_type",
            "must be a namespaced name such as 'core.assets.bulk_import' or '<plugin_id>.<name>' "
            "(lowercase letters, digits, '_' and '-', parts joined by dots)",
        )
    return name


class JobRegistry:
    """Job types by name. Registering a taken name is a ``Conflict``; unknown names are ``None``."""

    def __init__(self) -> None:
        self._types: dict[str, JobTypeSpec] = {}

    def register(
        self,
        job_type: str,
        handler: JobHandler,
        *,
        validate: InputValidator = accept_any_object,
        resumable: bool = False,
        description: str = "",
    ) -> JobTypeSpec:
        """Register an in-process type: the executor runs ``handler`` for each of its jobs."""
        return self._add(JobTypeSpec(check_type_name(job_type), handler, validate, resumable, description))

    def register_external(
        self,
        job_type: str,
        *,
        validate: InputValidator = accept_any_object,
        resumable: bool = False,
        description: str = "",
    ) -> JobTypeSpec:
        """Register a type run out of process: its jobs stay queued until a runner claims one."""
        return self._add(JobTypeSpec(check_type_name(job_type), None, validate, resumable, description))

    def unregister(self, job_type: str) -> bool:
        """Forget a type (existing jobs keep their records); False when it was not registered."""
        return self._types.pop(job_type, None) is not None

    def get(self, job_type: str) -> JobTypeSpec | None:
        return self._types.get(job_type)

    def types(self) -> list[JobTypeSpec]:
        return sorted(self._types.values(), key=lambda spec: spec.name)

    def in_process_names(self) -> list[str]:
        return [spec.name for spec in self.types() if not spec.external]

    def _add(self, spec: JobTypeSpec) -> JobTypeSpec:
        if spec.name in self._types:
            raise Conflict(f"job type {spec.name!r} is already registered", {"job_type": spec.name})
        self._types[spec.name] = spec
        return spec
