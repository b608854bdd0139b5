"""Use cases on jobs: schedule, start, cancel, and the worker's claim / progress / outcome.

The row is the truth. Creating a job writes the row and a JOB_CREATED event in the caller's
unit of work, and asks the unit of work to send the message after commit. A worker claims
the row, reports progress (which also renews its lease and reads the cancel flag), and ends
it in one transaction that also records what it learned on the package and re-validates the
draft against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from db.models import Job, Package
from db.uow import UnitOfWork
from workflow import fact_store, machine
from workflow.access import Actor, Scope, worker_actor
from workflow.errors import NotFoundError, OperationRefusedError
from workflow.events import EventBatch, EventType, status_events, utcnow
from workflow.facts import Failure
from workflow.job_inputs import (
    ACTOR_NAMES,
    TERMINAL,
    JobKind,
    JobRequest,
    JobStatus,
    dataset_input,
    model_input,
    wanted,
)
from workflow.records import state_of, write_state
from workflow.steps import PackageContent

AUTOMATIC_KINDS = (JobKind.RESOLVE_MODEL, JobKind.PROFILE_DATASET)


async def schedule_needed(
    uow: UnitOfWork, actor: Actor, package: Package, content: PackageContent, events: EventBatch
) -> list[Job]:
    """Create the resolution and profiling jobs the content needs and nobody has run or is running."""
    requests = [
        request for request in _unique(fact_store_missing(package.facts, content)) if request.kind in AUTOMATIC_KINDS
    ]
    if not requests:
        return []
    busy: set[str] = set()
    for kind in {request.kind for request in requests}:
        busy |= await uow.jobs.unfinished_keys(package.id, kind.value)
    return [await _create(uow, actor, package.id, request, events) for request in requests if request.key not in busy]


def fact_store_missing(stored: Mapping[str, Any], content: PackageContent) -> list[JobRequest]:
    """The content's wanted jobs whose result is not stored yet."""
    return [request for request in wanted(content) if fact_store.entry_for(stored, request.key) is None]


