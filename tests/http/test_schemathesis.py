"""Schemathesis over every operation of the OpenAPI document: the API answers what the document says.

Every phase runs (explicit examples, coverage, fuzzing with negative data, stateful sequences) with all
checks but one: no 5xx, every status, content type, header and body as documented, invalid input
refused, an unknown method refused with its ``Allow``. The check left out, ``positive_data_acceptance``,
expects every schema-valid request to succeed; some routes refuse schema-valid input for reasons the
schema cannot state (a job type that is not registered, a field key without a definition, a cursor the
server did not issue, an upload without its file). Those refusals are 404/409/422 in the envelope and
are covered by each route's own tests.

The app runs in process through schemathesis's ASGI transport. It boots its own Core in its lifespan
(as ``faceforge serve`` does) from the test's home: the Core must live on the event loop that serves
the requests, which is schemathesis's, not the loop the async ``core`` fixture runs on. Bulk imports
may read only an empty folder and backups may write only under a folder of the test's, so generated
paths can never import anything from this machine nor write anywhere on it.

Streaming routes are included: multipart and raw PUT uploads and tus requests are generated from the
document (headers and bodies schemathesis can make), and every answer they give must be documented; the
byte-level behaviour (resumption, checksums, digests) is covered by test_uploads_tus.py,
test_assets_upload.py and test_assets_digests.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from faceforge_http.app import create_app

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
CONFIG = {
    "seed": 20261124,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "checks": {"enabled": True, "positive_data_acceptance": {"enabled": False}},
    # Sequences send valid data only: their steps build on ids from earlier answers, so their inputs
    # vary from run to run, and a query value made "negative" by type alone (`tag=true` for a list of
    # strings) is the same text on the wire as a valid one. Negative data is the fuzzing phase's job.
    "phases": {
        "examples": {},
        "coverage": {},
        "fuzzing": {},
        "stateful": {"generation": {"mode": "positive"}},
    },
    "max-failures": 1000,
    # An event stream that has nothing to say is cut after a second; one event is enough to check.
    "max-stream-events": 1,
    "request-timeout": 1,
}


@pytest.fixture
def api_schema(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[schemathesis.BaseSchema]:
    import_root = tmp_path / "imports"
    import_root.mkdir()
    monkeypatch.setenv("FACEFORGE_IMPORT__ALLOWED_ROOTS", f'["{import_root}"]')
    backup_root = tmp_path / "backups"
    backup_root.mkdir()
    monkeypatch.setenv("FACEFORGE_BACKUP__ALLOWED_ROOTS", f'["{backup_root}"]')
    app = create_app()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG))
    schema.config.update(headers={"Authorization": f"Bearer {app.state.core.install_token}"})
    try:
        yield schema
    finally:
        asgi.shutdown_lifespans()


def failures(schema: schemathesis.BaseSchema) -> tuple[list[str], list[str]]:
    """Every failed check (operation, check, message, a curl to reproduce) and every engine error."""
    found: dict[tuple[str, str, str], str] = {}
    errors: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        key = (event.recorder.label, node.name, failure.title)
                        found.setdefault(key, f"{failure.message}\n  {node.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(event.info) if hasattr(event, "info") else repr(event))
    return [f"{label} [{check}] {title}: {detail}" for (label, check, title), detail in found.items()], errors


def test_every_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert {op.ok().label for op in api_schema.get_all_operations()} >= {
        "GET /v1/entities",
        "POST /v1/assets/upload",
        "PATCH /v1/uploads/{upload_id}",
    }
    found, errors = failures(api_schema)
    assert not errors, "\n".join(errors)
    assert not found, "\n\n".join(found)
