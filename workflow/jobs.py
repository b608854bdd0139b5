"""Use cases on jobs: schedule, start, cancel, and the worker's claim / progress / outcome.

The row is the truth. Creating a job writes the row and a JOB_CREATED event in the caller's
unit of work, and asks the unit of work to send the message after commit. A worker claims
the row, reports progress (which also renews its lease and reads the cancel flag), and ends
it in one transaction that also records what it learned on the package and re-validates the
draft against it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from db.models import Job, Package
from db.repositories.job_batches import JobBatches, JobEventSpec
from db.repositories.jobs import Finished, JobEnd
from db.uow import UnitOfWork
from workflow import fact_store, machine, pipeline_events
from workflow.access import Actor, Scope, worker_actor
from workflow.core.hardware import FLAVOURS_BY_NAME
from workflow.errors import NotFoundError, OperationRefusedError
from workflow.estimates import estimate_request
from workflow.events import EventBatch, EventType, status_events, utcnow
from workflow.facts import Facts, Failure
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

AUTOMATIC_KINDS = (JobKind.RESOLVE_MODEL, JobKind.PROFILE_DATASET, JobKind.ESTIMATE_COST)
ESTIMATE_ONLY = (JobKind.ESTIMATE_COST,)


async def schedule_needed(
    uow: UnitOfWork,
    actor: Actor,
    package: Package,
    content: PackageContent,
    events: EventBatch,
    *,
    stored: Mapping[str, Any] | None = None,
    kinds: Sequence[JobKind] = AUTOMATIC_KINDS,
    hardware_names: tuple[str, ...] | None = None,
) -> list[Job]:
    """Create the jobs of ``kinds`` the content needs and nobody has run or is running; an estimate
    for other inputs still under way is superseded (cancelled). ``stored``: the package's facts, when
    newer than the loaded row's; ``hardware_names``: the catalogue in use."""
    known = package.facts if stored is None else stored
    missing = fact_store_missing(known, content, hardware_names)
    requests = [request for request in _unique(missing) if request.kind in kinds]
    estimate = next((request for request in requests if request.kind is JobKind.ESTIMATE_COST), None)
    if estimate is not None:  # only a new estimate supersedes (no query on saves that need none)
        await _supersede(uow, package.id, estimate.key, events)
    if not requests:
        return []
    busy: set[str] = set()
    for kind in {request.kind for request in requests}:
        busy |= await uow.jobs.unfinished_keys(package.id, kind.value)
    new = [request for request in requests if request.key not in busy]
    free = await _free_slots(uow, actor.organisation_id, len(new))
    return [
        await _create(uow, actor, package.id, request, events, sent=position < free)
        for position, request in enumerate(new)
    ]


async def refresh_stale_estimate(
    uow: UnitOfWork,
    actor: Actor,
    package: Package,
    content: PackageContent,
    events: EventBatch,
    hardware_names: tuple[str, ...] | None,
) -> Job | None:
    """Re-run the estimate of the content's inputs when the chosen flavour is offered but missing
    from it (the catalogue gained the flavour after the estimate ran): the new result replaces the
    old one under the same inputs."""
    space = content.deploy.space
    chosen = space.hardware if content.deploy.target == "HF_SPACE" and space else None
    offered = hardware_names if hardware_names is not None else tuple(FLAVOURS_BY_NAME)
    facts = fact_store.facts_for(content, package.facts, hardware_names)
    request = estimate_request(content, facts)
    if chosen is None or chosen not in offered or facts.estimate is None or request is None:
        return None
    if chosen in facts.estimate.flavours:
        return None
    if request.key in await uow.jobs.unfinished_keys(package.id, JobKind.ESTIMATE_COST.value):
        return None
    sent = await _free_slots(uow, actor.organisation_id, 1) > 0
    return await _create(uow, actor, package.id, request, events, sent=sent)


def fact_store_missing(
    stored: Mapping[str, Any], content: PackageContent, hardware_names: tuple[str, ...] | None = None
) -> list[JobRequest]:
    """The content's wanted jobs whose result is not stored yet (the estimate once its inputs are known)."""
    requests = list(wanted(content))
    estimate = estimate_request(content, fact_store.facts_for(content, stored, hardware_names))
    if estimate is not None:
        requests.append(estimate)
    return [request for request in requests if fact_store.entry_for(stored, request.key) is None]


