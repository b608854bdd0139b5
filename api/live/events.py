"""Typed live events: one GraphQL type per kind of state change, built from log rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry

from api.ids import encode
from api.pagination import event_cursor
from api.types.bundles import PipelineStage, PipelineStatus
from api.types.common import SaveTrigger, StepName, StepStatus
from api.types.jobs import JobKind, JobStatus
from db.models import Event
from workflow.drafts import SaveTrigger as DomainSaveTrigger
from workflow.events import EventType
from workflow.job_inputs import JobKind as DomainJobKind
from workflow.job_inputs import JobStatus as DomainJobStatus
from workflow.machine import StepStatus as DomainStepStatus
from workflow.pipeline import PipelineStage as DomainPipelineStage
from workflow.pipeline import PipelineStatus as DomainPipelineStatus
from workflow.steps import Step


@strawberry.interface(description="A state change of a package, in delivery order.")
class PackageEvent:
    cursor: str = strawberry.field(description="Resume after this event with `after: cursor`.")
    at: datetime
    package_id: strawberry.ID | None
    actor: str


@strawberry.type(description="The draft was saved (manually or by autosave).")
class DraftSavedEvent(PackageEvent):
    version_id: strawberry.ID
    number: int
    revision: int
    saved_at: datetime
    trigger: SaveTrigger  # type: ignore[valid-type]
    steps: list[StepName]  # type: ignore[valid-type]


@strawberry.type(description="A step's status moved.")
class StepStatusChangedEvent(PackageEvent):
    version_id: strawberry.ID
    revision: int
    step: StepName  # type: ignore[valid-type]
    from_status: StepStatus  # type: ignore[valid-type]
    to_status: StepStatus  # type: ignore[valid-type]
    error_count: int


@strawberry.type(description="The draft's current step changed.")
class CurrentStepChangedEvent(PackageEvent):
    version_id: strawberry.ID
    revision: int
    step: StepName  # type: ignore[valid-type]


@strawberry.type(
    description="The draft's cost estimate changed: a new one is in (read `Version.estimate`), or it failed."
)
class EstimateChangedEvent(PackageEvent):
    version_id: strawberry.ID
    inputs_hash: str
    recommended: str | None
    error_code: str | None


@strawberry.type(description="A new draft was opened from a published version.")
class DraftOpenedEvent(PackageEvent):
    version_id: strawberry.ID
    number: int
    based_on: int | None
    revision: int


@strawberry.type(description="The draft was discarded.")
class DraftDiscardedEvent(PackageEvent):
    version_id: strawberry.ID
    number: int


@strawberry.type(description="A version was published.")
class VersionPublishedEvent(PackageEvent):
    version_id: strawberry.ID
    number: int
    revision: int
    content_hash: str
    changelog: str | None


@strawberry.type(description="A package was created.")
class PackageCreatedEvent(PackageEvent):
    name: str


@strawberry.type(description="A package was renamed (by the user, or automatically to follow its selections).")
class PackageRenamedEvent(PackageEvent):
    name: str
    previous_name: str
    automatic: bool


@strawberry.type(description="A package was archived or unarchived.")
class PackageArchivedEvent(PackageEvent):
    archived: bool


@strawberry.type(description="A never-published package was deleted.")
class PackageDeletedEvent(PackageEvent):
    name: str


@strawberry.type(description="A job was created, progressed (or started, retried, was asked to cancel), or ended.")
class JobEvent(PackageEvent):
    job_id: strawberry.ID
    kind: JobKind  # type: ignore[valid-type]
    status: JobStatus  # type: ignore[valid-type]
    progress: float
    message: str
    attempts: int
    error_code: str | None
    finished: bool = strawberry.field(description="True on the job's last event (SUCCEEDED, FAILED or CANCELLED).")


@strawberry.type(
    description="An organisation secret was set or deleted (the event names it; it never holds the value)."
)
class SecretChangedEvent(PackageEvent):
    name: str
    deleted: bool
    created: bool = strawberry.field(description="True when a set created the secret (false: replaced or deleted).")


@strawberry.type(description="A version's publish pipeline changed stage (queued, building, ready, failed …).")
class PipelineEvent(PackageEvent):
    version_id: strawberry.ID
    job_id: strawberry.ID
    stage: PipelineStage  # type: ignore[valid-type]
    status: PipelineStatus  # type: ignore[valid-type]
    error_code: str | None
    error_message: str | None
    attempts: int
    finished: bool = strawberry.field(description="True when the build ended (READY, DEPLOY or FAILED).")


def _pipeline(row: Event, payload: dict[str, Any]) -> PipelineEvent:
    return PipelineEvent(
        **_common(row),
        version_id=_version(payload),
        job_id=strawberry.ID(encode("Job", payload["jobId"])),
        stage=DomainPipelineStage(payload["stage"]),
        status=DomainPipelineStatus(payload["status"]),
        error_code=payload.get("errorCode"),
        error_message=payload.get("errorMessage"),
        attempts=payload["attempts"],
        finished=payload["finished"],
    )


def _job(row: Event, payload: dict[str, Any]) -> JobEvent:
    return JobEvent(
        **_common(row),
        job_id=strawberry.ID(encode("Job", payload["jobId"])),
        kind=DomainJobKind(payload["kind"]),
        status=DomainJobStatus(payload["status"]),
        progress=payload["progress"],
        message=payload["message"],
        attempts=payload["attempts"],
        error_code=payload.get("errorCode"),
        finished=row.type == EventType.JOB_FINISHED,
    )


def _common(row: Event) -> dict[str, Any]:
    return {
        "cursor": event_cursor(row.tx, row.id),
        "at": row.created_at,
        "package_id": strawberry.ID(encode("Package", row.package_id)) if row.package_id else None,
        "actor": row.actor,
    }


def _version(payload: dict[str, Any]) -> strawberry.ID:
    return strawberry.ID(encode("Version", payload["versionId"]))


_BUILDERS: dict[str, Callable[[Event, dict[str, Any]], PackageEvent]] = {
    EventType.DRAFT_SAVED: lambda row, p: DraftSavedEvent(
        **_common(row),
        version_id=_version(p),
        number=p["number"],
        revision=p["revision"],
        saved_at=datetime.fromisoformat(p["savedAt"]),
        trigger=DomainSaveTrigger(p["trigger"]),
        steps=[Step(step) for step in p["steps"]],
    ),
    EventType.STEP_STATUS_CHANGED: lambda row, p: StepStatusChangedEvent(
        **_common(row),
        version_id=_version(p),
        revision=p["revision"],
        step=Step(p["step"]),
        from_status=DomainStepStatus(p["from"]),
        to_status=DomainStepStatus(p["to"]),
        error_count=p["errorCount"],
    ),
    EventType.CURRENT_STEP_CHANGED: lambda row, p: CurrentStepChangedEvent(
        **_common(row),
        version_id=_version(p),
        revision=p["revision"],
        step=Step(p["step"]),
    ),
    EventType.DRAFT_OPENED: lambda row, p: DraftOpenedEvent(
        **_common(row),
        version_id=_version(p),
        number=p["number"],
        based_on=p.get("basedOn"),
        revision=p["revision"],
    ),
    EventType.DRAFT_DISCARDED: lambda row, p: DraftDiscardedEvent(
        **_common(row), version_id=_version(p), number=p["number"]
    ),
    EventType.VERSION_PUBLISHED: lambda row, p: VersionPublishedEvent(
        **_common(row),
        version_id=_version(p),
        number=p["number"],
        revision=p["revision"],
        content_hash=p["contentHash"],
        changelog=p.get("changelog"),
    ),
    EventType.PACKAGE_CREATED: lambda row, p: PackageCreatedEvent(**_common(row), name=p["name"]),
    EventType.PACKAGE_RENAMED: lambda row, p: PackageRenamedEvent(
        **_common(row), name=p["name"], previous_name=p["previousName"], automatic=p["automatic"]
    ),
    EventType.PACKAGE_ARCHIVED: lambda row, _p: PackageArchivedEvent(**_common(row), archived=True),
    EventType.PACKAGE_UNARCHIVED: lambda row, _p: PackageArchivedEvent(**_common(row), archived=False),
    EventType.PACKAGE_DELETED: lambda row, p: PackageDeletedEvent(**_common(row), name=p["name"]),
    EventType.ESTIMATE_CHANGED: lambda row, p: EstimateChangedEvent(
        **_common(row),
        version_id=_version(p),
        inputs_hash=p["inputsHash"],
        recommended=p.get("recommended"),
        error_code=p.get("errorCode"),
    ),
    EventType.SECRET_SET: lambda row, p: SecretChangedEvent(
        **_common(row), name=p["name"], deleted=False, created=bool(p.get("created"))
    ),
    EventType.SECRET_DELETED: lambda row, p: SecretChangedEvent(
        **_common(row), name=p["name"], deleted=True, created=False
    ),
    EventType.JOB_CREATED: _job,
    EventType.JOB_PROGRESS: _job,
    EventType.JOB_FINISHED: _job,
    EventType.PIPELINE_CHANGED: _pipeline,
}

EVENT_TYPES = (
    DraftSavedEvent,
    StepStatusChangedEvent,
    CurrentStepChangedEvent,
    DraftOpenedEvent,
    DraftDiscardedEvent,
    VersionPublishedEvent,
    PackageCreatedEvent,
    PackageRenamedEvent,
    PackageArchivedEvent,
    PackageDeletedEvent,
    JobEvent,
    EstimateChangedEvent,
    SecretChangedEvent,
    PipelineEvent,
)


def typed_event(row: Event) -> PackageEvent | None:
    """The GraphQL event for a log row (``None`` for kinds this API version does not stream)."""
    builder = _BUILDERS.get(row.type)
    return builder(row, row.payload) if builder else None