async def start(
    uow: UnitOfWork,
    actor: Actor,
    package_id: uuid.UUID,
    kind: JobKind,
    *,
    source_index: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> Job:
    """Start a job on the package's current content (the draft, else the latest published version)."""
    actor.require(Scope.WRITE)
    locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    if locked is None:
        raise NotFoundError(str(package_id))
    version = locked.draft or await uow.versions.latest_published(package_id)
    if version is None:
        raise NotFoundError(str(package_id))
    content = state_of(version).content
    job_input: dict[str, Any] | None
    if kind is JobKind.PROFILE_DATASET:
        sources = content.dataset.sources or []
        index = source_index or 0
        if not 0 <= index < len(sources):
            raise OperationRefusedError("NO_DATASET_SOURCE", f"The package has no dataset source {index}.")
        job_input = dataset_input(sources[index])
        if job_input is None:
            raise OperationRefusedError("DATASET_NOT_CHOSEN", f"Dataset source {index} has no location yet.")
    else:
        job_input = model_input(content.model)
        if job_input is None:
            raise OperationRefusedError("MODEL_NOT_CHOSEN", "Choose a model in step 1 first.")
        if kind is JobKind.DOWNLOAD_MODEL:
            if job_input["source"] != "HUB":
                raise OperationRefusedError("MODEL_IS_LOCAL", "A LOCAL model is already on disk; nothing to download.")
            job_input = {**job_input, **_download_options(options or {})}
    events = EventBatch(actor)
    job = await _create(uow, actor, package_id, JobRequest(kind, job_input), events, version_id=version.id)
    await uow.events.append_many(events.rows)
    return job


async def cancel(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID) -> Job:
    """Cancel a job: a queued one at once, a running one at its next progress report."""
    actor.require(Scope.WRITE)
    job = (await uow.jobs.by_ids(actor.organisation_id, [job_id])).get(job_id)
    if job is None:
        raise NotFoundError(str(job_id))
    job = await uow.jobs.get(job_id, lock=True)
    assert job is not None
    if JobStatus(job.status) in TERMINAL:
        raise OperationRefusedError("JOB_FINISHED", f"The job already ended ({job.status}).")
    events = EventBatch(actor)
    if job.status == JobStatus.QUEUED:
        _finish(job, JobStatus.CANCELLED, "Cancelled before it started", events)
    else:
        job.cancel_requested = True
        job.message = "Cancelling"
        _progress_event(job, events)
    await uow.events.append_many(events.rows)
    return job


async def claim(uow: UnitOfWork, job_id: uuid.UUID, lease: timedelta) -> Job | None:
    """The worker takes the job; ``None`` when it is finished, cancelled or alive elsewhere."""
    job = await uow.jobs.claim(job_id, lease)
    if job is None:
        return None
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    _progress_event(job, events)
    await uow.events.append_many(events.rows)
    return job


async def report(uow: UnitOfWork, job: Job, progress: float | None, message: str | None) -> bool:
    """Record progress (renewing the lease); whether cancellation was requested."""
    cancel = await uow.jobs.beat(job.id, None if progress is None else min(max(progress, 0.0), 1.0), message)
    if cancel is None:
        return True  # no longer RUNNING (taken over after a stall, or finished): stop working on it
    if progress is not None or message is not None:
        job.progress = progress if progress is not None else job.progress
        job.message = message if message is not None else job.message
        events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
        _progress_event(job, events)
        await uow.events.append_many(events.rows)
    return cancel


async def succeed(
    uow: UnitOfWork, job_id: uuid.UUID, result: Mapping[str, Any], *, facts: Mapping[str, Any] | None = None
) -> Job | None:
    """End the job with its result; resolution and profiling results become facts of the package."""
    return await _conclude(uow, job_id, JobStatus.SUCCEEDED, "Done", result=dict(result), facts=facts)


async def fail(uow: UnitOfWork, job_id: uuid.UUID, code: str, message: str, *, permanent_fact: bool) -> Job | None:
    """End the job with a coded error; a permanent failure of a resolution is also a fact."""
    return await _conclude(
        uow, job_id, JobStatus.FAILED, message, failure=Failure(code, message), record_failure=permanent_fact
    )


async def cancelled(uow: UnitOfWork, job_id: uuid.UUID) -> Job | None:
    """End a running job whose cancellation the worker honoured."""
    return await _conclude(uow, job_id, JobStatus.CANCELLED, "Cancelled")


async def retry_later(uow: UnitOfWork, job_id: uuid.UUID, code: str, message: str, delay: timedelta) -> Job | None:
    """Put the job back in the queue after a transient failure; the message is re-sent after ``delay``."""
    job = await uow.jobs.get(job_id, lock=True)
    if job is None or job.status != JobStatus.RUNNING:
        return None
    if job.cancel_requested:
        return await cancelled(uow, job_id)
    job.status = JobStatus.QUEUED.value
    job.message = f"Retrying in {delay.total_seconds():.0f} s after {code}: {message}"
    # Not due for the sweeper before the delayed message is.
    job.sent_at = utcnow() + delay
    job.error_code = code
    job.error_message = message
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    _progress_event(job, events)
    await uow.events.append_many(events.rows)
    uow.enqueue(job.id, job.kind, delay_ms=int(delay.total_seconds() * 1000))
    return job


async def _conclude(
    uow: UnitOfWork,
    job_id: uuid.UUID,
    status: JobStatus,
    message: str,
    *,
    result: dict[str, Any] | None = None,
    facts: Mapping[str, Any] | None = None,
    failure: Failure | None = None,
    record_failure: bool = False,
) -> Job | None:
    job = await uow.jobs.finish(
        job_id,
        status.value,
        message,
        result=result,
        error=(failure.code, failure.message) if failure is not None else None,
        progress=1.0 if status is JobStatus.SUCCEEDED else None,
    )
    if job is None:
        return None  # a duplicate delivery finished it already: nothing to do
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    if facts is not None or (failure is not None and record_failure):
        await _learn(uow, job, facts, failure, events)
    events.add(EventType.JOB_FINISHED, job.package_id, **_payload(job))
    await uow.events.append_many(events.rows)
    return job


async def _learn(
    uow: UnitOfWork, job: Job, facts: Mapping[str, Any] | None, failure: Failure | None, events: EventBatch
) -> None:
    """Store the result on the package and re-validate its draft against it (no revision bump)."""
    locked = await uow.packages.lock_with_draft(job.organisation_id, job.package_id)
    if locked is None:
        return
    extra = {key: value for key, value in (facts or {}).items() if key != "facts"}
    stored = fact_store.with_result(
        locked.package.facts, job.input_key, facts=(facts or {}).get("facts"), extra=extra, failure=failure
    )
    await uow.packages.save_facts(locked.package.id, stored)
    draft = locked.draft
    if draft is None:
        return
    state = state_of(draft)
    transition = machine.refresh(state, fact_store.facts_for(state.content, stored))
    if transition.changed:
        write_state(draft, transition.state)
        await uow.versions.update(draft)
        status_events(events, locked.package.id, draft.id, draft.revision, transition)


async def _create(
    uow: UnitOfWork,
    actor: Actor,
    package_id: uuid.UUID,
    request: JobRequest,
    events: EventBatch,
    *,
    version_id: uuid.UUID | None = None,
) -> Job:
    job = Job(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        package_id=package_id,
        version_id=version_id,
        kind=request.kind.value,
        input=request.input,
        input_key=request.key,
        status=JobStatus.QUEUED.value,
        progress=0.0,
        message="Queued",
        attempts=0,
        cancel_requested=False,
        created_at=utcnow(),
        created_by=actor.label,
        sent_at=utcnow(),  # sent after commit; the unit of work clears it if the send fails
    )
    await uow.jobs.insert(job)
    events.add(EventType.JOB_CREATED, package_id, **_payload(job))
    uow.enqueue(job.id, job.kind)
    return job


def _finish(job: Job, status: JobStatus, message: str, events: EventBatch) -> None:
    job.status = status.value
    job.message = message
    job.finished_at = utcnow()
    if status is JobStatus.SUCCEEDED:
        job.progress = 1.0
    events.add(EventType.JOB_FINISHED, job.package_id, **_payload(job))


def _progress_event(job: Job, events: EventBatch) -> None:
    events.add(EventType.JOB_PROGRESS, job.package_id, **_payload(job))


def _payload(job: Job) -> dict[str, Any]:
    return {
        "jobId": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "attempts": job.attempts,
        "errorCode": job.error_code,
    }


def _unique(requests: list[JobRequest]) -> list[JobRequest]:
    seen: set[str] = set()
    unique = []
    for request in requests:
        if request.key not in seen:
            seen.add(request.key)
            unique.append(request)
    return unique


def _download_options(options: Mapping[str, Any]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for name in ("allowPatterns", "ignorePatterns"):
        value = options.get(name)
        if value is not None:
            if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
                raise OperationRefusedError("INVALID_PATTERNS", f"{name} must be a list of non-empty glob patterns.")
            chosen[name] = value
    return chosen


__all__ = ["cancel", "claim", "fail", "report", "retry_later", "schedule_needed", "start", "succeed"]