async def _supersede(uow: UnitOfWork, package_id: uuid.UUID, keep: str | None, events: EventBatch) -> None:
    """Cancel the package's unfinished estimates of inputs other than ``keep``: their result could
    never apply (it is stored under inputs the draft no longer has). A queued one ends at once, a
    running one at its next report."""
    stale = [job for job in await uow.jobs.unfinished(package_id, JobKind.ESTIMATE_COST.value) if job.input_key != keep]
    for job in stale:
        if job.status == JobStatus.QUEUED:
            _finish(job, JobStatus.CANCELLED, "Superseded by an estimate of newer inputs", events)
        elif not job.cancel_requested:
            job.cancel_requested = True
            job.message = "Superseded by an estimate of newer inputs"
            _progress_event(job, events)
    if any(job.status == JobStatus.CANCELLED for job in stale):
        await uow.session.flush()  # the slots they held are free before the release counts slots
        await release_waiting(uow, [stale[0].organisation_id])


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
    if kind is JobKind.BUILD_PACKAGE:
        raise OperationRefusedError(
            "JOB_KIND_NOT_STARTABLE", "A build starts when a version is published; retry a failed one with retryBuild."
        )
    locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    if locked is None:
        raise NotFoundError(str(package_id))
    version = locked.draft or await uow.versions.latest_published(package_id)
    if version is None:
        raise NotFoundError(str(package_id))
    content = state_of(version).content
    job_input: dict[str, Any] | None
    if kind is JobKind.ESTIMATE_COST:
        request = estimate_request(content, fact_store.facts_for(content, locked.package.facts, locked.hardware_names))
        if request is None:
            raise OperationRefusedError(
                "ESTIMATE_INPUTS_MISSING", "The estimate needs a resolved model and a complete step 2."
            )
        job_input = request.input
    elif kind is JobKind.PROFILE_DATASET:
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
    if kind is JobKind.ESTIMATE_COST:
        await _supersede(uow, package_id, None, events)
    sent = await _free_slots(uow, actor.organisation_id, 1) > 0
    job = await _create(uow, actor, package_id, JobRequest(kind, job_input), events, version_id=version.id, sent=sent)
    await uow.events.append_many(events.rows)
    return job


async def create(
    uow: UnitOfWork,
    actor: Actor,
    package_id: uuid.UUID,
    request: JobRequest,
    events: EventBatch,
    *,
    version_id: uuid.UUID,
) -> Job:
    """Create one job on a version for another use case (publishing starts a build), in its unit of
    work: sent after commit when the organisation has a free slot, else waiting for one."""
    sent = await _free_slots(uow, actor.organisation_id, 1) > 0
    return await _create(uow, actor, package_id, request, events, version_id=version_id, sent=sent)


async def cancel(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID) -> Job:
    """Cancel a job: a queued one at once, a running one at its next progress report."""
    actor.require(Scope.WRITE)
    job = await uow.jobs.get(job_id, lock=True, organisation_id=actor.organisation_id)
    if job is None:
        raise NotFoundError(str(job_id))
    if JobStatus(job.status) in TERMINAL:
        raise OperationRefusedError("JOB_FINISHED", f"The job already ended ({job.status}).")
    events = EventBatch(actor)
    if job.status == JobStatus.QUEUED:
        _finish(job, JobStatus.CANCELLED, "Cancelled before it started", events)
        pipeline_events.record(events, job)  # a queued build's pipeline ends here too
    else:
        job.cancel_requested = True
        job.message = "Cancelling"
        _progress_event(job, events)
    await uow.events.append_many(events.rows)
    if job.status == JobStatus.CANCELLED:
        await uow.session.flush()  # the slot it held is free before the release counts slots
        await release_waiting(uow, [job.organisation_id])
    return job


async def claim(uow: UnitOfWork, job_id: uuid.UUID, lease: timedelta) -> Job | None:
    """The worker takes the job; ``None`` when it is finished, cancelled or alive elsewhere."""
    return (await claim_many(uow, [job_id], lease)).get(job_id)


async def release_many(uow: UnitOfWork, claimed: Sequence[Job]) -> None:
    """Give back claims whose worker went away before running them, so a redelivery runs them at once."""
    released = await uow.jobs.release_many([(job.id, job.attempts) for job in claimed])
    await uow.events.append_many([row for job in released for row in _job_event(job, EventType.JOB_PROGRESS)])


async def claim_many(uow: UnitOfWork, job_ids: Sequence[uuid.UUID], lease: timedelta) -> dict[uuid.UUID, Job]:
    """Take several jobs at once (a worker's concurrently starting jobs); those not taken are absent."""
    claimed = await uow.jobs.claim_many(job_ids, lease)
    await uow.events.append_many([row for job in claimed for row in _job_event(job, EventType.JOB_PROGRESS)])
    return {job.id: job for job in claimed}


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


@dataclass(frozen=True)
class Ending:
    """How one claimed attempt of a job ends: status and message, with its result or coded failure."""

    job_id: uuid.UUID
    attempt: int
    status: JobStatus
    message: str
    result: dict[str, Any] | None = None
    failure: Failure | None = None

    @classmethod
    def succeeded(cls, job: Job, result: Mapping[str, Any]) -> Ending:
        """Done, with the result clients see."""
        return cls(job.id, job.attempts, JobStatus.SUCCEEDED, "Done", result=dict(result))

    @classmethod
    def failed(cls, job: Job, code: str, message: str) -> Ending:
        """Failed with a stable code and a human message."""
        return cls(job.id, job.attempts, JobStatus.FAILED, message, failure=Failure(code, message))

    @classmethod
    def cancelled(cls, job: Job) -> Ending:
        """Stopped because a client cancelled it."""
        return cls(job.id, job.attempts, JobStatus.CANCELLED, "Cancelled")

    def failed_instead(self, code: str, message: str) -> Ending:
        """The same attempt, ended as a failure instead (its own outcome could not be recorded)."""
        return Ending(self.job_id, self.attempt, JobStatus.FAILED, message, failure=Failure(code, message))

    def row(self) -> JobEnd:
        """The job row's final values."""
        code, message = (self.failure.code, self.failure.message) if self.failure else (None, None)
        progress = 1.0 if self.status is JobStatus.SUCCEEDED else None
        return JobEnd(self.job_id, self.attempt, self.status.value, self.message, self.result, code, message, progress)


async def end_many(uow: UnitOfWork, endings: Sequence[Ending]) -> dict[uuid.UUID, Job]:
    """End several attempts that teach the package nothing, at once; those no longer running are absent.

    A duplicate delivery finds its job ended already, and a worker that stalled past its lease
    finds its attempt taken over: either changes nothing.
    """
    finished = await uow.jobs.finish_many([ending.row() for ending in endings])
    await uow.events.append_many([row for job in finished.jobs for row in _job_event(job, EventType.JOB_FINISHED)])
    await release_waiting(uow, finished.waiting_organisations)
    return {job.id: job for job in finished.jobs}


async def claim_batch(batches: JobBatches, job_ids: Sequence[uuid.UUID], lease: timedelta) -> dict[uuid.UUID, Job]:
    """``claim_many`` as one statement (a worker's coalesced claims); the same rows and events."""
    claimed = await batches.claim(job_ids, lease, _CLAIMED)
    return {job.id: job for job in claimed}


async def end_batch(batches: JobBatches, endings: Sequence[Ending]) -> Finished:
    """``end_many`` as one statement (a worker's coalesced endings); the same rows and events. The
    organisations it names wait for ``release_waiting`` (a transaction of its own)."""
    return await batches.finish([ending.row() for ending in endings], _FINISHED)


async def release_waiting(uow: UnitOfWork, organisation_ids: Iterable[uuid.UUID]) -> list[Job]:
    """Send the oldest waiting jobs of these organisations, as far as their free slots allow.

    Every organisation has ``uow.job_slots`` jobs on the queue or running at most; the rest wait
    in the database, so a burst of one organisation queues behind its own slots, never in front
    of another organisation's jobs. An ending frees a slot, and this fills it.
    """
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return []
    released = await uow.jobs.release_waiting(wanted, uow.job_slots)
    await _queued(uow, released)
    return released


async def release_waiting_anywhere(uow: UnitOfWork, *, older_than: timedelta) -> list[Job]:
    """Mark sent, as slots allow, the jobs of every organisation that waited longer than
    ``older_than`` (the sweeper's safety net: a send that failed, an ending whose release was lost).
    The caller sends them, inside this transaction, as it sends its re-sends."""
    organisations = await uow.jobs.waiting_organisations(older_than)
    if not organisations:
        return []
    released = await uow.jobs.release_waiting(organisations, uow.job_slots, older_than=older_than)
    await _queued(uow, released, enqueue=False)
    return released


async def _queued(uow: UnitOfWork, released: Sequence[Job], *, enqueue: bool = True) -> None:
    if enqueue:
        for job in released:
            uow.enqueue(job.id, job.kind)
    await uow.events.append_many([row for job in released for row in _job_event(job, EventType.JOB_PROGRESS)])


async def _free_slots(uow: UnitOfWork, organisation_id: uuid.UUID, wanted: int) -> int:
    """How many of ``wanted`` new jobs may go on the queue now (the others wait for a slot)."""
    if wanted == 0:
        return 0
    return max(0, min(wanted, uow.job_slots - await uow.jobs.in_flight(organisation_id)))


def teaches(ending: Ending, facts: Mapping[str, Any] | None, failure_is_fact: bool) -> bool:
    """Whether the ending changes what is known about the package (and so re-validates its draft)."""
    return facts is not None or (ending.failure is not None and failure_is_fact)


async def conclude(
    uow: UnitOfWork, ending: Ending, *, facts: Mapping[str, Any] | None = None, failure_is_fact: bool = False
) -> Job | None:
    """End one job; what it learned (facts, or a permanent failure) is stored and re-validates the draft."""
    if not teaches(ending, facts, failure_is_fact):
        return (await end_many(uow, [ending])).get(ending.job_id)
    finished = await uow.jobs.finish_many([ending.row()])
    if not finished.jobs:
        return None  # a duplicate delivery finished it already: nothing to do
    [job] = finished.jobs
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    await _learn(uow, job, facts, ending.failure if failure_is_fact else None, events)
    events.add(EventType.JOB_FINISHED, job.package_id, **_payload(job))
    await uow.events.append_many(events.rows)
    await release_waiting(uow, finished.waiting_organisations)
    return job


async def retry_later(uow: UnitOfWork, job_id: uuid.UUID, code: str, message: str, delay: timedelta) -> Job | None:
    """Put the job back in the queue after a transient failure; the message is re-sent after ``delay``."""
    job = await uow.jobs.get(job_id, lock=True)
    if job is None or job.status != JobStatus.RUNNING:
        return None
    if job.cancel_requested:
        return await conclude(uow, Ending.cancelled(job))
    job.status = JobStatus.QUEUED.value
    job.message = f"Retrying in {delay.total_seconds():.0f} s after {code}: {message}"
    # Not due for the sweeper before the delayed message is.
    job.sent_at = utcnow() + delay
    job.error_code = code
    job.error_message = message
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    _progress_event(job, events)
    pipeline_events.record(events, job)  # a build waiting to retry is QUEUED again
    await uow.events.append_many(events.rows)
    uow.enqueue(job.id, job.kind, delay_ms=int(delay.total_seconds() * 1000))
    return job


async def _learn(
    uow: UnitOfWork, job: Job, facts: Mapping[str, Any] | None, failure: Failure | None, events: EventBatch
) -> None:
    """Store the result on the package and re-validate its draft against it (no revision bump)."""
    locked = await uow.packages.lock_with_draft(job.organisation_id, job.package_id)
    if locked is None:
        return
    extra = {key: value for key, value in (facts or {}).items() if key != "facts"}
    contents = [state_of(version).content for version in await uow.versions.published(locked.package.id)]
    if locked.draft is not None:
        contents.append(state_of(locked.draft).content)
    stored = fact_store.with_result(
        locked.package.facts,
        job.input_key,
        facts=(facts or {}).get("facts"),
        extra=extra,
        failure=failure,
        keep=fact_store.keys_in_use(contents, locked.package.facts, locked.hardware_names),
    )
    await uow.packages.save_facts(locked.package.id, stored)
    draft = locked.draft
    if draft is None:
        return
    state = state_of(draft)
    hardware = locked.hardware_names
    names = await uow.secrets.names(job.organisation_id) if state.content.deploy.hub_token_secret else frozenset()
    facts_now = dataclasses.replace(fact_store.facts_for(state.content, stored, hardware), secret_names=names)
    if JobKind(job.kind) is JobKind.ESTIMATE_COST and job.input_key == _estimate_key(state.content, facts_now):
        events.add(
            EventType.ESTIMATE_CHANGED,
            locked.package.id,
            versionId=str(draft.id),
            inputsHash=job.input_key,
            recommended=(facts or {}).get("facts", {}).get("recommended"),
            errorCode=failure.code if failure is not None else None,
        )
    transition = machine.refresh(state, facts_now, utcnow())
    if transition.changed:
        write_state(draft, transition.state)
        await uow.versions.update(draft)
        status_events(events, locked.package.id, draft.id, draft.revision, transition)
    # What this result taught may make the estimate computable, or change its inputs.
    actor = worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)])
    await schedule_needed(
        uow, actor, locked.package, state.content, events, stored=stored, kinds=ESTIMATE_ONLY, hardware_names=hardware
    )


def _estimate_key(content: PackageContent, facts: Facts) -> str | None:
    request = estimate_request(content, facts)
    return request.key if request is not None else None


async def _create(
    uow: UnitOfWork,
    actor: Actor,
    package_id: uuid.UUID,
    request: JobRequest,
    events: EventBatch,
    *,
    version_id: uuid.UUID | None = None,
    sent: bool = True,
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
        message="Queued" if sent else "Waiting for a slot: the organisation's other jobs go first",
        attempts=0,
        cancel_requested=False,
        created_at=utcnow(),
        created_by=actor.label,
        sent_at=utcnow() if sent else None,  # sent after commit (the row takes the database's clock)
    )
    await uow.jobs.insert(job, sent=sent)
    events.add(EventType.JOB_CREATED, package_id, **_payload(job))
    if sent:
        uow.enqueue(job.id, job.kind)
    return job


def _finish(job: Job, status: JobStatus, message: str, events: EventBatch) -> None:
    """End a job already loaded in this unit of work (cancelling one that never started)."""
    job.status = status.value
    job.message = message
    job.finished_at = utcnow()
    events.add(EventType.JOB_FINISHED, job.package_id, **_payload(job))


def _job_event(job: Job, event_type: EventType) -> list[dict[str, Any]]:
    """The event rows of one job's change, recorded under the worker's identity for its kind."""
    events = EventBatch(worker_actor(job.organisation_id, ACTOR_NAMES[JobKind(job.kind)]))
    events.add(event_type, job.package_id, **_payload(job))
    return events.rows


def _progress_event(job: Job, events: EventBatch) -> None:
    events.add(EventType.JOB_PROGRESS, job.package_id, **_payload(job))


JOB_EVENT_PAYLOAD: Mapping[str, str] = {
    "jobId": "id",
    "kind": "kind",
    "status": "status",
    "progress": "progress",
    "message": "message",
    "attempts": "attempts",
    "errorCode": "error_code",
}
"""Every job event's payload: key -> the job's attribute. The batched steps build the same payload
in SQL from this mapping (``db.repositories.job_batches``)."""


def _payload(job: Job) -> dict[str, Any]:
    payload = {key: getattr(job, attribute) for key, attribute in JOB_EVENT_PAYLOAD.items()}
    payload["jobId"] = str(job.id)
    return payload


def _event_spec(event_type: EventType) -> JobEventSpec:
    """How a batched step records ``event_type``: the payload above, under each kind's worker identity."""
    labels = {kind.value: worker_actor(uuid.UUID(int=0), name).label for kind, name in ACTOR_NAMES.items()}
    return JobEventSpec.of(event_type.value, JOB_EVENT_PAYLOAD, labels)


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


_CLAIMED = _event_spec(EventType.JOB_PROGRESS)
_FINISHED = _event_spec(EventType.JOB_FINISHED)

__all__ = [
    "JOB_EVENT_PAYLOAD",
    "Ending",
    "cancel",
    "claim",
    "claim_batch",
    "claim_many",
    "conclude",
    "create",
    "end_batch",
    "end_many",
    "release_many",
    "release_waiting",
    "release_waiting_anywhere",
    "report",
    "retry_later",
    "schedule_needed",
    "start",
]
